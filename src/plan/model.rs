//! What a plan is: per-instance changes and output changes, as data. Rendering lives in
//! `render`, computing a plan in `plan`, carrying it out in `apply`.

use crate::address::{InstanceAddr, ProviderAddr};
use ggplan_sdk::{AttrPath, Value};

/// What will happen to one resource instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    NoOp,
    Create,
    /// A data source read during apply, because its configuration is not known yet.
    Read,
    Update,
    /// Replace: destroy the old object, then create the new one.
    DeleteThenCreate,
    /// Replace with `create_before_destroy`.
    CreateThenDelete,
    Delete,
    /// A `removed` block with `destroy = false`: the object is dropped from state and left
    /// as it is.
    Forget,
}

impl Action {
    /// The symbol Terraform prints for it.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
            Action::Forget => ".",
        }
    }

    /// Whether the action replaces an object.
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }
}

/// Why an action was chosen, when that is not obvious from the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionReason {
    /// The resource block is gone from the configuration.
    NoResourceConfig,
    /// The module instance it belongs to is gone (a module's count shrank, a for_each key or
    /// the module call was removed).
    NoModuleInstance,
    /// `count` shrank below this index.
    CountIndexOutOfRange,
    /// This `for_each` key is gone.
    EachKeyGone,
    /// The resource has `count` or `for_each` now, or no longer has it.
    WrongRepetition,
    /// `--replace` named it.
    ReplaceByRequest,
    /// A change named in its `replace_triggered_by`.
    ReplaceByTriggers,
    /// A change to an attribute that cannot be updated in place.
    ReplaceBecauseCannotUpdate,
    /// Its previous apply failed half way.
    ReplaceBecauseTainted,
    /// A data source whose configuration is known only after apply.
    ReadBecauseConfigUnknown,
    /// A data source that depends on a resource with changes pending.
    ReadBecauseDependencyPending,
    /// A check block's scoped data source: read again during apply, to check the result.
    ReadBecauseCheckNested,
}

/// The planned change of one resource instance. `before` and `after` carry sensitive marks
/// (renderers must honour them) and `after` may contain unknowns.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    /// The provider configuration that manages it: `random` or `random.alias`.
    pub provider: ProviderAddr,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The attributes whose change forces the replacement (empty unless replacing).
    pub replace_paths: Vec<AttrPath>,
    pub reason: Option<ActionReason>,
    /// The key of the deposed object a create-before-destroy left behind that this change
    /// destroys; `None` for the instance's current object.
    pub deposed: Option<String>,
    /// Planned from the configuration alone: its provider is configured only during apply,
    /// which plans it properly then (and does not hold that plan to this one).
    pub planned_without_provider: bool,
    /// Where state recorded it before a `moved` block gave it this address (Terraform's
    /// `previous_address`).
    pub moved_from: Option<InstanceAddr>,
    /// The id of the object an `import` block imports here (the plan read it; the apply
    /// records it).
    pub importing: Option<String>,
    /// The configuration `plan -generate-config-out` wrote for this import (Terraform's
    /// `generated_config`).
    pub generated_config: Option<String>,
}

impl ResourceChange {
    /// A change with no replace paths, reason or deposed key; set those with the struct's
    /// fields.
    pub fn new(
        addr: InstanceAddr,
        provider: ProviderAddr,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange {
            addr,
            provider,
            action,
            before,
            after,
            replace_paths: Vec::new(),
            reason: None,
            deposed: None,
            planned_without_provider: false,
            moved_from: None,
            importing: None,
            generated_config: None,
        }
    }

    /// The instance address, and for a deposed object its key, as plans show them:
    /// `openstack_compute_instance_v2.node (deposed object 0a1b2c3d)`.
    pub fn label(&self) -> String {
        match &self.deposed {
            Some(key) => format!("{} (deposed object {key})", self.addr),
            None => self.addr.to_string(),
        }
    }
}

/// The planned change of one root output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// A whole plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Every instance in configuration or state, sorted by address (no-ops included).
    pub resource_changes: Vec<ResourceChange>,
    pub output_changes: Vec<OutputChange>,
    /// The outcomes of the `check` blocks while planning.
    pub checks: Vec<crate::checks::CheckResult>,
}

impl Plan {
    /// Whether applying it would change anything, outputs and moves included.
    pub fn has_changes(&self) -> bool {
        self.resource_changes.iter().any(|c| {
            !matches!(c.action, Action::NoOp | Action::Read)
                || c.moved_from.is_some()
                || c.importing.is_some()
        }) || self.output_changes.iter().any(|c| c.action != Action::NoOp)
    }
}
