//! `import` blocks: the instances of a resource to import while planning, each with the id
//! of its object (a block with `for_each` names one instance per element).

use super::Planner;
use crate::address::{InstanceAddr, InstanceKey, ModuleInstance};
use crate::config::{Import, Repetition, Resource};
use crate::scope::InstanceContext;
use ggplan_sdk::{Diagnostic, Diagnostics, Type, Value};
use std::collections::{BTreeMap, HashSet};

impl Planner {
    /// The instances of `resource` (in the root module) that `import` blocks name, with
    /// their ids; an error for a block whose instance the configuration does not declare.
    pub(super) fn import_targets(
        &self,
        resource: &Resource,
        declared: &HashSet<Option<InstanceKey>>,
    ) -> Result<BTreeMap<InstanceAddr, String>, Diagnostics> {
        let mut targets = BTreeMap::new();
        let mut diags = Diagnostics::new();
        let blocks = self.run.module().imports.iter();
        for block in blocks.filter(|b| b.resource == resource.addr) {
            match self.targets_of(block) {
                Ok(found) => {
                    for (key, id) in found {
                        if !declared.contains(&key) {
                            diags.push(missing_target(block, &resource.addr.instance(key)));
                            continue;
                        }
                        targets.insert(resource.addr.instance(key), id);
                    }
                }
                Err(d) => diags.push(d),
            }
        }
        diags.into_result(targets)
    }

    /// Each key and id an import block names.
    fn targets_of(&self, block: &Import) -> Result<Vec<(Option<InstanceKey>, String)>, Diagnostic> {
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
            let key = match &block.key {
                Some(expr) => Some(self.import_key(expr, &context)?),
                None => None,
            };
            let id = self.run.eval(&block.id, &root, &context)?;
            let id = match Type::String.convert(id.unmark().0) {
                Ok(Value::String(id)) => id,
                _ => return Err(self.invalid_id(block)),
            };
            out.push((key, id));
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

/// Terraform's error for an import into an instance the configuration does not declare.
fn missing_target(block: &Import, addr: &InstanceAddr) -> Diagnostic {
    Diagnostic::error(
        "Configuration for import target does not exist",
        format!(
            "The configuration for the given import target {addr} does not exist. All target \
             instances must have an associated configuration to be imported."
        ),
    )
    .at_range(Some(block.range.clone()))
}
