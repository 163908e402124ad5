//! The `ggplan` command line: parses arguments, wires the providers compiled into this
//! binary, and runs one command. Everything else is the engine's.

mod apply_cmd;
mod args;
mod console;
mod genconfig_cmd;
mod import_cmd;
mod migrate_cmd;
mod migrate_state;
mod misc;
mod pipeline;
mod plan_cmd;
mod prompt;
mod review_cmd;
mod selection;
mod stack;
mod state_cmd;
mod state_transfer;
mod taint_cmd;
mod ui;
mod workspace_cmd;

use crate::providers::Registry;
use args::{Cli, Command, StateCommand};
use clap::Parser;
use std::process::ExitCode;
use ui::Ui;

/// The providers this binary offers: the only place that names them.
pub fn registry() -> Registry {
    Registry::new(ggplan_provider_builtin::factories().into_iter().chain([
        ggplan_provider_kubernetes::factory(),
        ggplan_provider_helm::factory(),
        ggplan_provider_argocd::factory(),
        ggplan_provider_mlflow::factory(),
        ggplan_provider_openstack::factory(),
        ggplan_provider_ssh::factory(),
    ]))
}

/// Runs the command line with the built-in providers and returns the process exit code.
pub fn main() -> ExitCode {
    main_with(registry())
}

/// Runs the command line with the given providers (test binaries add their own).
pub fn main_with(registry: Registry) -> ExitCode {
    let cli = match Cli::try_parse_from(args::normalize(std::env::args())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let ui = Ui::new(cli.no_color);
    if let Some(dir) = &cli.chdir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        ui.error("Cannot change directory", format!("{}: {e}", dir.display()));
        return ExitCode::from(1);
    }
    if let Err(e) = crate::log::init() {
        ui.error("Cannot start the debug log", e);
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Room for the evaluator's deepest allowed nesting in a debug build (reserved
        // address space; only what is used is ever touched).
        .thread_stack_size(32 * 1024 * 1024)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ui.error("Cannot start", e.to_string());
            return ExitCode::from(1);
        }
    };
    runtime.block_on(dispatch(ui, &registry, cli.command))
}

/// Runs one command.
async fn dispatch(ui: Ui, registry: &Registry, command: Command) -> ExitCode {
    match command {
        Command::Validate { dir, json } => misc::validate(&ui, registry, &dir, json).await,
        Command::Init {
            dir,
            backend_config,
            migrate_state: true,
            force_copy,
            state,
            lock,
            ..
        } if backend_config.is_empty() => {
            let request = migrate_state::Request {
                dir: &dir,
                local: state.as_deref(),
                force_copy,
                lock: &lock,
            };
            migrate_state::migrate(&ui, registry, request).await
        }
        Command::Init {
            dir,
            backend_config,
            ..
        } => misc::init(&ui, registry, &dir, &backend_config).await,
        Command::Refresh { dir, run, json } => {
            apply_cmd::apply(&ui, registry, apply_cmd::ApplyArgs::refresh(dir, run, json)).await
        }
        Command::Taint {
            addr,
            allow_missing,
            state,
        } => taint_cmd::taint(&ui, &state, &addr, allow_missing, true),
        Command::Untaint {
            addr,
            allow_missing,
            state,
        } => taint_cmd::taint(&ui, &state, &addr, allow_missing, false),
        Command::Plan(plan) => plan_cmd::plan(&ui, registry, &plan).await,
        Command::Apply(apply) => apply_cmd::apply(&ui, registry, apply.into()).await,
        Command::Destroy(destroy) => apply_cmd::apply(&ui, registry, destroy.into()).await,
        Command::Drift { dir, run, output } => {
            review_cmd::drift(&ui.json(output.json), registry, &dir, &run, &output).await
        }
        Command::Import { addr, id, dir, run } => {
            import_cmd::import(&ui, registry, &dir, &run, &addr, &id).await
        }
        Command::Show {
            file,
            state,
            json,
            format,
        } => review_cmd::show(&ui, registry, &state, file.as_deref(), json, format),
        Command::Output {
            name,
            state,
            json,
            raw,
        } => state_cmd::output(&ui, &state, name.as_deref(), json, raw),
        Command::State { command } => state(&ui, registry, command),
        Command::Workspace { command } => workspace_cmd::workspace(&ui, command),
        Command::Console { dir, run } => console::console(&ui, registry, &dir, &run),
        Command::Graph { dir } => misc::graph(&ui, &dir),
        Command::Fmt {
            dir,
            check,
            diff,
            recursive,
        } => misc::fmt(&ui, &dir, check, diff, recursive),
        Command::Providers { json, markdown } => {
            misc::providers(&ui, registry, json, markdown.as_deref())
        }
        Command::ForceUnlock { id, state } => state_cmd::force_unlock(&ui, &state, &id),
        Command::Version { json } => misc::version(&ui, registry, json),
        Command::Completion { shell } => misc::completion(&ui, shell),
    }
}

/// `ggplan state ...`.
fn state(ui: &Ui, registry: &Registry, command: StateCommand) -> ExitCode {
    match command {
        StateCommand::List { filters, state } => state_cmd::list(ui, &state, &filters),
        StateCommand::Show { addr, state } => state_cmd::show_instance(ui, &state, &addr),
        StateCommand::Rm { addrs, state } => state_cmd::rm(ui, &state, &addrs),
        StateCommand::Mv {
            source,
            destination,
            state,
        } => state_cmd::mv(ui, &state, &source, &destination),
        StateCommand::Pull { state } => state_transfer::pull(ui, &state),
        StateCommand::Push { file, force, state } => state_transfer::push(ui, &state, &file, force),
        StateCommand::Migrate { file, force, state } => {
            migrate_cmd::migrate(ui, registry, &state, &file, force)
        }
    }
}

/// A JSON document, pretty-printed, with a final newline.
fn pretty(json: &serde_json::Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(json).unwrap_or_default()
    )
}
