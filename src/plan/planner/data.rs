//! One data source instance: read now when its configuration is known, else during apply. A
//! check block's scoped data source is read now and again during apply, its failures
//! warnings.

use super::resources::Instance;
use super::{PlannedChange, Planner};
use crate::checks::scoped_data_failure;
use crate::events::Event;
use crate::plan::{Action, ActionReason};
use ggplan_sdk::{Diagnostics, Value};
use std::time::Instant;

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
            let read = self.read_now(inst, &config).await;
            let read = read.map_err(|d| self.place(inst, d));
            let Some(check) = &inst.resource.check else {
                return Ok(Some(inst.change(Action::NoOp, before, read?)));
            };
            // A check's own data source is read again during apply, to check what the apply
            // made; a failure now fails the check, as a warning, and the apply tries again.
            let value = match read {
                Ok(value) => value,
                Err(diagnostics) => {
                    let (warnings, outcome) = scoped_data_failure(diagnostics);
                    self.run.report(warnings);
                    self.run.record_check(&inst.addr.module, check, outcome);
                    inst.provider.proposed_from_config(&config)
                }
            };
            let mut change = inst.change(Action::Read, before, value);
            change.change.reason = Some(ActionReason::ReadBecauseCheckNested);
            return Ok(Some(change));
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

    /// Reads the data source, shown as Terraform shows it: `Reading...`, `Still reading...
    /// [10s elapsed]` while it takes, `Read complete after 1s`.
    async fn read_now(&self, inst: &Instance<'_>, config: &Value) -> Result<Value, Diagnostics> {
        let (addr, started) = (&inst.addr, Instant::now());
        self.run.emit(Event::ApplyStarted {
            addr: addr.clone(),
            action: Action::Read,
            id: None,
        });
        let read = inst.provider.read_data(addr, config);
        let value = self.run.with_progress(addr, Action::Read, read).await?;
        let elapsed = started.elapsed();
        self.run
            .emit(Event::finished(addr, Action::Read, elapsed, &value));
        Ok(value)
    }
}
