//! Computing a plan: walk the graph, refresh each instance from its provider, evaluate its
//! configuration, and let the provider say what would change.
//!
//! `resources` plans the instances of a resource block, `managed` and `data` one instance
//! of each kind, `removed` what the configuration no longer has (and deposed objects),
//! `unfinished` the creates an earlier run did not record the outcome of,
//! `outputs` the root outputs, `targets` what `--target` selects.

mod data;
mod imports;
mod managed;
mod moves;
mod outputs;
mod removed;
mod resources;
mod targets;
mod triggers;
mod unfinished;

use super::{Action, OutputChange, Plan, ResourceChange};
use crate::address::{ConfigResource, InstanceAddr, ModuleInstance, ResourceAddr};
use crate::graph::Node;
use crate::locks::{into_inner, locked};
use crate::moved::{Move, apply_moves};
use crate::run::Run;
use crate::scope::{Expansion, InstanceContext};
use crate::state::State;
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
        }
    }
}

/// A plan and the run it came from, ready to be applied.
pub struct PlannedRun {
    pub run: Arc<Run>,
    /// The state planned against: as recorded, with the moves of `moved` blocks made.
    pub prior: State,
    /// The objects `moved` blocks gave new addresses: recorded first by the apply.
    pub moves: Vec<Move>,
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
    /// Unfinished creates the plan asked the provider about (see [`unfinished`]).
    looked_for: Mutex<HashSet<InstanceAddr>>,
    /// What `moved` blocks moved in `prior`.
    moves: Vec<Move>,
    /// Instances `import` blocks name that state does not have yet, with their ids.
    imports: Mutex<BTreeMap<InstanceAddr, String>>,
}

/// Plans `run` against the prior state, once the `moved` blocks have given its objects their
/// new addresses.
pub async fn plan(run: Arc<Run>, mut prior: State) -> Result<PlannedRun, Diagnostics> {
    let started = std::time::Instant::now();
    crate::removed::still_declared(run.module()).into_result(())?;
    let (moves, move_warnings) = apply_moves(run.module(), &mut prior)?;
    run.report(move_warnings);
    targets::check_addresses(&run, &prior)?;
    let planner = Arc::new(Planner::new(run.clone(), prior, moves));
    let outcome = run
        .walk(&run.graph().deps, |node| {
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
    if outcome.is_complete() {
        diags.extend(planner.moved_instances_still_declared());
    }
    if run.stop_flag().is_stopped() {
        diags.push(Diagnostic::error(
            "Plan interrupted",
            "Nothing was changed: a plan changes no real object and writes no state.",
        ));
    }
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
    let planned = planner.finish(diags);
    tracing::info!(
        nodes = planned.run.graph().nodes.len(),
        changes = planned.plan.resource_changes.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "plan finished"
    );
    Ok(planned)
}

impl Planner {
    fn new(run: Arc<Run>, prior: State, moves: Vec<Move>) -> Planner {
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
            looked_for: Mutex::new(HashSet::new()),
            moves,
            imports: Mutex::new(BTreeMap::new()),
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
            Node::Check(path, name) => run.eval_check(&path, &name),
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
    fn finish(self, mut warnings: Diagnostics) -> PlannedRun {
        warnings.extend(self.unreconciled_warnings());
        let deposed = self.deposed_destroys();
        let mut changes = into_inner(self.changes);
        changes.extend(deposed);
        for c in changes.iter_mut().filter(|c| c.change.deposed.is_none()) {
            let moved = self.moves.iter().find(|m| m.to == c.change.addr);
            c.change.moved_from = moved.map(|m| m.from.clone());
        }
        changes.sort_by(|a, b| {
            (&a.change.addr, &a.change.deposed).cmp(&(&b.change.addr, &b.change.deposed))
        });
        let mut output_changes = into_inner(self.outputs);
        output_changes.sort_by(|a, b| a.name.cmp(&b.name));
        let plan = Plan {
            resource_changes: changes.iter().map(|c| c.change.clone()).collect(),
            output_changes,
            checks: self.run.take_check_results(),
        };
        PlannedRun {
            run: self.run,
            prior: self.prior,
            moves: self.moves,
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

#[cfg(test)]
mod tests {
    //! The planner's rules, on stacks of the built-in providers.

    use super::*;
    use crate::apply::apply;
    use crate::events::Discard;
    use crate::plan::ActionReason;
    use crate::providers::Registry;
    use crate::run::RunOptions;
    use crate::state::StateStore;
    use std::path::Path;

    /// A stack directory and its state file.
    struct Stack {
        dir: tempfile::TempDir,
        store: StateStore,
    }

    impl Stack {
        fn new(main_tf: &str) -> Stack {
            let dir = tempfile::tempdir().unwrap();
            let store = StateStore::new(dir.path().join("state.json"));
            let stack = Stack { dir, store };
            stack.write(main_tf);
            stack
        }

        fn write(&self, main_tf: &str) {
            std::fs::write(self.path().join("main.tf"), main_tf).unwrap();
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }

        async fn plan(&self, options: RunOptions) -> Result<PlannedRun, Diagnostics> {
            let module = Arc::new(crate::config::load_dir(self.path())?);
            let prior = self.store.load().unwrap();
            let providers: Vec<_> = prior
                .resources
                .values()
                .map(|r| r.provider.clone())
                .collect();
            let registry = Registry::new(ggplan_provider_builtin::factories());
            let variables = BTreeMap::new();
            let run = Run::new(
                module,
                registry,
                variables,
                &providers,
                options,
                Arc::new(Discard),
            )?;
            plan(Arc::new(run), prior).await
        }

        async fn apply(&self) {
            let planned = self.plan(RunOptions::default()).await.unwrap();
            let outcome = apply(planned, &self.store).await;
            assert!(outcome.succeeded(), "{}", outcome.diagnostics);
        }

        /// The action and reason planned for each instance, by address.
        async fn actions(&self) -> Vec<(String, Action, Option<ActionReason>)> {
            let planned = self.plan(RunOptions::default()).await.unwrap();
            planned
                .plan
                .resource_changes
                .into_iter()
                .map(|c| (c.addr.to_string(), c.action, c.reason))
                .collect()
        }
    }

    const TWO: &str = r#"
resource "terraform_data" "n" {
  count = 2
  triggers_replace = "v1"
}
"#;

    #[tokio::test]
    async fn new_instances_are_created_and_an_applied_stack_plans_no_change() {
        let stack = Stack::new(TWO);
        let actions = stack.actions().await;
        assert!(
            actions.iter().all(|(_, a, _)| *a == Action::Create),
            "{actions:?}"
        );
        stack.apply().await;
        let actions = stack.actions().await;
        assert!(
            actions.iter().all(|(_, a, _)| *a == Action::NoOp),
            "{actions:?}"
        );
    }

    #[tokio::test]
    async fn a_changed_force_new_attribute_replaces_because_it_cannot_update() {
        let stack = Stack::new(TWO);
        stack.apply().await;
        stack.write(&TWO.replace("v1", "v2"));
        let reasons: Vec<_> = stack
            .actions()
            .await
            .into_iter()
            .map(|(_, a, r)| (a, r))
            .collect();
        let replaced = (
            Action::DeleteThenCreate,
            Some(ActionReason::ReplaceBecauseCannotUpdate),
        );
        assert_eq!(reasons, [replaced.clone(), replaced]);
    }

    #[tokio::test]
    async fn instances_beyond_a_shrunk_count_and_of_a_removed_block_are_destroyed_with_reasons() {
        let stack = Stack::new(&format!(
            "{TWO}\nresource \"terraform_data\" \"gone\" {{}}\n"
        ));
        stack.apply().await;
        stack.write(&TWO.replace("count = 2", "count = 1"));
        let actions = stack.actions().await;
        let delete = |addr: &str, reason| (addr.to_string(), Action::Delete, Some(reason));
        assert!(actions.contains(&delete(
            "terraform_data.n[1]",
            ActionReason::CountIndexOutOfRange
        )));
        assert!(actions.contains(&delete(
            "terraform_data.gone",
            ActionReason::NoResourceConfig
        )));
        assert!(actions.contains(&("terraform_data.n[0]".into(), Action::NoOp, None)));
    }

    #[tokio::test]
    async fn prevent_destroy_refuses_a_plan_that_replaces_the_instance() {
        let guarded = TWO.replace("\"v1\"", "\"v1\"\n  lifecycle { prevent_destroy = true }");
        let stack = Stack::new(&guarded);
        stack.apply().await;
        stack.write(&guarded.replace("\"v1\"", "\"v2\""));
        let err = stack
            .plan(RunOptions::default())
            .await
            .err()
            .expect("refused");
        assert!(
            err.0
                .iter()
                .any(|d| d.summary == "Instance cannot be destroyed"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_data_source_waits_for_apply_while_its_depends_on_has_changes_pending() {
        let src = r#"
resource "local_file" "f" {
  filename = "${path.module}/f.txt"
  content  = "x"
}
data "local_file" "d" {
  filename   = "${path.module}/other.txt"
  depends_on = [local_file.f]
}
"#;
        let stack = Stack::new(src);
        std::fs::write(stack.path().join("other.txt"), "y").unwrap();
        let actions = stack.actions().await;
        let read = (
            "data.local_file.d".to_string(),
            Action::Read,
            Some(ActionReason::ReadBecauseDependencyPending),
        );
        assert!(actions.contains(&read), "{actions:?}");
    }

    #[tokio::test]
    async fn a_target_plans_only_itself_and_what_it_depends_on() {
        let src = r#"
resource "terraform_data" "a" {}
resource "terraform_data" "b" { input = terraform_data.a.id }
resource "terraform_data" "c" {}
"#;
        let stack = Stack::new(src);
        let options = RunOptions {
            targets: vec![InstanceAddr::parse("terraform_data.b").unwrap()],
            ..RunOptions::default()
        };
        let planned = stack.plan(options).await.unwrap();
        let addrs: Vec<String> = planned
            .plan
            .resource_changes
            .iter()
            .map(|c| c.addr.to_string())
            .collect();
        assert_eq!(addrs, ["terraform_data.a", "terraform_data.b"]);
    }
}
