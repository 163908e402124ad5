//! `lifecycle { replace_triggered_by = [...] }`: which planned changes replace an instance.
//!
//! As in Terraform, each entry names a resource, one of its instances or an attribute of one,
//! and its index is evaluated in the triggered instance's context (`[each.key]`,
//! `[count.index]`), so that a change to node2's file replaces node2's service, not every
//! node's:
//! - `ssh_file.daemon_json` (a whole resource): a change to any of its instances;
//! - `ssh_file.daemon_json[each.key]` (one instance): a change to that instance;
//! - `ssh_file.daemon_json[each.key].content` (an attribute): that attribute's value changing
//!   (or becoming unknown).

use super::Planner;
use super::resources::Instance;
use crate::address::{InstanceKey, ResourceAddr};
use crate::config::Expr;
use crate::lang::references::{Referent, references};
use crate::locks::locked;
use crate::plan::{Action, ResourceChange};
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, PathStep, ResourceKind, Value};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, TraversalOperator};

/// What one `replace_triggered_by` entry names, resolved for one triggered instance.
struct Trigger {
    resource: ResourceAddr,
    /// The instance, when the entry indexes the resource.
    key: Option<InstanceKey>,
    /// The attributes after the instance (`.content`, `.tags["team"]`): empty for the
    /// instance itself.
    path: AttrPath,
}

impl Planner {
    /// Whether a change planned so far triggers the replacement of `inst`.
    pub(super) fn replace_triggered(&self, inst: &Instance<'_>) -> Result<bool, Diagnostics> {
        for expr in &inst.resource.lifecycle.replace_triggered_by {
            let trigger = self.trigger(inst, expr)?;
            if self.fires(inst, &trigger) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The entry `expr` resolved in `inst`'s context (its index evaluated there).
    fn trigger(&self, inst: &Instance<'_>, expr: &Expr) -> Result<Trigger, Diagnostics> {
        let module = &inst.addr.module;
        // Evaluating the whole entry checks the reference (a resource that does not exist, a
        // key it does not have) with the evaluator's own diagnostics.
        self.run.eval(expr, module, &inst.context)?;
        let not_a_reference = || self.invalid(expr, "it is not a reference to a managed resource");
        let Expression::Traversal(traversal) = &expr.expr else {
            return Err(not_a_reference());
        };
        let resource = match references(expr).first().map(|r| r.referent()) {
            Some(Ok(Referent::Resource(addr))) if addr.kind == ResourceKind::Managed => addr,
            _ => return Err(not_a_reference()),
        };
        // The operators after `TYPE.NAME`: an instance key, then attributes.
        let mut rest = traversal
            .operators
            .iter()
            .map(|op| op.value())
            .skip(1)
            .peekable();
        let key = match rest.peek() {
            Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)) => {
                let step = self.step(inst, expr, rest.next().unwrap())?;
                Some(match step {
                    PathStep::Key(key) => InstanceKey::Str(key),
                    PathStep::Index(index) => InstanceKey::Int(index),
                })
            }
            _ => None,
        };
        let path = AttrPath(
            rest.map(|op| self.step(inst, expr, op))
                .collect::<Result<_, _>>()?,
        );
        Ok(Trigger {
            resource,
            key,
            path,
        })
    }

    /// Whether a change planned so far is one `trigger` names.
    fn fires(&self, inst: &Instance<'_>, trigger: &Trigger) -> bool {
        locked(&self.changes).iter().any(|planned| {
            let change = &planned.change;
            change.addr.module == inst.addr.module
                && change.addr.resource == trigger.resource
                && trigger
                    .key
                    .as_ref()
                    .is_none_or(|k| change.addr.key.as_ref() == Some(k))
                && changes(change, &trigger.path)
        })
    }
}

/// Whether `change` changes the part `path` names (the whole object when it is empty).
fn changes(change: &ResourceChange, path: &AttrPath) -> bool {
    if matches!(change.action, Action::NoOp | Action::Read) {
        return false;
    }
    if path.0.is_empty() {
        return true;
    }
    let at = |value: Option<&Value>| {
        let part = value
            .and_then(|v| v.at(path))
            .cloned()
            .unwrap_or(Value::Null);
        part.unmark_deep().0
    };
    let after = at(change.after.as_ref());
    after.is_unknown() || after != at(change.before.as_ref())
}

impl Planner {
    /// One step of an entry after `TYPE.NAME`: an attribute, or an index evaluated in
    /// `inst`'s context.
    fn step(
        &self,
        inst: &Instance<'_>,
        expr: &Expr,
        op: &TraversalOperator,
    ) -> Result<PathStep, Diagnostics> {
        let index = match op {
            TraversalOperator::GetAttr(name) => return Ok(PathStep::Key(name.to_string())),
            TraversalOperator::LegacyIndex(n) => return Ok(PathStep::Index(*n.value() as usize)),
            TraversalOperator::Index(index) => index,
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                return Err(self.invalid(expr, "a splat names no one instance or attribute"));
            }
        };
        let index = Expr {
            file: expr.file,
            expr: index.clone(),
            span: index.span().unwrap_or(expr.span.clone()),
        };
        match self.run.eval(&index, &inst.addr.module, &inst.context)? {
            Value::String(key) => Ok(PathStep::Key(key)),
            Value::Number(n) => usize::try_from(n.as_f64() as i64)
                .map(PathStep::Index)
                .map_err(|_| self.invalid(expr, "an index is negative")),
            _ => Err(self.invalid(expr, "an index is neither a string nor a number")),
        }
    }

    fn invalid(&self, expr: &Expr, why: &str) -> Diagnostics {
        Diagnostic::error(
            "Invalid replace_triggered_by expression",
            format!(
                "Each entry of replace_triggered_by must name a managed resource, one of its \
                 instances or an attribute of one, as in aws_instance.web[each.key].id: {why}."
            ),
        )
        .at_range(Some(self.run.module().range(expr)))
        .into()
    }
}
