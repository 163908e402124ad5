//! Destroying what the plan no longer wants: instances whose block, key or module instance
//! is gone (or everything, for `destroy`), and the deposed objects a create-before-destroy
//! left behind.

use super::managed::prevent_destroy_error;
use super::{PlannedChange, Planner};
use crate::address::InstanceAddr;
use crate::config::Resource;
use crate::locks::locked;
use crate::plan::{Action, ActionReason, ResourceChange};
use futures::FutureExt;
use ggplan_sdk::{Diagnostics, ResourceKind};
use std::panic::AssertUnwindSafe;

impl Planner {
    /// Plans the destruction of an instance in state (refreshed first: one already gone
    /// needs nothing), unless `prevent_destroy` forbids it.
    pub(super) async fn plan_delete(
        &self,
        inst: &InstanceAddr,
        reason: Option<ActionReason>,
        resource: Option<&Resource>,
    ) -> Result<(), Diagnostics> {
        let Some(state) = self.prior.resources.get(inst) else {
            return Ok(());
        };
        if let Some(resource) = resource
            && resource.lifecycle.prevent_destroy
        {
            return Err(prevent_destroy_error(resource, inst));
        }
        if !self.is_selected(inst) {
            return Ok(());
        }
        let provider = self
            .run
            .providers()
            .for_resource(&state.provider, &inst.resource)?;
        let Some(prior) = self.refresh(&provider, inst, state.value()).await? else {
            return Ok(()); // Already gone: the refresh result drops it from state.
        };
        let change = ResourceChange {
            reason,
            ..ResourceChange::new(
                inst.clone(),
                state.provider.clone(),
                Action::Delete,
                Some(prior),
                None,
            )
        };
        self.record(PlannedChange {
            prior_dependencies: state.dependencies.clone(),
            create_before_destroy: state.create_before_destroy,
            ..PlannedChange::new(change)
        });
        Ok(())
    }

    /// Instances in state that the walk did not plan: their resource block or their module
    /// instance is gone from the configuration.
    pub(super) async fn plan_removed_resources(&self) {
        let handled = locked(&self.handled).clone();
        let removed: Vec<&InstanceAddr> = self
            .prior
            .resources
            .keys()
            .filter(|a| !handled.contains(*a))
            .collect();
        let forgotten: Vec<InstanceAddr> = removed
            .iter()
            .filter(|inst| self.is_forgotten(inst))
            .map(|inst| (*inst).clone())
            .collect();
        self.run
            .report(crate::removed::forgotten_warning(&forgotten));
        let forgotten = &forgotten;
        let results = futures::future::join_all(removed.into_iter().map(|inst| {
            let planned = async move {
                match inst.resource.kind {
                    ResourceKind::Managed if forgotten.contains(inst) => {
                        self.plan_forget(inst);
                        Ok(())
                    }
                    ResourceKind::Managed => {
                        let reason = self.removal_reason(inst);
                        self.plan_delete(inst, reason, None).await
                    }
                    ResourceKind::Data => {
                        self.forget(inst);
                        Ok(())
                    }
                }
            };
            // Outside the walker, so a panic (a provider's bug) is caught here: the plan
            // fails naming the instance, as a panicking step of the walk does.
            AssertUnwindSafe(planned).catch_unwind().map(move |result| {
                result.unwrap_or_else(|_| Err(crate::walk::panic_error(&inst.to_string())))
            })
        }))
        .await;
        for result in results {
            if let Err(d) = result {
                self.run.report(d);
            }
        }
    }

    /// Whether a `removed` block with `destroy = false` names an instance the walk did not
    /// plan (a `destroy` run destroys everything, as asked).
    fn is_forgotten(&self, inst: &InstanceAddr) -> bool {
        let root = self.run.module();
        let forget = crate::removed::naming(root, inst).is_some_and(|r| !r.destroy);
        forget && !self.run.options().destroy && self.is_selected(inst)
    }

    /// Plans dropping an instance from state, leaving its object as it is (not refreshed:
    /// nothing is asked of its provider).
    fn plan_forget(&self, inst: &InstanceAddr) {
        let Some(state) = self.prior.resources.get(inst) else {
            return;
        };
        let change = ResourceChange::new(
            inst.clone(),
            state.provider.clone(),
            Action::Forget,
            Some(state.value()),
            None,
        );
        self.record(PlannedChange::new(change));
    }

    /// Why an instance the walk did not plan goes: none for `destroy`, else its block or its
    /// module instance is gone.
    fn removal_reason(&self, inst: &InstanceAddr) -> Option<ActionReason> {
        if self.run.options().destroy {
            return None;
        }
        let declared = self
            .run
            .module()
            .at(&inst.module.path())
            .is_some_and(|m| m.resources.contains_key(&inst.resource));
        Some(if declared {
            ActionReason::NoModuleInstance
        } else {
            ActionReason::NoResourceConfig
        })
    }

    /// The deposed objects a create-before-destroy left behind, each planned for destruction
    /// (ordered as the destroy half of a create-before-destroy: after what used it moved to
    /// the replacement, before what it used goes).
    pub(super) fn deposed_destroys(&self) -> Vec<PlannedChange> {
        self.prior
            .deposed
            .iter()
            .filter(|d| self.is_selected(&d.object.addr))
            .map(|d| {
                let object = &d.object;
                let change = ResourceChange {
                    deposed: Some(d.key.clone()),
                    ..ResourceChange::new(
                        object.addr.clone(),
                        object.provider.clone(),
                        Action::Delete,
                        Some(object.value()),
                        None,
                    )
                };
                PlannedChange {
                    prior_dependencies: object.dependencies.clone(),
                    create_before_destroy: object.create_before_destroy,
                    ..PlannedChange::new(change)
                }
            })
            .collect()
    }
}
