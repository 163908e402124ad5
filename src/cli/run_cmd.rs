//! `ggplan plan`, `apply`, `destroy` and `import`.

use super::args::RunArgs;
use super::stack::{self, Stack};
use super::ui::Ui;
use crate::address::InstanceAddr;
use crate::apply::{ApplyOutcome, apply as apply_plan, apply_refresh_only};
use crate::events::{Event, EventSink};
use crate::plan::{PlannedRun, plan as make_plan};
use crate::providers::Registry;
use crate::render::{self, Style, progress};
use crate::run::{Run, RunOptions};
use crate::state::{InstanceState, JournalEntry, LockGuard, State};
use crate::walk::StopFlag;
use ggplan_sdk::{Diagnostic, Diagnostics, ReadRequest};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Prints progress events as they come.
struct HumanEvents {
    style: Style,
}

impl EventSink for HumanEvents {
    fn emit(&self, event: Event) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", progress::line(&event, &self.style));
    }
}

fn parse_addrs(ui: &Ui, texts: &[String]) -> Option<Vec<InstanceAddr>> {
    let mut out = Vec::new();
    for t in texts {
        match InstanceAddr::parse(t) {
            Ok(a) => out.push(a),
            Err(msg) => {
                ui.error("Invalid address", msg);
                return None;
            }
        }
    }
    Some(out)
}

/// The sink that prints progress lines for people.
pub(super) fn human_events(ui: &Ui) -> Arc<dyn EventSink> {
    Arc::new(HumanEvents { style: ui.style })
}

/// Loads the stack, locks and loads its state, and plans, sending progress to `events`.
pub(super) async fn prepare(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    destroy: bool,
    operation: &str,
    events: Arc<dyn EventSink>,
) -> Option<(Stack, LockGuard, PlannedRun)> {
    let stack = stack::load(ui, dir, args)?;
    plan_stack(ui, registry, stack, args, destroy, operation, events).await
}

/// Locks and loads the state of a loaded stack, and plans.
pub(super) async fn plan_stack(
    ui: &Ui,
    registry: &Registry,
    stack: Stack,
    args: &RunArgs,
    destroy: bool,
    operation: &str,
    events: Arc<dyn EventSink>,
) -> Option<(Stack, LockGuard, PlannedRun)> {
    let lock = match stack.store.lock(operation) {
        Ok(lock) => lock,
        Err(e) => {
            ui.error("Error acquiring the state lock", e.to_string());
            return None;
        }
    };
    let prior = match stack.store.load() {
        Ok(state) => state,
        Err(e) => {
            ui.error("Cannot read the state", e.to_string());
            return None;
        }
    };
    let mut warnings = Diagnostics::new();
    for (addr, op) in &prior.pending {
        warnings.push(Diagnostic::warning(
            format!("{addr}: an earlier run stopped during its {}", op.action),
            format!(
                "The run that started it at {} did not finish it. If the object was created \
                 after all, import it or remove it by hand; the plan below is based on the state \
                 as recorded.",
                op.started
            ),
        ));
    }
    ui.diagnostics(&warnings, &[]);
    let options = RunOptions {
        parallelism: args.parallelism.max(1),
        refresh: args.refresh,
        targets: parse_addrs(ui, &args.targets)?,
        replace: parse_addrs(ui, &args.replace)?,
        destroy,
    };
    let run = match stack.run(registry, &prior, options, events) {
        Ok(run) => Arc::new(run),
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack.module.sources, &stack.var_sources]);
            return None;
        }
    };
    match make_plan(run, prior).await {
        Ok(planned) => {
            ui.diagnostics(&planned.warnings, &[&stack.module.sources]);
            Some((stack, lock, planned))
        }
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack.module.sources, &stack.var_sources]);
            None
        }
    }
}

/// `ggplan plan`.
pub async fn plan(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    destroy: bool,
    detailed: bool,
) -> ExitCode {
    let Some((_stack, _lock, planned)) =
        prepare(ui, registry, dir, args, destroy, "plan", human_events(ui)).await
    else {
        return ExitCode::from(1);
    };
    ui.out(&format!("\n{}", render::plan(&planned.plan, &ui.style)));
    if detailed && planned.plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

pub(super) fn confirm(ui: &Ui, destroy: bool) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "Standard input is not a terminal, so ggplan cannot ask for confirmation. \
                    Run again with --auto-approve to apply without asking."
                .into(),
        );
    }
    let (question, what) = if destroy {
        (
            "Do you really want to destroy all resources?",
            "ggplan will destroy all your managed infrastructure, as shown above.\n  There is no undo.",
        )
    } else {
        (
            "Do you want to perform these actions?",
            "ggplan will perform the actions described above.",
        )
    };
    ui.out(&format!(
        "\n{question}\n  {what}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    ));
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(answer.trim() == "yes")
}

/// `ggplan apply` and `ggplan destroy`.
pub async fn apply(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    destroy: bool,
    auto_approve: bool,
) -> ExitCode {
    let operation = if destroy { "destroy" } else { "apply" };
    let Some((stack, _lock, planned)) = prepare(
        ui,
        registry,
        dir,
        args,
        destroy,
        operation,
        human_events(ui),
    )
    .await
    else {
        return ExitCode::from(1);
    };
    ui.out(&format!("\n{}", render::plan(&planned.plan, &ui.style)));
    let has_changes = planned.plan.has_changes();
    if has_changes && !auto_approve {
        match confirm(ui, destroy) {
            Ok(true) => {}
            Ok(false) => {
                ui.error(
                    if destroy {
                        "Destroy cancelled"
                    } else {
                        "Apply cancelled"
                    },
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
    ui.out("\n");
    let Some(outcome) = carry_out(ui, &stack, planned, false).await else {
        return ExitCode::from(1);
    };
    let summary = if destroy {
        format!(
            "\nDestroy complete! Resources: {} destroyed.\n",
            outcome.destroyed
        )
    } else {
        format!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed.\n",
            outcome.added, outcome.changed, outcome.destroyed
        )
    };
    ui.out(&ui.style_bold_green(&summary));
    if !destroy {
        ui.out(&super::state_cmd::outputs_text(&outcome.state));
    }
    ExitCode::SUCCESS
}

/// Applies a plan (or, with `refresh_only`, only its refresh) with Ctrl-C handling, and
/// reports its diagnostics; the outcome when everything was applied.
pub(super) async fn carry_out(
    ui: &Ui,
    stack: &Stack,
    planned: PlannedRun,
    refresh_only: bool,
) -> Option<ApplyOutcome> {
    let stop = StopFlag::default();
    let interrupt = {
        let stop = stop.clone();
        let ui = *ui;
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                // On stderr, so that a --json event stream on stdout stays valid.
                ui.note("\nInterrupt received. Waiting for running operations to finish, then saving state...\n");
                stop.stop();
            }
        })
    };
    let outcome = if refresh_only {
        apply_refresh_only(planned, &stack.store, &stop).await
    } else {
        apply_plan(planned, &stack.store, &stop).await
    };
    interrupt.abort();
    ui.diagnostics(
        &outcome.diagnostics,
        &[&stack.module.sources, &stack.var_sources],
    );
    if outcome.interrupted {
        ui.error(
            "Apply interrupted",
            "Completed changes are saved in the state; run apply again to finish the rest.",
        );
        return None;
    }
    outcome.succeeded().then_some(outcome)
}

/// `ggplan import ADDR ID`.
pub async fn import(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    addr_text: &str,
    id: &str,
) -> ExitCode {
    let Some(addr) = parse_addrs(ui, &[addr_text.to_string()]).and_then(|a| a.into_iter().next())
    else {
        return ExitCode::from(1);
    };
    let Some(stack) = stack::load(ui, dir, args) else {
        return ExitCode::from(1);
    };
    let Some(resource) = stack.module.resources.get(&addr.resource) else {
        ui.error(
            "Import to non-existent resource",
            format!(
                "{} is not declared in the stack; add its resource block first, then import.",
                addr.resource
            ),
        );
        return ExitCode::from(1);
    };
    let _lock = match stack.store.lock("import") {
        Ok(lock) => lock,
        Err(e) => {
            ui.error("Error acquiring the state lock", e.to_string());
            return ExitCode::from(1);
        }
    };
    let mut state: State = match stack.store.load() {
        Ok(s) => s,
        Err(e) => {
            ui.error("Cannot read the state", e.to_string());
            return ExitCode::from(1);
        }
    };
    if state.resources.contains_key(&addr) {
        ui.error(
            "Resource already managed",
            format!("{addr} is already in the state; remove it with `ggplan state rm {addr}` to import another object there."),
        );
        return ExitCode::from(1);
    }
    let run = match Run::new(
        stack.module.clone(),
        registry.clone(),
        stack.variables.clone(),
        &[],
        RunOptions::default(),
        Arc::new(crate::events::Discard),
    ) {
        Ok(run) => run,
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack.module.sources]);
            return ExitCode::from(1);
        }
    };
    let result = async {
        run.configure_provider(&resource.provider).await?;
        if run.is_deferred(&resource.provider) {
            return Err(Diagnostic::error(
                format!("Cannot import into {addr}"),
                format!(
                    "The configuration of provider {:?} refers to values known only after \
                     apply; apply what it refers to first, then import.",
                    resource.provider
                ),
            )
            .into());
        }
        let (provider, schema) = run.resource_provider(&addr.resource, &resource.provider)?;
        let imported = provider
            .provider
            .import(&addr.resource.type_name, id)
            .await?;
        let read = provider
            .provider
            .read(ReadRequest {
                type_name: &addr.resource.type_name,
                state: &imported,
            })
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!("The provider found no object with id {id:?}."),
                ))
            })?;
        let marks = schema.sensitive_paths(&read);
        Ok::<_, Diagnostics>(InstanceState::from_value(
            addr.clone(),
            resource.provider.clone(),
            read.mark_paths(&marks),
            Vec::new(),
            schema.version,
            resource.lifecycle.create_before_destroy,
        ))
    }
    .await;
    let instance = match result {
        Ok(i) => i,
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack.module.sources]);
            return ExitCode::from(1);
        }
    };
    JournalEntry::Set(instance).apply_to(&mut state);
    if let Err(e) = stack.store.persist(&mut state) {
        ui.error("Cannot save the state", e.to_string());
        return ExitCode::from(1);
    }
    ui.out(&format!(
        "{addr}: Import prepared!\n\nImport successful!\n\nThe object imported above is now in the state; run ggplan plan to see how it differs from the configuration.\n"
    ));
    ExitCode::SUCCESS
}
