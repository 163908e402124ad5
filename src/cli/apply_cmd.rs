//! `ggplan apply` and `ggplan destroy`, one path for both: plan (or re-plan a saved plan and
//! check it is still what the file says), show what will change, ask, apply, summarise; as
//! text for people or as JSON lines (`--json`).

use super::args::{ApplyCommand, DestroyCommand, Format, RunArgs};
use super::pipeline::{
    RunRequest, carry_out, confirm, events_for, plan_stack, prepare, print_lines,
};
use super::stack::{self, Stack};
use super::state_cmd;
use super::ui::Ui;
use crate::config::BackendBlock;
use crate::drift;
use crate::plan::PlannedRun;
use crate::planfile::PlanFile;
use crate::providers::Registry;
use crate::render::{self, json_events};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// What `ggplan apply` or `ggplan destroy` was asked for.
pub struct ApplyArgs {
    /// The stack directory, or (for apply) a saved plan file.
    pub path: PathBuf,
    pub run: RunArgs,
    pub auto_approve: bool,
    /// `apply --refresh-only`: accept the refresh into the state, change no real object.
    pub refresh_only: bool,
    /// `destroy`: plan the destruction of everything in state.
    pub destroy: bool,
    pub json: bool,
}

impl ApplyArgs {
    /// `ggplan refresh`: Terraform's `refresh`, which is `apply -refresh-only -auto-approve`.
    pub fn refresh(path: PathBuf, run: RunArgs, json: bool) -> ApplyArgs {
        ApplyArgs {
            path,
            run,
            auto_approve: true,
            refresh_only: true,
            destroy: false,
            json,
        }
    }

    fn operation(&self) -> &'static str {
        if self.destroy { "destroy" } else { "apply" }
    }
}

impl From<ApplyCommand> for ApplyArgs {
    fn from(c: ApplyCommand) -> ApplyArgs {
        ApplyArgs {
            path: c.dir,
            run: c.run,
            auto_approve: c.auto_approve,
            refresh_only: c.refresh_only,
            destroy: c.destroy,
            json: c.json,
        }
    }
}

impl From<DestroyCommand> for ApplyArgs {
    fn from(c: DestroyCommand) -> ApplyArgs {
        ApplyArgs {
            path: c.dir,
            run: c.run,
            auto_approve: c.auto_approve,
            refresh_only: false,
            destroy: true,
            json: c.json,
        }
    }
}

/// `ggplan apply [DIR|FILE]` and `ggplan destroy [DIR]`.
pub async fn apply(ui: &Ui, registry: &Registry, request: ApplyArgs) -> ExitCode {
    let ui = ui
        .json(request.json)
        .compact_warnings(request.run.compact_warnings);
    let (path, args) = (request.path.as_path(), &request.run);
    if path.is_file() {
        if request.destroy {
            ui.error(
                "destroy takes a stack directory",
                format!(
                    "{0} is a file. To apply a saved destroy plan, run `ggplan apply {0}`.",
                    path.display()
                ),
            );
            return ExitCode::from(1);
        }
        return apply_file(&ui, registry, path, &request).await;
    }
    if request.json && !request.auto_approve {
        ui.error(
            "Missing --auto-approve",
            "With --json, ggplan cannot ask for confirmation; add --auto-approve, or save a \
             plan with `ggplan plan --out FILE` and apply that file.",
        );
        return ExitCode::from(1);
    }
    let run = RunRequest {
        args,
        destroy: request.destroy,
        operation: request.operation(),
        events: events_for(&ui, request.json, Format::Human),
    };
    let Some((stack, _lock, planned)) = prepare(&ui, registry, path, run).await else {
        return ExitCode::from(1);
    };
    let proceed = if request.refresh_only {
        show_drift(&ui, &planned, request.json)
    } else {
        show_plan(&ui, &planned, request.json)
    };
    if proceed && !request.auto_approve && !approved(&ui, request.destroy) {
        return ExitCode::from(1);
    }
    finish(&ui, &stack, planned, &request).await
}

/// Asks for confirmation; whether it was given (what went wrong is printed).
fn approved(ui: &Ui, destroy: bool) -> bool {
    match confirm(ui, destroy) {
        Ok(true) => true,
        Ok(false) => {
            let cancelled = if destroy {
                "Destroy cancelled"
            } else {
                "Apply cancelled"
            };
            ui.error(cancelled, "Only 'yes' approves; nothing was changed.");
            false
        }
        Err(msg) => {
            ui.error("No confirmation", msg);
            false
        }
    }
}

/// Prints the plan; whether it has changes to confirm.
fn show_plan(ui: &Ui, planned: &PlannedRun, json: bool) -> bool {
    if json {
        print_lines(&json_events::plan(&planned.plan));
    } else {
        ui.out(&format!(
            "\n{}",
            render::plan_by_layer(&planned.plan, &ui.style, &planned.run.layers())
        ));
    }
    planned.plan.has_changes()
}

/// Prints what a refresh-only apply would accept; whether there is anything.
fn show_drift(ui: &Ui, planned: &PlannedRun, json: bool) -> bool {
    let changes = drift::changes(planned);
    let checked = drift::checked(planned);
    if json {
        print_lines(&json_events::drift(&changes, checked));
    } else {
        ui.out(&format!(
            "\n{}",
            render::drift::drift(&changes, checked, &ui.style)
        ));
        if !changes.is_empty() {
            ui.out(
                "\nThis is a refresh-only apply: ggplan will record these changes in the \
                 state and change no real object.\n",
            );
        }
    }
    !changes.is_empty()
}

/// Applies and prints the outcome: Terraform's summary line, and the outputs after an apply.
async fn finish(ui: &Ui, stack: &Stack, planned: PlannedRun, request: &ApplyArgs) -> ExitCode {
    if !request.json {
        ui.out("\n");
    }
    let Some(outcome) = carry_out(ui, stack, planned, request.refresh_only).await else {
        return ExitCode::from(1);
    };
    let counts = outcome.counts;
    if request.json {
        print_lines(&[
            json_events::summary(
                request.operation(),
                counts.added,
                counts.changed,
                counts.destroyed,
            ),
            json_events::outputs(&outcome.state),
        ]);
    } else if request.destroy {
        let summary = format!(
            "\nDestroy complete! Resources: {} destroyed.\n",
            counts.destroyed
        );
        ui.out(&ui.style_bold_green(&summary));
    } else {
        // As Terraform: imports are named only when there are some.
        let imported = match counts.imported {
            0 => String::new(),
            n => format!("{n} imported, "),
        };
        let summary = format!(
            "\nApply complete! Resources: {imported}{} added, {} changed, {} destroyed.\n",
            counts.added, counts.changed, counts.destroyed
        );
        ui.out(&ui.style_bold_green(&summary));
        ui.out(&state_cmd::outputs_text(&outcome.state));
    }
    ExitCode::SUCCESS
}

/// `ggplan apply FILE`: re-plans with the saved variables and options and applies only if the
/// configuration, the state and the fresh plan are what the file says.
async fn apply_file(ui: &Ui, registry: &Registry, path: &Path, request: &ApplyArgs) -> ExitCode {
    let args = &request.run;
    if request.refresh_only || !args.vars.is_empty() || !args.var_files.is_empty() {
        ui.error(
            "Cannot change a saved plan",
            "A saved plan is applied with the variables and options it was made with; \
             --var, --var-file and --refresh-only cannot be used with a plan file.",
        );
        return ExitCode::from(1);
    }
    let Some(plan_encryption) = stack::plan_file_encryption(ui) else {
        return ExitCode::from(1);
    };
    let file = match PlanFile::read(path, &plan_encryption) {
        Ok(f) => f,
        Err(e) => {
            ui.error("Cannot read the plan", e.to_string());
            return ExitCode::from(1);
        }
    };
    let Some(stack) = saved_stack(ui, &file, args) else {
        return ExitCode::from(1);
    };
    // The run the file was made with: its options, and its own destroy or apply.
    let request = ApplyArgs {
        path: path.to_path_buf(),
        run: RunArgs {
            refresh: file.options.refresh,
            targets: file.options.targets.clone(),
            replace: file.options.replace.clone(),
            ..args.clone()
        },
        destroy: file.options.destroy,
        ..*request
    };
    let run = RunRequest {
        args: &request.run,
        destroy: request.destroy,
        operation: request.operation(),
        events: events_for(ui, request.json, Format::Human),
    };
    let Some((stack, _lock, planned)) = plan_stack(ui, registry, stack, run).await else {
        return ExitCode::from(1);
    };
    let checked = file
        .check_state(&planned.prior)
        .and_then(|()| file.check_same(&planned.plan));
    if let Err(e) = checked {
        ui.error("Saved plan is stale", e.to_string());
        return ExitCode::from(1);
    }
    finish(ui, &stack, planned, &request).await
}

/// The stack a plan file was made from, with its saved variables, if its files are unchanged.
fn saved_stack(ui: &Ui, file: &PlanFile, args: &RunArgs) -> Option<Stack> {
    let module = stack::load_module(ui, &file.stack_dir)?;
    if let Err(e) = file.check_stack(&module) {
        ui.error("Saved plan is stale", e.to_string());
        return None;
    }
    let variables = file.variables();
    let encryption = stack::encryption_or_report(ui, Some(&module), |name| {
        stack::string_variable(&variables, name)
    })?;
    // A pg backend is the stack's own block (its files are unchanged); a local file is the
    // one the plan was made against.
    let state_path = match &module.backend {
        Some(BackendBlock::Pg(_)) if args.state.is_none() => None,
        _ => Some(
            args.state
                .clone()
                .unwrap_or_else(|| file.state_path.clone()),
        ),
    };
    let (store, workspace) = stack::backend(
        state_path.as_deref(),
        &file.stack_dir,
        Some(&module),
        &encryption.state,
    )
    .map_err(|(title, detail)| ui.error(title, detail))
    .ok()?;
    if let Err(e) = file.check_workspace(workspace.as_str()) {
        ui.error("Saved plan is for another workspace", e.to_string());
        return None;
    }
    Some(Stack {
        module: Arc::new(module),
        variables,
        var_sources: Default::default(),
        store,
        workspace,
        encryption,
    })
}
