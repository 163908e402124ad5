//! The apply graph: one step per create/update/read and per destroy of each change, one per
//! configuration node to re-evaluate, and per resource two barriers (`Applied`,
//! `DependentsDestroyed`) through which resource-level ordering goes, so that the number of
//! edges grows with the number of instances, not with its square.
//!
//! Creates and updates wait for what their configuration (and their provider's) refers to;
//! destroys wait for the destroys of what depended on them; a create-before-destroy's
//! destroy half waits for its create half and for its dependents to move to the
//! replacement; a destroy-then-create's create half waits for its destroy half.

use crate::address::ConfigResource;
use crate::graph::{Graph, Node};
use crate::plan::{Action, PlannedChange};
use ggplan_sdk::{Diagnostic, Diagnostics};
use std::collections::{BTreeSet, HashMap};

/// A step of the apply graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Step {
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

/// The apply graph: its steps and, for each, the steps it waits for.
pub(super) struct Steps {
    pub steps: Vec<Step>,
    pub deps: Vec<BTreeSet<usize>>,
}

/// Whether a graph node is re-evaluated during apply (root variables come from the user;
/// providers are configured when their first resource needs them; resources are changes).
pub(super) fn is_config_step(node: &Node) -> bool {
    match node {
        Node::Variable(path, _) => !path.is_root(),
        Node::Local(..) | Node::ModuleCall(..) | Node::Output(..) | Node::Check(..) => true,
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
            | Action::Forget
    )
}

fn has_destroy(action: Action) -> bool {
    matches!(
        action,
        Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
    )
}

/// The apply graph under construction.
struct Builder<'a> {
    graph: &'a Graph,
    changes: &'a [PlannedChange],
    steps: Vec<Step>,
    deps: Vec<BTreeSet<usize>>,
    index: HashMap<Step, usize>,
    /// Which resources depend on which, from the configuration.
    dependents_of: HashMap<ConfigResource, BTreeSet<ConfigResource>>,
}

/// Builds the apply graph of `changes`; an error names a cycle in the order of changes.
pub(super) fn build(graph: &Graph, changes: &[PlannedChange]) -> Result<Steps, Diagnostics> {
    let mut builder = Builder {
        graph,
        changes,
        steps: Vec::new(),
        deps: Vec::new(),
        index: HashMap::new(),
        dependents_of: dependents_of(graph),
    };
    builder.add_steps();
    builder.order_config_steps();
    for (i, c) in changes.iter().enumerate() {
        builder.order_main(i, c);
        builder.order_destroy(i, c);
    }
    if let Err(cycle) = crate::graph::topological_order(&builder.deps) {
        return Err(builder.cycle_error(&cycle));
    }
    Ok(Steps {
        steps: builder.steps,
        deps: builder.deps,
    })
}

/// For each resource, the resources whose configuration refers to it.
fn dependents_of(graph: &Graph) -> HashMap<ConfigResource, BTreeSet<ConfigResource>> {
    let mut dependents: HashMap<ConfigResource, BTreeSet<ConfigResource>> = HashMap::new();
    for (node_id, node) in graph.nodes.iter().enumerate() {
        if let Node::Resource(module, resource) = node {
            for dependency in graph.resource_dependencies(node_id) {
                dependents
                    .entry(dependency)
                    .or_default()
                    .insert(ConfigResource {
                        module: module.clone(),
                        resource: resource.clone(),
                    });
            }
        }
    }
    dependents
}

impl Builder<'_> {
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

    /// A step per configuration node, per main and destroy half, and the barriers.
    fn add_steps(&mut self) {
        for (id, node) in self.graph.nodes.iter().enumerate() {
            if is_config_step(node) {
                self.add(Step::Config(id));
            }
        }
        for (i, c) in self.changes.iter().enumerate() {
            let resource = c.change.addr.config_resource();
            // An import that changes nothing still has its object to record.
            if has_main(c.change.action) || c.change.importing.is_some() {
                let main = self.add(Step::Main(i));
                let applied = self.add(Step::Applied(resource.clone()));
                self.wait(applied, main);
            }
            if has_destroy(c.change.action) {
                let destroy = self.add(Step::Destroy(i));
                let barrier = self.add(Step::DependentsDestroyed(resource));
                self.wait(destroy, barrier);
            }
        }
    }

    /// The steps a graph node's evaluation waits for: what it refers to, and for a resource
    /// what its provider's configuration refers to (a provider configured during apply needs
    /// it).
    fn config_deps(&self, node: usize) -> Vec<usize> {
        let graph = self.graph;
        let through_providers = graph.deps[node]
            .iter()
            .flat_map(|d| match &graph.nodes[*d] {
                Node::Provider(_) => graph.deps[*d].iter().copied().collect(),
                _ => vec![*d],
            });
        through_providers
            .filter_map(|d| match &graph.nodes[d] {
                Node::Resource(module, resource) => self.id(&Step::Applied(ConfigResource {
                    module: module.clone(),
                    resource: resource.clone(),
                })),
                other if is_config_step(other) => self.id(&Step::Config(d)),
                _ => None,
            })
            .collect()
    }

    fn order_config_steps(&mut self) {
        for (node_id, node) in self.graph.nodes.iter().enumerate() {
            if !is_config_step(node) {
                continue;
            }
            let id = self.add(Step::Config(node_id));
            for d in self.config_deps(node_id) {
                self.wait(id, d);
            }
        }
    }

    /// A main step waits for what its configuration refers to, and a destroy-then-create's
    /// for its destroy half.
    fn order_main(&mut self, i: usize, c: &PlannedChange) {
        let Some(main) = self.id(&Step::Main(i)) else {
            return;
        };
        let addr = &c.change.addr;
        let node = Node::Resource(addr.module.path(), addr.resource.clone());
        if let Some(node) = self.graph.id(&node) {
            for d in self.config_deps(node) {
                self.wait(main, d);
            }
        }
        if c.change.action == Action::DeleteThenCreate
            && let Some(destroy) = self.id(&Step::Destroy(i))
        {
            self.wait(main, destroy);
        }
    }

    /// The resources an instance depended on are destroyed after it; a create-before-destroy's
    /// destroy half (and a deposed object's) comes after the create half and after its
    /// dependents moved to the replacement.
    fn order_destroy(&mut self, i: usize, c: &PlannedChange) {
        let Some(destroy) = self.id(&Step::Destroy(i)) else {
            return;
        };
        let resource = c.change.addr.config_resource();
        let depended_on: Vec<ConfigResource> = c
            .prior_dependencies
            .iter()
            .map(|d| d.config_resource())
            .chain(
                self.dependents_of
                    .iter()
                    .filter(|(_, ds)| ds.contains(&resource))
                    .map(|(r, _)| r.clone()),
            )
            .collect();
        for dependency in depended_on {
            if dependency != resource
                && let Some(barrier) = self.id(&Step::DependentsDestroyed(dependency))
            {
                self.wait(barrier, destroy);
            }
        }
        if c.change.action == Action::CreateThenDelete || c.change.deposed.is_some() {
            if let Some(main) = self.id(&Step::Main(i)) {
                self.wait(destroy, main);
            }
            let dependents: Vec<usize> = self
                .dependents_of
                .get(&resource)
                .into_iter()
                .flatten()
                .filter_map(|dependent| self.id(&Step::Applied(dependent.clone())))
                .collect();
            for applied in dependents {
                self.wait(destroy, applied);
            }
        }
    }

    fn step_name(&self, step: usize) -> String {
        let resource_node =
            |r: &ConfigResource| Node::Resource(r.module.clone(), r.resource.clone());
        match &self.steps[step] {
            Step::Config(n) => self.graph.nodes[*n].to_string(),
            Step::Main(i) => self.changes[*i].change.addr.to_string(),
            Step::Destroy(i) => format!("{} (destroy)", self.changes[*i].change.label()),
            Step::Applied(r) => format!("{} (applied)", resource_node(r)),
            Step::DependentsDestroyed(r) => {
                format!("{} (dependents destroyed)", resource_node(r))
            }
        }
    }

    fn cycle_error(&self, cycle: &[usize]) -> Diagnostics {
        let names: Vec<String> = cycle.iter().map(|s| self.step_name(*s)).collect();
        Diagnostic::error(
            "Cycle in the order of changes",
            format!(
                "These changes wait for each other: {}. This happens when a \
                 create_before_destroy resource depends on one that is destroyed first; set \
                 create_before_destroy on both.",
                names.join(" -> ")
            ),
        )
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{InstanceAddr, ProviderAddr};
    use crate::plan::ResourceChange;
    use ggplan_sdk::Value;

    /// The graph of a stack where `b` refers to `a`.
    fn graph() -> Graph {
        let dir = tempfile::tempdir().unwrap();
        let src = r#"
resource "terraform_data" "a" {}
resource "terraform_data" "b" { input = terraform_data.a.id }
"#;
        std::fs::write(dir.path().join("main.tf"), src).unwrap();
        let module = crate::config::load_dir(dir.path()).unwrap();
        Graph::build(&module, &[]).unwrap()
    }

    fn change(name: &str, action: Action) -> PlannedChange {
        let addr = InstanceAddr::parse(&format!("terraform_data.{name}")).unwrap();
        let before =
            (action != Action::Create).then(|| Value::object([("id", Value::string(name))]));
        let after = (action != Action::Delete).then_some(Value::Unknown);
        let provider = ProviderAddr::default_of("terraform");
        PlannedChange::new(ResourceChange::new(addr, provider, action, before, after))
    }

    /// Whether `from` waits for `to`, directly or through other steps.
    fn waits_for(plan: &Steps, from: &Step, to: &Step) -> bool {
        let id = |s: &Step| plan.steps.iter().position(|x| x == s).unwrap();
        let (from, to) = (id(from), id(to));
        let mut stack = vec![from];
        let mut seen = BTreeSet::new();
        while let Some(s) = stack.pop() {
            if s == to {
                return true;
            }
            if seen.insert(s) {
                stack.extend(plan.deps[s].iter().copied());
            }
        }
        false
    }

    #[test]
    fn a_create_waits_for_what_its_configuration_refers_to() {
        let changes = [change("a", Action::Create), change("b", Action::Create)];
        let plan = build(&graph(), &changes).unwrap();
        assert!(waits_for(&plan, &Step::Main(1), &Step::Main(0)));
        assert!(!waits_for(&plan, &Step::Main(0), &Step::Main(1)));
    }

    #[test]
    fn a_destroy_waits_for_the_destroys_of_its_dependents() {
        let changes = [change("a", Action::Delete), change("b", Action::Delete)];
        let plan = build(&graph(), &changes).unwrap();
        assert!(waits_for(&plan, &Step::Destroy(0), &Step::Destroy(1)));
        assert!(!waits_for(&plan, &Step::Destroy(1), &Step::Destroy(0)));
    }

    #[test]
    fn a_destroy_then_create_creates_after_destroying() {
        let changes = [change("a", Action::DeleteThenCreate)];
        let plan = build(&graph(), &changes).unwrap();
        assert!(waits_for(&plan, &Step::Main(0), &Step::Destroy(0)));
    }

    #[test]
    fn a_create_before_destroy_destroys_after_its_dependents_moved_to_the_replacement() {
        let changes = [
            change("a", Action::CreateThenDelete),
            change("b", Action::Update),
        ];
        let plan = build(&graph(), &changes).unwrap();
        assert!(waits_for(&plan, &Step::Destroy(0), &Step::Main(0)));
        assert!(waits_for(&plan, &Step::Destroy(0), &Step::Main(1)));
        assert!(waits_for(&plan, &Step::Main(1), &Step::Main(0)));
    }

    #[test]
    fn replacing_a_dependency_first_while_its_dependent_replaces_before_destroying_is_a_cycle() {
        let mut b = change("b", Action::CreateThenDelete);
        b.create_before_destroy = true;
        let changes = [change("a", Action::DeleteThenCreate), b];
        let err = build(&graph(), &changes).err().expect("a cycle");
        assert_eq!(err.0[0].summary, "Cycle in the order of changes");
    }
}
