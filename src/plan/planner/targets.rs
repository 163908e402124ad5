//! What `--target` and `--replace` select.

use super::Planner;
use crate::address::{ConfigResource, InstanceAddr, ModuleInstance};
use crate::graph::Node;
use crate::run::Run;
use crate::state::State;
use ggplan_sdk::{Diagnostic, Diagnostics};
use std::collections::HashSet;

/// Refuses `--target` and `--replace` addresses that name nothing in the stack or the state.
pub(super) fn check_addresses(run: &Run, prior: &State) -> Result<(), Diagnostics> {
    let options = run.options();
    let unmatched: Vec<String> = options
        .targets
        .iter()
        .chain(&options.replace)
        .filter(|t| {
            let declared = run
                .module()
                .at(&t.module.path())
                .is_some_and(|m| m.resources.contains_key(&t.resource));
            !declared
                && !prior
                    .resources
                    .keys()
                    .any(|a| a.resource == t.resource && a.module.path() == t.module.path())
        })
        .map(ToString::to_string)
        .collect();
    if unmatched.is_empty() {
        return Ok(());
    }
    Err(Diagnostic::error(
        "Address matches nothing",
        format!(
            "{} is neither declared in the stack nor in the state. Check the spelling \
             (`ggplan state list` shows the addresses in state).",
            unmatched.join(", ")
        ),
    )
    .into())
}

/// The resources the `--target`s depend on, directly or through others.
pub(super) fn target_dependencies(run: &Run) -> HashSet<ConfigResource> {
    let graph = run.graph();
    let mut stack: Vec<usize> = run
        .options()
        .targets
        .iter()
        .filter_map(|t| graph.id(&Node::Resource(t.module.path(), t.resource.clone())))
        .flat_map(|n| graph.deps[n].iter().copied())
        .collect();
    let mut seen = HashSet::new();
    let mut found = HashSet::new();
    while let Some(n) = stack.pop() {
        if seen.insert(n) {
            if let Node::Resource(module, resource) = &graph.nodes[n] {
                found.insert(ConfigResource {
                    module: module.clone(),
                    resource: resource.clone(),
                });
            }
            stack.extend(graph.deps[n].iter().copied());
        }
    }
    found
}

impl Planner {
    /// Whether the plan covers `inst`: everything without `--target`; else the targets and
    /// the resources they depend on.
    pub(super) fn is_selected(&self, inst: &InstanceAddr) -> bool {
        let targets = &self.run.options().targets;
        targets.is_empty()
            || self.target_dependencies.contains(&inst.config_resource())
            || targets.iter().any(|t| {
                t.resource == inst.resource
                    && module_matches(&t.module, &inst.module)
                    && (t.key.is_none() || t.key == inst.key)
            })
    }
}

/// Whether a target's module instance selects `inst`: the same calls, and the same keys
/// where the target gives one (`module.app.x` selects every instance of module.app).
fn module_matches(target: &ModuleInstance, inst: &ModuleInstance) -> bool {
    target.0.len() == inst.0.len()
        && target
            .0
            .iter()
            .zip(&inst.0)
            .all(|((tn, tk), (n, k))| tn == n && (tk.is_none() || tk == k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_module_without_a_key_selects_every_instance_of_it() {
        let target = ModuleInstance::parse("module.app").unwrap();
        let canary = ModuleInstance::parse("module.app[\"canary\"]").unwrap();
        assert!(module_matches(&target, &canary));
        let keyed = ModuleInstance::parse("module.app[\"prod\"]").unwrap();
        assert!(!module_matches(&keyed, &canary));
        let nested = ModuleInstance::parse("module.app[\"canary\"].module.db").unwrap();
        assert!(!module_matches(&target, &nested));
    }
}
