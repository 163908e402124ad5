//! One managed instance: refreshed, then planned as a create, an update, a replacement or
//! no change.

use super::resources::Instance;
use super::{PlannedChange, Planner};
use crate::address::InstanceAddr;
use crate::config::Resource;
use crate::locks::locked;
use crate::plan::{Action, ActionReason};
use crate::providers::Planned;
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, Value, objchange};

impl Planner {
    /// Plans one managed instance; `None` when it neither exists nor is selected.
    pub(super) async fn plan_managed(
        &self,
        inst: &Instance<'_>,
    ) -> Result<Option<PlannedChange>, Diagnostics> {
        let importing = self.importing(&inst.addr);
        let prior = match (self.prior.instance_value(&inst.addr), &importing) {
            (Some(value), _) => self
                .refresh(inst.provider, &inst.addr, value)
                .await
                .map_err(|d| self.place(inst, d))?,
            (None, Some(id)) => Some(inst.provider.import(&inst.addr, id).await?),
            (None, None) => None,
        };
        let change = if !self.is_selected(&inst.addr) {
            // Outside --target: unchanged, but visible to expressions.
            let Some(prior) = prior else {
                return Ok(None);
            };
            self.unchanged(inst, prior)
        } else {
            let config = self.checked_config(inst)?;
            let prior = match prior {
                None => self.find_unfinished(inst, &config).await?,
                known => known,
            };
            match prior {
                None => self.plan_create(inst, &config).await?,
                Some(prior) => self.plan_change(inst, prior, config).await?,
            }
        };
        let mut change = PlannedChange {
            prior_dependencies: self.prior_dependencies(&inst.addr),
            ..change
        };
        change.change.importing = importing;
        Ok(Some(change))
    }

    /// The id to import at `addr` when an `import` block names it and state has no object
    /// there (with one, the block has nothing to do, as in Terraform); never outside
    /// `--target`.
    fn importing(&self, addr: &InstanceAddr) -> Option<String> {
        if self.prior.resources.contains_key(addr) || !self.is_selected(addr) {
            return None;
        }
        locked(&self.imports).get(addr).cloned()
    }

    /// A new object: planned by the provider, or from the configuration alone while the
    /// provider waits for the apply.
    async fn plan_create(
        &self,
        inst: &Instance<'_>,
        config: &Value,
    ) -> Result<PlannedChange, Diagnostics> {
        let planned = if inst.provider.is_deferred() {
            objchange::mark_copies(inst.provider.proposed_from_config(config), config)
        } else {
            let planned = inst
                .provider
                .plan(&inst.addr, None, config)
                .await
                .map_err(|d| self.place(inst, d))?;
            self.run.report(planned.warnings);
            planned.value
        };
        Ok(inst.change(Action::Create, None, planned))
    }

    /// An existing object: no change, an update, or a replacement when the provider (or
    /// `--replace`, or `replace_triggered_by`) says so.
    async fn plan_change(
        &self,
        inst: &Instance<'_>,
        prior: Value,
        config: Value,
    ) -> Result<PlannedChange, Diagnostics> {
        let lifecycle = &inst.resource.lifecycle;
        let config = lifecycle
            .ignore_changes
            .keep_prior(config, &prior, inst.provider.schema());
        let Planned {
            value,
            replace_paths,
            warnings,
        } = inst
            .provider
            .plan(&inst.addr, Some(&prior), &config)
            .await
            .map_err(|d| self.place(inst, d))?;
        let requested = if self.run.options().replace.contains(&inst.addr) {
            Some(ActionReason::ReplaceByRequest)
        } else if self
            .prior
            .resources
            .get(&inst.addr)
            .is_some_and(|s| s.tainted)
        {
            Some(ActionReason::ReplaceBecauseTainted)
        } else if self.replace_triggered(inst)? {
            Some(ActionReason::ReplaceByTriggers)
        } else {
            None
        };
        if requested.is_some() || !replace_paths.is_empty() {
            // The replacement's own plan has the warnings that matter.
            return self
                .plan_replace(inst, prior, &config, replace_paths, requested)
                .await;
        }
        self.run.report(warnings);
        let unchanged = value.eq_unmarked(&prior);
        let action = if unchanged {
            Action::NoOp
        } else {
            Action::Update
        };
        Ok(inst.change(action, Some(prior), value))
    }

    /// A replacement: the new object planned as a create, the old one destroyed before or
    /// after it (`create_before_destroy`).
    async fn plan_replace(
        &self,
        inst: &Instance<'_>,
        prior: Value,
        config: &Value,
        replace_paths: Vec<AttrPath>,
        requested: Option<ActionReason>,
    ) -> Result<PlannedChange, Diagnostics> {
        if inst.resource.lifecycle.prevent_destroy {
            return Err(prevent_destroy_error(inst.resource, &inst.addr));
        }
        let planned = inst
            .provider
            .plan(&inst.addr, None, config)
            .await
            .map_err(|d| self.place(inst, d))?;
        self.run.report(planned.warnings);
        let action = if inst.resource.lifecycle.create_before_destroy {
            Action::CreateThenDelete
        } else {
            Action::DeleteThenCreate
        };
        let reason = requested.unwrap_or(ActionReason::ReplaceBecauseCannotUpdate);
        let mut change = inst.change(action, Some(prior), planned.value);
        change.change.replace_paths = replace_paths;
        change.change.reason = Some(reason);
        Ok(change)
    }

    /// An instance outside `--target`: it stays as it is.
    fn unchanged(&self, inst: &Instance<'_>, prior: Value) -> PlannedChange {
        let mut change = inst.change(Action::NoOp, Some(prior.clone()), prior);
        change.change.planned_without_provider = false;
        change
    }

    pub(super) fn prior_dependencies(&self, inst: &InstanceAddr) -> Vec<InstanceAddr> {
        self.prior
            .resources
            .get(inst)
            .map(|s| s.dependencies.clone())
            .unwrap_or_default()
    }
}

pub(super) fn prevent_destroy_error(resource: &Resource, inst: &InstanceAddr) -> Diagnostics {
    Diagnostic::error(
        "Instance cannot be destroyed",
        format!(
            "{inst} has lifecycle.prevent_destroy set, but the plan calls for it to be destroyed. \
             To continue, remove prevent_destroy or narrow the plan with --target."
        ),
    )
    .at_range(Some(resource.range.clone()))
    .into()
}
