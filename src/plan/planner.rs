//! Computing a plan: walk the graph, refresh each instance from its provider, evaluate its
//! configuration, and let the provider say what would change.

use super::{Action, ActionReason, OutputChange, Plan, ResourceChange};
use crate::address::{InstanceAddr, InstanceKey, ModuleInstance, ModulePath, ResourceAddr};
use crate::config::{Module, Repetition, Resource};
use crate::events::Event;
use crate::graph::Node;
use crate::lang::references::{Referent, references};
use crate::providers::ProviderInstance;
use crate::run::{Run, apply_ignore_changes};
use crate::scope::{Expansion, InstanceContext, ResourceValues};
use crate::state::State;
use crate::walk::{StopFlag, walk};
use ggplan_sdk::{Diagnostic, Diagnostics, ReadRequest, ResourceKind, Schema, Value, objchange};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A planned change with what apply needs to carry it out.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    pub change: ResourceChange,
    /// `count.index` / `each` for re-evaluating the configuration during apply.
    pub context: InstanceContext,
    pub expansion: Expansion,
    /// The instances it depended on when last applied (orders destroys).
    pub prior_dependencies: Vec<InstanceAddr>,
    pub create_before_destroy: bool,
    /// Planned from the configuration alone: its provider is configured only during apply,
    /// which plans it properly then (and does not hold that plan to this one).
    pub planned_without_provider: bool,
}

/// A plan and the run it came from, ready to be applied.
pub struct PlannedRun {
    pub run: Arc<Run>,
    pub prior: State,
    /// Instances whose refreshed value differs from state (`None`: gone), to record on apply.
    pub refreshed: BTreeMap<InstanceAddr, Option<Value>>,
    pub changes: Vec<PlannedChange>,
    pub plan: Plan,
    pub warnings: Diagnostics,
}

/// A resource in the configuration: the module it is declared in and its address there.
type ConfigResource = (ModulePath, ResourceAddr);

struct Planner {
    run: Arc<Run>,
    prior: State,
    prior_by_resource: HashMap<(ModuleInstance, ResourceAddr), Vec<InstanceAddr>>,
    /// The resources the targets depend on: planned whole, whatever keys the targets name.
    target_dependencies: HashSet<ConfigResource>,
    changes: Mutex<Vec<PlannedChange>>,
    refreshed: Mutex<BTreeMap<InstanceAddr, Option<Value>>>,
    /// Resources with a pending change: their dependents' data sources wait for apply.
    pending: Mutex<HashSet<ConfigResource>>,
    outputs: Mutex<Vec<OutputChange>>,
    /// Instances in state that the walk has planned (the rest are orphans of removed
    /// resources or module instances).
    handled: Mutex<HashSet<InstanceAddr>>,
}

/// Plans `run` against the prior state.
pub async fn plan(run: Arc<Run>, prior: State) -> Result<PlannedRun, Diagnostics> {
    let mut prior_by_resource: HashMap<(ModuleInstance, ResourceAddr), Vec<InstanceAddr>> =
        HashMap::new();
    for addr in prior.resources.keys() {
        prior_by_resource
            .entry((addr.module.clone(), addr.resource.clone()))
            .or_default()
            .push(addr.clone());
    }
    let unmatched: Vec<String> = run
        .options
        .targets
        .iter()
        .chain(&run.options.replace)
        .filter(|t| {
            let declared = run
                .module
                .at(&t.module.path())
                .is_some_and(|m| m.resources.contains_key(&t.resource));
            !declared
                && !prior
                    .resources
                    .keys()
                    .any(|a| a.resource == t.resource && a.module.path() == t.module.path())
        })
        .map(ToString::to_string)
        .collect();
    if !unmatched.is_empty() {
        return Err(Diagnostic::error(
            "Address matches nothing",
            format!(
                "{} is neither declared in the stack nor in the state. Check the spelling \
                 (`ggplan state list` shows the addresses in state).",
                unmatched.join(", ")
            ),
        )
        .into());
    }
    let target_dependencies = target_dependencies(&run);
    let planner = Arc::new(Planner {
        run: run.clone(),
        prior,
        prior_by_resource,
        target_dependencies,
        changes: Mutex::new(Vec::new()),
        refreshed: Mutex::new(BTreeMap::new()),
        pending: Mutex::new(HashSet::new()),
        outputs: Mutex::new(Vec::new()),
        handled: Mutex::new(HashSet::new()),
    });
    let outcome = walk(&run.graph.deps, &StopFlag::default(), |node| {
        let planner = planner.clone();
        async move { planner.visit(node).await }
    })
    .await;
    if outcome.is_complete() {
        planner.plan_removed_resources().await;
        planner.plan_removed_outputs();
    }
    let diags = run.take_diagnostics();
    if diags.has_errors() || !outcome.is_complete() {
        let mut diags = diags;
        if !diags.has_errors() {
            diags.push(Diagnostic::error(
                "Planning stopped",
                "Some steps did not run.",
            ));
        }
        return Err(diags);
    }
    let planner = Arc::into_inner(planner).ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Internal error",
            "planning tasks still running",
        ))
    })?;
    let deposed = planner.deposed_destroys();
    let mut changes = planner.changes.into_inner().unwrap_or_default();
    changes.sort_by(|a, b| a.change.addr.cmp(&b.change.addr));
    if !deposed.is_empty() {
        changes.extend(deposed);
        changes.sort_by(|a, b| {
            (&a.change.addr, &a.change.deposed).cmp(&(&b.change.addr, &b.change.deposed))
        });
    }
    let mut output_changes = planner.outputs.into_inner().unwrap_or_default();
    output_changes.sort_by(|a, b| a.name.cmp(&b.name));
    let plan = Plan {
        resource_changes: changes.iter().map(|c| c.change.clone()).collect(),
        output_changes,
    };
    Ok(PlannedRun {
        run,
        prior: planner.prior,
        refreshed: planner.refreshed.into_inner().unwrap_or_default(),
        changes,
        plan,
        warnings: diags,
    })
}

/// The resources the `--target`s depend on, directly or through others.
fn target_dependencies(run: &Run) -> HashSet<ConfigResource> {
    let graph = &run.graph;
    let mut stack: Vec<usize> = run
        .options
        .targets
        .iter()
        .filter_map(|t| graph.id(&Node::Resource(t.module.path(), t.resource.clone())))
        .flat_map(|n| graph.deps[n].iter().copied())
        .collect();
    let mut seen = HashSet::new();
    let mut found = HashSet::new();
    while let Some(n) = stack.pop() {
        if seen.insert(n) {
            if let Node::Resource(path, addr) = &graph.nodes[n] {
                found.insert((path.clone(), addr.clone()));
            }
            stack.extend(graph.deps[n].iter().copied());
        }
    }
    found
}

impl Planner {
    async fn visit(&self, node: usize) -> bool {
        let targeted_out = !self.run.in_target(node);
        let result = match self.run.graph.nodes[node].clone() {
            // Outside --target, only resources matter (their prior values stay visible).
            Node::Resource(path, addr) => self.resource(node, &path, &addr).await,
            _ if targeted_out => Ok(()),
            Node::Variable(path, name) => self.run.eval_module_variable(&path, &name),
            Node::Local(path, name) => self.run.eval_local(&path, &name),
            Node::ModuleCall(path, name) => self.run.expand_module_call(&path, &name),
            Node::Provider(key) => self.run.configure_provider(&key).await,
            Node::Output(path, name) if path.is_root() => self.output(&name),
            Node::Output(path, name) => {
                if self.run.options.destroy {
                    Ok(())
                } else {
                    self.run.eval_module_output(&path, &name)
                }
            }
        };
        match result {
            Ok(()) => true,
            Err(diags) => {
                self.run.report(diags);
                false
            }
        }
    }

    fn module(&self) -> &Module {
        &self.run.module
    }

    fn record(&self, change: PlannedChange) {
        let addr = &change.change.addr;
        if !matches!(change.change.action, Action::NoOp)
            && let Ok(mut pending) = self.pending.lock()
        {
            pending.insert((addr.module.path(), addr.resource.clone()));
        }
        self.mark_handled(addr);
        if let Ok(mut changes) = self.changes.lock() {
            changes.push(change);
        }
    }

    fn mark_handled(&self, addr: &InstanceAddr) {
        if let Ok(mut handled) = self.handled.lock() {
            handled.insert(addr.clone());
        }
    }

    fn set_scope(&self, addr: &InstanceAddr, expansion: Expansion, value: Value) {
        if let Ok(mut scope) = self.run.scope.write() {
            scope.set_instance(addr, expansion, value);
        }
    }

    /// Makes the prior values of a resource's instances visible to expressions, for resources
    /// the plan does not evaluate (`--target`, `destroy`).
    fn expose_prior(&self, module: &ModuleInstance, resource: &Resource) {
        let expansion = match resource.repetition {
            Repetition::Single => Expansion::Single,
            Repetition::Count(_) => Expansion::Count,
            Repetition::ForEach(_) => Expansion::ForEach,
        };
        let key = (module.clone(), resource.addr.clone());
        self.run.write_scope(|scope| {
            scope
                .module(module)
                .resources
                .entry(resource.addr.clone())
                .or_insert_with(|| ResourceValues::new(expansion));
            for addr in self.prior_by_resource.get(&key).into_iter().flatten() {
                if let Some(value) = self.prior.instance_value(addr) {
                    scope.set_instance(addr, expansion, value);
                }
            }
        });
    }

    async fn resource(
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
            .cloned()
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(format!("{addr} is not declared"), ""))
            })?;
        let mut diags = Diagnostics::new();
        for (module, _) in self.run.instances_of(path) {
            if let Err(d) = self.resource_in(node, &module, &resource).await {
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
    ) -> Result<(), Diagnostics> {
        let addr = &resource.addr;
        let prior_key = (module.clone(), addr.clone());
        let prior_instances = self
            .prior_by_resource
            .get(&prior_key)
            .cloned()
            .unwrap_or_default();
        for inst in &prior_instances {
            self.mark_handled(inst);
        }
        if self.run.options.destroy {
            self.expose_prior(module, resource);
            for inst in &prior_instances {
                match addr.kind {
                    ResourceKind::Managed => self.plan_delete(inst, None, Some(resource)).await?,
                    ResourceKind::Data => self.forget(inst),
                }
            }
            return Ok(());
        }
        if !self.run.in_target(node) {
            self.expose_prior(module, resource);
            return Ok(());
        }
        let (expansion, instances) = self
            .run
            .expand(&resource.repetition, module, "resource")
            .map_err(Diagnostics::from)?;
        self.run.write_scope(|scope| {
            scope
                .module(module)
                .resources
                .insert(addr.clone(), ResourceValues::new(expansion));
        });
        if let Ok(mut expansions) = self.run.expansions.lock() {
            expansions.insert(prior_key.clone(), instances.clone());
        }
        let (provider, schema) = self.run.resource_provider(addr, &resource.provider)?;
        let keys: HashSet<Option<InstanceKey>> = instances.iter().map(|(k, _)| k.clone()).collect();
        // As in Terraform, a data source whose configuration is known waits for apply only
        // when something in its depends_on has changes pending: a reference defers the read
        // only through the unknown values it brings.
        let path = module.path();
        let dependencies_pending = addr.kind == ResourceKind::Data
            && {
                let pending = self.pending.lock().map(|p| p.clone()).unwrap_or_default();
                resource.depends_on.iter().flat_map(references).any(|r| {
                    matches!(r.referent(), Ok(Referent::Resource(d)) if pending.contains(&(path.clone(), d.clone())))
                })
            };
        let planned = futures::future::join_all(instances.into_iter().map(|(key, ctx)| {
            let (provider, schema) = (&provider, &schema);
            async move {
                let inst = addr.instance_in(module, key);
                match addr.kind {
                    ResourceKind::Managed => {
                        self.plan_managed(resource, provider, schema, inst, ctx, expansion)
                            .await
                    }
                    ResourceKind::Data => {
                        self.plan_data(
                            resource,
                            provider,
                            schema,
                            inst,
                            ctx,
                            expansion,
                            dependencies_pending,
                        )
                        .await
                    }
                }
            }
        }))
        .await;
        let mut diags = Diagnostics::new();
        for result in planned {
            match result {
                Ok(Some(change)) => {
                    if let Some(after) = &change.change.after {
                        self.set_scope(&change.change.addr, expansion, after.clone());
                    }
                    self.record(change);
                }
                Ok(None) => {}
                Err(d) => diags.extend(d),
            }
        }
        // Instances in state that the configuration no longer has.
        for inst in &prior_instances {
            if keys.contains(&inst.key) {
                continue;
            }
            let reason = match (expansion, &inst.key) {
                (Expansion::Count, Some(InstanceKey::Int(_))) => ActionReason::CountIndexOutOfRange,
                (Expansion::ForEach, Some(InstanceKey::Str(_))) => ActionReason::EachKeyGone,
                _ => ActionReason::WrongRepetition,
            };
            match addr.kind {
                ResourceKind::Managed => {
                    if let Err(d) = self.plan_delete(inst, Some(reason), Some(resource)).await {
                        diags.extend(d);
                    }
                }
                ResourceKind::Data => self.forget(inst),
            }
        }
        diags.into_result(())
    }

    fn forget(&self, inst: &InstanceAddr) {
        if let Ok(mut refreshed) = self.refreshed.lock() {
            refreshed.insert(inst.clone(), None);
        }
    }

    /// The deposed objects a create-before-destroy left behind, each planned for destruction
    /// (ordered as the destroy half of a create-before-destroy: after what used it moved to
    /// the replacement, before what it used goes).
    fn deposed_destroys(&self) -> Vec<PlannedChange> {
        self.prior
            .deposed
            .iter()
            .filter(|d| self.is_selected(&d.object.addr))
            .map(|d| PlannedChange {
                change: ResourceChange {
                    addr: d.object.addr.clone(),
                    provider: d.object.provider.clone(),
                    action: Action::Delete,
                    before: Some(d.object.value()),
                    after: None,
                    replace_paths: Vec::new(),
                    reason: None,
                    deposed: Some(d.key.clone()),
                },
                context: InstanceContext::default(),
                expansion: Expansion::Single,
                prior_dependencies: d.object.dependencies.clone(),
                create_before_destroy: d.object.create_before_destroy,
                planned_without_provider: false,
            })
            .collect()
    }

    fn is_selected(&self, inst: &InstanceAddr) -> bool {
        let targets = &self.run.options.targets;
        targets.is_empty()
            || self
                .target_dependencies
                .contains(&(inst.module.path(), inst.resource.clone()))
            || targets.iter().any(|t| {
                t.resource == inst.resource
                    && module_matches(&t.module, &inst.module)
                    && (t.key.is_none() || t.key == inst.key)
            })
    }

    /// Refreshes one instance; records a difference from state.
    async fn refresh(
        &self,
        provider: &ProviderInstance,
        schema: &Schema,
        inst: &InstanceAddr,
        prior: Value,
    ) -> Result<Option<Value>, Diagnostics> {
        if !self.run.options.refresh {
            return Ok(Some(prior));
        }
        self.run.events.emit(Event::Refreshing {
            addr: inst.clone(),
            id: prior.get("id").as_str().map(str::to_string),
        });
        let (plain, mut marks) = prior.clone().unmark_deep();
        let read = {
            let _permit = self.run.limit.acquire().await;
            provider
                .provider
                .read(ReadRequest {
                    type_name: &inst.resource.type_name,
                    state: &plain,
                })
                .await
        }
        .map_err(|d| with_context(d, inst, "refreshing"))?;
        let refreshed = read.map(|v| {
            marks.extend(schema.sensitive_paths(&v));
            v.mark_paths(&marks)
        });
        if refreshed.as_ref() != Some(&prior)
            && let Ok(mut r) = self.refreshed.lock()
        {
            r.insert(inst.clone(), refreshed.clone());
        }
        Ok(refreshed)
    }

    /// An instance's configuration, evaluated and passed through the provider's own checks
    /// (Terraform's ValidateResourceConfig; values not yet known are the provider's to skip):
    /// errors stop the instance, warnings are reported with the plan.
    fn checked_config(
        &self,
        resource: &Resource,
        provider: &ProviderInstance,
        schema: &Schema,
        inst: &InstanceAddr,
        ctx: &InstanceContext,
    ) -> Result<Value, Diagnostics> {
        let config =
            self.run
                .eval_config(&resource.body, schema, &inst.module, ctx, &inst.to_string())?;
        let placed = provider.validate_resource(resource, &config, &self.run.module.sources);
        if placed.has_errors() {
            return Err(placed);
        }
        self.run.report(placed);
        Ok(config)
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_data(
        &self,
        resource: &Resource,
        provider: &ProviderInstance,
        schema: &Schema,
        inst: InstanceAddr,
        ctx: InstanceContext,
        expansion: Expansion,
        dependencies_pending: bool,
    ) -> Result<Option<PlannedChange>, Diagnostics> {
        let config = self.checked_config(resource, provider, schema, &inst, &ctx)?;
        let before = self.prior.instance_value(&inst);
        let (plain, mut marks) = config.clone().unmark_deep();
        let deferred = self.run.is_deferred(&resource.provider);
        let (action, after, reason) =
            if config.is_wholly_known() && !dependencies_pending && !deferred {
                let value = {
                    let _permit = self.run.limit.acquire().await;
                    provider
                        .provider
                        .read_data(&inst.resource.type_name, &plain)
                        .await
                        .map_err(|d| with_context(d, &inst, "reading"))?
                };
                marks.extend(schema.sensitive_paths(&value));
                (Action::NoOp, value.mark_paths(&marks), None)
            } else {
                let planned = objchange::proposed_new(schema, None, &plain).mark_paths(&marks);
                // A provider configured only during apply counts as configuration not yet known.
                let reason = if config.is_wholly_known() && !deferred {
                    ActionReason::ReadBecauseDependencyPending
                } else {
                    ActionReason::ReadBecauseConfigUnknown
                };
                (Action::Read, planned, Some(reason))
            };
        Ok(Some(PlannedChange {
            change: ResourceChange {
                addr: inst,
                provider: resource.provider.clone(),
                action,
                before,
                after: Some(after),
                replace_paths: Vec::new(),
                reason,
                deposed: None,
            },
            context: ctx,
            expansion,
            prior_dependencies: Vec::new(),
            create_before_destroy: false,
            planned_without_provider: deferred,
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_managed(
        &self,
        resource: &Resource,
        provider: &ProviderInstance,
        schema: &Schema,
        inst: InstanceAddr,
        ctx: InstanceContext,
        expansion: Expansion,
    ) -> Result<Option<PlannedChange>, Diagnostics> {
        let deferred = self.run.is_deferred(&resource.provider);
        if deferred && self.prior.resources.contains_key(&inst) {
            return Err(exists_under_deferred_provider(&inst, &resource.provider));
        }
        let prior = match self.prior.instance_value(&inst) {
            Some(value) => self.refresh(provider, schema, &inst, value).await?,
            None => None,
        };
        if !self.is_selected(&inst) {
            // Outside --target: unchanged, but visible to expressions.
            return Ok(prior.map(|p| self.unchanged(resource, inst, ctx, expansion, p)));
        }
        let config = self.checked_config(resource, provider, schema, &inst, &ctx)?;
        let type_name = &inst.resource.type_name;
        let cbd = resource.lifecycle.create_before_destroy;
        let planned_change = |action, before, after, replace_paths, reason| PlannedChange {
            change: ResourceChange {
                addr: inst.clone(),
                provider: resource.provider.clone(),
                action,
                before,
                after: Some(after),
                replace_paths,
                reason,
                deposed: None,
            },
            context: ctx.clone(),
            expansion,
            prior_dependencies: self.prior_dependencies(&inst),
            create_before_destroy: cbd,
            planned_without_provider: deferred,
        };
        let Some(prior) = prior else {
            let planned = if deferred {
                self.run.plan_without_provider(schema, &config)
            } else {
                self.run
                    .plan_instance(provider, schema, type_name, None, &config)
                    .await
                    .map_err(|d| with_context(d, &inst, "planning"))?
                    .0
            };
            return Ok(Some(planned_change(
                Action::Create,
                None,
                planned,
                Vec::new(),
                None,
            )));
        };
        let config =
            apply_ignore_changes(config, &prior, &resource.lifecycle.ignore_changes, schema);
        let (planned, replace_paths) = self
            .run
            .plan_instance(provider, schema, type_name, Some(&prior), &config)
            .await
            .map_err(|d| with_context(d, &inst, "planning"))?;
        let requested = self.run.options.replace.contains(&inst);
        let triggered = self.replace_triggered(resource, &inst.module, &ctx)?;
        if requested || triggered || !replace_paths.is_empty() {
            if resource.lifecycle.prevent_destroy {
                return Err(prevent_destroy_error(resource, &inst));
            }
            let (planned, _) = self
                .run
                .plan_instance(provider, schema, type_name, None, &config)
                .await
                .map_err(|d| with_context(d, &inst, "planning"))?;
            let action = if cbd {
                Action::CreateThenDelete
            } else {
                Action::DeleteThenCreate
            };
            let reason = if requested || triggered {
                ActionReason::ReplaceByRequest
            } else {
                ActionReason::ReplaceBecauseCannotUpdate
            };
            return Ok(Some(planned_change(
                action,
                Some(prior),
                planned,
                replace_paths,
                Some(reason),
            )));
        }
        let unchanged = planned.clone().unmark_deep().0 == prior.clone().unmark_deep().0;
        let action = if unchanged {
            Action::NoOp
        } else {
            Action::Update
        };
        Ok(Some(planned_change(
            action,
            Some(prior),
            planned,
            Vec::new(),
            None,
        )))
    }

    fn unchanged(
        &self,
        resource: &Resource,
        inst: InstanceAddr,
        ctx: InstanceContext,
        expansion: Expansion,
        prior: Value,
    ) -> PlannedChange {
        PlannedChange {
            change: ResourceChange {
                addr: inst.clone(),
                provider: resource.provider.clone(),
                action: Action::NoOp,
                before: Some(prior.clone()),
                after: Some(prior),
                replace_paths: Vec::new(),
                reason: None,
                deposed: None,
            },
            context: ctx,
            expansion,
            prior_dependencies: self.prior_dependencies(&inst),
            create_before_destroy: resource.lifecycle.create_before_destroy,
            planned_without_provider: false,
        }
    }

    fn prior_dependencies(&self, inst: &InstanceAddr) -> Vec<InstanceAddr> {
        self.prior
            .resources
            .get(inst)
            .map(|s| s.dependencies.clone())
            .unwrap_or_default()
    }

    /// Whether a resource named in `replace_triggered_by` has a change planned.
    fn replace_triggered(
        &self,
        resource: &Resource,
        module: &ModuleInstance,
        ctx: &InstanceContext,
    ) -> Result<bool, Diagnostics> {
        for expr in &resource.lifecycle.replace_triggered_by {
            // Evaluating checks the reference; the trigger is the referenced instance changing.
            self.run.eval(expr, module, ctx)?;
            for r in references(expr) {
                if let Ok(Referent::Resource(addr)) = r.referent()
                    && self.has_change(module, &addr)
                {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Whether an instance of `resource` in `module` has a change planned so far. (Looked up
    /// only for `replace_triggered_by`: collecting the changed addresses for every instance
    /// made a plan quadratic in its number of instances.)
    fn has_change(&self, module: &ModuleInstance, resource: &ResourceAddr) -> bool {
        self.changes.lock().is_ok_and(|changes| {
            changes.iter().any(|c| {
                c.change.addr.resource == *resource
                    && c.change.addr.module == *module
                    && !matches!(c.change.action, Action::NoOp | Action::Read)
            })
        })
    }

    async fn plan_delete(
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
        if self.run.is_deferred(&state.provider) {
            return Err(exists_under_deferred_provider(inst, &state.provider));
        }
        let (provider, schema) = self
            .run
            .resource_provider(&inst.resource, &state.provider)?;
        let prior = state.value();
        let Some(prior) = self.refresh(&provider, &schema, inst, prior).await? else {
            return Ok(()); // Already gone: the refresh result drops it from state.
        };
        self.record(PlannedChange {
            change: ResourceChange {
                addr: inst.clone(),
                provider: state.provider.clone(),
                action: Action::Delete,
                before: Some(prior),
                after: None,
                replace_paths: Vec::new(),
                reason,
                deposed: None,
            },
            context: InstanceContext::default(),
            expansion: Expansion::Single,
            prior_dependencies: state.dependencies.clone(),
            create_before_destroy: state.create_before_destroy,
            planned_without_provider: false,
        });
        Ok(())
    }

    /// Instances in state that the walk did not plan: their resource block or their module
    /// instance is gone from the configuration.
    async fn plan_removed_resources(&self) {
        let handled = self.handled.lock().map(|h| h.clone()).unwrap_or_default();
        let removed: Vec<InstanceAddr> = self
            .prior
            .resources
            .keys()
            .filter(|a| !handled.contains(*a))
            .cloned()
            .collect();
        let root = self.module();
        let results = futures::future::join_all(removed.iter().map(|inst| async move {
            match inst.resource.kind {
                ResourceKind::Managed => {
                    let declared = root
                        .at(&inst.module.path())
                        .is_some_and(|m| m.resources.contains_key(&inst.resource));
                    let reason = if self.run.options.destroy {
                        None
                    } else if declared {
                        Some(ActionReason::NoModuleInstance)
                    } else {
                        Some(ActionReason::NoResourceConfig)
                    };
                    self.plan_delete(inst, reason, None).await
                }
                ResourceKind::Data => {
                    self.forget(inst);
                    Ok(())
                }
            }
        }))
        .await;
        for result in results {
            if let Err(d) = result {
                self.run.report(d);
            }
        }
    }

    fn output(&self, name: &str) -> Result<(), Diagnostics> {
        let output = &self.module().outputs[name];
        let before = self.prior.outputs.get(name).map(|o| {
            let v = Value::from_json(&o.value);
            if o.sensitive { v.into_sensitive() } else { v }
        });
        if self.run.options.destroy {
            if before.is_some() {
                self.push_output(name, Action::Delete, before, None, output.sensitive);
            }
            return Ok(());
        }
        if self.run.targeted.is_some() {
            return Ok(());
        }
        let value = self.run.eval(
            &output.value,
            &ModuleInstance::root(),
            &InstanceContext::default(),
        )?;
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
        if let Ok(mut outputs) = self.outputs.lock() {
            outputs.push(OutputChange {
                name: name.to_string(),
                action,
                before,
                after,
                sensitive,
            });
        }
    }

    /// Outputs in state that the configuration no longer declares.
    fn plan_removed_outputs(&self) {
        if self.run.targeted.is_some() {
            return;
        }
        let declared: BTreeSet<&String> = self.module().outputs.keys().collect();
        for (name, o) in &self.prior.outputs {
            if !declared.contains(name) {
                let v = Value::from_json(&o.value);
                let before = if o.sensitive { v.into_sensitive() } else { v };
                self.push_output(name, Action::Delete, Some(before), None, o.sensitive);
            }
        }
    }
}

/// Whether a target's module instance selects `inst`: the same calls, and the same keys
/// where the target gives one (`module.app.x` selects every instance of module.app).
fn module_matches(target: &ModuleInstance, inst: &ModuleInstance) -> bool {
    target.0.len() == inst.0.len()
        && target
            .0
            .iter()
            .zip(&inst.0)
            .all(|((tn, tk), (n, k))| tn == n && (tk.is_none() || tk == k))
}

fn prevent_destroy_error(resource: &Resource, inst: &InstanceAddr) -> Diagnostics {
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

/// Why an object in state cannot be planned while its provider waits for apply.
fn exists_under_deferred_provider(inst: &InstanceAddr, provider: &str) -> Diagnostics {
    Diagnostic::error(
        format!("{inst} cannot be planned: provider {provider:?} is configured only during apply"),
        format!(
            "{inst} exists, but the configuration of provider {provider:?} refers to values \
             known only after apply, so ggplan can neither refresh nor plan it. Apply what the \
             provider's configuration refers to first (ggplan apply --target=ADDRESS), then \
             plan again."
        ),
    )
    .into()
}

/// Prefixes provider diagnostics with the instance they are about.
pub fn with_context(diags: Diagnostics, inst: &InstanceAddr, doing: &str) -> Diagnostics {
    Diagnostics(
        diags
            .0
            .into_iter()
            .map(|mut d| {
                d.summary = format!("{inst}: {} (while {doing})", d.summary);
                d
            })
            .collect(),
    )
}
