//! The instances of one resource block: expanded, each planned by its kind, and those the
//! configuration no longer has planned for destruction. Also what every instance's plan
//! shares: refreshing from the provider and the checked configuration.

use super::imports::{ImportTarget, imports_in};
use super::{PlannedChange, Planner};
use crate::address::{
    ConfigResource, InstanceAddr, InstanceKey, ModuleInstance, ModulePath, ProviderAddr,
    ResourceAddr,
};
use crate::conditions::Kind;
use crate::config::Resource;
use crate::events::Event;
use crate::lang::references::{Referent, references};
use crate::locks::locked;
use crate::plan::{Action, ActionReason, ResourceChange};
use crate::providers::ResourceProvider;
use crate::run::Instances;
use crate::scope::{Expansion, InstanceContext};
use ggplan_sdk::{Diagnostic, Diagnostics, ResourceKind, Value};
use std::collections::HashSet;

/// One instance of a resource being planned, with what its plan needs.
pub(super) struct Instance<'a> {
    pub resource: &'a Resource,
    pub provider: &'a ResourceProvider<'a>,
    pub addr: InstanceAddr,
    pub context: InstanceContext,
    pub expansion: Expansion,
}

impl Instance<'_> {
    /// A change of this instance, with what apply re-evaluates it with.
    pub fn change(&self, action: Action, before: Option<Value>, after: Value) -> PlannedChange {
        let change = ResourceChange {
            planned_without_provider: self.provider.is_deferred(),
            ..ResourceChange::new(
                self.addr.clone(),
                self.resource.provider.clone(),
                action,
                before,
                Some(after),
            )
        };
        PlannedChange {
            context: self.context.clone(),
            expansion: self.expansion,
            create_before_destroy: self.resource.lifecycle.create_before_destroy,
            ..PlannedChange::new(change)
        }
    }
}

impl Planner {
    /// Plans a resource block in every instance of its module.
    pub(super) async fn resource(
        &self,
        node: usize,
        path: &ModulePath,
        addr: &ResourceAddr,
    ) -> Result<(), Diagnostics> {
        let resource = self
            .run
            .config_at(path)?
            .resources
            .get(addr)
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(format!("{addr} is not declared"), ""))
            })?;
        let importing = addr.kind == ResourceKind::Managed && !self.run.options().destroy;
        let imports = match importing && self.run.in_target(node) {
            true => self.import_targets(path, resource)?,
            false => Vec::new(),
        };
        let mut diags = Diagnostics::new();
        for (module, _) in self.run.instances_of(path) {
            if let Err(d) = self.resource_in(node, &module, resource, &imports).await {
                diags.extend(d);
            }
        }
        diags.into_result(())
    }

    /// Plans one resource in one module instance.
    async fn resource_in(
        &self,
        node: usize,
        module: &ModuleInstance,
        resource: &Resource,
        imports: &[ImportTarget<'_>],
    ) -> Result<(), Diagnostics> {
        let addr = &resource.addr;
        let prior_instances = self.prior_instances(module, addr);
        if self.run.options().destroy {
            self.expose_prior(module, resource, &prior_instances);
            return self.destroy_all(resource, &prior_instances).await;
        }
        if !self.run.in_target(node) {
            self.expose_prior(module, resource, &prior_instances);
            return Ok(());
        }
        let (expansion, instances) = self
            .run
            .expand(&resource.repetition, module, "resource")
            .map_err(Diagnostics::from)?;
        self.run.reset_resource(module, addr, expansion);
        let provider = self
            .run
            .providers()
            .for_resource(&resource.provider, addr)?;
        let keys: HashSet<Option<InstanceKey>> = instances.iter().map(|(k, _)| k.clone()).collect();
        let importing = imports_in(imports, module, &keys)?;
        locked(&self.imports).extend(importing);
        let mut diags = self
            .plan_instances(module, resource, &provider, expansion, instances)
            .await;
        for inst in prior_instances.iter().filter(|i| !keys.contains(&i.key)) {
            if let Err(d) = self.plan_gone_instance(resource, expansion, inst).await {
                diags.extend(d);
            }
        }
        diags.into_result(())
    }

    /// The instances of `addr` in `module` that state has, now handled by this walk.
    fn prior_instances(&self, module: &ModuleInstance, addr: &ResourceAddr) -> Vec<InstanceAddr> {
        let key = (module.clone(), addr.clone());
        let instances = self
            .prior_by_resource
            .get(&key)
            .cloned()
            .unwrap_or_default();
        for inst in &instances {
            self.mark_handled(inst);
        }
        instances
    }

    /// Plans every instance concurrently; each plan's value becomes visible to expressions.
    async fn plan_instances(
        &self,
        module: &ModuleInstance,
        resource: &Resource,
        provider: &ResourceProvider<'_>,
        expansion: Expansion,
        instances: Instances,
    ) -> Diagnostics {
        let dependencies_pending = self.dependencies_pending(&module.path(), resource);
        let planned = futures::future::join_all(instances.into_iter().map(|(key, context)| {
            let inst = Instance {
                resource,
                provider,
                addr: resource.addr.instance_in(module, key),
                context,
                expansion,
            };
            async move {
                // Interrupted: not planned (the plan fails as interrupted).
                let Some(_slot) = self.run.slot().await else {
                    return Ok(None);
                };
                self.plan_instance(&inst, dependencies_pending).await
            }
        }))
        .await;
        let mut diags = Diagnostics::new();
        for result in planned {
            match result {
                Ok(Some(change)) => {
                    if let Some(after) = &change.change.after {
                        self.run
                            .set_instance(&change.change.addr, expansion, after.clone());
                    }
                    self.record(change);
                }
                Ok(None) => {}
                Err(d) => diags.extend(d),
            }
        }
        diags
    }

    /// One instance, by its kind, between its preconditions and its postconditions (with
    /// `self` the planned object). A condition not known yet is checked again during apply.
    async fn plan_instance(
        &self,
        inst: &Instance<'_>,
        dependencies_pending: bool,
    ) -> Result<Option<PlannedChange>, Diagnostics> {
        let lifecycle = &inst.resource.lifecycle;
        let module = &inst.addr.module;
        if self.is_selected(&inst.addr) {
            let pre = &lifecycle.preconditions;
            self.run
                .check(pre, Kind::ResourcePrecondition, module, &inst.context)?;
        }
        let planned = match inst.resource.addr.kind {
            ResourceKind::Managed => self.plan_managed(inst).await?,
            ResourceKind::Data => self.plan_data(inst, dependencies_pending).await?,
        };
        if let Some(after) = planned.as_ref().and_then(|p| p.change.after.clone()) {
            let context = InstanceContext {
                this: Some(after),
                ..inst.context.clone()
            };
            let post = &lifecycle.postconditions;
            self.run
                .check(post, Kind::ResourcePostcondition, module, &context)?;
        }
        Ok(planned)
    }

    /// As in Terraform, a data source whose configuration is known waits for apply only
    /// when something in its depends_on has changes pending: a reference defers the read only
    /// through the unknown values it brings.
    fn dependencies_pending(&self, path: &ModulePath, resource: &Resource) -> bool {
        if resource.addr.kind != ResourceKind::Data {
            return false;
        }
        let pending = locked(&self.pending).clone();
        resource
            .depends_on
            .iter()
            .flat_map(references)
            .any(|r| match r.referent() {
                Ok(Referent::Resource(resource)) => pending.contains(&ConfigResource {
                    module: path.clone(),
                    resource,
                }),
                _ => false,
            })
    }

    /// An instance in state that the configuration no longer has (its key is gone).
    async fn plan_gone_instance(
        &self,
        resource: &Resource,
        expansion: Expansion,
        inst: &InstanceAddr,
    ) -> Result<(), Diagnostics> {
        let reason = match (expansion, &inst.key) {
            (Expansion::Count, Some(InstanceKey::Int(_))) => ActionReason::CountIndexOutOfRange,
            (Expansion::ForEach, Some(InstanceKey::Str(_))) => ActionReason::EachKeyGone,
            _ => ActionReason::WrongRepetition,
        };
        match resource.addr.kind {
            ResourceKind::Managed => self.plan_delete(inst, Some(reason), Some(resource)).await,
            ResourceKind::Data => {
                self.forget(inst);
                Ok(())
            }
        }
    }

    /// `destroy`: every instance in state of the resource is planned for destruction.
    async fn destroy_all(
        &self,
        resource: &Resource,
        prior_instances: &[InstanceAddr],
    ) -> Result<(), Diagnostics> {
        for inst in prior_instances {
            match resource.addr.kind {
                ResourceKind::Managed => self.plan_delete(inst, None, Some(resource)).await?,
                ResourceKind::Data => self.forget(inst),
            }
        }
        Ok(())
    }

    /// Makes the prior values of a resource's instances visible to expressions, for resources
    /// the plan does not evaluate (`--target`, `destroy`).
    fn expose_prior(
        &self,
        module: &ModuleInstance,
        resource: &Resource,
        prior_instances: &[InstanceAddr],
    ) {
        let values = prior_instances
            .iter()
            .filter_map(|addr| Some((addr.clone(), self.prior.instance_value(addr)?)));
        self.run.expose_instances(
            module,
            &resource.addr,
            Expansion::of(&resource.repetition),
            values,
        );
    }

    /// Refreshes one instance from its provider; records a difference from state. An object
    /// whose provider waits for the apply can be neither refreshed nor planned.
    pub(super) async fn refresh(
        &self,
        provider: &ResourceProvider<'_>,
        inst: &InstanceAddr,
        prior: Value,
    ) -> Result<Option<Value>, Diagnostics> {
        if provider.is_deferred() {
            return Err(exists_under_deferred_provider(inst, provider.addr()));
        }
        if !self.run.options().refresh {
            return Ok(Some(prior));
        }
        self.run.emit(Event::Refreshing {
            addr: inst.clone(),
            id: Event::id_of(&prior),
        });
        let refreshed = provider.read(inst, &prior).await?;
        self.run.emit(Event::Refreshed {
            addr: inst.clone(),
            id: refreshed.as_ref().and_then(Event::id_of),
        });
        if refreshed.as_ref() != Some(&prior) {
            locked(&self.refreshed).insert(inst.clone(), refreshed.clone());
        }
        Ok(refreshed)
    }

    /// Diagnostics about an instance placed at the attribute they name in its block.
    pub(super) fn place(&self, inst: &Instance<'_>, diagnostics: Diagnostics) -> Diagnostics {
        let sources = &self.run.module().sources;
        inst.provider.place(inst.resource, diagnostics, sources)
    }

    /// An instance's configuration, evaluated and passed through the provider's own checks
    /// (Terraform's ValidateResourceConfig; values not yet known are the provider's to skip):
    /// errors stop the instance, warnings are reported with the plan.
    pub(super) fn checked_config(&self, inst: &Instance<'_>) -> Result<Value, Diagnostics> {
        let config = self.run.eval_config(
            &inst.resource.body,
            inst.provider.schema(),
            &inst.addr.module,
            &inst.context,
            &inst.addr.to_string(),
        )?;
        let placed = inst
            .provider
            .validate(inst.resource, &config, &self.run.module().sources);
        if placed.has_errors() {
            return Err(placed);
        }
        self.run.report(placed);
        Ok(config)
    }
}

/// Why an object in state cannot be planned while its provider waits for apply.
fn exists_under_deferred_provider(inst: &InstanceAddr, provider: &ProviderAddr) -> Diagnostics {
    Diagnostic::error(
        format!(
            "{inst} cannot be planned: provider \"{provider}\" is configured only during apply"
        ),
        format!(
            "{inst} exists, but the configuration of provider \"{provider}\" refers to values \
             known only after apply, so ggplan can neither refresh nor plan it. Apply what the \
             provider's configuration refers to first (ggplan apply --target=ADDRESS), then \
             plan again."
        ),
    )
    .into()
}
