//! Computing a plan: walk the graph, refresh each instance from its provider, evaluate its
//! configuration, and let the provider say what would change.
//!
//! `resources` plans the instances of a resource block, `managed` and `data` one instance
//! of each kind, `removed` what the configuration no longer has (and deposed objects),
//! `outputs` the root outputs, `targets` what `--target` selects.

mod data;
mod managed;
mod outputs;
mod removed;
mod resources;
mod targets;

use super::{Action, OutputChange, Plan, ResourceChange};
use crate::address::{ConfigResource, InstanceAddr, ModuleInstance, ResourceAddr};
use crate::graph::Node;
use crate::locks::{into_inner, locked};
use crate::run::Run;
use crate::scope::{Expansion, InstanceContext};
use crate::state::State;
use crate::walk::{StopFlag, walk};
use ggplan_sdk::{Diagnostic, Diagnostics, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A planned change with what apply needs to carry it out.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    pub change: ResourceChange,
    /// `count.index` / `each` for re-evaluating the configuration during apply.
    pub context: InstanceContext,
    pub expansion: Expansion,
    /// The instances it depended on when last applied (orders destroys).
    pub prior_dependencies: Vec<InstanceAddr>,
    pub create_before_destroy: bool,
    /// Planned from the configuration alone: its provider is configured only during apply,
    /// which plans it properly then (and does not hold that plan to this one).
    pub planned_without_provider: bool,
}

impl PlannedChange {
    /// `change` of a single instance with no dependencies and no lifecycle settings; set the
    /// others with the struct's fields.
    pub fn new(change: ResourceChange) -> PlannedChange {
        PlannedChange {
            change,
            context: InstanceContext::default(),
            expansion: Expansion::Single,
            prior_dependencies: Vec::new(),
            create_before_destroy: false,
            planned_without_provider: false,
        }
    }
}

/// A plan and the run it came from, ready to be applied.
pub struct PlannedRun {
    pub run: Arc<Run>,
    pub prior: State,
    /// Instances whose refreshed value differs from state (`None`: gone), to record on apply.
    pub refreshed: BTreeMap<InstanceAddr, Option<Value>>,
    pub changes: Vec<PlannedChange>,
    pub plan: Plan,
    pub warnings: Diagnostics,
}

struct Planner {
    run: Arc<Run>,
    prior: State,
    prior_by_resource: HashMap<(ModuleInstance, ResourceAddr), Vec<InstanceAddr>>,
    /// The resources the targets depend on: planned whole, whatever keys the targets name.
    target_dependencies: HashSet<ConfigResource>,
    changes: Mutex<Vec<PlannedChange>>,
    refreshed: Mutex<BTreeMap<InstanceAddr, Option<Value>>>,
    /// Resources with a pending change: their dependents' data sources wait for apply.
    pending: Mutex<HashSet<ConfigResource>>,
    outputs: Mutex<Vec<OutputChange>>,
    /// Instances in state that the walk has planned (the rest are orphans of removed
    /// resources or module instances).
    handled: Mutex<HashSet<InstanceAddr>>,
}

/// Plans `run` against the prior state.
pub async fn plan(run: Arc<Run>, prior: State) -> Result<PlannedRun, Diagnostics> {
    targets::check_addresses(&run, &prior)?;
    let planner = Arc::new(Planner::new(run.clone(), prior));
    let outcome = walk(&run.graph().deps, &StopFlag::default(), |node| {
        let planner = planner.clone();
        async move { planner.visit(node).await }
    })
    .await;
    if outcome.is_complete() {
        planner.plan_removed_resources().await;
        planner.plan_removed_outputs();
    }
    let mut diags = run.take_diagnostics();
    diags.extend(outcome.panics(|node| run.graph().nodes[node].to_string()));
    if diags.has_errors() || !outcome.is_complete() {
        if !diags.has_errors() {
            diags.push(Diagnostic::error(
                "Planning stopped",
                "Some steps did not run.",
            ));
        }
        return Err(diags);
    }
    let planner = Arc::into_inner(planner).ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Internal error",
            "planning tasks still running",
        ))
    })?;
    Ok(planner.finish(diags))
}

impl Planner {
    fn new(run: Arc<Run>, prior: State) -> Planner {
        let mut prior_by_resource: HashMap<_, Vec<InstanceAddr>> = HashMap::new();
        for addr in prior.resources.keys() {
            prior_by_resource
                .entry((addr.module.clone(), addr.resource.clone()))
                .or_default()
                .push(addr.clone());
        }
        Planner {
            target_dependencies: targets::target_dependencies(&run),
            run,
            prior,
            prior_by_resource,
            changes: Mutex::new(Vec::new()),
            refreshed: Mutex::new(BTreeMap::new()),
            pending: Mutex::new(HashSet::new()),
            outputs: Mutex::new(Vec::new()),
            handled: Mutex::new(HashSet::new()),
        }
    }

    async fn visit(&self, node: usize) -> bool {
        let run = &self.run;
        let targeted_out = !run.in_target(node);
        let result = match run.graph().nodes[node].clone() {
            // Outside --target, only resources matter (their prior values stay visible).
            Node::Resource(path, addr) => self.resource(node, &path, &addr).await,
            _ if targeted_out => Ok(()),
            Node::Variable(path, name) => run.eval_module_variable(&path, &name),
            Node::Local(path, name) => run.eval_local(&path, &name),
            Node::ModuleCall(path, name) => run.expand_module_call(&path, &name),
            Node::Provider(addr) => run.configure_provider(&addr).await,
            Node::Output(path, name) if path.is_root() => self.output(&name),
            Node::Output(_, _) if run.options().destroy => Ok(()),
            Node::Output(path, name) => run.eval_module_output(&path, &name),
        };
        match result {
            Ok(()) => true,
            Err(diags) => {
                run.report(diags);
                false
            }
        }
    }

    /// The plan, its changes in address order (deposed objects after their instance).
    fn finish(self, warnings: Diagnostics) -> PlannedRun {
        let deposed = self.deposed_destroys();
        let mut changes = into_inner(self.changes);
        changes.extend(deposed);
        changes.sort_by(|a, b| {
            (&a.change.addr, &a.change.deposed).cmp(&(&b.change.addr, &b.change.deposed))
        });
        let mut output_changes = into_inner(self.outputs);
        output_changes.sort_by(|a, b| a.name.cmp(&b.name));
        let plan = Plan {
            resource_changes: changes.iter().map(|c| c.change.clone()).collect(),
            output_changes,
        };
        PlannedRun {
            run: self.run,
            prior: self.prior,
            refreshed: into_inner(self.refreshed),
            changes,
            plan,
            warnings,
        }
    }

    /// Records a planned change: its resource has a change pending unless it is a no-op.
    fn record(&self, change: PlannedChange) {
        let addr = &change.change.addr;
        if !matches!(change.change.action, Action::NoOp) {
            locked(&self.pending).insert(addr.config_resource());
        }
        self.mark_handled(addr);
        locked(&self.changes).push(change);
    }

    fn mark_handled(&self, addr: &InstanceAddr) {
        locked(&self.handled).insert(addr.clone());
    }

    /// Records that a data source's result is not kept.
    fn forget(&self, inst: &InstanceAddr) {
        locked(&self.refreshed).insert(inst.clone(), None);
    }
}
