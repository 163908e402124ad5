//! Finding what an expression refers to, without evaluating it: the edges of the graph and
//! the names validation checks.

use crate::address::{InstanceKey, ResourceAddr};
use crate::config::{Expr, FileId};
use ggplan_sdk::ResourceKind;
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use std::ops::Range;

/// A reference as written: its root name and the attribute names right after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub root: String,
    pub names: Vec<String>,
    /// The steps after the root up to the first one that is not static (a computed index or a
    /// splat): what Terraform names the reference by (`terraform_data.a[0].id`).
    pub path: Vec<PathStep>,
    pub file: FileId,
    pub span: Range<usize>,
}

/// A static step of a reference: `.name`, `[0]` or `["key"]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    Attr(String),
    Key(InstanceKey),
}

impl Reference {
    /// The reference as Terraform writes it (`terraform_data.a[0].id`), with the first
    /// `steps` of its static path.
    pub fn display(&self, steps: usize) -> String {
        let mut out = self.root.clone();
        for step in self.path.iter().take(steps) {
            match step {
                PathStep::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                PathStep::Key(key) => out.push_str(&key.to_string()),
            }
        }
        out
    }
}

/// The static step an operator is, if it is one.
fn path_step(op: &TraversalOperator) -> Option<PathStep> {
    match op {
        TraversalOperator::GetAttr(id) => Some(PathStep::Attr(id.as_str().to_string())),
        TraversalOperator::LegacyIndex(i) => Some(PathStep::Key(InstanceKey::Int(
            usize::try_from(*i.value()).ok()?,
        ))),
        TraversalOperator::Index(Expression::Number(n)) => {
            let index = usize::try_from(n.value().as_u64()?).ok()?;
            Some(PathStep::Key(InstanceKey::Int(index)))
        }
        TraversalOperator::Index(Expression::String(s)) => {
            Some(PathStep::Key(InstanceKey::Str(s.value().to_string())))
        }
        _ => None,
    }
}

/// What a reference names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Referent {
    Variable(String),
    Local(String),
    Resource(ResourceAddr),
    /// `module.NAME.OUTPUT`, or the whole `module.NAME` (every output) when `output` is None.
    ModuleOutput {
        call: String,
        output: Option<String>,
    },
    /// `count.index`, `each.key`, `path.module`, `terraform.workspace`, `self`: given by context.
    Contextual(String),
}

impl Reference {
    /// What the reference names, or why it names nothing.
    pub fn referent(&self) -> Result<Referent, String> {
        let first = self.names.first();
        match self.root.as_str() {
            "var" => first.map(|n| Referent::Variable(n.clone())).ok_or_else(|| {
                "A reference to var needs a variable name, as in var.suffix.".into()
            }),
            "local" => first
                .map(|n| Referent::Local(n.clone()))
                .ok_or_else(|| "A reference to local needs a name, as in local.nodes.".into()),
            "data" => match (self.names.first(), self.names.get(1)) {
                (Some(t), Some(n)) => Ok(Referent::Resource(ResourceAddr {
                    kind: ResourceKind::Data,
                    type_name: t.clone(),
                    name: n.clone(),
                })),
                _ => Err("A data source reference is written data.TYPE.NAME.".into()),
            },
            "count" | "each" | "path" | "terraform" | "self" => {
                Ok(Referent::Contextual(self.root.clone()))
            }
            "module" => match self.names.first() {
                Some(call) => Ok(Referent::ModuleOutput {
                    call: call.clone(),
                    output: self.names.get(1).cloned(),
                }),
                None => Err("A module output is referenced as module.NAME.OUTPUT.".into()),
            },
            resource_type => first
                .map(|n| Referent::Resource(ResourceAddr::managed(resource_type, n)))
                .ok_or_else(|| {
                    format!(
                        "{resource_type:?} is not a name that can be referenced alone; a resource \
                         is referenced as TYPE.NAME, a variable as var.NAME."
                    )
                }),
        }
    }
}

/// Every reference in `expr`, in source order.
pub fn references(expr: &Expr) -> Vec<Reference> {
    references_within(expr, &[])
}

/// Every reference in `expr` but those to `bound` names (the iterators of enclosing
/// `dynamic` blocks), in source order.
pub fn references_within(expr: &Expr, bound: &[String]) -> Vec<Reference> {
    let mut finder = Finder {
        file: expr.file,
        bound: bound.to_vec(),
        found: Vec::new(),
    };
    finder.expr(&expr.expr);
    finder.found
}

struct Finder {
    file: FileId,
    /// Names bound by enclosing `for` expressions: not references.
    bound: Vec<String>,
    found: Vec<Reference>,
}

impl Finder {
    fn root(&mut self, name: &str, ops: &[&TraversalOperator], span: Option<Range<usize>>) {
        if self.bound.iter().any(|b| b == name) {
            return;
        }
        let names = ops
            .iter()
            .map_while(|op| match op {
                TraversalOperator::GetAttr(id) => Some(id.as_str().to_string()),
                _ => None,
            })
            .take(2)
            .collect();
        let path = ops.iter().map_while(|op| path_step(op)).collect();
        self.found.push(Reference {
            root: name.to_string(),
            names,
            path,
            file: self.file,
            span: span.unwrap_or(0..0),
        });
    }

    fn expr(&mut self, e: &Expression) {
        match e {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(items) => items.iter().for_each(|i| self.expr(i)),
            Expression::Object(obj) => {
                for (k, v) in obj.iter() {
                    if let ObjectKey::Expression(k) = k {
                        // A bare name as a key is a literal string (`{ a = 1 }`), not a reference.
                        if !matches!(k, Expression::Variable(_)) {
                            self.expr(k);
                        }
                    }
                    self.expr(v.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.root(v.as_str(), &[], e.span()),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => call.args.iter().for_each(|a| self.expr(a)),
            Expression::Traversal(t) => {
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                match &t.expr {
                    Expression::Variable(v) => self.root(v.as_str(), &ops, e.span()),
                    other => self.expr(other),
                }
                for op in ops {
                    if let TraversalOperator::Index(ix) = op {
                        self.expr(ix);
                    }
                }
            }
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let depth = self.bound.len();
                if let Some(k) = &f.intro.key_var {
                    self.bound.push(k.as_str().to_string());
                }
                self.bound.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(depth);
            }
        }
    }

    fn template(&mut self, t: &Template) {
        for element in t.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr);
                        let depth = self.bound.len();
                        if let Some(k) = &f.key_var {
                            self.bound.push(k.as_str().to_string());
                        }
                        self.bound.push(f.value_var.as_str().to_string());
                        self.template(&f.template);
                        self.bound.truncate(depth);
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<String> {
        let e = hcl_edit::parser::parse_expr(src).unwrap();
        let expr = Expr {
            file: FileId(0),
            span: 0..src.len(),
            expr: e,
        };
        references(&expr)
            .into_iter()
            .map(|r| format!("{}.{}", r.root, r.names.join(".")))
            .collect()
    }

    #[test]
    fn finds_references_but_not_bound_names() {
        assert_eq!(
            refs(r#"{ for k, v in var.nodes : k => "${v}-${local.suffix}" if data.x.y.z }"#),
            ["var.nodes", "local.suffix", "data.x.y"]
        );
        assert_eq!(refs("a.b[count.index].c"), ["a.b", "count.index"]);
        assert_eq!(
            refs("\"%{ for n in var.l }${n}${each.key}%{ endfor }\""),
            ["var.l", "each.key"]
        );
    }

    #[test]
    fn classifies_referents() {
        let r = Reference {
            root: "data".into(),
            names: vec!["local_file".into(), "x".into()],
            path: vec![],
            file: FileId(0),
            span: 0..0,
        };
        assert!(matches!(r.referent(), Ok(Referent::Resource(a)) if a.kind == ResourceKind::Data));
        let r = Reference {
            root: "var".into(),
            names: vec![],
            path: vec![],
            file: FileId(0),
            span: 0..0,
        };
        assert!(r.referent().is_err());
    }
}
