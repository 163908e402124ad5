//! `ggplan plan`: the plan as text, JSON lines (`--json`), one document (`--format json`,
//! `--format markdown`), and saved for `ggplan apply FILE` (`--out`).

use super::args::{Format, OutputArgs, PlanCommand};
use super::genconfig_cmd;
use super::pipeline::{RunRequest, events_for, note, prepare};
use super::review_cmd;
use super::stack::{Stack, name_of};
use super::ui::Ui;
use crate::drift;
use crate::plan::{PlannedRun, ResourceChange};
use crate::planfile::{PlanFile, PlanSource, SavedOptions};
use crate::providers::Registry;
use crate::render::json::{self as js, PlanContext, ProviderFacts, Secrets};
use crate::render::{self, json_events, markdown};
use std::path::Path;
use std::process::ExitCode;

/// `ggplan plan`. Exit 0 (or 2 with `--detailed-exitcode` and changes), 1 on error.
pub async fn plan(ui: &Ui, registry: &Registry, request: &PlanCommand) -> ExitCode {
    let (args, output) = (&request.run, &request.output);
    let ui = ui.json(output.json).compact_warnings(args.compact_warnings);
    if request.refresh_only && !args.refresh {
        ui.error(
            "Incompatible refresh options",
            "-refresh=false cannot be used with -refresh-only: a refresh-only plan is nothing \
             but the refresh.",
        );
        return ExitCode::from(1);
    }
    let generated = match &request.generate_config_out {
        Some(file) => match genconfig_cmd::generate(&ui, registry, request, file).await {
            Some(generated) => generated,
            None => return ExitCode::from(1),
        },
        None => Vec::new(),
    };
    let run = RunRequest {
        args,
        destroy: request.destroy,
        operation: "plan",
        events: events_for(&ui, output.json, output.format),
    };
    let Some((stack, _lock, mut planned)) = prepare(&ui, registry, &request.dir, run).await else {
        return ExitCode::from(1);
    };
    for g in &generated {
        let changes = planned.plan.resource_changes.iter_mut();
        if let Some(change) = changes.into_iter().find(|c| c.addr == g.addr) {
            change.generated_config = Some(g.block.clone());
        }
    }
    if request.refresh_only {
        return refresh_only(&ui, registry, &stack, &planned, request);
    }
    let drift = drift::changes(&planned);
    ui.out(&plan_text(&ui, registry, &stack, &planned, &drift, output));
    if let Some(out) = &request.out {
        let options = SavedOptions {
            destroy: request.destroy,
            refresh: args.refresh,
            targets: args.targets.clone(),
            replace: args.replace.clone(),
        };
        if let Err(e) = save(&stack, &planned, &drift, options, out) {
            ui.error("Cannot save the plan", e.to_string());
            return ExitCode::from(1);
        }
        let saved = format!(
            "\nSaved the plan to: {0}\n\nTo perform exactly these actions, run:\n  ggplan apply {0}\n",
            out.display()
        );
        note(&ui, output.is_human(), &saved);
    }
    if let (Some(file), false) = (&request.generate_config_out, generated.is_empty()) {
        let written = format!(
            "\nggplan has generated configuration and written it to {}. Please review the \
             configuration and edit it as necessary before adding it to version control.\n",
            file.display()
        );
        note(&ui, output.is_human(), &written);
    }
    if request.detailed_exitcode && planned.plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// `plan --refresh-only`: what changed outside ggplan, as `drift` shows it; changes (exit 2
/// with `--detailed-exitcode`) are what `apply --refresh-only` would record.
fn refresh_only(
    ui: &Ui,
    registry: &Registry,
    stack: &Stack,
    planned: &PlannedRun,
    request: &PlanCommand,
) -> ExitCode {
    let (text, drifted) = review_cmd::drift_text(ui, registry, stack, planned, &request.output);
    ui.out(&text);
    if drifted {
        note(
            ui,
            request.output.is_human(),
            "\nThis is a refresh-only plan, so ggplan will not take any actions to undo these. \
             If you were expecting these changes, run `ggplan apply --refresh-only` to record \
             the updated values in the state without changing any real object.\n",
        );
    }
    if request.detailed_exitcode && drifted {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The plan in the asked-for form.
fn plan_text(
    ui: &Ui,
    registry: &Registry,
    stack: &Stack,
    planned: &PlannedRun,
    drift: &[ResourceChange],
    output: &OutputArgs,
) -> String {
    if output.json {
        return json_events::plan(&planned.plan)
            .into_iter()
            .map(|l| l + "\n")
            .collect();
    }
    match output.format {
        Format::Human => format!(
            "\n{}",
            render::plan_by_layer(&planned.plan, &ui.style, &planned.run.layers())
        ),
        Format::Markdown => markdown::plan(&planned.plan, &name_of(&stack.module.dir)),
        Format::Json => {
            let timestamp = crate::clock::now_rfc3339();
            let context = PlanContext {
                prior: &planned.prior,
                drift,
                variables: &stack.variables,
                timestamp: &timestamp,
                providers: &ProviderFacts::of(registry),
                configuration: Some(&stack.module),
            };
            super::pretty(&js::plan(&planned.plan, &context, Secrets::Redact))
        }
    }
}

/// Writes the plan file `out`.
fn save(
    stack: &Stack,
    planned: &PlannedRun,
    drift: &[ResourceChange],
    options: SavedOptions,
    out: &Path,
) -> Result<(), crate::planfile::PlanFileError> {
    let source = PlanSource {
        module: &stack.module,
        variables: &stack.variables,
        options,
        state_path: stack.store.location(),
        workspace: stack.workspace.as_str(),
        prior: &planned.prior,
    };
    PlanFile::new(source, &planned.plan, drift).write(out, &stack.encryption.plan)
}
