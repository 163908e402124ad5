//! `import` blocks: the instances of a resource to import while planning, each with the id
//! of its object (a block with `for_each` names one instance per element), in the root
//! module or in instances of the modules it calls.

use super::Planner;
use crate::address::{InstanceAddr, InstanceKey, ModuleInstance, ModulePath};
use crate::config::{Import, Repetition, Resource};
use crate::scope::InstanceContext;
use ggplan_sdk::{Diagnostic, Diagnostics, Type, Value};
use std::collections::{BTreeMap, HashSet};

/// One instance an `import` block names, with the id of its object.
pub(super) struct ImportTarget<'a> {
    pub addr: InstanceAddr,
    pub id: String,
    pub block: &'a Import,
}

impl Planner {
    /// The instances of `resource` (declared in the module at `path`) that `import` blocks
    /// name, in every instance of that module, with their ids; an error for a block naming a
    /// module instance the configuration does not have.
    pub(super) fn import_targets<'m>(
        &'m self,
        path: &ModulePath,
        resource: &Resource,
    ) -> Result<Vec<ImportTarget<'m>>, Diagnostics> {
        let modules: HashSet<ModuleInstance> = self
            .run
            .instances_of(path)
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        let mut targets = Vec::new();
        let mut diags = Diagnostics::new();
        let blocks = self.run.module().imports.iter();
        for block in blocks.filter(|b| b.resource == resource.addr && b.module_path() == *path) {
            match self.targets_of(block) {
                Ok(found) => {
                    for (module, key, id) in found {
                        let addr = resource.addr.instance_in(&module, key);
                        if !modules.contains(&module) {
                            diags.push(missing_target(block, &addr));
                            continue;
                        }
                        targets.push(ImportTarget { addr, id, block });
                    }
                }
                Err(d) => diags.push(d),
            }
        }
        diags.into_result(targets)
    }

    /// Each module instance, key and id an import block names.
    fn targets_of(&self, block: &Import) -> Result<Vec<Target>, Diagnostic> {
        let root = ModuleInstance::root();
        let contexts = match &block.for_each {
            Some(expr) => {
                let repetition = Repetition::ForEach(expr.clone());
                self.run.expand(&repetition, &root, "import")?.1
            }
            None => vec![(None, InstanceContext::default())],
        };
        let mut out = Vec::new();
        for (_, context) in contexts {
            let mut module = ModuleInstance::root();
            for (call, key) in &block.module {
                let key = key
                    .as_ref()
                    .map(|k| self.import_key(k, &context))
                    .transpose()?;
                module = module.child(call, key);
            }
            let key = block
                .key
                .as_ref()
                .map(|k| self.import_key(k, &context))
                .transpose()?;
            let id = self.run.eval(&block.id, &root, &context)?;
            let id = match Type::String.convert(id.unmark().0) {
                Ok(Value::String(id)) => id,
                _ => return Err(self.invalid_id(block)),
            };
            out.push((module, key, id));
        }
        Ok(out)
    }

    fn import_key(
        &self,
        expr: &crate::config::Expr,
        context: &InstanceContext,
    ) -> Result<InstanceKey, Diagnostic> {
        let root = ModuleInstance::root();
        match self.run.eval(expr, &root, context)?.unmark().0 {
            Value::String(s) => Ok(InstanceKey::Str(s)),
            Value::Number(n) => n
                .as_i64()
                .and_then(|i| usize::try_from(i).ok())
                .map(InstanceKey::Int)
                .ok_or_else(|| self.bad_key(expr)),
            _ => Err(self.bad_key(expr)),
        }
    }

    /// Terraform's error for an id not known at plan time (or not a string).
    fn invalid_id(&self, block: &Import) -> Diagnostic {
        Diagnostic::error(
            "Invalid import id argument",
            "The import block \"id\" argument must be a string known while planning: it may \
             not depend on resource attributes that cannot be determined until apply, so \
             ggplan cannot plan to import this resource.",
        )
        .at_range(Some(self.run.module().range(&block.id)))
    }

    fn bad_key(&self, expr: &crate::config::Expr) -> Diagnostic {
        Diagnostic::error(
            "Invalid import address",
            "The instance key in to must be a known string or a whole number.",
        )
        .at_range(Some(self.run.module().range(expr)))
    }
}

/// The import targets in one module instance, refused (as Terraform does) when the
/// resource there has no instance with the target's key.
pub(super) fn imports_in(
    targets: &[ImportTarget],
    module: &ModuleInstance,
    keys: &HashSet<Option<InstanceKey>>,
) -> Result<BTreeMap<InstanceAddr, String>, Diagnostics> {
    let mut found = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for target in targets.iter().filter(|t| t.addr.module == *module) {
        if keys.contains(&target.addr.key) {
            found.insert(target.addr.clone(), target.id.clone());
        } else {
            diags.push(missing_target(target.block, &target.addr));
        }
    }
    diags.into_result(found)
}

/// A module instance, instance key and id that an import block names.
type Target = (ModuleInstance, Option<InstanceKey>, String);

/// Terraform's error for an import into an instance the configuration does not declare
/// (Terraform gives no location; the block's is shown here).
fn missing_target(block: &Import, addr: &InstanceAddr) -> Diagnostic {
    Diagnostic::error(
        "Configuration for import target does not exist",
        format!(
            "The configuration for the given import {addr} does not exist. All target \
             instances must have an associated configuration to be imported."
        ),
    )
    .at_range(Some(block.range.clone()))
}
