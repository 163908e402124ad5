//! Review and drift: `ggplan drift`, `show FILE` (a saved plan in any format) and
//! `show --json` (the state).

use super::args::{Format, OutputArgs, RunArgs, StateArgs};
use super::pipeline::{RunRequest, events_for, prepare};
use super::pretty;
use super::stack::{self, Stack, name_of};
use super::state_cmd;
use super::ui::Ui;
use crate::config::Module;
use crate::drift;
use crate::plan::PlannedRun;
use crate::planfile::PlanFile;
use crate::providers::Registry;
use crate::render::json::{self as js, PlanContext, ProviderFacts, Secrets};
use crate::render::{self, json_events, markdown};
use std::path::Path;
use std::process::ExitCode;

/// What changed outside ggplan, in the asked-for form, and whether anything did (`drift` and
/// `plan --refresh-only` print the same).
pub(super) fn drift_text(
    ui: &Ui,
    registry: &Registry,
    stack: &Stack,
    planned: &PlannedRun,
    output: &OutputArgs,
) -> (String, bool) {
    let changes = drift::changes(planned);
    let checked = drift::checked(planned);
    let text = if output.json {
        json_events::drift(&changes, checked)
            .into_iter()
            .map(|l| l + "\n")
            .collect()
    } else {
        match output.format {
            Format::Human => format!("\n{}", render::drift::drift(&changes, checked, &ui.style)),
            Format::Markdown => markdown::drift(&changes, checked, &name_of(&stack.module.dir)),
            Format::Json => pretty(&serde_json::json!({
                "format_version": js::PLAN_FORMAT_VERSION,
                "ggplan_version": env!("CARGO_PKG_VERSION"),
                "checked": checked,
                "resource_drift": js::resource_changes(
                    &changes,
                    &ProviderFacts::of(registry),
                    Secrets::Redact
                ),
            })),
        }
    };
    (text, !changes.is_empty())
}

/// `ggplan drift`: refreshes every managed object and reports what changed outside ggplan.
/// Exit 0 when nothing did, 2 when something did, 1 on error.
pub async fn drift(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    output: &OutputArgs,
) -> ExitCode {
    let args = RunArgs {
        refresh: true,
        ..args.clone()
    };
    let run = RunRequest {
        args: &args,
        destroy: false,
        operation: "drift",
        events: events_for(ui, output.json, output.format),
    };
    let Some((stack, _lock, planned)) = prepare(ui, registry, dir, run).await else {
        return ExitCode::from(1);
    };
    let (text, drifted) = drift_text(ui, registry, &stack, &planned, output);
    ui.out(&text);
    if !drifted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// `ggplan show`: the state as text or JSON (`--json` is `--format json`), or a saved plan
/// file in any format.
pub fn show(
    ui: &Ui,
    registry: &Registry,
    state: &StateArgs,
    file: Option<&Path>,
    json: bool,
    format: Format,
) -> ExitCode {
    let format = if json { Format::Json } else { format };
    let Some(path) = file else {
        if format == Format::Human {
            return state_cmd::show(ui, state);
        }
        if format == Format::Markdown {
            ui.error(
                "Markdown is for plans",
                "`ggplan show --format markdown` needs a plan file; the state has no changes \
                 to review.",
            );
            return ExitCode::from(1);
        }
        let Some((_, state)) = state_cmd::load(ui, state) else {
            return ExitCode::from(1);
        };
        let providers = ProviderFacts::of(registry);
        ui.out(&pretty(&js::state(&state, &providers, Secrets::Redact)));
        return ExitCode::SUCCESS;
    };
    let Some(plan_encryption) = stack::plan_file_encryption(ui) else {
        return ExitCode::from(1);
    };
    let read = PlanFile::read(path, &plan_encryption).and_then(|f| {
        let plan = f.plan()?;
        let drift = f.drift()?;
        Ok((f, plan, drift))
    });
    let (file, plan, drift) = match read {
        Ok(read) => read,
        Err(e) => {
            ui.error("Cannot read the plan", e.to_string());
            return ExitCode::from(1);
        }
    };
    let text = match format {
        Format::Human => format!(
            "Saved plan of {}, to apply to the state {}.\n\n{}",
            file.stack_dir.display(),
            file.state_path.display(),
            render::plan(&plan, &ui.style)
        ),
        Format::Markdown => markdown::plan(&plan, &name_of(&file.stack_dir)),
        Format::Json => {
            let module = saved_configuration(ui, &file);
            let variables = file.variables();
            let context = PlanContext {
                prior: &file.prior_state,
                drift: &drift,
                variables: &variables,
                timestamp: &file.created,
                providers: &ProviderFacts::of(registry),
                configuration: module.as_ref(),
            };
            pretty(&js::plan(&plan, &context, Secrets::Redact))
        }
    };
    ui.out(&text);
    ExitCode::SUCCESS
}

/// The stack a saved plan was made from, as it was then; when its files cannot be read or
/// changed since, the plan document is shown without its `configuration`, and the reason why.
fn saved_configuration(ui: &Ui, file: &PlanFile) -> Option<Module> {
    let read = crate::config::load_dir(&file.stack_dir)
        .map_err(|_| format!("the stack in {} cannot be read", file.stack_dir.display()))
        .and_then(|module| {
            file.check_stack(&module)
                .map(|()| module)
                .map_err(|e| e.to_string())
        });
    match read {
        Ok(module) => Some(module),
        Err(reason) => {
            ui.note(&format!(
                "Warning: the plan is shown without its \"configuration\": {reason}.\n"
            ));
            None
        }
    }
}
