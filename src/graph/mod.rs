//! The resource graph: one node per variable, local, output, provider configuration and
//! resource of a stack, with an edge wherever one refers to or depends on another.
//!
//! Built in small steps: [`Graph::build`] adds the nodes, then the edges of every
//! expression, then checks that there is no cycle.

mod dot;

use crate::address::ResourceAddr;
use crate::config::{Body, Expr, Module, Repetition};
use crate::lang::references::{Referent, references};
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Diagnostics, ResourceKind};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Variable(String),
    Local(String),
    Provider(String),
    Resource(ResourceAddr),
    Output(String),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Variable(n) => write!(f, "var.{n}"),
            Node::Local(n) => write!(f, "local.{n}"),
            Node::Provider(k) => write!(f, "provider[\"{k}\"]"),
            Node::Resource(a) => write!(f, "{a}"),
            Node::Output(n) => write!(f, "output.{n}"),
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
    /// Builds and checks the graph of `module`. `extra_providers` are provider keys that must
    /// have a node although no resource in the configuration uses them (those of resources that
    /// exist only in state, which still need their provider to be destroyed).
    pub fn build(module: &Module, extra_providers: &[String]) -> Result<Graph, Diagnostics> {
        let mut builder = Builder {
            module,
            nodes: Vec::new(),
            index: HashMap::new(),
            edges: Vec::new(),
            diags: Diagnostics::new(),
        };
        builder.add_nodes(extra_providers);
        builder.add_edges();
        builder.finish()
    }

    /// The id of a node.
    pub fn id(&self, node: &Node) -> Option<usize> {
        self.index.get(node).copied()
    }

    /// The resources a node depends on, directly or through locals, variables and providers
    /// (what Terraform records as a resource's dependencies).
    pub fn resource_dependencies(&self, node: usize) -> BTreeSet<ResourceAddr> {
        let mut found = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = self.deps[node].iter().copied().collect();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            match &self.nodes[n] {
                Node::Resource(addr) => {
                    found.insert(addr.clone());
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
    module: &'a Module,
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    /// (from, to): `from` depends on `to`.
    edges: Vec<(usize, usize)>,
    diags: Diagnostics,
}

impl Builder<'_> {
    fn add(&mut self, node: Node) -> usize {
        if let Some(id) = self.index.get(&node) {
            return *id;
        }
        self.nodes.push(node.clone());
        self.index.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn add_nodes(&mut self, extra_providers: &[String]) {
        let m = self.module;
        for name in m.variables.keys() {
            self.add(Node::Variable(name.clone()));
        }
        for name in m.locals.keys() {
            self.add(Node::Local(name.clone()));
        }
        for key in m.providers.keys() {
            self.add(Node::Provider(key.clone()));
        }
        for (addr, resource) in &m.resources {
            self.add(Node::Provider(resource.provider.clone()));
            self.add(Node::Resource(addr.clone()));
        }
        for key in extra_providers {
            self.add(Node::Provider(key.clone()));
        }
        for name in m.outputs.keys() {
            self.add(Node::Output(name.clone()));
        }
    }

    fn add_edges(&mut self) {
        let m = self.module;
        for (name, local) in &m.locals {
            let from = self.index[&Node::Local(name.clone())];
            self.expr_edges(from, &local.value, Context::default());
        }
        for (key, provider) in &m.providers {
            let from = self.index[&Node::Provider(key.clone())];
            self.body_edges(from, &provider.body, Context::default());
        }
        for (addr, resource) in &m.resources {
            let from = self.index[&Node::Resource(addr.clone())];
            let provider = self.index[&Node::Provider(resource.provider.clone())];
            self.edges.push((from, provider));
            let context = Context {
                count: matches!(resource.repetition, Repetition::Count(_)),
                each: matches!(resource.repetition, Repetition::ForEach(_)),
                this: Some(addr.clone()),
            };
            match &resource.repetition {
                Repetition::Count(e) | Repetition::ForEach(e) => self.expr_edges(
                    from,
                    e,
                    Context {
                        this: Some(addr.clone()),
                        ..Context::default()
                    },
                ),
                Repetition::Single => {}
            }
            self.body_edges(from, &resource.body, context.clone());
            for e in &resource.depends_on {
                self.depends_on_edge(from, e);
            }
            for e in &resource.lifecycle.replace_triggered_by {
                self.expr_edges(from, e, context.clone());
            }
        }
        for (name, output) in &m.outputs {
            let from = self.index[&Node::Output(name.clone())];
            self.expr_edges(from, &output.value, Context::default());
            for e in &output.depends_on {
                self.depends_on_edge(from, e);
            }
        }
    }

    fn body_edges(&mut self, from: usize, body: &Body, context: Context) {
        for attr in body.attributes.values() {
            self.expr_edges(from, &attr.value, context.clone());
        }
        for block in &body.blocks {
            self.body_edges(from, &block.body, context.clone());
        }
    }

    fn depends_on_edge(&mut self, from: usize, e: &Expr) {
        let refs = references(e);
        let is_plain_reference =
            refs.len() == 1 && matches!(refs[0].referent(), Ok(Referent::Resource(_)));
        if !is_plain_reference {
            self.diags.push(
                Diagnostic::error(
                    "Invalid depends_on reference",
                    "depends_on entries name resources or data sources, as in random_id.x.",
                )
                .at_range(Some(self.module.range(e))),
            );
            return;
        }
        self.expr_edges(from, e, Context::default());
    }

    fn expr_edges(&mut self, from: usize, expr: &Expr, context: Context) {
        let m = self.module;
        for r in references(expr) {
            let range = m.sources.range(r.file, r.span.clone());
            let referent = match r.referent() {
                Ok(referent) => referent,
                Err(msg) => {
                    self.diags
                        .push(Diagnostic::error("Invalid reference", msg).at_range(Some(range)));
                    continue;
                }
            };
            let target = match referent {
                Referent::Variable(name) => self.declared(Node::Variable(name.clone()), || {
                    let hint = did_you_mean(&name, m.variables.keys().map(String::as_str));
                    (
                        "Reference to undeclared input variable",
                        format!("An input variable named {name:?} has not been declared.{hint} Declare it with a variable \"{name}\" block."),
                    )
                }),
                Referent::Local(name) => self.declared(Node::Local(name.clone()), || {
                    let hint = did_you_mean(&name, m.locals.keys().map(String::as_str));
                    (
                        "Reference to undeclared local value",
                        format!("A local value named {name:?} has not been declared.{hint}"),
                    )
                }),
                Referent::Resource(addr) => {
                    if context.this.as_ref() == Some(&addr) {
                        Err((
                            "Self-referential block",
                            format!("{addr} refers to itself; use self only where it is allowed, or another resource."),
                        ))
                    } else {
                        self.declared(Node::Resource(addr.clone()), || undeclared_resource(m, &addr))
                    }
                }
                Referent::Contextual(root) => {
                    let allowed = match root.as_str() {
                        "count" => context.count,
                        "each" => context.each,
                        "self" => false,
                        _ => true,
                    };
                    if allowed {
                        continue;
                    }
                    Err(match root.as_str() {
                        "count" => ("Reference to \"count\" in non-counted context", "count.index is only available in resources that set count.".to_string()),
                        "each" => ("Reference to \"each\" in context without for_each", "each.key and each.value are only available in resources that set for_each.".to_string()),
                        _ => ("Invalid \"self\" reference", "self is only available in provisioner and connection blocks, which ggplan does not run.".to_string()),
                    })
                }
            };
            match target {
                Ok(to) => self.edges.push((from, to)),
                Err((summary, detail)) => self
                    .diags
                    .push(Diagnostic::error(summary, detail).at_range(Some(range))),
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
        let order =
            match topological_order(&deps) {
                Ok(order) => order,
                Err(cycle) => {
                    let names: Vec<String> =
                        cycle.iter().map(|i| self.nodes[*i].to_string()).collect();
                    let m = self.module;
                    let range = match &self.nodes[cycle[0]] {
                        Node::Local(n) => m.locals.get(n).map(|l| l.range.clone()),
                        Node::Resource(a) => m.resources.get(a).map(|r| r.range.clone()),
                        Node::Output(n) => m.outputs.get(n).map(|o| o.range.clone()),
                        Node::Variable(n) => m.variables.get(n).map(|v| v.range.clone()),
                        Node::Provider(k) => m.providers.get(k).map(|p| p.range.clone()),
                    };
                    self.diags.push(Diagnostic::error(
                    "Cycle in the graph",
                    format!(
                        "These depend on each other in a circle: {} -> {}. Break the cycle by \
                         removing one of these references.",
                        names.join(" -> "),
                        names[0]
                    ),
                ).at_range(range));
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

/// How a reference is allowed in the expression being examined.
#[derive(Debug, Clone, Default)]
struct Context {
    count: bool,
    each: bool,
    this: Option<ResourceAddr>,
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
        let a = pos(&Node::Resource(ResourceAddr::managed(
            "terraform_data",
            "a",
        )));
        assert!(pos(&Node::Variable("x".into())) < a);
        assert!(pos(&Node::Provider("terraform".into())) < a);
        assert!(a < pos(&Node::Local("b".into())));
        assert!(pos(&Node::Local("b".into())) < pos(&Node::Output("o".into())));
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
}
