//! Review and drift: `plan --out/--format/--json`, `apply FILE`, `apply --refresh-only`,
//! `apply --json`, `show FILE`, `show --json` and `drift`.

use super::args::{Format, OutputArgs, RunArgs, StateArgs};
use super::run_cmd::{carry_out, confirm, human_events, plan_stack, prepare};
use super::stack::{self, Stack};
use super::state_cmd;
use super::ui::Ui;
use crate::drift;
use crate::events::{Discard, Event, EventSink};
use crate::plan::PlannedRun;
use crate::planfile::{PlanFile, PlanSource, SavedOptions};
use crate::providers::Registry;
use crate::render::json::{self as js, PlanContext, Secrets};
use crate::render::{self, json_events, markdown};
use crate::state::StateStore;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Prints progress events as JSON lines.
struct JsonEvents;

impl EventSink for JsonEvents {
    fn emit(&self, event: Event) {
        print_lines(&[json_events::event(&event)]);
    }
}

fn print_lines(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// The event sink for an output choice: JSON lines, human progress lines, or nothing (a
/// JSON or Markdown document must be all that standard output holds).
fn events_for(ui: &Ui, json: bool, format: Format) -> Arc<dyn EventSink> {
    if json {
        print_lines(&[json_events::version()]);
        Arc::new(JsonEvents)
    } else if format == Format::Human {
        human_events(ui)
    } else {
        Arc::new(Discard)
    }
}

/// Prints a note for people: on standard output in human mode, else on standard error.
fn note(ui: &Ui, human: bool, text: &str) {
    if human {
        ui.out(text);
    } else {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

fn pretty(json: &serde_json::Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(json).unwrap_or_default()
    )
}

/// What `ggplan plan` was asked for beyond the plain text.
pub struct PlanRequest<'a> {
    pub destroy: bool,
    pub detailed_exitcode: bool,
    pub out: Option<&'a Path>,
    pub output: &'a OutputArgs,
}

/// `ggplan plan` with `--out`, `--format` or `--json`.
pub async fn plan(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    request: PlanRequest<'_>,
) -> ExitCode {
    let output = request.output;
    let events = events_for(ui, output.json, output.format);
    let Some((stack, _lock, planned)) =
        prepare(ui, registry, dir, args, request.destroy, "plan", events).await
    else {
        return ExitCode::from(1);
    };
    let drift = drift::changes(&planned);
    let timestamp = crate::clock::now_rfc3339();
    let text = if output.json {
        json_events::plan(&planned.plan)
            .into_iter()
            .map(|l| l + "\n")
            .collect()
    } else {
        match output.format {
            Format::Human => format!("\n{}", render::plan(&planned.plan, &ui.style)),
            Format::Markdown => markdown::plan(&planned.plan),
            Format::Json => {
                let context = PlanContext {
                    prior: &planned.prior,
                    drift: &drift,
                    variables: &stack.variables,
                    timestamp: &timestamp,
                };
                pretty(&js::plan(&planned.plan, &context, Secrets::Redact))
            }
        }
    };
    ui.out(&text);
    if let Some(out) = request.out {
        let source = PlanSource {
            module: &stack.module,
            variables: &stack.variables,
            options: SavedOptions {
                destroy: request.destroy,
                refresh: args.refresh,
                targets: args.targets.clone(),
                replace: args.replace.clone(),
            },
            state_path: stack.store.path(),
            prior: &planned.prior,
        };
        if let Err(e) = PlanFile::new(source, &planned.plan, &drift).write(out) {
            ui.error("Cannot save the plan", e.to_string());
            return ExitCode::from(1);
        }
        note(
            ui,
            output.is_human(),
            &format!(
                "\nSaved the plan to: {0}\n\nTo perform exactly these actions, run:\n  \
                 ggplan apply {0}\n",
                out.display()
            ),
        );
    }
    if request.detailed_exitcode && planned.plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// What `ggplan apply` was asked for beyond the plain run.
pub struct ApplyRequest {
    pub auto_approve: bool,
    pub refresh_only: bool,
    /// `destroy --json`: plan the destruction of everything instead.
    pub destroy: bool,
    pub json: bool,
}

/// `ggplan apply FILE`, `apply --refresh-only`, `apply --json` and `destroy --json`.
pub async fn apply(
    ui: &Ui,
    registry: &Registry,
    path: &Path,
    args: &RunArgs,
    request: ApplyRequest,
) -> ExitCode {
    if path.is_file() {
        if request.destroy {
            ui.error(
                "destroy takes a stack directory",
                format!(
                    "{} is a file. To apply a saved destroy plan, run `ggplan apply {}`.",
                    path.display(),
                    path.display()
                ),
            );
            return ExitCode::from(1);
        }
        return apply_file(ui, registry, path, args, &request).await;
    }
    if request.json && !request.auto_approve {
        ui.error(
            "Missing --auto-approve",
            "With --json, ggplan cannot ask for confirmation; add --auto-approve, or save a \
             plan with `ggplan plan --out FILE` and apply that file.",
        );
        return ExitCode::from(1);
    }
    let events = events_for(ui, request.json, Format::Human);
    let operation = if request.destroy { "destroy" } else { "apply" };
    let Some((stack, _lock, planned)) =
        prepare(ui, registry, path, args, request.destroy, operation, events).await
    else {
        return ExitCode::from(1);
    };
    let proceed = if request.refresh_only {
        show_drift(ui, &planned, request.json)
    } else {
        show_plan(ui, &planned, request.json)
    };
    if proceed && !request.auto_approve {
        match confirm(ui, false) {
            Ok(true) => {}
            Ok(false) => {
                ui.error(
                    "Apply cancelled",
                    "Only 'yes' approves; nothing was changed.",
                );
                return ExitCode::from(1);
            }
            Err(msg) => {
                ui.error("No confirmation", msg);
                return ExitCode::from(1);
            }
        }
    }
    finish(ui, &stack, planned, operation, &request).await
}

/// Prints the plan; whether it has changes to confirm.
fn show_plan(ui: &Ui, planned: &PlannedRun, json: bool) -> bool {
    if json {
        print_lines(&json_events::plan(&planned.plan));
    } else {
        ui.out(&format!("\n{}", render::plan(&planned.plan, &ui.style)));
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

/// Applies and prints the outcome.
async fn finish(
    ui: &Ui,
    stack: &Stack,
    planned: PlannedRun,
    operation: &str,
    request: &ApplyRequest,
) -> ExitCode {
    if !request.json {
        ui.out("\n");
    }
    let Some(outcome) = carry_out(ui, stack, planned, request.refresh_only).await else {
        return ExitCode::from(1);
    };
    if request.json {
        print_lines(&[
            json_events::summary(operation, outcome.added, outcome.changed, outcome.destroyed),
            json_events::outputs(&outcome.state),
        ]);
    } else {
        let done = if operation == "destroy" {
            "Destroy"
        } else {
            "Apply"
        };
        ui.out(&ui.style_bold_green(&format!(
            "\n{done} complete! Resources: {} added, {} changed, {} destroyed.\n",
            outcome.added, outcome.changed, outcome.destroyed
        )));
        ui.out(&state_cmd::outputs_text(&outcome.state));
    }
    ExitCode::SUCCESS
}

/// `ggplan apply FILE`: re-plans with the saved variables and options and applies only if the
/// configuration, the state and the fresh plan are what the file says.
async fn apply_file(
    ui: &Ui,
    registry: &Registry,
    path: &Path,
    args: &RunArgs,
    request: &ApplyRequest,
) -> ExitCode {
    if request.refresh_only || !args.vars.is_empty() || !args.var_files.is_empty() {
        ui.error(
            "Cannot change a saved plan",
            "A saved plan is applied with the variables and options it was made with; \
             --var, --var-file and --refresh-only cannot be used with a plan file.",
        );
        return ExitCode::from(1);
    }
    let file = match PlanFile::read(path) {
        Ok(f) => f,
        Err(e) => {
            ui.error("Cannot read the plan", e.to_string());
            return ExitCode::from(1);
        }
    };
    let Some(module) = stack::load_module(ui, &file.stack_dir) else {
        return ExitCode::from(1);
    };
    if let Err(e) = file.check_stack(&module) {
        ui.error("Saved plan is stale", e.to_string());
        return ExitCode::from(1);
    }
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| file.state_path.clone());
    let stack = Stack {
        module: Arc::new(module),
        variables: file.variables(),
        var_sources: Default::default(),
        store: StateStore::new(state_path),
    };
    let saved = RunArgs {
        refresh: file.options.refresh,
        targets: file.options.targets.clone(),
        replace: file.options.replace.clone(),
        ..args.clone()
    };
    let events = events_for(ui, request.json, Format::Human);
    let operation = if file.options.destroy {
        "destroy"
    } else {
        "apply"
    };
    let Some((stack, _lock, planned)) = plan_stack(
        ui,
        registry,
        stack,
        &saved,
        file.options.destroy,
        operation,
        events,
    )
    .await
    else {
        return ExitCode::from(1);
    };
    let checked = file
        .check_state(&planned.prior)
        .and_then(|()| file.check_same(&planned.plan));
    if let Err(e) = checked {
        ui.error("Saved plan is stale", e.to_string());
        return ExitCode::from(1);
    }
    finish(ui, &stack, planned, operation, request).await
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
    let events = events_for(ui, output.json, output.format);
    let Some((_stack, _lock, planned)) =
        prepare(ui, registry, dir, &args, false, "drift", events).await
    else {
        return ExitCode::from(1);
    };
    let changes = drift::changes(&planned);
    let checked = drift::checked(&planned);
    let text = if output.json {
        json_events::drift(&changes, checked)
            .into_iter()
            .map(|l| l + "\n")
            .collect()
    } else {
        match output.format {
            Format::Human => format!("\n{}", render::drift::drift(&changes, checked, &ui.style)),
            Format::Markdown => markdown::drift(&changes, checked),
            Format::Json => pretty(&serde_json::json!({
                "format_version": js::PLAN_FORMAT_VERSION,
                "ggplan_version": env!("CARGO_PKG_VERSION"),
                "checked": checked,
                "resource_drift": js::resource_changes(&changes, Secrets::Redact),
            })),
        }
    };
    ui.out(&text);
    if changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// `ggplan show FILE` in any format, and `ggplan show --json` of the state.
pub fn show(ui: &Ui, state: &StateArgs, file: Option<&Path>, format: Format) -> ExitCode {
    let Some(path) = file else {
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
        ui.out(&pretty(&js::state(&state, Secrets::Redact)));
        return ExitCode::SUCCESS;
    };
    let read = PlanFile::read(path).and_then(|f| {
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
        Format::Human => render::plan(&plan, &ui.style),
        Format::Markdown => markdown::plan(&plan),
        Format::Json => {
            let variables = file.variables();
            let context = PlanContext {
                prior: &file.prior_state,
                drift: &drift,
                variables: &variables,
                timestamp: &file.created,
            };
            pretty(&js::plan(&plan, &context, Secrets::Redact))
        }
    };
    ui.out(&text);
    ExitCode::SUCCESS
}
