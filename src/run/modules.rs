//! The configuration nodes of modules, evaluated in every instance of their module: locals,
//! the variables a call passes in, the call's own expansion, and the outputs it passes out.

use super::{Run, missing_node};
use crate::address::{ModulePath, ResourceAddr};
use crate::conditions::Kind;
use crate::graph::Node;
use crate::locks::locked;
use crate::scope::{CallValues, Expansion, InstanceContext, ResourceValues};
use crate::state::State;
use ggplan_sdk::Diagnostics;
use std::collections::BTreeMap;

impl Run {
    /// Evaluates a local value in every instance of its module.
    pub fn eval_local(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let local = self
            .config_at(path)?
            .locals
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        for (instance, _) in self.instances_of(path) {
            let value = self.eval(&local.value, &instance, &InstanceContext::default())?;
            self.write_scope(|scope| {
                scope
                    .module(&instance)
                    .locals
                    .insert(name.to_string(), value);
            });
        }
        Ok(())
    }

    /// Gives a called module's variable its value in every instance of the module: the
    /// caller's argument (evaluated in the caller) or the default.
    pub fn eval_module_variable(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let Some((parent_path, call_name)) = path.split_last() else {
            return Ok(()); // Root variables come from the user's inputs.
        };
        let call = self
            .config_at(&parent_path)?
            .calls
            .get(call_name)
            .ok_or_else(|| missing_node(path, name))?;
        let variable = call
            .module
            .variables
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        let mut diags = Diagnostics::new();
        for (instance, ctx) in self.instances_of(path) {
            let Some((parent, _, _)) = instance.split_last() else {
                continue;
            };
            let argument = match call.inputs.get(name) {
                Some(attr) => Some((
                    self.eval(&attr.value, &parent, &ctx)?,
                    self.module
                        .sources
                        .range(attr.value.file, attr.value.span.clone()),
                )),
                None => None,
            };
            match crate::vars::evaluate_module_input(
                &call.module,
                variable,
                argument,
                &self.functions,
            ) {
                Ok(value) => self.write_scope(|scope| {
                    scope
                        .module(&instance)
                        .variables
                        .insert(name.to_string(), value);
                }),
                Err(d) => diags.extend(d),
            }
        }
        diags.into_result(())
    }

    /// Expands a module call in every instance of the calling module: records the called
    /// module's instances and prepares their scopes.
    pub fn expand_module_call(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let call = self
            .config_at(path)?
            .calls
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        let child_path = path.child(name);
        let mut children = Vec::new();
        for (parent, _) in self.instances_of(path) {
            let (expansion, instances) = self.expand(&call.repetition, &parent, "module")?;
            let dir = call.module.dir.display().to_string();
            self.write_scope(|scope| {
                let calls = &mut scope.module(&parent).calls;
                let values = calls.entry(name.to_string()).or_insert_with(|| CallValues {
                    expansion,
                    instances: BTreeMap::new(),
                });
                values.expansion = expansion;
                values
                    .instances
                    .retain(|k, _| instances.iter().any(|(key, _)| key == k));
                for (key, _) in &instances {
                    values.instances.entry(key.clone()).or_default();
                }
                for (key, _) in &instances {
                    scope.module(&parent.child(name, key.clone())).dir = dir.clone();
                }
            });
            children.extend(
                instances
                    .into_iter()
                    .map(|(key, ctx)| (parent.child(name, key), ctx)),
            );
        }
        locked(&self.module_instances).insert(child_path, children);
        Ok(())
    }

    /// Evaluates an output of a called module in each of its instances, for the caller to see
    /// as `module.NAME.OUTPUT`.
    pub fn eval_module_output(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let output = self
            .config_at(path)?
            .outputs
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        for (instance, _) in self.instances_of(path) {
            let Some((parent, call, key)) = instance.split_last() else {
                continue;
            };
            let context = InstanceContext::default();
            let pre = &output.preconditions;
            self.check(pre, Kind::OutputPrecondition, &instance, &context)?;
            let value = self.eval(&output.value, &instance, &context)?;
            let value = if output.sensitive {
                value.into_sensitive()
            } else {
                value
            };
            let (call, key) = (call.to_string(), key.clone());
            self.write_scope(|scope| {
                if let Some(values) = scope.module(&parent).calls.get_mut(&call) {
                    values
                        .instances
                        .entry(key)
                        .or_default()
                        .insert(name.to_string(), value);
                }
            });
        }
        Ok(())
    }

    /// Fills the scope from the state alone, as `console` sees a stack: every resource
    /// instance has its recorded value (a resource with none is unknown, or an empty
    /// collection), and locals, module arguments and module outputs are evaluated from them in
    /// graph order. What cannot be evaluated is returned; its dependents stay without a value.
    pub fn evaluate_from_state(&self, state: &State) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for node in self.graph.nodes.clone() {
            let done = match &node {
                Node::Resource(path, addr) => {
                    self.seed_resource(state, path, addr);
                    Ok(())
                }
                Node::Variable(path, name) => self.eval_module_variable(path, name),
                Node::Local(path, name) => self.eval_local(path, name),
                Node::ModuleCall(path, name) => self.expand_module_call(path, name),
                Node::Output(path, name) if !path.is_root() => self.eval_module_output(path, name),
                Node::Output(..) | Node::Provider(_) | Node::Check(..) => Ok(()),
            };
            if let Err(d) = done {
                diags.extend(d);
            }
        }
        diags
    }

    /// Records a resource's instances from the state in every instance of its module.
    fn seed_resource(&self, state: &State, path: &ModulePath, addr: &ResourceAddr) {
        let repetition = self
            .module
            .at(path)
            .and_then(|m| m.resources.get(addr))
            .map_or(Expansion::Single, |r| Expansion::of(&r.repetition));
        for (instance, _) in self.instances_of(path) {
            let mut values = ResourceValues::new(repetition);
            for (at, recorded) in &state.resources {
                if at.module == instance && at.resource == *addr {
                    values.instances.insert(at.key.clone(), recorded.value());
                }
            }
            self.write_scope(|scope| {
                scope
                    .module(&instance)
                    .resources
                    .insert(addr.clone(), values);
            });
        }
    }
}
