//! The root module's outputs: what each will be after apply, and those the configuration no
//! longer declares.

use super::Planner;
use crate::address::ModuleInstance;
use crate::conditions::Kind;
use crate::locks::locked;
use crate::plan::{Action, OutputChange};
use crate::scope::InstanceContext;
use ggplan_sdk::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeSet;

impl Planner {
    pub(super) fn output(&self, name: &str) -> Result<(), Diagnostics> {
        let output = &self.run.module().outputs[name];
        let before = self.prior.outputs.get(name).map(|o| {
            let v = Value::from_json(&o.value);
            if o.sensitive { v.into_sensitive() } else { v }
        });
        if self.run.options().destroy {
            if before.is_some() {
                self.push_output(name, Action::Delete, before, None, output.sensitive);
            }
            return Ok(());
        }
        if self.run.is_targeted() {
            return Ok(());
        }
        let root = ModuleInstance::root();
        let context = InstanceContext::default();
        let pre = &output.preconditions;
        self.run
            .check(pre, Kind::OutputPrecondition, &root, &context)?;
        let value = self.run.eval(&output.value, &root, &context)?;
        if value.contains_sensitive() && !output.sensitive {
            return Err(Diagnostic::error(
                "Output refers to sensitive values",
                format!(
                    "output {name:?} would show sensitive values. Add `sensitive = true` to the \
                     output block if showing them as (sensitive value) is what you want."
                ),
            )
            .at_range(Some(output.range.clone()))
            .into());
        }
        let after = if output.sensitive {
            value.into_sensitive()
        } else {
            value
        };
        let action = match &before {
            None => Action::Create,
            Some(b) if b.clone().unmark_deep().0 == after.clone().unmark_deep().0 => Action::NoOp,
            Some(_) => Action::Update,
        };
        self.push_output(name, action, before, Some(after), output.sensitive);
        Ok(())
    }

    fn push_output(
        &self,
        name: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
        sensitive: bool,
    ) {
        locked(&self.outputs).push(OutputChange {
            name: name.to_string(),
            action,
            before,
            after,
            sensitive,
        });
    }

    /// Outputs in state that the configuration no longer declares.
    pub(super) fn plan_removed_outputs(&self) {
        if self.run.is_targeted() {
            return;
        }
        let declared: BTreeSet<&String> = self.run.module().outputs.keys().collect();
        for (name, o) in &self.prior.outputs {
            if !declared.contains(name) {
                let v = Value::from_json(&o.value);
                let before = if o.sensitive { v.into_sensitive() } else { v };
                self.push_output(name, Action::Delete, Some(before), None, o.sensitive);
            }
        }
    }
}
