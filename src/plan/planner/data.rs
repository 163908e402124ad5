//! One data source instance: read now when its configuration is known, else during apply.

use super::resources::Instance;
use super::{PlannedChange, Planner};
use crate::plan::{Action, ActionReason};
use ggplan_sdk::Diagnostics;

impl Planner {
    /// Reads a data source now, or plans its read during apply: when its configuration is
    /// not known yet, when something in its `depends_on` has changes pending, or when its
    /// provider is configured only during apply.
    pub(super) async fn plan_data(
        &self,
        inst: &Instance<'_>,
        dependencies_pending: bool,
    ) -> Result<Option<PlannedChange>, Diagnostics> {
        let config = self.checked_config(inst)?;
        let before = self.prior.instance_value(&inst.addr);
        let deferred = inst.provider.is_deferred();
        let known = config.is_wholly_known();
        if known && !dependencies_pending && !deferred {
            let value = inst
                .provider
                .read_data(&inst.addr, &config)
                .await
                .map_err(|d| self.place(inst, d))?;
            return Ok(Some(inst.change(Action::NoOp, before, value)));
        }
        let planned = inst.provider.proposed_from_config(&config);
        // A provider configured only during apply counts as configuration not yet known.
        let reason = if known && !deferred {
            ActionReason::ReadBecauseDependencyPending
        } else {
            ActionReason::ReadBecauseConfigUnknown
        };
        let mut change = inst.change(Action::Read, before, planned);
        change.change.reason = Some(reason);
        Ok(Some(change))
    }
}
