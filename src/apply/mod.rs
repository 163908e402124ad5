//! Applying a plan: walk its changes in dependency order with bounded parallelism, make each
//! completed change durable before anything that depends on it starts, and re-evaluate
//! configuration as unknown values become known.

mod committer;

use crate::address::{InstanceAddr, ModuleInstance, ModulePath, ResourceAddr};
use crate::config::Resource;
use crate::events::Event;
use crate::graph::Node;
use crate::plan::{Action, PlannedChange, PlannedRun, with_context};
use crate::run::{Run, apply_ignore_changes};
use crate::scope::InstanceContext;
use crate::state::{InstanceState, JournalEntry, OutputState, State, StateStore, deposed_key};
use crate::walk::{StopFlag, walk};
use committer::Committer;
use ggplan_sdk::{ApplyRequest, Diagnostic, Diagnostics, ResourceKind, Value, objchange};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How an apply ended.
#[derive(Debug)]
pub struct ApplyOutcome {
    pub state: State,
    pub diagnostics: Diagnostics,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    /// A stop was requested (Ctrl-C) and some changes were not started.
    pub interrupted: bool,
}

impl ApplyOutcome {
    /// Whether everything planned was applied.
    pub fn succeeded(&self) -> bool {
        !self.diagnostics.has_errors() && !self.interrupted
    }
}

/// A resource in the configuration: its module and its address there.
type ConfigResource = (ModulePath, ResourceAddr);

/// A step of the apply graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Step {
    /// Re-evaluating a configuration node (a local, a module's variable, call or output) once
    /// what it refers to is applied.
    Config(usize),
    /// Create, update, read, or the create half of a replace, of change `i`.
    Main(usize),
    /// The destroy half of change `i`.
    Destroy(usize),
    /// Every create/update/read of a resource has finished (what its dependents wait for).
    Applied(ConfigResource),
    /// Every instance that depended on a resource has been destroyed (what its destroys wait
    /// for).
    DependentsDestroyed(ConfigResource),
}

/// The apply graph under construction.
#[derive(Default)]
struct StepGraph {
    steps: Vec<Step>,
    deps: Vec<BTreeSet<usize>>,
    index: HashMap<Step, usize>,
}

impl StepGraph {
    fn add(&mut self, step: Step) -> usize {
        if let Some(id) = self.index.get(&step) {
            return *id;
        }
        self.steps.push(step.clone());
        self.deps.push(BTreeSet::new());
        self.index.insert(step, self.steps.len() - 1);
        self.steps.len() - 1
    }

    fn id(&self, step: &Step) -> Option<usize> {
        self.index.get(step).copied()
    }

    /// `step` waits for `dependency`.
    fn wait(&mut self, step: usize, dependency: usize) {
        self.deps[step].insert(dependency);
    }
}

struct Applier {
    run: Arc<Run>,
    changes: Vec<PlannedChange>,
    committer: Committer,
    state: Arc<Mutex<State>>,
    counts: Mutex<(usize, usize, usize)>,
    /// Only the refresh is accepted: outputs that are not known without applying are kept.
    refresh_only: bool,
    /// The key each create-before-destroy replacement deposed its old object under, from the
    /// create half to the destroy half.
    deposed_keys: Mutex<HashMap<InstanceAddr, String>>,
}

/// Applies a plan, recording every change in the journal of `store` as it completes and
/// persisting the whole state at the end. The caller holds the state lock.
pub async fn apply(planned: PlannedRun, store: &StateStore, stop: &StopFlag) -> ApplyOutcome {
    apply_with(planned, store, stop, false).await
}

/// Accepts what the refresh found into the state without changing any real object
/// (`apply --refresh-only`): records the refreshed values and the data sources read during
/// planning, then the outputs, evaluated against the refreshed values. An output that cannot
/// be known without applying (it refers to an object that is gone) keeps its recorded value.
pub async fn apply_refresh_only(
    mut planned: PlannedRun,
    store: &StateStore,
    stop: &StopFlag,
) -> ApplyOutcome {
    if let Ok(mut scope) = planned.run.scope.write() {
        for c in &planned.changes {
            let addr = &c.change.addr;
            if addr.resource.kind != ResourceKind::Managed || c.change.deposed.is_some() {
                continue;
            }
            // A change's `before` is the refreshed value (`None`: gone or never created).
            match &c.change.before {
                Some(value) => scope.set_instance(addr, c.expansion, value.clone()),
                None => {
                    if let Some(values) =
                        scope.module(&addr.module).resources.get_mut(&addr.resource)
                    {
                        values.instances.remove(&addr.key);
                    }
                }
            }
        }
    }
    planned.changes.retain(|c| c.change.action == Action::NoOp);
    planned
        .plan
        .resource_changes
        .retain(|c| c.deposed.is_none());
    apply_with(planned, store, stop, true).await
}

async fn apply_with(
    planned: PlannedRun,
    store: &StateStore,
    stop: &StopFlag,
    refresh_only: bool,
) -> ApplyOutcome {
    let PlannedRun {
        run,
        prior,
        refreshed,
        changes,
        ..
    } = planned;
    let mut state = prior;
    let mut diagnostics = Diagnostics::new();
    let journal = match store.journal() {
        Ok(j) => j,
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                "Cannot open the state journal",
                e.to_string(),
            ));
            return finish(store, state, diagnostics, (0, 0, 0), false);
        }
    };
    // Operations a crashed run left unfinished are now either in state or not: the user was
    // warned at plan time, and the refresh above saw what exists.
    state.pending.clear();
    let shared = Arc::new(Mutex::new(state));
    let (committer, writer) = Committer::start(journal, shared.clone());
    let applier = Arc::new(Applier {
        run: run.clone(),
        changes,
        committer,
        state: shared.clone(),
        counts: Mutex::new((0, 0, 0)),
        refresh_only,
        deposed_keys: Mutex::new(HashMap::new()),
    });
    let mut interrupted = false;
    match applier.record_refresh_and_reads(refreshed).await {
        Err(e) => diagnostics.push(Diagnostic::error("Cannot write the state journal", e)),
        Ok(()) => match applier.steps() {
            Err(d) => diagnostics.extend(d),
            Ok((steps, deps)) => {
                let outcome = walk(&deps, stop, |i| {
                    let applier = applier.clone();
                    let step = steps[i].clone();
                    async move { applier.visit(step).await }
                })
                .await;
                interrupted = stop.is_stopped() && !outcome.skipped.is_empty();
                diagnostics.extend(run.take_diagnostics());
            }
        },
    }
    let counts = applier.counts.lock().map(|c| *c).unwrap_or_default();
    drop(applier);
    let _ = writer.join();
    let state = Arc::try_unwrap(shared)
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .unwrap_or_else(|arc| arc.lock().map(|s| s.clone()).unwrap_or_default());
    finish(store, state, diagnostics, counts, interrupted)
}

fn finish(
    store: &StateStore,
    mut state: State,
    mut diagnostics: Diagnostics,
    counts: (usize, usize, usize),
    interrupted: bool,
) -> ApplyOutcome {
    if let Err(e) = store.persist(&mut state) {
        diagnostics.push(Diagnostic::error(
            "Cannot save the state",
            format!(
                "{e}. Every completed change is in {}; the next run replays it.",
                store.journal_path().display()
            ),
        ));
    }
    ApplyOutcome {
        state,
        diagnostics,
        added: counts.0,
        changed: counts.1,
        destroyed: counts.2,
        interrupted,
    }
}

/// Whether a graph node is re-evaluated during apply (root variables come from the user;
/// providers are configured during plan; resources are changes).
fn is_config_step(node: &Node) -> bool {
    match node {
        Node::Variable(path, _) => !path.is_root(),
        Node::Local(..) | Node::ModuleCall(..) | Node::Output(..) => true,
        Node::Provider(_) | Node::Resource(..) => false,
    }
}

fn has_main(action: Action) -> bool {
    matches!(
        action,
        Action::Create
            | Action::Update
            | Action::Read
            | Action::DeleteThenCreate
            | Action::CreateThenDelete
    )
}

fn has_destroy(action: Action) -> bool {
    matches!(
        action,
        Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
    )
}

impl Applier {
    /// Records what the refresh found and the data sources read during plan.
    async fn record_refresh_and_reads(
        &self,
        refreshed: std::collections::BTreeMap<InstanceAddr, Option<Value>>,
    ) -> Result<(), String> {
        let mut entries = Vec::new();
        {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            for (addr, value) in refreshed {
                match (value, state.resources.get(&addr)) {
                    (Some(value), Some(old)) => {
                        entries.push(JournalEntry::Set(InstanceState::from_value(
                            addr,
                            old.provider.clone(),
                            value,
                            old.dependencies.clone(),
                            old.schema_version,
                            old.create_before_destroy,
                        )))
                    }
                    (None, Some(_)) => entries.push(JournalEntry::Remove { addr }),
                    _ => {}
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

    fn instance_state(&self, c: &PlannedChange, value: Value) -> InstanceState {
        let addr = c.change.addr.clone();
        let schema_version = self
            .run
            .provider(&c.change.provider)
            .ok()
            .and_then(|p| {
                p.type_schema(addr.resource.kind, &addr.resource.type_name)
                    .map(|s| s.version)
            })
            .unwrap_or(0);
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
        let Some(node) = self
            .run
            .graph
            .id(&Node::Resource(addr.module.path(), addr.resource.clone()))
        else {
            return Vec::new();
        };
        self.run
            .graph
            .resource_dependencies(node)
            .into_iter()
            .map(|(path, r)| {
                let module = ModuleInstance(path.0.into_iter().map(|n| (n, None)).collect());
                r.instance_in(&module, None)
            })
            .collect()
    }

    /// The apply graph: its steps and, for each, the steps it waits for. Resource-level
    /// ordering goes through one barrier step per resource (`Applied`, `DependentsDestroyed`),
    /// so the number of edges grows with the number of instances, not with its square.
    fn steps(&self) -> Result<(Vec<Step>, Vec<BTreeSet<usize>>), Diagnostics> {
        let graph = &self.run.graph;
        let mut plan = StepGraph::default();
        for (id, node) in graph.nodes.iter().enumerate() {
            if is_config_step(node) {
                plan.add(Step::Config(id));
            }
        }
        for (i, c) in self.changes.iter().enumerate() {
            let resource = &(c.change.addr.module.path(), c.change.addr.resource.clone());
            if has_main(c.change.action) {
                let main = plan.add(Step::Main(i));
                let applied = plan.add(Step::Applied(resource.clone()));
                plan.wait(applied, main);
            }
            if has_destroy(c.change.action) {
                let destroy = plan.add(Step::Destroy(i));
                let barrier = plan.add(Step::DependentsDestroyed(resource.clone()));
                plan.wait(destroy, barrier);
            }
        }
        // Which resources depend on which, from the configuration.
        let mut dependents_of: HashMap<ConfigResource, BTreeSet<ConfigResource>> = HashMap::new();
        for (node_id, node) in graph.nodes.iter().enumerate() {
            if let Node::Resource(p, r) = node {
                for d in graph.resource_dependencies(node_id) {
                    dependents_of
                        .entry(d)
                        .or_default()
                        .insert((p.clone(), r.clone()));
                }
            }
        }
        // A config node waits for what it refers to; a resource also for what its provider's
        // configuration refers to (a provider configured during apply needs it).
        let config_deps = |plan: &StepGraph, node: usize| -> Vec<usize> {
            let through_providers = graph.deps[node]
                .iter()
                .flat_map(|d| match &graph.nodes[*d] {
                    Node::Provider(_) => graph.deps[*d].iter().copied().collect(),
                    _ => vec![*d],
                });
            through_providers
                .filter_map(|d| match &graph.nodes[d] {
                    Node::Resource(p, r) => plan.id(&Step::Applied((p.clone(), r.clone()))),
                    other if is_config_step(other) => plan.id(&Step::Config(d)),
                    _ => None,
                })
                .collect()
        };
        for (node_id, node) in graph.nodes.iter().enumerate() {
            if !is_config_step(node) {
                continue;
            }
            let id = plan.add(Step::Config(node_id));
            for d in config_deps(&plan, node_id) {
                plan.wait(id, d);
            }
        }
        for (i, c) in self.changes.iter().enumerate() {
            let resource = &(c.change.addr.module.path(), c.change.addr.resource.clone());
            if let Some(main) = plan.id(&Step::Main(i)) {
                if let Some(node) =
                    graph.id(&Node::Resource(resource.0.clone(), resource.1.clone()))
                {
                    for d in config_deps(&plan, node) {
                        plan.wait(main, d);
                    }
                }
                if c.change.action == Action::DeleteThenCreate
                    && let Some(destroy) = plan.id(&Step::Destroy(i))
                {
                    plan.wait(main, destroy);
                }
            }
            let Some(destroy) = plan.id(&Step::Destroy(i)) else {
                continue;
            };
            // The resources this instance depended on are destroyed after it.
            let depended_on = c
                .prior_dependencies
                .iter()
                .map(|d| (d.module.path(), d.resource.clone()))
                .chain(
                    dependents_of
                        .iter()
                        .filter(|(_, ds)| ds.contains(resource))
                        .map(|(r, _)| r.clone()),
                );
            for dependency in depended_on {
                if dependency != *resource
                    && let Some(barrier) = plan.id(&Step::DependentsDestroyed(dependency))
                {
                    plan.wait(barrier, destroy);
                }
            }
            if c.change.action == Action::CreateThenDelete || c.change.deposed.is_some() {
                if let Some(main) = plan.id(&Step::Main(i)) {
                    plan.wait(destroy, main);
                }
                for dependent in dependents_of.get(resource).into_iter().flatten() {
                    if let Some(applied) = plan.id(&Step::Applied(dependent.clone())) {
                        plan.wait(destroy, applied);
                    }
                }
            }
        }
        if let Err(cycle) = crate::graph::topological_order(&plan.deps) {
            let names: Vec<String> = cycle
                .iter()
                .map(|s| match &plan.steps[*s] {
                    Step::Config(n) => graph.nodes[*n].to_string(),
                    Step::Main(i) => self.changes[*i].change.addr.to_string(),
                    Step::Destroy(i) => format!("{} (destroy)", self.changes[*i].change.label()),
                    Step::Applied((p, r)) => {
                        format!("{} (applied)", Node::Resource(p.clone(), r.clone()))
                    }
                    Step::DependentsDestroyed((p, r)) => {
                        format!(
                            "{} (dependents destroyed)",
                            Node::Resource(p.clone(), r.clone())
                        )
                    }
                })
                .collect();
            return Err(Diagnostic::error(
                "Cycle in the order of changes",
                format!(
                    "These changes wait for each other: {}. This happens when a \
                     create_before_destroy resource depends on one that is destroyed first; set \
                     create_before_destroy on both.",
                    names.join(" -> ")
                ),
            )
            .into());
        }
        Ok((plan.steps, plan.deps))
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

    /// Re-evaluates a configuration node with the values applied so far.
    async fn config(&self, node: usize) -> Result<(), Diagnostics> {
        if !self.run.in_target(node) {
            return Ok(());
        }
        match self.run.graph.nodes[node].clone() {
            Node::Variable(path, name) => self.run.eval_module_variable(&path, &name),
            Node::Local(path, name) => self.run.eval_local(&path, &name),
            Node::ModuleCall(path, name) => self.run.expand_module_call(&path, &name),
            Node::Output(path, name) if path.is_root() => self.output(&name).await,
            Node::Output(path, name) if !self.run.options.destroy => {
                self.run.eval_module_output(&path, &name)
            }
            _ => Ok(()),
        }
    }

    async fn output(&self, name: &str) -> Result<(), Diagnostics> {
        let output = &self.run.module.outputs[name];
        let entry = if self.run.options.destroy {
            JournalEntry::Output {
                name: name.to_string(),
                output: None,
            }
        } else if !self.run.options.targets.is_empty() {
            return Ok(());
        } else {
            let value = self.run.eval(
                &output.value,
                &ModuleInstance::root(),
                &InstanceContext::default(),
            )?;
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
        self.committer
            .commit(vec![entry])
            .await
            .map_err(journal_error)
    }

    fn count(&self, action: Action) {
        if let Ok(mut c) = self.counts.lock() {
            match action {
                Action::Create => c.0 += 1,
                Action::Update => c.1 += 1,
                Action::Delete => c.2 += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    c.0 += 1;
                    c.2 += 1;
                }
                Action::NoOp | Action::Read => {}
            }
        }
    }

    async fn main(&self, c: &PlannedChange) -> Result<(), Diagnostics> {
        let addr = &c.change.addr;
        let resource: &Resource = self
            .run
            .config_at(&addr.module.path())?
            .resources
            .get(&addr.resource)
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    format!("{addr} has no configuration"),
                    "",
                ))
            })?;
        self.run.ensure_configured(&resource.provider).await?;
        let (provider, schema) = self
            .run
            .resource_provider(&addr.resource, &resource.provider)?;
        let config = self.run.eval_config(
            &resource.body,
            &schema,
            &addr.module,
            &c.context,
            &addr.to_string(),
        )?;
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("{addr}: configuration still unknown"),
                "A value it depends on was not produced during this apply; see the errors above.",
            )
            .at_range(Some(resource.range.clone()))
            .into());
        }
        let (config_plain, mut marks) = config.clone().unmark_deep();
        let started = Instant::now();
        let shown_action = match c.change.action {
            Action::Read => Action::Read,
            Action::Update => Action::Update,
            _ => Action::Create,
        };
        if c.change.action == Action::Read {
            self.run.events.emit(Event::ApplyStarted {
                addr: addr.clone(),
                action: Action::Read,
                id: None,
            });
            let value = {
                let _permit = self.run.limit.acquire().await;
                provider
                    .provider
                    .read_data(&addr.resource.type_name, &config_plain)
                    .await
            }
            .map_err(|d| with_context(d, addr, "reading"))?;
            marks.extend(schema.sensitive_paths(&value));
            let value = value.mark_paths(&marks);
            self.committer
                .commit(vec![JournalEntry::Set(
                    self.instance_state(c, value.clone()),
                )])
                .await
                .map_err(journal_error)?;
            self.finished(c, Action::Read, started, &value);
            self.set_scope(c, value);
            return Ok(());
        }
        let prior = match c.change.action {
            Action::Update => c.change.before.clone(),
            _ => None,
        };
        let config = match &prior {
            Some(p) => apply_ignore_changes(config, p, &resource.lifecycle.ignore_changes, &schema),
            None => config,
        };
        let (planned, _) = self
            .run
            .plan_instance(
                &provider,
                &schema,
                &addr.resource.type_name,
                prior.as_ref(),
                &config,
            )
            .await
            .map_err(|d| with_context(d, addr, "planning"))?;
        if let Some(original) = c
            .change
            .after
            .as_ref()
            .filter(|_| !c.planned_without_provider)
        {
            let changed = objchange::incompatible_paths(original, &planned);
            if !changed.is_empty() {
                return Err(Diagnostic::error(
                    format!("{addr}: provider produced an inconsistent final plan"),
                    format!(
                        "Values known at plan time changed before apply: {}. This is a bug in \
                         the provider or a value changed while ggplan ran; plan again.",
                        changed
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .into());
            }
        }
        let begin = JournalEntry::Begin {
            addr: addr.clone(),
            action: if prior.is_some() { "update" } else { "create" }.to_string(),
        };
        // A create-before-destroy sets the old object aside first, so that it stays recorded
        // (and is destroyed by a later apply) whatever happens before its own destroy.
        let deposed = if c.change.action == Action::CreateThenDelete {
            self.depose(addr)
        } else {
            None
        };
        let mut first = Vec::new();
        if let Some((key, object)) = &deposed {
            first.push(JournalEntry::Depose {
                key: key.clone(),
                object: object.clone(),
            });
        }
        first.push(begin);
        self.committer.commit(first).await.map_err(journal_error)?;
        let id = prior
            .as_ref()
            .and_then(|p| p.get("id").as_str().map(str::to_string));
        self.run.events.emit(Event::ApplyStarted {
            addr: addr.clone(),
            action: shown_action,
            id,
        });
        let prior_plain = prior.clone().map(|p| p.unmark_deep().0);
        let (planned_plain, _) = planned.unmark_deep();
        let response = self
            .with_progress(addr, shown_action, async {
                let _permit = self.run.limit.acquire().await;
                provider
                    .provider
                    .apply(ApplyRequest {
                        type_name: &addr.resource.type_name,
                        prior: prior_plain.as_ref(),
                        planned: Some(&planned_plain),
                        config: &config_plain,
                    })
                    .await
            })
            .await;
        let failed = response.diagnostics.has_errors();
        let new_state = match response.new_state {
            Some(v) if !v.is_wholly_known() => {
                if let Some((key, object)) = &deposed {
                    // What the provider made cannot be recorded: the old object stays current.
                    self.committer
                        .commit(vec![JournalEntry::Restore {
                            key: key.clone(),
                            object: object.clone(),
                        }])
                        .await
                        .map_err(journal_error)?;
                }
                return Err(Diagnostic::error(
                    format!("{addr}: provider returned unknown values after apply"),
                    "This is a bug in the provider.",
                )
                .into());
            }
            other => other,
        };
        let entry = match &new_state {
            Some(v) => {
                marks.extend(schema.sensitive_paths(v));
                let marked = objchange::mark_copies(v.clone().mark_paths(&marks), &config);
                JournalEntry::Set(self.instance_state(c, marked))
            }
            // Nothing was created: the old object is current again.
            None => match &deposed {
                Some((key, object)) => JournalEntry::Restore {
                    key: key.clone(),
                    object: object.clone(),
                },
                None => JournalEntry::Remove { addr: addr.clone() },
            },
        };
        self.committer
            .commit(vec![entry])
            .await
            .map_err(journal_error)?;
        if failed {
            self.run.events.emit(Event::ApplyFailed {
                addr: addr.clone(),
                action: shown_action,
            });
            return Err(with_context(response.diagnostics, addr, "applying"));
        }
        let value =
            objchange::mark_copies(new_state.unwrap_or_default().mark_paths(&marks), &config);
        // A create-before-destroy's create counts as an add now, its destroy when it is done.
        self.count(match c.change.action {
            Action::CreateThenDelete => Action::Create,
            other => other,
        });
        self.finished(c, shown_action, started, &value);
        self.set_scope(c, value);
        Ok(())
    }

    /// The key for deposing the current object of `addr` and that object, remembered for the
    /// destroy half; `None` when state has no object there.
    fn depose(&self, addr: &InstanceAddr) -> Option<(String, InstanceState)> {
        let current = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.resources.get(addr).cloned()
        };
        let object = current?;
        let key = deposed_key();
        if let Ok(mut keys) = self.deposed_keys.lock() {
            keys.insert(addr.clone(), key.clone());
        }
        Some((key, object))
    }

    async fn destroy(&self, c: &PlannedChange) -> Result<(), Diagnostics> {
        let addr = &c.change.addr;
        let prior = c.change.before.clone().unwrap_or_default();
        if let Some(key) = &c.change.deposed {
            // A deposed object left by an earlier create-before-destroy: the instance's
            // current object is another one and stays as it is.
            self.delete_object(addr, &c.change.provider, &prior).await?;
            self.committer
                .commit(vec![JournalEntry::RemoveDeposed {
                    addr: addr.clone(),
                    key: key.clone(),
                }])
                .await
                .map_err(journal_error)?;
            self.count(Action::Delete);
            return Ok(());
        }
        if c.change.action == Action::CreateThenDelete {
            // The old object was deposed by the create half.
            let key = self
                .deposed_keys
                .lock()
                .ok()
                .and_then(|keys| keys.get(addr).cloned());
            self.delete_object(addr, &c.change.provider, &prior).await?;
            if let Some(key) = key {
                self.committer
                    .commit(vec![JournalEntry::RemoveDeposed {
                        addr: addr.clone(),
                        key,
                    }])
                    .await
                    .map_err(journal_error)?;
            }
            self.count(Action::Delete);
            return Ok(());
        }
        self.committer
            .commit(vec![JournalEntry::Begin {
                addr: addr.clone(),
                action: "delete".into(),
            }])
            .await
            .map_err(journal_error)?;
        if let Err(diagnostics) = self.delete_object(addr, &c.change.provider, &prior).await {
            let still = JournalEntry::Set(self.instance_state(c, prior));
            self.committer
                .commit(vec![still])
                .await
                .map_err(journal_error)?;
            return Err(diagnostics);
        }
        self.committer
            .commit(vec![JournalEntry::Remove { addr: addr.clone() }])
            .await
            .map_err(journal_error)?;
        if c.change.action != Action::DeleteThenCreate {
            self.count(Action::Delete);
        }
        Ok(())
    }

    /// Asks the provider to delete the object `prior` describes, with progress and events.
    async fn delete_object(
        &self,
        addr: &InstanceAddr,
        provider_key: &str,
        prior: &Value,
    ) -> Result<(), Diagnostics> {
        self.run.ensure_configured(provider_key).await?;
        let (provider, _) = self.run.resource_provider(&addr.resource, provider_key)?;
        let (prior_plain, _) = prior.clone().unmark_deep();
        let id = prior.get("id").as_str().map(str::to_string);
        self.run.events.emit(Event::ApplyStarted {
            addr: addr.clone(),
            action: Action::Delete,
            id,
        });
        let started = Instant::now();
        let config = Value::Null;
        let response = self
            .with_progress(addr, Action::Delete, async {
                let _permit = self.run.limit.acquire().await;
                provider
                    .provider
                    .apply(ApplyRequest {
                        type_name: &addr.resource.type_name,
                        prior: Some(&prior_plain),
                        planned: None,
                        config: &config,
                    })
                    .await
            })
            .await;
        if response.diagnostics.has_errors() {
            self.run.events.emit(Event::ApplyFailed {
                addr: addr.clone(),
                action: Action::Delete,
            });
            return Err(with_context(response.diagnostics, addr, "destroying"));
        }
        self.run.events.emit(Event::ApplyFinished {
            addr: addr.clone(),
            action: Action::Delete,
            elapsed: started.elapsed(),
            id: None,
        });
        Ok(())
    }

    fn finished(&self, c: &PlannedChange, action: Action, started: Instant, value: &Value) {
        self.run.events.emit(Event::ApplyFinished {
            addr: c.change.addr.clone(),
            action,
            elapsed: started.elapsed(),
            id: value
                .peel()
                .get("id")
                .as_str()
                .map(str::to_string)
                .filter(|_| !value.get("id").is_sensitive()),
        });
    }

    fn set_scope(&self, c: &PlannedChange, value: Value) {
        if let Ok(mut scope) = self.run.scope.write() {
            scope.set_instance(&c.change.addr, c.expansion, value);
        }
    }

    /// Runs `fut`, sending a progress event every ten seconds until it finishes.
    async fn with_progress<T>(
        &self,
        addr: &InstanceAddr,
        action: Action,
        fut: impl Future<Output = T>,
    ) -> T {
        let started = Instant::now();
        let period = Duration::from_secs(10);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return out,
                _ = ticks.tick() => self.run.events.emit(Event::ApplyProgress {
                    addr: addr.clone(),
                    action,
                    elapsed: started.elapsed(),
                }),
            }
        }
    }
}

fn journal_error(e: String) -> Diagnostics {
    Diagnostic::error(
        "Cannot write the state journal",
        format!("{e}. ggplan stops here so that no change goes unrecorded."),
    )
    .into()
}
