//! Applying a plan: walk its changes in dependency order with bounded parallelism, make each
//! completed change durable before anything that depends on it starts, and re-evaluate
//! configuration as unknown values become known.
//!
//! `steps` builds the apply graph, `change` carries out creates, updates and reads,
//! `destroy` destroys, `committer` writes the journal.

mod change;
mod committer;
mod destroy;
mod provision;
mod steps;

use crate::address::{InstanceAddr, ModuleInstance};
use crate::conditions::Kind;
use crate::graph::Node;
use crate::locks::{into_inner, locked};
use crate::moved::Move;
use crate::plan::{Action, PlannedChange, PlannedRun};
use crate::run::Run;
use crate::scope::InstanceContext;
use crate::state::{Backend, InstanceState, JournalEntry, OutputState, State};
use committer::Committer;
use ggplan_sdk::{Diagnostic, Diagnostics, ResourceKind, Severity, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use steps::Step;

/// How many objects an apply added, changed and destroyed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    /// Objects `import` blocks brought under management.
    pub imported: usize,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
}

impl ChangeCounts {
    /// Counts one completed action (a replacement adds one and destroys one).
    fn count(&mut self, action: Action) {
        match action {
            Action::Create => self.added += 1,
            Action::Update => self.changed += 1,
            Action::Delete => self.destroyed += 1,
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                self.added += 1;
                self.destroyed += 1;
            }
            Action::NoOp | Action::Read | Action::Forget => {}
        }
    }
}

/// How an apply ended.
#[derive(Debug)]
pub struct ApplyOutcome {
    pub state: State,
    pub diagnostics: Diagnostics,
    pub counts: ChangeCounts,
    /// A stop was requested (Ctrl-C) and some changes were not started.
    pub interrupted: bool,
}

impl ApplyOutcome {
    /// Whether everything planned was applied.
    pub fn succeeded(&self) -> bool {
        !self.diagnostics.has_errors() && !self.interrupted
    }
}

struct Applier {
    run: Arc<Run>,
    changes: Vec<PlannedChange>,
    committer: Committer,
    state: Arc<Mutex<State>>,
    counts: Mutex<ChangeCounts>,
    /// Only the refresh is accepted: outputs that are not known without applying are kept.
    refresh_only: bool,
    /// The key each create-before-destroy replacement deposed its old object under, from the
    /// create half to the destroy half.
    deposed_keys: Mutex<HashMap<InstanceAddr, String>>,
}

/// Applies a plan, recording every change in the journal of `store` as it completes and
/// persisting the whole state at the end. The caller holds the state lock.
pub async fn apply(planned: PlannedRun, store: &dyn Backend) -> ApplyOutcome {
    apply_with(planned, store, false).await
}

/// Accepts what the refresh found into the state without changing any real object
/// (`apply --refresh-only`): records the refreshed values and the data sources read during
/// planning, then the outputs, evaluated against the refreshed values. An output that cannot
/// be known without applying (it refers to an object that is gone) keeps its recorded value.
pub async fn apply_refresh_only(mut planned: PlannedRun, store: &dyn Backend) -> ApplyOutcome {
    for c in &planned.changes {
        let addr = &c.change.addr;
        if addr.resource.kind != ResourceKind::Managed || c.change.deposed.is_some() {
            continue;
        }
        // A change's `before` is the refreshed value (`None`: gone or never created).
        match &c.change.before {
            Some(value) => planned.run.set_instance(addr, c.expansion, value.clone()),
            None => planned.run.remove_instance(addr),
        }
    }
    planned.changes.retain(|c| c.change.action == Action::NoOp);
    planned
        .plan
        .resource_changes
        .retain(|c| c.deposed.is_none());
    apply_with(planned, store, true).await
}

async fn apply_with(planned: PlannedRun, store: &dyn Backend, refresh_only: bool) -> ApplyOutcome {
    let PlannedRun {
        run,
        prior: mut state,
        refreshed,
        changes,
        warnings: shown_with_plan,
        moves,
        ..
    } = planned;
    let journal = match store.journal() {
        Ok(j) => j,
        Err(e) => {
            let error = Diagnostic::error("Cannot open the state journal", e.to_string());
            return finish(store, state, error.into(), ChangeCounts::default(), false);
        }
    };
    // Operations a crashed run left unfinished are now either in state or not: the user was
    // warned at plan time, and the refresh above saw what exists.
    state.pending.clear();
    let shared = Arc::new(Mutex::new(state));
    let (committer, writer) = Committer::start(journal, shared.clone());
    let applier = Arc::new(Applier {
        run,
        changes,
        committer,
        state: shared.clone(),
        counts: Mutex::new(ChangeCounts::default()),
        refresh_only,
        deposed_keys: Mutex::new(HashMap::new()),
    });
    let (mut diagnostics, interrupted) = applier.walk(&moves, refreshed).await;
    // A check that still fails after apply says what the plan said: shown once.
    diagnostics
        .0
        .retain(|d| d.severity == Severity::Error || !shown_with_plan.0.contains(d));
    let counts = *locked(&applier.counts);
    tracing::info!(
        added = counts.added,
        changed = counts.changed,
        destroyed = counts.destroyed,
        errors = diagnostics
            .0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        interrupted,
        "apply finished"
    );
    drop(applier);
    let _ = writer.join();
    let state = Arc::try_unwrap(shared)
        .map(into_inner)
        .unwrap_or_else(|arc| locked(&arc).clone());
    finish(store, state, diagnostics, counts, interrupted)
}

fn finish(
    store: &dyn Backend,
    mut state: State,
    mut diagnostics: Diagnostics,
    counts: ChangeCounts,
    interrupted: bool,
) -> ApplyOutcome {
    if let Err(e) = store.persist(&mut state) {
        diagnostics.push(Diagnostic::error(
            "Cannot save the state",
            format!(
                "{e}. Every completed change is in {}; the next run replays it.",
                store.journal_location()
            ),
        ));
    }
    ApplyOutcome {
        state,
        diagnostics,
        counts,
        interrupted,
    }
}

impl Applier {
    /// Records the refresh, then walks the apply graph; the run's diagnostics, and whether a
    /// stop left steps undone.
    async fn walk(
        self: &Arc<Self>,
        moves: &[Move],
        refreshed: BTreeMap<InstanceAddr, Option<Value>>,
    ) -> (Diagnostics, bool) {
        if let Err(e) = self.record_moves(moves).await {
            let error = Diagnostic::error("Cannot write the state journal", e);
            return (error.into(), false);
        }
        if let Err(e) = self.record_refresh_and_reads(refreshed).await {
            let error = Diagnostic::error("Cannot write the state journal", e);
            return (error.into(), false);
        }
        let plan = match steps::build(self.run.graph(), &self.changes) {
            Ok(plan) => plan,
            Err(diagnostics) => return (diagnostics, false),
        };
        let stop = self.run.stop_flag();
        let outcome = self
            .run
            .walk(&plan.deps, |i| {
                let applier = self.clone();
                let step = plan.steps[i].clone();
                async move { applier.visit(step).await }
            })
            .await;
        let interrupted = stop.is_stopped() && !outcome.is_complete();
        let mut diagnostics = self.run.take_diagnostics();
        diagnostics.extend(outcome.panics(|i| self.step_name(&plan.steps[i])));
        (diagnostics, interrupted)
    }

    async fn visit(&self, step: Step) -> bool {
        let result = match &step {
            Step::Config(node) => self.config(*node).await,
            Step::Main(i) => self.main(&self.changes[*i]).await,
            Step::Destroy(i) => self.destroy(&self.changes[*i]).await,
            Step::Applied(_) | Step::DependentsDestroyed(_) => Ok(()),
        };
        match result {
            Ok(()) => true,
            Err(d) => {
                self.run.report(d);
                false
            }
        }
    }

    fn step_name(&self, step: &Step) -> String {
        match step {
            Step::Config(node) => self.run.graph().nodes[*node].to_string(),
            Step::Main(i) | Step::Destroy(i) => self.changes[*i].change.label(),
            Step::Applied(r) | Step::DependentsDestroyed(r) => r.resource.to_string(),
        }
    }

    /// Records the new addresses `moved` blocks gave objects, before anything else: one
    /// journal batch (all or nothing), each object removed from its old address and set at
    /// its new one, so that no object is ever recorded twice.
    async fn record_moves(&self, moves: &[Move]) -> Result<(), String> {
        let entries: Vec<JournalEntry> = {
            let state = locked(&self.state);
            moves
                .iter()
                .filter_map(|m| {
                    let moved = state.resources.get(&m.to)?.clone();
                    let old = JournalEntry::Remove {
                        addr: m.from.clone(),
                    };
                    Some([old, JournalEntry::Set(moved)])
                })
                .flatten()
                .collect()
        };
        if entries.is_empty() {
            return Ok(());
        }
        self.committer.commit(entries).await
    }

    /// Records what the refresh found and the data sources read during plan.
    async fn record_refresh_and_reads(
        &self,
        refreshed: BTreeMap<InstanceAddr, Option<Value>>,
    ) -> Result<(), String> {
        let mut entries = Vec::new();
        {
            let state = locked(&self.state);
            for (addr, value) in refreshed {
                match (value, state.resources.get(&addr)) {
                    (Some(value), Some(old)) => {
                        entries.push(JournalEntry::Set(old.refreshed(value)))
                    }
                    (None, Some(_)) => entries.push(JournalEntry::Remove { addr }),
                    // Found by the plan: the object an unfinished create made.
                    (Some(value), None) => {
                        if let Some(c) = self.changes.iter().find(|c| c.change.addr == addr) {
                            entries.push(JournalEntry::Set(self.instance_state(c, value)));
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        for c in &self.changes {
            let is_read_now = c.change.addr.resource.kind == ResourceKind::Data
                && c.change.action == Action::NoOp;
            if let (true, Some(after)) = (is_read_now, &c.change.after) {
                entries.push(JournalEntry::Set(self.instance_state(c, after.clone())));
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        self.committer.commit(entries).await
    }

    /// Re-evaluates a configuration node with the values applied so far.
    async fn config(&self, node: usize) -> Result<(), Diagnostics> {
        if !self.run.in_target(node) {
            return Ok(());
        }
        let run = &self.run;
        match run.graph().nodes[node].clone() {
            Node::Variable(path, name) => run.eval_module_variable(&path, &name),
            Node::Local(path, name) => run.eval_local(&path, &name),
            Node::ModuleCall(path, name) => run.expand_module_call(&path, &name),
            Node::Output(path, name) if path.is_root() => self.output(&name).await,
            Node::Output(path, name) if !run.options().destroy => {
                run.eval_module_output(&path, &name)
            }
            Node::Check(path, name) if !self.refresh_only => run.eval_check(&path, &name),
            _ => Ok(()),
        }
    }

    /// Records a root output's new value (or its removal, for `destroy`).
    async fn output(&self, name: &str) -> Result<(), Diagnostics> {
        let run = &self.run;
        let output = &run.module().outputs[name];
        let entry = if run.options().destroy {
            JournalEntry::Output {
                name: name.to_string(),
                output: None,
            }
        } else if !run.options().targets.is_empty() {
            return Ok(());
        } else {
            let root = ModuleInstance::root();
            let context = InstanceContext::default();
            let pre = &output.preconditions;
            run.check(pre, Kind::OutputPrecondition, &root, &context)?;
            let value = run.eval(&output.value, &root, &context)?;
            if !value.is_wholly_known() && self.refresh_only {
                return Ok(());
            }
            if !value.is_wholly_known() {
                return Err(Diagnostic::error(
                    format!("Output {name:?} is still unknown after apply"),
                    "A value it refers to was not produced; see the errors above.",
                )
                .into());
            }
            let (plain, _) = value.unmark_deep();
            JournalEntry::Output {
                name: name.to_string(),
                output: Some(OutputState {
                    value: plain.to_json().unwrap_or_default(),
                    sensitive: output.sensitive,
                }),
            }
        };
        self.commit(entry).await
    }

    fn count(&self, action: Action) {
        locked(&self.counts).count(action);
    }

    /// Makes `entry` durable; an error stops the step, so that no change goes unrecorded.
    async fn commit(&self, entry: JournalEntry) -> Result<(), Diagnostics> {
        self.commit_all(vec![entry]).await
    }

    async fn commit_all(&self, entries: Vec<JournalEntry>) -> Result<(), Diagnostics> {
        self.committer.commit(entries).await.map_err(|e| {
            Diagnostic::error(
                "Cannot write the state journal",
                format!("{e}. ggplan stops here so that no change goes unrecorded."),
            )
            .into()
        })
    }

    /// The state of the instance a change is about, holding `value`.
    fn instance_state(&self, c: &PlannedChange, value: Value) -> InstanceState {
        let addr = c.change.addr.clone();
        let schema_version = self
            .run
            .providers()
            .for_resource(&c.change.provider, &addr.resource)
            .map_or(0, |p| p.schema().version);
        let dependencies = self.instance_dependencies(&addr);
        InstanceState::from_value(
            addr,
            c.change.provider.clone(),
            value,
            dependencies,
            schema_version,
            c.create_before_destroy,
        )
    }

    /// The resources the resource of `addr` depends on (recorded in state as keyless
    /// addresses, as Terraform records resource-level dependencies).
    fn instance_dependencies(&self, addr: &InstanceAddr) -> Vec<InstanceAddr> {
        let graph = self.run.graph();
        let Some(node) = graph.id(&Node::Resource(addr.module.path(), addr.resource.clone()))
        else {
            return Vec::new();
        };
        graph
            .resource_dependencies(node)
            .into_iter()
            .map(|r| {
                let module = ModuleInstance(r.module.0.into_iter().map(|n| (n, None)).collect());
                r.resource.instance_in(&module, None)
            })
            .collect()
    }
}

/// What a step that was not started because of a stop (Ctrl-C) fails with: nothing to say
/// of it (its dependents are skipped, and the apply ends as interrupted).
fn not_started() -> Diagnostics {
    Diagnostics::new()
}
