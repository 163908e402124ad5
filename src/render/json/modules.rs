//! The module tree of Terraform's JSON values (`root_module` with nested `child_modules`), which
//! state documents, `prior_state` and `planned_values` share: each resource sits in the module
//! instance that holds it, and each module instance inside its parent's `child_modules`.

use crate::address::ModuleInstance;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The `root_module` of these resources, each given with the module instance that holds it.
/// As in Terraform, `resources`, `address` (absent for the root) and `child_modules` are left
/// out when empty, and module instances are ordered by address.
pub fn root_module(resources: impl IntoIterator<Item = (ModuleInstance, Json)>) -> Json {
    let mut by_module: BTreeMap<ModuleInstance, Vec<Json>> = BTreeMap::new();
    for (module, resource) in resources {
        // A module instance that holds only child modules is still one of the tree's levels.
        let mut ancestor = module.clone();
        while let Some((parent, _, _)) = ancestor.split_last() {
            by_module.entry(parent.clone()).or_default();
            ancestor = parent;
        }
        by_module.entry(module).or_default().push(resource);
    }
    let mut children: BTreeMap<ModuleInstance, Vec<ModuleInstance>> = BTreeMap::new();
    for module in by_module.keys() {
        if let Some((parent, _, _)) = module.split_last() {
            children.entry(parent).or_default().push(module.clone());
        }
    }
    module_json(&ModuleInstance::root(), &mut by_module, &children)
}

/// One module instance with its resources and, recursively, its child modules.
fn module_json(
    at: &ModuleInstance,
    by_module: &mut BTreeMap<ModuleInstance, Vec<Json>>,
    children: &BTreeMap<ModuleInstance, Vec<ModuleInstance>>,
) -> Json {
    let mut out = Map::new();
    let resources = by_module.remove(at).unwrap_or_default();
    if !resources.is_empty() {
        out.insert("resources".into(), Json::Array(resources));
    }
    if !at.is_root() {
        out.insert("address".into(), json!(at.to_string()));
    }
    let child_modules: Vec<Json> = children
        .get(at)
        .into_iter()
        .flatten()
        .map(|child| module_json(child, by_module, children))
        .collect();
    if !child_modules.is_empty() {
        out.insert("child_modules".into(), Json::Array(child_modules));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> ModuleInstance {
        ModuleInstance::parse(text).unwrap()
    }

    #[test]
    fn resources_nest_in_their_module_instances() {
        let tree = root_module([
            (ModuleInstance::root(), json!("r")),
            (at("module.a[\"x\"].module.b"), json!("deep")),
            (at("module.a[\"x\"]"), json!("ax")),
            (at("module.c"), json!("c")),
        ]);
        assert_eq!(
            tree,
            json!({
                "resources": ["r"],
                "child_modules": [
                    {
                        "resources": ["ax"],
                        "address": "module.a[\"x\"]",
                        "child_modules": [
                            {"resources": ["deep"], "address": "module.a[\"x\"].module.b"}
                        ]
                    },
                    {"resources": ["c"], "address": "module.c"}
                ]
            })
        );
    }

    #[test]
    fn a_module_holding_only_modules_is_a_level_and_nothing_is_empty() {
        assert_eq!(root_module([]), json!({}));
        assert_eq!(
            root_module([(at("module.a.module.b"), json!("deep"))]),
            json!({"child_modules": [{
                "address": "module.a",
                "child_modules": [{"resources": ["deep"], "address": "module.a.module.b"}]
            }]})
        );
    }
}
