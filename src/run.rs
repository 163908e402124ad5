//! One run over a stack (a plan, then maybe its apply): the configuration, graph, scope and
//! configured providers its concurrent tasks share, and the steps both plan and apply take
//! for one instance: expand, evaluate, ask the provider.

use crate::address::{InstanceAddr, InstanceKey, ModuleInstance, ModulePath, ResourceAddr};
use crate::config::{Body, FileId, IgnoreChanges, Module, Repetition};
use crate::events::EventSink;
use crate::graph::{Graph, Node};
use crate::lang::body::eval_body;
use crate::lang::eval::Evaluator;
use crate::lang::functions::FunctionContext;
use crate::providers::{ProviderInstance, Registry, provider_name};
use crate::scope::{CallValues, Expansion, InstanceContext, Scope};
use ggplan_sdk::{
    AttrPath, Diagnostic, Diagnostics, PlanRequest, ResourceKind, Schema, Type, Value, objchange,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Semaphore;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// At most this many provider operations at once.
    pub parallelism: usize,
    /// Refresh prior state from the providers before planning.
    pub refresh: bool,
    /// Limit the plan to these instances (or whole resources, when they carry no key) and
    /// what they depend on.
    pub targets: Vec<InstanceAddr>,
    /// Replace these instances even if nothing changed.
    pub replace: Vec<InstanceAddr>,
    /// Plan to destroy everything in state.
    pub destroy: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            parallelism: 10,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            destroy: false,
        }
    }
}

/// The instances of one resource and the context of each.
pub type Instances = Vec<(Option<InstanceKey>, InstanceContext)>;

/// State shared by the tasks of one run.
pub struct Run {
    pub module: Arc<Module>,
    pub graph: Graph,
    pub registry: Registry,
    pub functions: FunctionContext,
    pub options: RunOptions,
    pub scope: RwLock<Scope>,
    pub providers: Mutex<HashMap<String, ProviderInstance>>,
    /// Provider configurations that depend on values known only after apply (they refer to
    /// resources still to be created), kept unconfigured until the apply reaches them.
    deferred: Mutex<HashMap<String, ProviderInstance>>,
    /// Held while a deferred provider is configured during apply, so that it is done once.
    configuring: tokio::sync::Mutex<()>,
    /// The instances of every resource in every module instance.
    pub expansions: Mutex<HashMap<(ModuleInstance, ResourceAddr), Instances>>,
    /// The instances of every module, with the `count.index`/`each` of the call that made
    /// each (what its arguments were evaluated with).
    pub module_instances: Mutex<HashMap<ModulePath, Vec<(ModuleInstance, InstanceContext)>>>,
    /// The graph nodes `--target` selects (the targets and what they depend on), or `None`
    /// without targets.
    pub targeted: Option<HashSet<usize>>,
    /// Bounds provider operations to `options.parallelism`.
    pub limit: Semaphore,
    pub events: Arc<dyn EventSink>,
    pub diags: Mutex<Diagnostics>,
}

impl Run {
    /// Prepares a run: builds the graph (with nodes for `state_providers`, the provider keys
    /// of instances in state) and a scope holding the variables.
    pub fn new(
        module: Arc<Module>,
        registry: Registry,
        variables: BTreeMap<String, Value>,
        state_providers: &[String],
        options: RunOptions,
        events: Arc<dyn EventSink>,
    ) -> Result<Run, Diagnostics> {
        let graph = match (
            registry.check(&module),
            Graph::build(&module, state_providers),
        ) {
            (Ok(()), Ok(graph)) => graph,
            (checked, built) => {
                let mut diags = checked.err().unwrap_or_default();
                diags.extend(built.err().unwrap_or_default());
                return Err(diags);
            }
        };
        let dir = module.dir.display().to_string();
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into());
        let mut scope = Scope {
            root_dir: dir.clone(),
            cwd,
            ..Scope::default()
        };
        let root = scope.module(&ModuleInstance::root());
        root.variables = variables;
        root.dir = dir;
        let functions = FunctionContext {
            base_dir: module.dir.clone(),
            plan_timestamp: crate::clock::now_rfc3339(),
        };
        let targeted = target_closure(&graph, &options.targets);
        Ok(Run {
            targeted,
            limit: Semaphore::new(options.parallelism.max(1)),
            module,
            graph,
            registry,
            functions,
            options,
            scope: RwLock::new(scope),
            providers: Mutex::new(HashMap::new()),
            deferred: Mutex::new(HashMap::new()),
            configuring: tokio::sync::Mutex::new(()),
            expansions: Mutex::new(HashMap::new()),
            module_instances: Mutex::new(HashMap::from([(
                ModulePath::root(),
                vec![(ModuleInstance::root(), InstanceContext::default())],
            )])),
            events,
            diags: Mutex::new(Diagnostics::new()),
        })
    }

    /// Whether `--target` selects a graph node (every node does without targets).
    pub fn in_target(&self, node: usize) -> bool {
        self.targeted.as_ref().is_none_or(|t| t.contains(&node))
    }

    /// Records diagnostics for the end of the run.
    pub fn report(&self, diags: Diagnostics) {
        if let Ok(mut all) = self.diags.lock() {
            all.extend(diags);
        }
    }

    /// The diagnostics recorded so far.
    pub fn take_diagnostics(&self) -> Diagnostics {
        self.diags
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }

    /// A provider instance: configured, or deferred (its schema only, until
    /// [`Run::ensure_configured`]).
    pub fn provider(&self, key: &str) -> Result<ProviderInstance, Diagnostics> {
        let configured = self.providers.lock().ok().and_then(|p| p.get(key).cloned());
        configured
            .or_else(|| self.deferred.lock().ok().and_then(|d| d.get(key).cloned()))
            .ok_or_else(|| {
                Diagnostic::error(
                    format!("Provider {key} is not configured"),
                    "Its configuration failed or was skipped; see the errors above.",
                )
                .into()
            })
    }

    fn evaluator_scope<T>(
        &self,
        module: &ModuleInstance,
        ctx: &InstanceContext,
        f: impl FnOnce(&mut Evaluator<'_>) -> T,
    ) -> T {
        let scope = self
            .scope
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let resolver = scope.resolver(module, ctx);
        let mut ev = Evaluator::new(&self.module.sources, &resolver, &self.functions);
        f(&mut ev)
    }

    /// Evaluates one expression in a module instance, in an instance's context.
    pub fn eval(
        &self,
        expr: &crate::config::Expr,
        module: &ModuleInstance,
        ctx: &InstanceContext,
    ) -> Result<Value, Diagnostic> {
        self.evaluator_scope(module, ctx, |ev| ev.eval(expr))
    }

    /// Evaluates a body against a schema in a module instance, in an instance's context.
    pub fn eval_config(
        &self,
        body: &Body,
        schema: &Schema,
        module: &ModuleInstance,
        ctx: &InstanceContext,
        what: &str,
    ) -> Result<Value, Diagnostics> {
        self.evaluator_scope(module, ctx, |ev| {
            eval_body(ev, &self.module.sources, body, schema, what)
        })
    }

    /// The configuration of the module at `path`.
    pub fn config_at(&self, path: &ModulePath) -> Result<&Module, Diagnostics> {
        self.module.at(path).ok_or_else(|| {
            Diagnostic::error(
                format!("{path} is not in the configuration"),
                "This is a bug in ggplan's graph: a node names a module that was not loaded.",
            )
            .into()
        })
    }

    /// The instances of the module at `path` known so far.
    pub fn instances_of(&self, path: &ModulePath) -> Vec<(ModuleInstance, InstanceContext)> {
        self.module_instances
            .lock()
            .ok()
            .and_then(|m| m.get(path).cloned())
            .unwrap_or_default()
    }

    /// Evaluates a local value in every instance of its module.
    pub fn eval_local(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let local = self
            .config_at(path)?
            .locals
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        for (instance, _) in self.instances_of(path) {
            let value = self.eval(&local.value, &instance, &InstanceContext::default())?;
            self.write_scope(|scope| {
                scope
                    .module(&instance)
                    .locals
                    .insert(name.to_string(), value);
            });
        }
        Ok(())
    }

    /// Gives a called module's variable its value in every instance of the module: the
    /// caller's argument (evaluated in the caller) or the default.
    pub fn eval_module_variable(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let Some((parent_path, call_name)) = path.split_last() else {
            return Ok(()); // Root variables come from the user's inputs.
        };
        let call = self
            .config_at(&parent_path)?
            .calls
            .get(call_name)
            .ok_or_else(|| missing_node(path, name))?;
        let variable = call
            .module
            .variables
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        let mut diags = Diagnostics::new();
        for (instance, ctx) in self.instances_of(path) {
            let Some((parent, _, _)) = instance.split_last() else {
                continue;
            };
            let argument = match call.inputs.get(name) {
                Some(attr) => Some((
                    self.eval(&attr.value, &parent, &ctx)?,
                    self.module
                        .sources
                        .range(attr.value.file, attr.value.span.clone()),
                )),
                None => None,
            };
            match crate::vars::evaluate_module_input(
                &call.module,
                variable,
                argument,
                &self.functions,
            ) {
                Ok(value) => self.write_scope(|scope| {
                    scope
                        .module(&instance)
                        .variables
                        .insert(name.to_string(), value);
                }),
                Err(d) => diags.extend(d),
            }
        }
        diags.into_result(())
    }

    /// Expands a module call in every instance of the calling module: records the called
    /// module's instances and prepares their scopes.
    pub fn expand_module_call(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let call = self
            .config_at(path)?
            .calls
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        let child_path = path.child(name);
        let mut children = Vec::new();
        for (parent, _) in self.instances_of(path) {
            let (expansion, instances) = self.expand(&call.repetition, &parent, "module")?;
            let dir = call.module.dir.display().to_string();
            self.write_scope(|scope| {
                let calls = &mut scope.module(&parent).calls;
                let values = calls.entry(name.to_string()).or_insert_with(|| CallValues {
                    expansion,
                    instances: BTreeMap::new(),
                });
                values.expansion = expansion;
                values
                    .instances
                    .retain(|k, _| instances.iter().any(|(key, _)| key == k));
                for (key, _) in &instances {
                    values.instances.entry(key.clone()).or_default();
                }
                for (key, _) in &instances {
                    scope.module(&parent.child(name, key.clone())).dir = dir.clone();
                }
            });
            children.extend(
                instances
                    .into_iter()
                    .map(|(key, ctx)| (parent.child(name, key), ctx)),
            );
        }
        if let Ok(mut all) = self.module_instances.lock() {
            all.insert(child_path, children);
        }
        Ok(())
    }

    /// Evaluates an output of a called module in each of its instances, for the caller to see
    /// as `module.NAME.OUTPUT`.
    pub fn eval_module_output(&self, path: &ModulePath, name: &str) -> Result<(), Diagnostics> {
        let output = self
            .config_at(path)?
            .outputs
            .get(name)
            .ok_or_else(|| missing_node(path, name))?;
        for (instance, _) in self.instances_of(path) {
            let Some((parent, call, key)) = instance.split_last() else {
                continue;
            };
            let value = self.eval(&output.value, &instance, &InstanceContext::default())?;
            let value = if output.sensitive {
                value.into_sensitive()
            } else {
                value
            };
            let (call, key) = (call.to_string(), key.clone());
            self.write_scope(|scope| {
                if let Some(values) = scope.module(&parent).calls.get_mut(&call) {
                    values
                        .instances
                        .entry(key)
                        .or_default()
                        .insert(name.to_string(), value);
                }
            });
        }
        Ok(())
    }

    /// Fills the scope from the state alone, as `console` sees a stack: every resource
    /// instance has its recorded value (a resource with none is unknown, or an empty
    /// collection), and locals, module arguments and module outputs are evaluated from them in
    /// graph order. What cannot be evaluated is returned; its dependents stay without a value.
    pub fn evaluate_from_state(&self, state: &crate::state::State) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for node in self.graph.nodes.clone() {
            let done = match &node {
                Node::Resource(path, addr) => {
                    self.seed_resource(state, path, addr);
                    Ok(())
                }
                Node::Variable(path, name) => self.eval_module_variable(path, name),
                Node::Local(path, name) => self.eval_local(path, name),
                Node::ModuleCall(path, name) => self.expand_module_call(path, name),
                Node::Output(path, name) if !path.is_root() => self.eval_module_output(path, name),
                Node::Output(..) | Node::Provider(_) => Ok(()),
            };
            if let Err(d) = done {
                diags.extend(d);
            }
        }
        diags
    }

    /// Records a resource's instances from the state in every instance of its module.
    fn seed_resource(&self, state: &crate::state::State, path: &ModulePath, addr: &ResourceAddr) {
        let repetition = self
            .module
            .at(path)
            .and_then(|m| m.resources.get(addr))
            .map(|r| match r.repetition {
                Repetition::Single => Expansion::Single,
                Repetition::Count(_) => Expansion::Count,
                Repetition::ForEach(_) => Expansion::ForEach,
            })
            .unwrap_or(Expansion::Single);
        for (instance, _) in self.instances_of(path) {
            let mut values = crate::scope::ResourceValues::new(repetition);
            for (at, recorded) in &state.resources {
                if at.module == instance && at.resource == *addr {
                    values.instances.insert(at.key.clone(), recorded.value());
                }
            }
            self.write_scope(|scope| {
                scope
                    .module(&instance)
                    .resources
                    .insert(addr.clone(), values);
            });
        }
    }

    /// Evaluates an expression written outside the configuration (a console line) in the
    /// root module; its spans point into `sources`.
    pub fn eval_detached(
        &self,
        sources: &crate::config::SourceMap,
        expr: &crate::config::Expr,
    ) -> Result<Value, Diagnostic> {
        let scope = self
            .scope
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let ctx = InstanceContext::default();
        let root = ModuleInstance::root();
        let resolver = scope.resolver(&root, &ctx);
        Evaluator::new(sources, &resolver, &self.functions).eval(expr)
    }

    /// Changes the scope.
    pub fn write_scope(&self, f: impl FnOnce(&mut Scope)) {
        let mut scope = self.scope.write().unwrap_or_else(|p| p.into_inner());
        f(&mut scope);
    }

    /// Evaluates and configures the provider configuration `key`.
    pub async fn configure_provider(&self, key: &str) -> Result<(), Diagnostics> {
        let name = provider_name(key);
        let Some(instance) = self.registry.instantiate(name) else {
            return Err(Diagnostic::error(
                format!("Unknown provider {name:?}"),
                "The state or configuration names a provider this ggplan does not have.",
            )
            .into());
        };
        let block = self.module.providers.get(key);
        if block.is_none() {
            let required: Vec<&String> = instance
                .schema
                .provider
                .attributes
                .iter()
                .filter(|(_, a)| a.required)
                .map(|(n, _)| n)
                .collect();
            if !required.is_empty() {
                return Err(Diagnostic::error(
                    format!("Provider {key:?} needs configuration"),
                    format!(
                        "Add a provider \"{name}\" block that sets {}.",
                        required
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .into());
            }
        }
        let config = self.provider_config(key, &instance)?;
        if !config.is_wholly_known() {
            // Configured when the apply reaches the first resource that uses it, once what
            // its configuration refers to exists.
            self.report(
                Diagnostic::warning(
                    format!("Provider {key:?} is configured during apply"),
                    "Its configuration refers to values known only after apply. The resources \
                     it manages are planned from their configuration alone, and planned again \
                     by the provider when the apply reaches them.",
                )
                .at_range(block.map(|b| b.range.clone()))
                .into(),
            );
            if let Ok(mut deferred) = self.deferred.lock() {
                deferred.insert(key.to_string(), instance);
            }
            return Ok(());
        }
        let (plain, _) = config.unmark_deep();
        instance.provider.configure(&plain).await?;
        if let Ok(mut providers) = self.providers.lock() {
            providers.insert(key.to_string(), instance);
        }
        Ok(())
    }

    /// The configuration of provider `key` evaluated with the values known so far (an empty
    /// body when the stack has no block for it).
    fn provider_config(
        &self,
        key: &str,
        instance: &ProviderInstance,
    ) -> Result<Value, Diagnostics> {
        let empty = Body {
            file: FileId(0),
            attributes: BTreeMap::new(),
            blocks: Vec::new(),
            span: 0..0,
        };
        let body = self.module.providers.get(key).map_or(&empty, |b| &b.body);
        self.eval_config(
            body,
            &instance.schema.provider,
            &ModuleInstance::root(),
            &InstanceContext::default(),
            &format!("provider {key:?}"),
        )
    }

    /// Whether the provider configuration `key` waits for apply (see [`Run::configure_provider`]).
    pub fn is_deferred(&self, key: &str) -> bool {
        self.deferred.lock().is_ok_and(|d| d.contains_key(key))
    }

    /// Configures a deferred provider now that the apply has made what its configuration
    /// refers to; nothing for a provider configured at plan time.
    pub async fn ensure_configured(&self, key: &str) -> Result<(), Diagnostics> {
        if !self.is_deferred(key) {
            return Ok(());
        }
        let _one_at_a_time = self.configuring.lock().await;
        let Some(instance) = self.deferred.lock().ok().and_then(|d| d.get(key).cloned()) else {
            return Ok(()); // Configured by the task that held the lock before.
        };
        let configured = self.configure_now(key, &instance).await;
        // Recorded as configured before it stops being deferred, so that a task that skips
        // the lock above always finds it; after a failure it is neither, and every resource
        // that uses it fails with "not configured".
        if configured.is_ok()
            && let Ok(mut providers) = self.providers.lock()
        {
            providers.insert(key.to_string(), instance);
        }
        if let Ok(mut deferred) = self.deferred.lock() {
            deferred.remove(key);
        }
        configured
    }

    /// Evaluates the configuration of a deferred provider, which must be known by now, and
    /// configures `instance` with it.
    async fn configure_now(
        &self,
        key: &str,
        instance: &ProviderInstance,
    ) -> Result<(), Diagnostics> {
        let block = self.module.providers.get(key);
        let config = self.provider_config(key, instance)?;
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("Provider {key:?} is still not known during apply"),
                "Its configuration refers to values that this apply did not produce (a failed \
                 or skipped resource); fix that, then apply again.",
            )
            .at_range(block.map(|b| b.range.clone()))
            .into());
        }
        let (plain, _) = config.unmark_deep();
        instance.provider.configure(&plain).await
    }

    /// The instances of a resource or module call: its count or for_each evaluated in a
    /// module instance.
    pub fn expand(
        &self,
        repetition: &Repetition,
        module: &ModuleInstance,
        what: &str,
    ) -> Result<(Expansion, Instances), Diagnostic> {
        let root = InstanceContext::default();
        match repetition {
            Repetition::Single => Ok((Expansion::Single, vec![(None, root)])),
            Repetition::Count(expr) => {
                let value = self.eval(expr, module, &root)?;
                let bad = |detail: &str| {
                    Diagnostic::error(
                        "Invalid count argument",
                        format!("{detail} (in a {what} block)"),
                    )
                    .at_range(Some(self.module.range(expr)))
                };
                if value.is_unknown() {
                    return Err(bad(
                        "The count value depends on values known only after apply, so ggplan \
                         cannot tell how many instances to plan. Use values known at plan time, \
                         or apply the resources it depends on first with --target.",
                    ));
                }
                // As in Terraform, a string that holds a number counts (`-var n=2` is a string).
                let n = Type::Number
                    .convert(value)
                    .ok()
                    .and_then(|v| v.as_number())
                    .and_then(|n| n.as_i64())
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| bad("count must be a whole number, 0 or more."))?;
                Ok((
                    Expansion::Count,
                    (0..n as usize)
                        .map(|i| {
                            (
                                Some(InstanceKey::Int(i)),
                                InstanceContext::for_key(&Some(InstanceKey::Int(i)), None),
                            )
                        })
                        .collect(),
                ))
            }
            Repetition::ForEach(expr) => {
                let value = self.eval(expr, module, &root)?;
                let bad = |detail: String| {
                    Diagnostic::error(
                        "Invalid for_each argument",
                        format!("{detail} (in a {what} block)"),
                    )
                    .at_range(Some(self.module.range(expr)))
                };
                if value.contains_sensitive() {
                    return Err(bad(
                        "Sensitive values cannot be used as for_each arguments: they would be \
                         shown as instance keys. Use nonsensitive() on the keys if that is safe."
                            .into(),
                    ));
                }
                let entries: Vec<(String, Value)> = match value {
                    Value::Unknown => {
                        return Err(bad(
                            "The for_each value depends on values known only after apply, so \
                             ggplan cannot tell which instances to plan. Use keys known at plan \
                             time."
                                .into(),
                        ));
                    }
                    Value::Map(map) => map.into_iter().collect(),
                    Value::List(items) => {
                        let mut keys = Vec::new();
                        for item in items {
                            match item {
                                Value::String(s) => keys.push((s.clone(), Value::String(s))),
                                Value::Unknown => {
                                    return Err(bad(
                                        "The for_each set has elements known only after apply."
                                            .into(),
                                    ));
                                }
                                other => {
                                    return Err(bad(format!(
                                        "for_each takes a map or a set of strings; this set holds a {}. \
                                         Use toset([for x in ... : tostring(x)]).",
                                        other.kind_name()
                                    )));
                                }
                            }
                        }
                        keys.sort_by(|a, b| a.0.cmp(&b.0));
                        keys.dedup_by(|a, b| a.0 == b.0);
                        keys
                    }
                    Value::Null => {
                        return Err(bad(
                            "for_each must not be null; use {} for no instances.".into()
                        ));
                    }
                    other => {
                        return Err(bad(format!(
                            "for_each takes a map or a set of strings, not a {}.",
                            other.kind_name()
                        )));
                    }
                };
                Ok((
                    Expansion::ForEach,
                    entries
                        .into_iter()
                        .map(|(k, v)| {
                            let key = Some(InstanceKey::Str(k));
                            let ctx = InstanceContext::for_key(&key, Some(v));
                            (key, ctx)
                        })
                        .collect(),
                ))
            }
        }
    }

    /// Asks the provider to plan one managed instance. Values carry sensitive marks on both
    /// sides; the provider sees them without. Returns the planned value (marked) and the paths
    /// whose change forces replacement.
    pub async fn plan_instance(
        &self,
        provider: &ProviderInstance,
        schema: &Schema,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> Result<(Value, Vec<AttrPath>), Diagnostics> {
        let (config_plain, mut marks) = config.clone().unmark_deep();
        let prior_plain = prior.map(|p| p.clone().unmark_deep().0);
        let proposed = objchange::proposed_new(schema, prior_plain.as_ref(), &config_plain);
        let response = {
            let _permit = self.limit.acquire().await;
            provider
                .provider
                .plan(PlanRequest {
                    type_name,
                    prior: prior_plain.as_ref(),
                    config: &config_plain,
                    proposed: &proposed,
                })
                .await?
        };
        let mut replace = match &prior_plain {
            Some(p) => objchange::replace_paths(schema, p, &response.planned),
            None => Vec::new(),
        };
        replace.extend(response.requires_replace);
        replace.sort();
        replace.dedup();
        marks.extend(schema.sensitive_paths(&response.planned));
        let planned = objchange::mark_copies(response.planned.mark_paths(&marks), config);
        Ok((planned, replace))
    }

    /// The planned value of a new instance whose provider is not configured yet: the
    /// configuration with the schema's shape, everything it leaves to the provider unknown.
    pub fn plan_without_provider(&self, schema: &Schema, config: &Value) -> Value {
        let (plain, marks) = config.clone().unmark_deep();
        objchange::mark_copies(
            objchange::proposed_new(schema, None, &plain).mark_paths(&marks),
            config,
        )
    }

    /// The schema and provider of a resource.
    pub fn resource_provider(
        &self,
        addr: &ResourceAddr,
        provider_key: &str,
    ) -> Result<(ProviderInstance, Schema), Diagnostics> {
        let provider = self.provider(provider_key)?;
        let schema = provider
            .type_schema(addr.kind, &addr.type_name)
            .cloned()
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    format!("{addr}: unknown type"),
                    format!(
                        "The provider {provider_key} has no {} type {}.",
                        kind_word(addr.kind),
                        addr.type_name
                    ),
                ))
            })?;
        Ok((provider, schema))
    }
}

fn kind_word(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Managed => "resource",
        ResourceKind::Data => "data source",
    }
}

/// `config` with the parts `lifecycle.ignore_changes` names taken from `prior` instead.
pub fn apply_ignore_changes(
    config: Value,
    prior: &Value,
    ignore: &IgnoreChanges,
    schema: &Schema,
) -> Value {
    match ignore {
        IgnoreChanges::None => config,
        IgnoreChanges::All => {
            objchange::ignore_changes(config, prior, &objchange::configurable_paths(schema))
        }
        IgnoreChanges::Paths(paths) => objchange::ignore_changes(config, prior, paths),
    }
}

/// The nodes `--target` selects: the targeted resources and everything they depend on.
fn target_closure(graph: &Graph, targets: &[InstanceAddr]) -> Option<HashSet<usize>> {
    if targets.is_empty() {
        return None;
    }
    let mut selected = HashSet::new();
    let mut stack: Vec<usize> = targets
        .iter()
        .filter_map(|t| graph.id(&Node::Resource(t.module.path(), t.resource.clone())))
        .collect();
    while let Some(n) = stack.pop() {
        if selected.insert(n) {
            stack.extend(graph.deps[n].iter().copied());
        }
    }
    Some(selected)
}

fn missing_node(path: &ModulePath, name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("{name} is not declared in {path}"),
        "This is a bug in ggplan's graph: a node names something the configuration lacks.",
    )
    .into()
}
