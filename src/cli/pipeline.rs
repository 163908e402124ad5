//! What every run command shares: where its output goes (text for people, JSON lines, one
//! document), loading and planning a stack under its state lock, asking for confirmation,
//! and applying with Ctrl-C handling.

use super::args::{Format, LockArgs, RunArgs};
use super::stack::{self, Stack};
use super::ui::Ui;
use crate::address::InstanceAddr;
use crate::apply::{ApplyOutcome, apply, apply_refresh_only};
use crate::events::{Discard, Event, EventSink};
use crate::locks::locked;
use crate::plan::{PlannedRun, plan};
use crate::providers::Registry;
use crate::render::live::Live;
use crate::render::{Style, json_events, progress};
use crate::run::RunOptions;
use crate::state::{Backend, State, StateLock};
use crate::walk::StopFlag;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Prints progress events as they come, for people: every line, or on a terminal at most
/// [`Live::LINES_PER_SECOND`] a second and a summary of the rest.
struct HumanEvents {
    style: Style,
    live: Option<Mutex<Live>>,
}

impl EventSink for HumanEvents {
    fn emit(&self, event: Event) {
        if !progress::is_shown(&event) {
            return;
        }
        let line = progress::line(&event, &self.style);
        let lines = match &self.live {
            Some(live) => locked(live).lines(&event, line, Instant::now()),
            None => vec![line],
        };
        print_lines(&lines);
    }
}

impl Drop for HumanEvents {
    /// What the last second held back, once the run is over.
    fn drop(&mut self) {
        if let Some(summary) = self.live.as_ref().and_then(|live| locked(live).summary()) {
            print_lines(&[summary]);
        }
    }
}

/// Prints progress events as JSON lines.
struct JsonEvents;

impl EventSink for JsonEvents {
    fn emit(&self, event: Event) {
        print_lines(&[json_events::event(&event)]);
    }
}

/// Prints lines on standard output.
pub(super) fn print_lines(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// The event sink for an output choice: JSON lines (after the version line), human progress
/// lines, or nothing (a JSON or Markdown document must be all that standard output holds).
pub(super) fn events_for(ui: &Ui, json: bool, format: Format) -> Arc<dyn EventSink> {
    if json {
        print_lines(&[json_events::version()]);
        Arc::new(JsonEvents)
    } else if format == Format::Human {
        let live = std::io::stdout()
            .is_terminal()
            .then(|| Mutex::new(Live::new(Instant::now())));
        Arc::new(HumanEvents {
            style: ui.style,
            live,
        })
    } else {
        Arc::new(Discard)
    }
}

/// Prints a note for people: on standard output in human mode, else on standard error.
pub(super) fn note(ui: &Ui, human: bool, text: &str) {
    if human {
        ui.out(text);
    } else {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
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

/// What a run command plans: the stack, how, and for which operation (`plan`, `apply`,
/// `destroy`, `drift`: the state lock names it).
pub(super) struct RunRequest<'a> {
    pub args: &'a RunArgs,
    pub destroy: bool,
    pub operation: &'a str,
    pub events: Arc<dyn EventSink>,
}

/// Loads the stack in `dir`, locks and loads its state, and plans.
pub(super) async fn prepare(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    request: RunRequest<'_>,
) -> Option<(Stack, Option<StateLock>, PlannedRun)> {
    let stack = stack::load(ui, registry, dir, request.args)?;
    plan_stack(ui, registry, stack, request).await
}

/// Locks and loads the state of a loaded stack, and plans.
pub(super) async fn plan_stack(
    ui: &Ui,
    registry: &Registry,
    stack: Stack,
    request: RunRequest<'_>,
) -> Option<(Stack, Option<StateLock>, PlannedRun)> {
    // Before the lock is taken: an interrupt from then on releases it.
    let stop = StopFlag::default();
    watch_interrupts(*ui, stop.clone());
    let (lock, prior) = lock_and_load(ui, &*stack.store, request.operation, &request.args.lock)?;
    let args = request.args;
    let options = RunOptions {
        parallelism: args.parallelism.max(1),
        refresh: args.refresh,
        targets: parse_addrs(ui, &args.targets)?,
        replace: parse_addrs(ui, &args.replace)?,
        destroy: request.destroy,
        // Stack::run sets the workspace.
        ..RunOptions::default()
    };
    let sources = [&stack.module.sources, &stack.var_sources];
    let run = match stack.run(registry, &prior, options, request.events) {
        Ok(run) => Arc::new(run.stopped_by(stop)),
        Err(diags) => {
            ui.diagnostics(&diags, &sources);
            return None;
        }
    };
    match plan(run, prior).await {
        Ok(planned) => {
            ui.diagnostics(&planned.warnings, &sources);
            Some((stack, lock, planned))
        }
        Err(diags) => {
            ui.diagnostics(&diags, &sources);
            None
        }
    }
}

/// Takes the state lock for `operation` (unless `lock` turns it off) and loads the state;
/// what went wrong is printed.
pub(super) fn lock_and_load(
    ui: &Ui,
    store: &dyn Backend,
    operation: &str,
    lock: &LockArgs,
) -> Option<(Option<StateLock>, State)> {
    let waiting = |held: &_| super::state_cmd::waiting_for_lock(ui, held, lock);
    let lock = match store.lock_with(operation, lock.policy(), waiting) {
        Ok(lock) => lock,
        Err(e) => {
            ui.error("Error acquiring the state lock", e.to_string());
            return None;
        }
    };
    match store.load() {
        Ok(state) => Some((lock, state)),
        Err(e) => {
            ui.error("Cannot read the state", e.to_string());
            None
        }
    }
}

/// Asks for `yes` on the terminal; whether it was given, or why it cannot be asked.
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

/// Ctrl-C, from planning on, as Terraform takes it: the first asks the run to stop (no
/// instance starts any more; running operations finish and are recorded, the lock is
/// released), the second abandons the running operations and exits at once.
fn watch_interrupts(ui: Ui, stop: StopFlag) {
    use tokio::signal::unix::{SignalKind, signal};
    // One listener for the first interrupt and the second.
    let Ok(mut interrupts) = signal(SignalKind::interrupt()) else {
        return;
    };
    tokio::spawn(async move {
        if interrupts.recv().await.is_none() {
            return;
        }
        // On stderr, so that a --json event stream on stdout stays valid.
        ui.note(
            "\nInterrupt received. Waiting for running operations to finish, then saving \
             state (press Ctrl-C again to abandon them)...\n",
        );
        stop.stop();
        if interrupts.recv().await.is_some() {
            ui.note(
                "\nTwo interrupts received: exiting at once. The operations still running may \
                 have made objects the state does not record, and the state lock is left: run \
                 `ggplan plan` once the lock is removed to see what drifted.\n",
            );
            std::process::exit(1);
        }
    });
}

/// Applies a plan (or, with `refresh_only`, only its refresh), stopped by Ctrl-C, and
/// reports its diagnostics; the outcome when everything was applied.
pub(super) async fn carry_out(
    ui: &Ui,
    stack: &Stack,
    planned: PlannedRun,
    refresh_only: bool,
) -> Option<ApplyOutcome> {
    let outcome = if refresh_only {
        apply_refresh_only(planned, &*stack.store).await
    } else {
        apply(planned, &*stack.store).await
    };
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
