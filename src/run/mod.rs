//! One run over a stack (a plan, then maybe its apply): what its concurrent tasks share (the
//! configuration, the graph, the scope of values, the providers, the diagnostics) and the
//! steps both plan and apply take: expand a block, evaluate an expression or a body,
//! configure a provider.

mod checks;
mod configure;
mod expand;
mod modules;

pub use expand::Instances;

use crate::address::{InstanceAddr, ModuleInstance, ModulePath, ProviderAddr, ResourceAddr};
use crate::config::{Body, Module};
use crate::events::{Event, EventSink};
use crate::graph::{Graph, Node};
use crate::lang::body::eval_body;
use crate::lang::eval::Evaluator;
use crate::lang::functions::{FunctionContext, working_dir};
use crate::locks::{locked, read, write};
use crate::plan::Action;
use crate::providers::{Providers, Registry};
use crate::scope::{Expansion, InstanceContext, ResourceValues, Scope};
use crate::slots::{Slot, Slots};
use crate::walk::{StopFlag, WalkOutcome, walk};
use ggplan_sdk::{Diagnostic, Diagnostics, Schema, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

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
    /// The selected workspace, `terraform.workspace`.
    pub workspace: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            parallelism: 10,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            destroy: false,
            workspace: crate::state::DEFAULT_WORKSPACE.to_string(),
        }
    }
}

/// What the tasks of one run share. Its parts change only through the methods below.
pub struct Run {
    module: Arc<Module>,
    graph: Graph,
    functions: FunctionContext,
    options: RunOptions,
    /// The current value of every name (planned values during plan, new state during apply).
    scope: RwLock<Scope>,
    providers: Providers,
    /// The instances of every module, with the `count.index`/`each` of the call that made
    /// each (what its arguments were evaluated with).
    module_instances: Mutex<HashMap<ModulePath, Vec<(ModuleInstance, InstanceContext)>>>,
    /// The graph nodes `--target` selects (the targets and what they depend on), or `None`
    /// without targets.
    targeted: Option<HashSet<usize>>,
    events: Arc<dyn EventSink>,
    diagnostics: Mutex<Diagnostics>,
    /// The outcomes of `check` blocks (of the plan, then of the apply).
    checks: Mutex<crate::checks::CheckResults>,
    /// Set by Ctrl-C: no new instance is planned or applied; running ones finish.
    stop: StopFlag,
    /// At most the run's parallelism of instances planned or applied at once. Taken before an
    /// instance's first provider call, so that after a stop nothing new starts however many
    /// instances were ready; the step with the longest chain behind it is served first.
    slots: Slots,
}

impl Run {
    /// Prepares a run: checks the providers and builds the graph (with nodes for
    /// `state_providers`, the provider configurations of instances in state), and a scope
    /// holding the variables.
    pub fn new(
        module: Arc<Module>,
        registry: Registry,
        variables: BTreeMap<String, Value>,
        state_providers: &[ProviderAddr],
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
        let functions = FunctionContext {
            base_dir: working_dir(),
            plan_timestamp: crate::clock::now_rfc3339(),
            provider_functions: registry.functions(),
        };
        let targeted = target_closure(&graph, &options.targets);
        let slots = Slots::new(options.parallelism);
        Ok(Run {
            targeted,
            providers: Providers::new(registry, options.parallelism),
            scope: RwLock::new(root_scope(&module, variables, &options.workspace)),
            module,
            graph,
            functions,
            options,
            module_instances: Mutex::new(HashMap::from([(
                ModulePath::root(),
                vec![(ModuleInstance::root(), InstanceContext::default())],
            )])),
            events,
            diagnostics: Mutex::new(Diagnostics::new()),
            checks: Mutex::default(),
            stop: StopFlag::default(),
            slots,
        })
    }

    /// The run, stopped by `stop` (set by Ctrl-C, perhaps before the run was made).
    pub fn stopped_by(self, stop: StopFlag) -> Run {
        Run { stop, ..self }
    }

    /// The flag that asks this run to stop (Ctrl-C).
    pub fn stop_flag(&self) -> &StopFlag {
        &self.stop
    }

    /// A slot to plan or apply one instance in, or `None` once a stop was asked for: the
    /// instance is then not started. Waiting steps get slots by their walk priority.
    pub async fn slot(&self) -> Option<Slot<'_>> {
        let slot = self.slots.acquire().await;
        (!self.stop.is_stopped()).then_some(slot)
    }

    /// Walks the graph given by `deps` (see [`walk`]), stopped by the run's stop flag, its
    /// visits taking the run's slots.
    pub async fn walk<F, Fut>(&self, deps: &[BTreeSet<usize>], visit: F) -> WalkOutcome
    where
        F: Fn(usize) -> Fut,
        Fut: Future<Output = bool> + Send + 'static,
    {
        walk(deps, &self.stop, &self.slots, visit).await
    }

    /// The root module (with the modules it calls).
    pub fn module(&self) -> &Module {
        &self.module
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// The run's provider configurations, and the door to them.
    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Sends a progress event.
    pub fn emit(&self, event: Event) {
        self.events.emit(event);
    }

    /// Runs `fut`, sending a progress event (`Still creating... [10s elapsed]`) every ten
    /// seconds until it finishes.
    pub async fn with_progress<T>(
        &self,
        addr: &InstanceAddr,
        action: Action,
        fut: impl Future<Output = T>,
    ) -> T {
        let started = Instant::now();
        let period = Duration::from_secs(10);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return out,
                _ = ticks.tick() => self.emit(Event::ApplyProgress {
                    addr: addr.clone(),
                    action,
                    elapsed: started.elapsed(),
                }),
            }
        }
    }

    /// Whether `--target` narrows the run.
    pub fn is_targeted(&self) -> bool {
        self.targeted.is_some()
    }

    /// Whether `--target` selects a graph node (every node does without targets).
    pub fn in_target(&self, node: usize) -> bool {
        self.targeted.as_ref().is_none_or(|t| t.contains(&node))
    }

    /// Records diagnostics for the end of the run.
    pub fn report(&self, diags: Diagnostics) {
        locked(&self.diagnostics).extend(diags);
    }

    /// The diagnostics recorded so far.
    pub fn take_diagnostics(&self) -> Diagnostics {
        std::mem::take(&mut *locked(&self.diagnostics))
    }

    fn evaluator_scope<T>(
        &self,
        module: &ModuleInstance,
        ctx: &InstanceContext,
        f: impl FnOnce(&mut Evaluator<'_>) -> T,
    ) -> T {
        let scope = read(&self.scope);
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

    /// Where each change is declared, for a plan shown layer by layer: the file of the root
    /// module that declares it (or its module call), and the resource's depth in the graph.
    /// `None` for what the configuration no longer has.
    pub fn layers(&self) -> impl Fn(&InstanceAddr) -> Option<(usize, String)> + '_ {
        let depths = self.graph().depths();
        move |addr| {
            let path = addr.module.path();
            let node = crate::graph::Node::Resource(path.clone(), addr.resource.clone());
            let depth = depths[self.graph().id(&node)?];
            let range = match path.0.first() {
                None => &self.module.resources.get(&addr.resource)?.range,
                Some(call) => &self.module.calls.get(call)?.range,
            };
            let file = std::path::Path::new(&range.file).file_name()?;
            Some((depth, file.to_string_lossy().into_owned()))
        }
    }

    /// Checks conditions in a module instance, in an instance's context (`self` included):
    /// an error for each that fails; one not known yet passes until it is.
    pub fn check(
        &self,
        rules: &[crate::config::Condition],
        kind: crate::conditions::Kind,
        module: &ModuleInstance,
        ctx: &InstanceContext,
    ) -> Result<(), Diagnostics> {
        if rules.is_empty() {
            return Ok(());
        }
        self.evaluator_scope(module, ctx, |ev| {
            crate::conditions::check_all(ev, &self.module.sources, rules, kind)
        })
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
        locked(&self.module_instances)
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    /// Evaluates an expression written outside the configuration (a console line) in the
    /// root module; its spans point into `sources`.
    pub fn eval_detached(
        &self,
        sources: &crate::config::SourceMap,
        expr: &crate::config::Expr,
    ) -> Result<Value, Diagnostic> {
        let scope = read(&self.scope);
        let ctx = InstanceContext::default();
        let root = ModuleInstance::root();
        let resolver = scope.resolver(&root, &ctx);
        Evaluator::new(sources, &resolver, &self.functions).eval(expr)
    }

    /// Gives one instance its current value.
    pub fn set_instance(&self, addr: &InstanceAddr, expansion: Expansion, value: Value) {
        write(&self.scope).set_instance(addr, expansion, value);
    }

    /// Removes one instance's value (its object is gone).
    pub fn remove_instance(&self, addr: &InstanceAddr) {
        let mut scope = write(&self.scope);
        if let Some(values) = scope.module(&addr.module).resources.get_mut(&addr.resource) {
            values.instances.remove(&addr.key);
        }
    }

    /// Gives a resource of a module instance no instances yet (its expansion is known; its
    /// instances get their values as they are planned or applied).
    pub fn reset_resource(
        &self,
        module: &ModuleInstance,
        resource: &ResourceAddr,
        expansion: Expansion,
    ) {
        write(&self.scope)
            .module(module)
            .resources
            .insert(resource.clone(), ResourceValues::new(expansion));
    }

    /// Makes values of a resource's instances visible to expressions, next to those it has.
    pub fn expose_instances(
        &self,
        module: &ModuleInstance,
        resource: &ResourceAddr,
        expansion: Expansion,
        instances: impl IntoIterator<Item = (InstanceAddr, Value)>,
    ) {
        let mut scope = write(&self.scope);
        scope
            .module(module)
            .resources
            .entry(resource.clone())
            .or_insert_with(|| ResourceValues::new(expansion));
        for (addr, value) in instances {
            scope.set_instance(&addr, expansion, value);
        }
    }

    fn write_scope(&self, f: impl FnOnce(&mut Scope)) {
        f(&mut write(&self.scope));
    }
}

/// The scope a run starts with: the root module's variables, directories and workspace.
fn root_scope(module: &Module, variables: BTreeMap<String, Value>, workspace: &str) -> Scope {
    let dir = module.dir.display().to_string();
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| ".".into());
    let mut scope = Scope {
        root_dir: dir.clone(),
        cwd,
        workspace: workspace.to_string(),
        ..Scope::default()
    };
    let root = scope.module(&ModuleInstance::root());
    root.variables = variables;
    root.dir = dir;
    scope
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
