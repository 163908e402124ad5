//! The resource graph: one node per variable, local, output, provider configuration and
//! resource of a stack, with an edge wherever one refers to or depends on another.
//!
//! Built in small steps: [`Graph::build`] adds the nodes, then the edges of every
//! expression, then checks that there is no cycle.

mod dot;

use crate::address::{ConfigResource, ModulePath, ProviderAddr, ResourceAddr};
use crate::config::{
    Body, Condition, Expr, Module, ModuleCall, ProvisionerWhen, Repetition, Resource,
};
use crate::lang::references::{Referent, references, references_within};
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Diagnostics, ResourceKind};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// A node of the graph. Nodes inside modules carry the module's path; provider
/// configurations belong to the root module and are shared by all modules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Variable(ModulePath, String),
    Local(ModulePath, String),
    Provider(ProviderAddr),
    /// A `module` block in the module at the path: expands into the called module's instances.
    ModuleCall(ModulePath, String),
    Resource(ModulePath, ResourceAddr),
    Output(ModulePath, String),
    /// A `check` block: its assertions, after its scoped data source.
    Check(ModulePath, String),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = |path: &ModulePath| {
            if path.is_root() {
                String::new()
            } else {
                format!("{path}.")
            }
        };
        match self {
            Node::Variable(p, n) => write!(f, "{}var.{n}", prefix(p)),
            Node::Local(p, n) => write!(f, "{}local.{n}", prefix(p)),
            Node::Provider(k) => write!(f, "provider[\"{k}\"]"),
            Node::ModuleCall(p, n) => write!(f, "{}module.{n}", prefix(p)),
            Node::Resource(p, a) => write!(f, "{}{a}", prefix(p)),
            Node::Output(p, n) => write!(f, "{}output.{n}", prefix(p)),
            Node::Check(p, n) => write!(f, "{}check.{n}", prefix(p)),
        }
    }
}

impl Node {
    /// The module the node belongs to (the root for provider configurations).
    pub fn module(&self) -> ModulePath {
        match self {
            Node::Provider(_) => ModulePath::root(),
            Node::Variable(p, _)
            | Node::Local(p, _)
            | Node::ModuleCall(p, _)
            | Node::Resource(p, _)
            | Node::Output(p, _)
            | Node::Check(p, _) => p.clone(),
        }
    }
}

/// The graph of a stack. Node ids are indexes into `nodes`, in topological order: every node
/// comes after all of its dependencies.
#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// For each node, the ids of the nodes it depends on.
    pub deps: Vec<BTreeSet<usize>>,
    index: HashMap<Node, usize>,
}

impl Graph {
    /// Builds and checks the graph of `module` and the modules it calls. `extra_providers` are
    /// provider keys that must have a node although no resource in the configuration uses them
    /// (those of resources that exist only in state, which still need their provider to be
    /// destroyed).
    pub fn build(module: &Module, extra_providers: &[ProviderAddr]) -> Result<Graph, Diagnostics> {
        let mut builder = Builder {
            root: module,
            nodes: Vec::new(),
            index: HashMap::new(),
            edges: Vec::new(),
            diags: Diagnostics::new(),
            iterators: Vec::new(),
        };
        builder.add_nodes(extra_providers);
        builder.add_edges();
        builder.finish()
    }

    /// The id of a node.
    pub fn id(&self, node: &Node) -> Option<usize> {
        self.index.get(node).copied()
    }

    /// Each node's depth: 0 for a node that depends on nothing, else one more than its
    /// deepest dependency (ids are in topological order, so one pass does).
    pub fn depths(&self) -> Vec<usize> {
        let mut depths: Vec<usize> = Vec::with_capacity(self.nodes.len());
        for deps in &self.deps {
            let depth = deps.iter().map(|d| depths[*d] + 1).max().unwrap_or(0);
            depths.push(depth);
        }
        depths
    }

    /// The resources a node depends on, directly or through locals, variables, module calls
    /// and outputs (what Terraform records as a resource's dependencies).
    pub fn resource_dependencies(&self, node: usize) -> BTreeSet<ConfigResource> {
        let mut found = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = self.deps[node].iter().copied().collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            match &self.nodes[n] {
                Node::Resource(module, resource) => {
                    found.insert(ConfigResource {
                        module: module.clone(),
                        resource: resource.clone(),
                    });
                }
                _ => stack.extend(self.deps[n].iter().copied()),
            }
        }
        found
    }

    /// Graphviz DOT text of the graph.
    pub fn to_dot(&self) -> String {
        dot::render(self)
    }
}

struct Builder<'a> {
    root: &'a Module,
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    /// (from, to): `from` depends on `to`.
    edges: Vec<(usize, usize)>,
    diags: Diagnostics,
    /// The iterators of the `dynamic` blocks around the body being walked: not references.
    iterators: Vec<String>,
}

impl<'a> Builder<'a> {
    fn add(&mut self, node: Node) -> usize {
        if let Some(id) = self.index.get(&node) {
            return *id;
        }
        self.nodes.push(node.clone());
        self.index.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn add_nodes(&mut self, extra_providers: &[ProviderAddr]) {
        for key in self.root.providers.keys() {
            self.add(Node::Provider(key.clone()));
        }
        for (path, m) in self.root.tree() {
            for name in m.variables.keys() {
                self.add(Node::Variable(path.clone(), name.clone()));
            }
            for name in m.locals.keys() {
                self.add(Node::Local(path.clone(), name.clone()));
            }
            for name in m.calls.keys() {
                self.add(Node::ModuleCall(path.clone(), name.clone()));
            }
            for (addr, resource) in &m.resources {
                self.add(Node::Provider(resource.provider.clone()));
                self.add(Node::Resource(path.clone(), addr.clone()));
            }
            for name in m.outputs.keys() {
                self.add(Node::Output(path.clone(), name.clone()));
            }
            for name in m.checks.keys() {
                self.add(Node::Check(path.clone(), name.clone()));
            }
            if !path.is_root() {
                for provider in m.providers.values() {
                    self.diags.push(
                        Diagnostic::error(
                            "Provider configuration in a module",
                            format!(
                                "{path} configures provider \"{}\". Configure providers in the \
                                 root module; every module uses the root's configurations.",
                                provider.addr
                            ),
                        )
                        .at_range(Some(provider.range.clone())),
                    );
                }
            }
        }
        for key in extra_providers {
            self.add(Node::Provider(key.clone()));
        }
    }

    fn add_edges(&mut self) {
        let root = self.root;
        for (addr, provider) in &root.providers {
            let from = self.index[&Node::Provider(addr.clone())];
            self.body_edges(
                from,
                &provider.body,
                &Scope::plain(ModulePath::root(), root),
            );
        }
        for (path, m) in root.tree() {
            let plain = Scope::plain(path.clone(), m);
            // Everything inside a called module waits for the call's expansion.
            let call = path
                .split_last()
                .map(|(parent, name)| self.index[&Node::ModuleCall(parent, name.to_string())]);
            for name in m.variables.keys() {
                if let Some(call) = call {
                    let from = self.index[&Node::Variable(path.clone(), name.clone())];
                    self.edges.push((from, call));
                }
            }
            for (name, local) in &m.locals {
                let from = self.index[&Node::Local(path.clone(), name.clone())];
                self.expr_edges(from, &local.value, &plain);
                self.edges.extend(call.map(|c| (from, c)));
            }
            for (name, module_call) in &m.calls {
                let from = self.index[&Node::ModuleCall(path.clone(), name.clone())];
                self.edges.extend(call.map(|c| (from, c)));
                self.module_call_edges(from, &path, m, module_call);
            }
            for (addr, resource) in &m.resources {
                let from = self.index[&Node::Resource(path.clone(), addr.clone())];
                let provider = self.index[&Node::Provider(resource.provider.clone())];
                self.edges.push((from, provider));
                self.edges.extend(call.map(|c| (from, c)));
                let scope = Scope {
                    check: resource.check.clone(),
                    ..plain.clone()
                };
                self.resource_edges(from, addr, resource, &scope);
            }
            self.import_edges(&path, m, &plain);
            for (name, check) in &m.checks {
                let from = self.index[&Node::Check(path.clone(), name.clone())];
                self.edges.extend(call.map(|c| (from, c)));
                // The assertions run after the scoped data source, referred to or not: they
                // are not evaluated when it fails.
                if let Some(data) = &check.data {
                    self.edges.push((
                        from,
                        self.index[&Node::Resource(path.clone(), data.clone())],
                    ));
                }
                let scope = Scope {
                    check: Some(name.clone()),
                    ..plain.clone()
                };
                self.condition_edges(from, &check.asserts, &scope);
            }
            for (name, output) in &m.outputs {
                let from = self.index[&Node::Output(path.clone(), name.clone())];
                self.expr_edges(from, &output.value, &plain);
                self.condition_edges(from, &output.preconditions, &plain);
                self.edges.extend(call.map(|c| (from, c)));
                for e in &output.depends_on {
                    self.depends_on_edge(from, e, &plain);
                }
            }
        }
    }

    /// A resource's edges: its count/for_each, its body, depends_on, replace_triggered_by,
    /// provisioners and conditions, each in the scope that lets it refer to what it may.
    fn resource_edges(
        &mut self,
        from: usize,
        addr: &ResourceAddr,
        resource: &'a Resource,
        plain: &Scope<'a>,
    ) {
        let scope = Scope {
            count: matches!(resource.repetition, Repetition::Count(_)),
            each: matches!(resource.repetition, Repetition::ForEach(_)),
            this: Some(addr.clone()),
            ..plain.clone()
        };
        if let Repetition::Count(e) | Repetition::ForEach(e) = &resource.repetition {
            let scope = Scope {
                this: Some(addr.clone()),
                ..plain.clone()
            };
            self.expr_edges(from, e, &scope);
        }
        self.body_edges(from, &resource.body, &scope);
        for e in &resource.depends_on {
            self.depends_on_edge(from, e, plain);
        }
        for e in &resource.lifecycle.replace_triggered_by {
            self.expr_edges(from, e, &scope);
        }
        for provisioner in &resource.provisioners {
            let scope = Scope {
                provisioner: Some(provisioner.when),
                self_object: true,
                ..scope.clone()
            };
            self.body_edges(from, &provisioner.body, &scope);
        }
        self.condition_edges(from, &resource.lifecycle.preconditions, &scope);
        let post = Scope {
            self_object: true,
            ..scope.clone()
        };
        self.condition_edges(from, &resource.lifecycle.postconditions, &post);
    }

    /// An `import` block's references are its target resource's: the resource is planned
    /// (and the object imported) once they are known. Import blocks belong to the root
    /// module, as in Terraform; their target may be in a module it calls.
    fn import_edges(&mut self, path: &ModulePath, m: &'a Module, plain: &Scope<'a>) {
        for import in &m.imports {
            let target = import.target();
            let node = Node::Resource(target.module.clone(), target.resource.clone());
            let found = self.index.get(&node);
            let error = match (path.is_root(), found) {
                (false, _) => Some((
                    "Invalid import configuration",
                    format!(
                        "An import block was detected in {path}. Import blocks are only allowed \
                         in the root module."
                    ),
                )),
                (true, None) => Some((
                    "Configuration for import target does not exist",
                    missing_target_detail(m, &target),
                )),
                (true, Some(_)) => None,
            };
            if let Some((summary, detail)) = error {
                let at = match found {
                    None if path.is_root() => &import.to_range,
                    _ => &import.range,
                };
                let diagnostic = Diagnostic::error(summary, detail);
                self.diags.push(diagnostic.at_range(Some(at.clone())));
                continue;
            }
            let target = found;
            let Some(&from) = target else { continue };
            let scope = Scope {
                each: import.for_each.is_some(),
                ..plain.clone()
            };
            if let Some(for_each) = &import.for_each {
                self.expr_edges(from, for_each, plain);
            }
            self.expr_edges(from, &import.id, &scope);
            let module_keys = import.module.iter().filter_map(|(_, key)| key.as_ref());
            for key in module_keys.chain(&import.key) {
                self.expr_edges(from, key, &scope);
            }
        }
    }

    /// A module call's edges: its count/for_each and depends_on in the caller's scope, and
    /// each input variable of the called module on its argument.
    fn module_call_edges(
        &mut self,
        from: usize,
        path: &ModulePath,
        caller: &'a Module,
        call: &'a ModuleCall,
    ) {
        let plain = Scope::plain(path.clone(), caller);
        let args = Scope {
            count: matches!(call.repetition, Repetition::Count(_)),
            each: matches!(call.repetition, Repetition::ForEach(_)),
            ..plain.clone()
        };
        if let Repetition::Count(e) | Repetition::ForEach(e) = &call.repetition {
            self.expr_edges(from, e, &plain);
        }
        for e in &call.depends_on {
            self.depends_on_edge(from, e, &plain);
        }
        let child = path.child(&call.name);
        for (name, attr) in &call.inputs {
            match self
                .index
                .get(&Node::Variable(child.clone(), name.clone()))
                .copied()
            {
                Some(variable) => self.expr_edges(variable, &attr.value, &args),
                None => {
                    let hint = did_you_mean(name, call.module.variables.keys().map(String::as_str));
                    self.diags.push(
                        Diagnostic::error(
                            "Unsupported argument",
                            format!(
                                "An argument named {name:?} is not expected here: module {:?} \
                                 declares no such variable.{hint}",
                                call.name
                            ),
                        )
                        .at_range(Some(
                            caller.sources.range(attr.value.file, attr.span.clone()),
                        )),
                    );
                }
            }
        }
        for (name, variable) in &call.module.variables {
            if variable.default.is_none() && !call.inputs.contains_key(name) {
                self.diags.push(
                    Diagnostic::error(
                        "Missing required argument",
                        format!(
                            "The argument {name:?} is required by module {:?} (its variable has \
                             no default), but no definition was found.",
                            call.name
                        ),
                    )
                    .at_range(Some(call.range.clone())),
                );
            }
        }
    }

    fn body_edges(&mut self, from: usize, body: &Body, scope: &Scope<'_>) {
        for attr in body.attributes.values() {
            self.expr_edges(from, &attr.value, scope);
        }
        for block in &body.blocks {
            if block.type_name != "dynamic" {
                self.body_edges(from, &block.body, scope);
                continue;
            }
            // for_each is evaluated outside the block; `iterator = x` names, not refers.
            if let Some(for_each) = block.body.attributes.get("for_each") {
                self.expr_edges(from, &for_each.value, scope);
            }
            let iterator = crate::lang::body::dynamic_iterator(block);
            self.iterators.extend(iterator.clone());
            for (name, attr) in &block.body.attributes {
                if name != "for_each" && name != "iterator" {
                    self.expr_edges(from, &attr.value, scope);
                }
            }
            for content in &block.body.blocks {
                self.body_edges(from, &content.body, scope);
            }
            if iterator.is_some() {
                self.iterators.pop();
            }
        }
    }

    fn condition_edges(&mut self, from: usize, rules: &[Condition], scope: &Scope<'_>) {
        for rule in rules {
            self.expr_edges(from, &rule.condition, scope);
            self.expr_edges(from, &rule.error_message, scope);
        }
    }

    fn depends_on_edge(&mut self, from: usize, e: &Expr, scope: &Scope<'_>) {
        let refs = references(e);
        let is_plain_reference = refs.len() == 1
            && matches!(
                refs[0].referent(),
                Ok(Referent::Resource(_) | Referent::ModuleOutput { output: None, .. })
            );
        if !is_plain_reference {
            self.diags.push(
                Diagnostic::error(
                    "Invalid depends_on reference",
                    "depends_on entries name resources, data sources or modules, as in \
                     random_id.x or module.platform.",
                )
                .at_range(Some(self.root.range(e))),
            );
            return;
        }
        self.expr_edges(from, e, scope);
        // As in Terraform, depending on a module is depending on everything in it, not only on
        // its outputs.
        if let Ok(Referent::ModuleOutput { call, output: None }) = refs[0].referent()
            && let Some(call) = scope.module.calls.get(&call)
        {
            let inside = scope.path.child(&call.name);
            for (path, module) in call.module.tree() {
                let path = ModulePath(inside.0.iter().chain(&path.0).cloned().collect());
                for addr in module.resources.keys() {
                    let node = Node::Resource(path.clone(), addr.clone());
                    self.edges.push((from, self.index[&node]));
                }
            }
        }
    }

    fn expr_edges(&mut self, from: usize, expr: &Expr, scope: &Scope<'_>) {
        let sources = &self.root.sources;
        let m = scope.module;
        for r in references_within(expr, &self.iterators) {
            let range = sources.range(r.file, r.span.clone());
            let referent = match r.referent() {
                Ok(referent) => referent,
                Err(msg) => {
                    self.diags
                        .push(Diagnostic::error("Invalid reference", msg).at_range(Some(range)));
                    continue;
                }
            };
            let path = &scope.path;
            if scope.provisioner == Some(ProvisionerWhen::Destroy)
                && !matches!(referent, Referent::Contextual(_))
            {
                self.diags.push(destroy_provisioner_reference(range));
                continue;
            }
            let targets = match referent {
                Referent::Variable(name) => self
                    .declared(Node::Variable(path.clone(), name.clone()), || {
                        let hint = did_you_mean(&name, m.variables.keys().map(String::as_str));
                        (
                            "Reference to undeclared input variable",
                            format!("An input variable named {name:?} has not been declared.{hint} Declare it with a variable \"{name}\" block."),
                        )
                    })
                    .map(|t| vec![t]),
                Referent::Local(name) => self
                    .declared(Node::Local(path.clone(), name.clone()), || {
                        let hint = did_you_mean(&name, m.locals.keys().map(String::as_str));
                        (
                            "Reference to undeclared local value",
                            format!("A local value named {name:?} has not been declared.{hint}"),
                        )
                    })
                    .map(|t| vec![t]),
                Referent::Resource(addr) => {
                    if scope.this.as_ref() == Some(&addr) {
                        Err((
                            "Self-referential block",
                            format!("{addr} refers to itself; use another resource, or a value known before it{}.", if scope.self_object { " (here it is self)" } else { "" }),
                        ))
                    } else {
                        self.declared(Node::Resource(path.clone(), addr.clone()), || undeclared_resource(m, &addr))
                            .and_then(|t| scoped_outside(m, &addr, scope).map_or(Ok(vec![t]), Err))
                    }
                }
                Referent::ModuleOutput { call, output } => self.module_output_targets(path, m, &call, output.as_deref()),
                Referent::Contextual(root) => {
                    let allowed = match root.as_str() {
                        "count" => scope.count,
                        "each" => scope.each,
                        "self" => scope.self_object,
                        _ => true,
                    };
                    if allowed {
                        continue;
                    }
                    Err(match root.as_str() {
                        "count" => ("Reference to \"count\" in non-counted context", "count.index is only available in blocks that set count.".to_string()),
                        "each" => ("Reference to \"each\" in context without for_each", "each.key and each.value are only available in blocks that set for_each.".to_string()),
                        _ => ("Invalid \"self\" reference", "self is only available in provisioner blocks and postconditions.".to_string()),
                    })
                }
            };
            match targets {
                Ok(to) => self.edges.extend(to.into_iter().map(|t| (from, t))),
                Err((summary, detail)) => self
                    .diags
                    .push(Diagnostic::error(summary, detail).at_range(Some(range))),
            }
        }
    }

    /// The nodes a `module.NAME[.OUTPUT]` reference depends on: the output, or every output
    /// (and the call itself, for a module without outputs).
    fn module_output_targets(
        &self,
        path: &ModulePath,
        m: &Module,
        call: &str,
        output: Option<&str>,
    ) -> Result<Vec<usize>, (&'static str, String)> {
        let Some(module_call) = m.calls.get(call) else {
            let hint = did_you_mean(call, m.calls.keys().map(String::as_str));
            return Err((
                "Reference to undeclared module",
                format!("No module call named {call:?} is declared in this module.{hint}"),
            ));
        };
        let child = path.child(call);
        match output {
            Some(name) => self
                .declared(Node::Output(child, name.to_string()), || {
                    let hint =
                        did_you_mean(name, module_call.module.outputs.keys().map(String::as_str));
                    (
                        "Unsupported attribute",
                        format!("module {call:?} has no output named {name:?}.{hint}"),
                    )
                })
                .map(|t| vec![t]),
            None => {
                let mut targets: Vec<usize> = module_call
                    .module
                    .outputs
                    .keys()
                    .map(|n| self.index[&Node::Output(child.clone(), n.clone())])
                    .collect();
                targets.push(self.index[&Node::ModuleCall(path.clone(), call.to_string())]);
                Ok(targets)
            }
        }
    }

    fn declared(
        &self,
        node: Node,
        undeclared: impl FnOnce() -> (&'static str, String),
    ) -> Result<usize, (&'static str, String)> {
        self.index.get(&node).copied().ok_or_else(undeclared)
    }

    fn finish(mut self) -> Result<Graph, Diagnostics> {
        let n = self.nodes.len();
        let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for (from, to) in &self.edges {
            deps[*from].insert(*to);
        }
        let order = match topological_order(&deps) {
            Ok(order) => order,
            Err(cycle) => {
                let names: Vec<String> = cycle.iter().map(|i| self.nodes[*i].to_string()).collect();
                let range = self.declaration(&self.nodes[cycle[0]]);
                self.diags.push(
                    Diagnostic::error(
                        "Cycle in the graph",
                        format!(
                            "These depend on each other in a circle: {} -> {}. Break the cycle by \
                             removing one of these references.",
                            names.join(" -> "),
                            names[0]
                        ),
                    )
                    .at_range(range),
                );
                return Err(self.diags);
            }
        };
        if self.diags.has_errors() {
            return Err(self.diags);
        }
        // Renumber so that ids are in topological order.
        let mut new_id = vec![0; n];
        for (position, old) in order.iter().enumerate() {
            new_id[*old] = position;
        }
        let nodes: Vec<Node> = order.iter().map(|old| self.nodes[*old].clone()).collect();
        let deps = order
            .iter()
            .map(|old| deps[*old].iter().map(|d| new_id[*d]).collect())
            .collect();
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Ok(Graph { nodes, deps, index })
    }

    /// Where a node is declared.
    fn declaration(&self, node: &Node) -> Option<ggplan_sdk::SourceRange> {
        let m = self.root.at(&node.module())?;
        match node {
            Node::Local(_, n) => m.locals.get(n).map(|l| l.range.clone()),
            Node::Resource(_, a) => m.resources.get(a).map(|r| r.range.clone()),
            Node::Output(_, n) => m.outputs.get(n).map(|o| o.range.clone()),
            Node::Variable(_, n) => m.variables.get(n).map(|v| v.range.clone()),
            Node::Provider(k) => self.root.providers.get(k).map(|p| p.range.clone()),
            Node::ModuleCall(_, n) => m.calls.get(n).map(|c| c.range.clone()),
            Node::Check(_, n) => m.checks.get(n).map(|c| c.range.clone()),
        }
    }
}

fn undeclared_resource(m: &Module, addr: &ResourceAddr) -> (&'static str, String) {
    let same_kind = m.resources.keys().filter(|a| a.kind == addr.kind);
    let hint = did_you_mean(
        &addr.to_string(),
        same_kind
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    match addr.kind {
        ResourceKind::Managed => (
            "Reference to undeclared resource",
            format!(
                "A managed resource {:?} {:?} has not been declared.{hint}",
                addr.type_name, addr.name
            ),
        ),
        ResourceKind::Data => (
            "Reference to undeclared data source",
            format!(
                "A data resource {:?} {:?} has not been declared.{hint}",
                addr.type_name, addr.name
            ),
        ),
    }
}

/// The module an expression is in, and how references are allowed there.
#[derive(Debug, Clone)]
struct Scope<'m> {
    path: ModulePath,
    module: &'m Module,
    count: bool,
    each: bool,
    this: Option<ResourceAddr>,
    /// Inside a provisioner block: a destroy-time provisioner refers to nothing but its
    /// object (it runs when the rest of the stack may be gone).
    provisioner: Option<ProvisionerWhen>,
    /// `self` is the object: in provisioner blocks and postconditions.
    self_object: bool,
    /// Inside a check block (its assertions or its scoped data source): its scoped data
    /// source may be referred to.
    check: Option<String>,
}

impl<'m> Scope<'m> {
    fn plain(path: ModulePath, module: &'m Module) -> Scope<'m> {
        Scope {
            path,
            module,
            count: false,
            each: false,
            this: None,
            provisioner: None,
            self_object: false,
            check: None,
        }
    }
}

/// Why `addr` may not be referred to from `scope`: it is a check block's scoped data source
/// and `scope` is outside that check (Terraform's wording).
fn scoped_outside(
    m: &Module,
    addr: &ResourceAddr,
    scope: &Scope<'_>,
) -> Option<(&'static str, String)> {
    let check = m.resources.get(addr)?.check.as_ref()?;
    (scope.check.as_ref() != Some(check)).then(|| {
        (
            "Reference to scoped resource",
            format!(
                "The referenced data resource {:?} {:?} is not available from this context.",
                addr.type_name, addr.name
            ),
        )
    })
}

/// A destroy-time provisioner refers to something besides its object.
fn destroy_provisioner_reference(range: ggplan_sdk::SourceRange) -> Diagnostic {
    Diagnostic::error(
        "Invalid reference from destroy provisioner",
        "A destroy-time provisioner may only refer to the object it destroys, through self, \
         count.index or each.key: when it runs, what else it names may already be gone.",
    )
    .at_range(Some(range))
}

/// Kahn's algorithm, smallest id first for a stable order; on a cycle, one cycle's nodes.
pub(crate) fn topological_order(deps: &[BTreeSet<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut remaining: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (from, ds) in deps.iter().enumerate() {
        for d in ds {
            dependents[*d].push(from);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|i| remaining[*i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for d in &dependents[next] {
            remaining[*d] -= 1;
            if remaining[*d] == 0 {
                ready.insert(*d);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk dependencies among the nodes left until one repeats: that is a cycle.
    let left: BTreeSet<usize> = (0..n).filter(|i| remaining[*i] > 0).collect();
    let mut path = Vec::new();
    let mut at = *left.first().unwrap_or(&0);
    loop {
        if let Some(pos) = path.iter().position(|p| *p == at) {
            return Err(path[pos..].to_vec());
        }
        path.push(at);
        at = match deps[at].iter().find(|d| left.contains(d)) {
            Some(d) => *d,
            None => return Err(path),
        };
    }
}

/// Terraform's words for an import target that is not declared: in a module that exists,
/// only the root module's resources could have their configuration generated.
fn missing_target_detail(root: &Module, target: &ConfigResource) -> String {
    if !target.module.is_root() && root.at(&target.module).is_some() {
        return format!(
            "Resource {target} not found. Only resources within the root module are \
             eligible for config generation."
        );
    }
    format!(
        "The configuration for the given import target {target} does not exist. All target \
         instances must have an associated configuration to be imported."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(src: &str) -> Result<Graph, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), src).unwrap();
        let module = crate::config::load_dir(dir.path())?;
        Graph::build(&module, &[])
    }

    #[test]
    fn orders_dependencies_first() {
        let g = graph(
            r#"
locals { b = terraform_data.a.output }
resource "terraform_data" "a" { input = var.x }
variable "x" { default = 1 }
output "o" { value = local.b }
"#,
        )
        .unwrap();
        let pos = |n: &Node| g.id(n).unwrap();
        let a = pos(&Node::Resource(
            ModulePath::root(),
            ResourceAddr::managed("terraform_data", "a"),
        ));
        assert!(pos(&Node::Variable(ModulePath::root(), "x".into())) < a);
        assert!(pos(&Node::Provider(ProviderAddr::default_of("terraform"))) < a);
        assert!(a < pos(&Node::Local(ModulePath::root(), "b".into())));
        assert!(
            pos(&Node::Local(ModulePath::root(), "b".into()))
                < pos(&Node::Output(ModulePath::root(), "o".into()))
        );
    }

    #[test]
    fn names_the_whole_cycle() {
        let err = graph("locals {\n a = local.b\n b = local.c\n c = local.a\n}\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("local.a -> local.b -> local.c -> local.a"),
            "{text}"
        );
    }

    #[test]
    fn suggests_close_names_for_undeclared_references() {
        let err = graph(
            r#"
variable "nodes" {}
resource "terraform_data" "a" { input = var.node }
resource "terraform_data" "b" { input = terraform_data.aa.id }
resource "terraform_data" "c" { input = count.index }
"#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Did you mean \"nodes\"?"), "{text}");
        assert!(
            text.contains("Did you mean \"terraform_data.a\"?"),
            "{text}"
        );
        assert!(text.contains("non-counted context"), "{text}");
        assert_eq!(err.0.len(), 3);
    }

    #[test]
    fn dynamic_blocks_have_edges_and_their_iterators_are_not_references() {
        let g = graph(
            r#"
variable "nets" { default = ["a"] }
resource "terraform_data" "a" {}
resource "terraform_data" "b" {
  dynamic "network" {
    for_each = var.nets
    iterator = net
    content {
      name = "${net.value}-${terraform_data.a.id}"
      dynamic "port" {
        for_each = net.value
        content { n = port.key }
      }
    }
  }
}
"#,
        )
        .unwrap();
        let id = |n: Node| g.id(&n).unwrap();
        let b = id(Node::Resource(
            ModulePath::root(),
            ResourceAddr::managed("terraform_data", "b"),
        ));
        let a = id(Node::Resource(
            ModulePath::root(),
            ResourceAddr::managed("terraform_data", "a"),
        ));
        let nets = id(Node::Variable(ModulePath::root(), "nets".into()));
        assert!(g.deps[b].contains(&a) && g.deps[b].contains(&nets));
    }
}
