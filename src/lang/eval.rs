//! The expression evaluator: HCL expressions to [`Value`]s, with unknown values and sensitive
//! marks flowing through every operation.
//!
//! What names mean (var, local, resources, each, count...) is the caller's business, answered
//! through [`Resolver`]; the evaluator knows only the language.

use super::functions::{self, FunctionContext, FunctionError};
use super::template;
use crate::config::{Expr, FileId, SourceMap};
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Number, Value};
use hcl_edit::Span;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, TraversalOperator, UnaryOperator,
};
use std::collections::BTreeMap;

/// One step of a reference after its root name: `.name` or `[index]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Attr(String),
    Index(Value),
}

/// Answers what a reference's root name means in the current context.
pub trait Resolver {
    /// The value of a reference rooted at `root` (`var`, `local`, `data`, a resource type,
    /// `count`, `each`, `path`...). The resolver consumes as many leading `steps` as the name
    /// needs (`local_file.inv` takes one, `data.local_file.x` two, and a following index may
    /// be taken too, to pick one instance without building all of them) and returns how many.
    /// The error is a sentence that says what is wrong and what to do.
    fn resolve(&self, root: &str, steps: &[Step]) -> std::result::Result<(Value, usize), String>;
}

/// A resolver that knows no names: constant expressions only.
pub struct NoNames;

impl Resolver for NoNames {
    fn resolve(&self, root: &str, _steps: &[Step]) -> std::result::Result<(Value, usize), String> {
        Err(format!(
            "{root} cannot be referenced here; only constant values are allowed."
        ))
    }
}

/// A resolver for which every name is unknown: checks an expression's shape and literal types
/// without any values (`ggplan validate`). Whether names are declared is the graph's check.
pub struct AllUnknown;

impl Resolver for AllUnknown {
    fn resolve(&self, root: &str, steps: &[Step]) -> std::result::Result<(Value, usize), String> {
        let names = if root == "data" { 2 } else { 1 };
        Ok((Value::Unknown, names.min(steps.len())))
    }
}

/// Evaluates expressions of one file at a time against a resolver.
pub struct Evaluator<'a> {
    sources: &'a SourceMap,
    resolver: &'a dyn Resolver,
    functions: &'a FunctionContext,
    file: FileId,
    /// Names bound by `for` expressions and template `for` directives, innermost last.
    bound: Vec<(String, Value)>,
}

type Result<T> = std::result::Result<T, Diagnostic>;

impl<'a> Evaluator<'a> {
    /// An evaluator over `resolver`'s names.
    pub fn new(
        sources: &'a SourceMap,
        resolver: &'a dyn Resolver,
        functions: &'a FunctionContext,
    ) -> Evaluator<'a> {
        Evaluator {
            sources,
            resolver,
            functions,
            file: FileId(0),
            bound: Vec::new(),
        }
    }

    /// Evaluates one expression.
    pub fn eval(&mut self, expr: &Expr) -> Result<Value> {
        self.file = expr.file;
        self.expr(&expr.expr)
    }

    /// Evaluates a template source with `vars` as its only names (for `templatefile`).
    fn eval_with_bindings(
        &mut self,
        expr: &Expression,
        bindings: Vec<(String, Value)>,
    ) -> Result<Value> {
        let saved = std::mem::replace(&mut self.bound, bindings);
        let out = self.expr(expr);
        self.bound = saved;
        out
    }

    pub(super) fn error(
        &self,
        span: Option<std::ops::Range<usize>>,
        summary: &str,
        detail: String,
    ) -> Diagnostic {
        let range = span.map(|s| self.sources.range(self.file, s));
        Diagnostic::error(summary, detail).at_range(range)
    }

    pub(super) fn expr(&mut self, e: &Expression) -> Result<Value> {
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => {
                let n = n.value();
                Ok(Value::Number(match n.as_i64() {
                    Some(i) => Number::Int(i),
                    None => Number::from_f64(n.as_f64().unwrap_or(f64::NAN)),
                }))
            }
            Expression::String(s) => Ok(Value::string(s.value().clone())),
            Expression::Array(items) => Ok(Value::List(
                items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?,
            )),
            Expression::Object(obj) => {
                let mut map = BTreeMap::new();
                let mut unknown_key = false;
                let mut sensitive_key = false;
                for (key, value) in obj.iter() {
                    let key = match key {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(k) => {
                            let v = self.expr(k)?;
                            sensitive_key |= v.is_sensitive();
                            match v.peel() {
                                Value::Unknown => {
                                    unknown_key = true;
                                    continue;
                                }
                                Value::String(s) => s.clone(),
                                Value::Number(n) => n.to_string(),
                                Value::Bool(b) => b.to_string(),
                                other => {
                                    return Err(self.error(
                                        k.span(),
                                        "Invalid object key",
                                        format!(
                                            "An object key must be a string, not {}.",
                                            other.kind_name()
                                        ),
                                    ));
                                }
                            }
                        }
                    };
                    let v = self.expr(value.expr())?;
                    map.insert(key, v);
                }
                let out = if unknown_key {
                    Value::Unknown
                } else {
                    Value::Map(map)
                };
                Ok(if sensitive_key {
                    out.into_sensitive()
                } else {
                    out
                })
            }
            Expression::StringTemplate(t) => template::eval(self, t, e.span(), None),
            Expression::HeredocTemplate(h) => {
                template::eval(self, &h.template, e.span(), h.indent())
            }
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.variable(v.as_str(), &[], e.span()).map(|(v, _)| v),
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr)?;
                let (cond, sensitive) = cond.unmark();
                let out = match cond {
                    Value::Unknown => {
                        // Both branches are still checked for errors, as Terraform does.
                        self.expr(&c.true_expr)?;
                        self.expr(&c.false_expr)?;
                        Value::Unknown
                    }
                    Value::Bool(true) => self.expr(&c.true_expr)?,
                    Value::Bool(false) => self.expr(&c.false_expr)?,
                    Value::String(s) if s == "true" || s == "false" => {
                        if s == "true" {
                            self.expr(&c.true_expr)?
                        } else {
                            self.expr(&c.false_expr)?
                        }
                    }
                    other => {
                        return Err(self.error(
                            c.cond_expr.span(),
                            "Incorrect condition type",
                            format!("The condition must be a bool, not {}.", other.kind_name()),
                        ));
                    }
                };
                Ok(mark_if(out, sensitive))
            }
            Expression::FuncCall(call) => self.call(call, e.span()),
            Expression::Traversal(t) => {
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                match &t.expr {
                    Expression::Variable(root) if !self.is_bound(root.as_str()) => {
                        // Evaluate the leading static steps up to the first splat, let the
                        // resolver take what it needs, then walk the rest generically.
                        let mut steps = Vec::new();
                        for op in &ops {
                            match op {
                                TraversalOperator::GetAttr(id) => {
                                    steps.push(Step::Attr(id.as_str().to_string()))
                                }
                                TraversalOperator::Index(ix) => {
                                    steps.push(Step::Index(self.expr(ix)?))
                                }
                                TraversalOperator::LegacyIndex(i) => {
                                    steps.push(Step::Index(Value::int(*i.value() as i64)))
                                }
                                _ => break,
                            }
                        }
                        let (value, used) = self.variable(root.as_str(), &steps, e.span())?;
                        self.traverse(value, &ops[used..], e.span())
                    }
                    base => {
                        let value = self.expr(base)?;
                        self.traverse(value, &ops, e.span())
                    }
                }
            }
            Expression::UnaryOp(op) => {
                let (v, sensitive) = self.expr(&op.expr)?.unmark();
                let out = match (op.operator.value(), v) {
                    (_, Value::Unknown) => Value::Unknown,
                    (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOperator::Neg, v) => match to_number(&v) {
                        Some(Number::Int(i)) => Value::Number(Number::Int(-i)),
                        Some(Number::Float(f)) => Value::Number(Number::Float(-f)),
                        None => return Err(self.operand_error(&op.expr, "number", &v)),
                    },
                    (UnaryOperator::Not, v) => return Err(self.operand_error(&op.expr, "bool", &v)),
                };
                Ok(mark_if(out, sensitive))
            }
            Expression::BinaryOp(op) => {
                self.binary(op.operator.value(), &op.lhs_expr, &op.rhs_expr)
            }
            Expression::ForExpr(f) => self.for_expr(f, e.span()),
        }
    }

    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|(n, _)| n == name)
    }

    /// A bound name, or a resolver lookup.
    fn variable(
        &mut self,
        name: &str,
        steps: &[Step],
        span: Option<std::ops::Range<usize>>,
    ) -> Result<(Value, usize)> {
        if let Some((_, v)) = self.bound.iter().rev().find(|(n, _)| n == name) {
            return Ok((v.clone(), 0));
        }
        self.resolver
            .resolve(name, steps)
            .map_err(|msg| self.error(span, "Invalid reference", msg))
    }

    fn operand_error(&self, e: &Expression, want: &str, got: &Value) -> Diagnostic {
        self.error(
            e.span(),
            "Invalid operand",
            format!(
                "Unsuitable value for this operand: a {want} is required, not {}.",
                got.kind_name()
            ),
        )
    }

    fn binary(&mut self, op: &BinaryOperator, lhs: &Expression, rhs: &Expression) -> Result<Value> {
        let (l, ls) = self.expr(lhs)?.unmark();
        // && and || stop early on a known left side, as Terraform 1.15 does.
        match (op, &l) {
            (BinaryOperator::And, Value::Bool(false)) => {
                return Ok(mark_if(Value::Bool(false), ls));
            }
            (BinaryOperator::Or, Value::Bool(true)) => return Ok(mark_if(Value::Bool(true), ls)),
            _ => {}
        }
        let (r, rs) = self.expr(rhs)?.unmark();
        let sensitive = ls || rs;
        let out = match op {
            BinaryOperator::Eq | BinaryOperator::NotEq => {
                if !l.is_wholly_known() || !r.is_wholly_known() {
                    Value::Unknown
                } else {
                    let (l, lm) = l.unmark_deep();
                    let (r, rm) = r.unmark_deep();
                    let equal = l == r;
                    let out = Value::Bool(if *op == BinaryOperator::Eq {
                        equal
                    } else {
                        !equal
                    });
                    return Ok(mark_if(out, sensitive || !lm.is_empty() || !rm.is_empty()));
                }
            }
            BinaryOperator::And | BinaryOperator::Or => match (&l, &r) {
                (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
                (Value::Bool(a), Value::Bool(b)) => Value::Bool(if *op == BinaryOperator::And {
                    *a && *b
                } else {
                    *a || *b
                }),
                (Value::Bool(_), other) => return Err(self.operand_error(rhs, "bool", other)),
                (other, _) => return Err(self.operand_error(lhs, "bool", other)),
            },
            _ => {
                if matches!(l, Value::Unknown) || matches!(r, Value::Unknown) {
                    return Ok(mark_if(Value::Unknown, sensitive));
                }
                let a = to_number(&l).ok_or_else(|| self.operand_error(lhs, "number", &l))?;
                let b = to_number(&r).ok_or_else(|| self.operand_error(rhs, "number", &r))?;
                match op {
                    BinaryOperator::Less => Value::Bool(a < b),
                    BinaryOperator::LessEq => Value::Bool(a <= b),
                    BinaryOperator::Greater => Value::Bool(a > b),
                    BinaryOperator::GreaterEq => Value::Bool(a >= b),
                    _ => Value::Number(self.arithmetic(*op, a, b, rhs)?),
                }
            }
        };
        Ok(mark_if(out, sensitive))
    }

    fn arithmetic(
        &self,
        op: BinaryOperator,
        a: Number,
        b: Number,
        rhs: &Expression,
    ) -> Result<Number> {
        if let (Number::Int(x), Number::Int(y)) = (a, b) {
            let exact = match op {
                BinaryOperator::Plus => x.checked_add(y),
                BinaryOperator::Minus => x.checked_sub(y),
                BinaryOperator::Mul => x.checked_mul(y),
                BinaryOperator::Mod if y != 0 => x.checked_rem(y),
                BinaryOperator::Div if y != 0 && x % y == 0 => x.checked_div(y),
                _ => None,
            };
            if let Some(n) = exact {
                return Ok(Number::Int(n));
            }
        }
        let (x, y) = (a.as_f64(), b.as_f64());
        if matches!(op, BinaryOperator::Div | BinaryOperator::Mod) && y == 0.0 {
            return Err(self.error(
                rhs.span(),
                "Division by zero",
                "The right side of this operator is zero; the result would be infinite.".into(),
            ));
        }
        let out = match op {
            BinaryOperator::Plus => x + y,
            BinaryOperator::Minus => x - y,
            BinaryOperator::Mul => x * y,
            BinaryOperator::Div => x / y,
            _ => x % y,
        };
        Ok(Number::from_f64(out))
    }

    /// Applies traversal operators to a value.
    fn traverse(
        &mut self,
        mut value: Value,
        ops: &[&TraversalOperator],
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        for (i, op) in ops.iter().enumerate() {
            value = match op {
                TraversalOperator::GetAttr(id) => {
                    self.get_attr(value, id.as_str(), span.clone())?
                }
                TraversalOperator::Index(ix) => {
                    let key = self.expr(ix)?;
                    self.index(value, key, ix.span())?
                }
                TraversalOperator::LegacyIndex(n) => {
                    self.index(value, Value::int(*n.value() as i64), span.clone())?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let (inner, sensitive) = value.unmark();
                    let items = match inner {
                        Value::Unknown => return Ok(mark_if(Value::Unknown, sensitive)),
                        Value::Null => Vec::new(),
                        Value::List(items) => items,
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let out = items
                        .into_iter()
                        .map(|item| self.traverse(item, rest, span.clone()))
                        .collect::<Result<Vec<_>>>()?;
                    return Ok(mark_if(Value::List(out), sensitive));
                }
            };
        }
        Ok(value)
    }

    fn get_attr(
        &self,
        value: Value,
        name: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        let (inner, sensitive) = value.unmark();
        let out = match inner {
            Value::Unknown => Value::Unknown,
            Value::Map(mut map) => match map.remove(name) {
                Some(v) => v,
                None => {
                    let hint = did_you_mean(name, map.keys().map(String::as_str));
                    return Err(self.error(
                        span,
                        "Unsupported attribute",
                        format!("This object does not have an attribute named {name:?}.{hint}"),
                    ));
                }
            },
            Value::Null => {
                return Err(self.error(
                    span,
                    "Attempt to get attribute from null value",
                    format!("This value is null, so it has no attribute {name:?}."),
                ));
            }
            Value::List(_) => {
                return Err(self.error(
                    span,
                    "Unsupported attribute",
                    format!(
                        "This value is a list, which has no attributes. To take {name:?} from \
                         every element, use a splat: [*].{name}; for one element, index it first."
                    ),
                ));
            }
            other => {
                return Err(self.error(
                    span,
                    "Unsupported attribute",
                    format!("A {} has no attribute {name:?}.", other.kind_name()),
                ));
            }
        };
        Ok(mark_if(out, sensitive))
    }

    /// `collection[key]`.
    pub(super) fn index(
        &self,
        value: Value,
        key: Value,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        let (inner, vs) = value.unmark();
        let (key, ks) = key.unmark();
        let sensitive = vs || ks;
        if matches!(inner, Value::Unknown) || matches!(key, Value::Unknown) {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        let invalid = |detail: String| self.error(span.clone(), "Invalid index", detail);
        let out = match inner {
            Value::List(mut items) => {
                let i = to_number(&key).and_then(|n| n.as_i64()).ok_or_else(|| {
                    invalid(format!(
                        "A list is indexed by a whole number, not {}.",
                        key.kind_name()
                    ))
                })?;
                let len = items.len();
                match usize::try_from(i).ok().filter(|i| *i < len) {
                    Some(i) => items.swap_remove(i),
                    None => {
                        return Err(invalid(format!(
                            "The index {i} is out of range for a list of {len} element(s)."
                        )));
                    }
                }
            }
            Value::Map(mut map) => {
                let k = match &key {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(invalid(format!(
                            "A map is indexed by a string, not {}.",
                            other.kind_name()
                        )));
                    }
                };
                match map.remove(&k) {
                    Some(v) => v,
                    None => {
                        let hint = did_you_mean(&k, map.keys().map(String::as_str));
                        return Err(invalid(format!(
                            "The given key {k:?} does not identify an element in this collection.{hint}"
                        )));
                    }
                }
            }
            Value::Null => {
                return Err(invalid(
                    "This value is null, so it cannot be indexed.".into(),
                ));
            }
            other => {
                return Err(invalid(format!(
                    "A {} cannot be indexed.",
                    other.kind_name()
                )));
            }
        };
        Ok(mark_if(out, sensitive))
    }

    fn for_expr(&mut self, f: &ForExpr, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let (collection, sensitive) = self.expr(&f.intro.collection_expr)?.unmark();
        let pairs: Vec<(Value, Value)> = match collection {
            Value::Unknown => return Ok(mark_if(Value::Unknown, sensitive)),
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::int(i as i64), v))
                .collect(),
            Value::Map(map) => map
                .into_iter()
                .map(|(k, v)| (Value::String(k), v))
                .collect(),
            Value::Null => {
                return Err(self.error(
                    f.intro.collection_expr.span(),
                    "Iteration over null value",
                    "A for expression needs a list, set, map or object, not null.".into(),
                ));
            }
            other => {
                return Err(self.error(
                    f.intro.collection_expr.span(),
                    "Iteration over non-iterable value",
                    format!(
                        "A for expression needs a list, set, map or object, not {}.",
                        other.kind_name()
                    ),
                ));
            }
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut list = Vec::new();
        let mut object: BTreeMap<String, Value> = BTreeMap::new();
        let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let depth = self.bound.len();
            if let Some(kv) = &key_var {
                self.bound.push((kv.clone(), k));
            }
            self.bound.push((value_var.clone(), v));
            let result = self.for_item(f, span.clone());
            self.bound.truncate(depth);
            match result? {
                ForItem::Skip => {}
                ForItem::Unknown => unknown = true,
                ForItem::Value(v) => list.push(v),
                ForItem::Entry(k, v) if f.grouping => grouped.entry(k).or_default().push(v),
                ForItem::Entry(k, v) => {
                    if object.insert(k.clone(), v).is_some() {
                        return Err(self.error(
                            f.key_expr.as_ref().and_then(Span::span),
                            "Duplicate object key",
                            format!(
                                "Two elements produce the key {k:?}. Make keys unique, or add `...` \
                                 after the value expression to group values by key."
                            ),
                        ));
                    }
                }
            }
        }
        let out = if unknown {
            Value::Unknown
        } else if f.key_expr.is_none() {
            Value::List(list)
        } else if f.grouping {
            Value::Map(
                grouped
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            )
        } else {
            Value::Map(object)
        };
        Ok(mark_if(out, sensitive))
    }

    fn for_item(&mut self, f: &ForExpr, span: Option<std::ops::Range<usize>>) -> Result<ForItem> {
        if let Some(cond) = &f.cond {
            let (c, _) = self.expr(&cond.expr)?.unmark();
            match c {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(ForItem::Skip),
                Value::Unknown => return Ok(ForItem::Unknown),
                other => {
                    return Err(self.error(
                        cond.expr.span(),
                        "Invalid for expression condition",
                        format!("The if clause must give a bool, not {}.", other.kind_name()),
                    ));
                }
            }
        }
        let value = self.expr(&f.value_expr)?;
        let Some(key_expr) = &f.key_expr else {
            return Ok(ForItem::Value(value));
        };
        let key = self.expr(key_expr)?;
        match key.peel() {
            Value::Unknown => Ok(ForItem::Unknown),
            Value::String(s) => Ok(ForItem::Entry(s.clone(), value)),
            Value::Number(n) => Ok(ForItem::Entry(n.to_string(), value)),
            Value::Bool(b) => Ok(ForItem::Entry(b.to_string(), value)),
            other => Err(self.error(
                key_expr.span().or(span),
                "Invalid object key",
                format!(
                    "The key expression must give a string, not {}.",
                    other.kind_name()
                ),
            )),
        }
    }

    fn call(&mut self, call: &FuncCall, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let name = call.name.name.as_str();
        match name {
            "try" => return self.call_try(call, span),
            "can" => return self.call_can(call, span),
            _ => {}
        }
        let mut args = call
            .args
            .iter()
            .map(|a| self.expr(a))
            .collect::<Result<Vec<_>>>()?;
        if call.args.expand_final() {
            let last = args.pop().unwrap_or_default();
            let (last, sensitive) = last.unmark();
            match last {
                Value::List(items) => args.extend(items.into_iter().map(|v| mark_if(v, sensitive))),
                Value::Unknown => return Ok(Value::Unknown),
                other => {
                    return Err(self.error(
                        span,
                        "Invalid expanding argument value",
                        format!(
                            "The argument after ... must be a list, not {}.",
                            other.kind_name()
                        ),
                    ));
                }
            }
        }
        if name == "templatefile" {
            return self.templatefile(args, span);
        }
        functions::call(name, args, self.functions).map_err(|e| match e {
            FunctionError::Unknown(_) => {
                let hint = did_you_mean(
                    name,
                    functions::names().chain(["try", "can", "templatefile"]),
                );
                self.error(
                    call.name.name.span(),
                    "Call to unknown function",
                    format!("There is no function named {name:?}.{hint}"),
                )
            }
            other => self.error(
                span,
                "Error in function call",
                format!("Call to function {name:?} failed: {other}."),
            ),
        })
    }

    fn call_try(&mut self, call: &FuncCall, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        for arg in call.args.iter() {
            match self.expr(arg) {
                Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown),
                Ok(v) => return Ok(v),
                Err(_) => continue,
            }
        }
        Err(self.error(
            span,
            "Error in function call",
            "Call to function \"try\" failed: no expression succeeded.".into(),
        ))
    }

    fn call_can(&mut self, call: &FuncCall, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let mut args = call.args.iter();
        let (Some(arg), None) = (args.next(), args.next()) else {
            return Err(self.error(
                span,
                "Wrong number of arguments",
                "can() takes exactly one argument.".into(),
            ));
        };
        Ok(match self.expr(arg) {
            Ok(v) if !v.is_wholly_known() => Value::Unknown,
            Ok(_) => Value::Bool(true),
            Err(_) => Value::Bool(false),
        })
    }

    fn templatefile(
        &mut self,
        args: Vec<Value>,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        let fail = |this: &Self, msg: String| {
            this.error(
                span.clone(),
                "Error in function call",
                format!("Call to function \"templatefile\" failed: {msg}."),
            )
        };
        let [path, vars]: [Value; 2] = args
            .try_into()
            .map_err(|_| fail(self, "it takes a path and an object of variables".into()))?;
        if !path.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        let Some(path) = path.as_str() else {
            return Err(fail(self, "the path must be a string".into()));
        };
        let full = self.functions.base_dir.join(path);
        let text = std::fs::read_to_string(&full)
            .map_err(|e| fail(self, format!("cannot read {}: {e}", full.display())))?;
        let template = hcl_edit::parser::parse_template(&text).map_err(|e| {
            fail(
                self,
                format!(
                    "{} is not a valid template: {}",
                    full.display(),
                    e.message()
                ),
            )
        })?;
        let bindings = match vars.peel() {
            Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => return Err(fail(self, "the variables must be an object".into())),
        };
        let expr = Expression::StringTemplate(template.into());
        // Spans inside the template point into another file: report at the call instead.
        self.eval_with_bindings(&expr, bindings)
            .map_err(|d| fail(self, format!("{}: {}", full.display(), d.detail)))
    }

    /// Pushes a bound name (template `for` directives).
    pub(super) fn bind(&mut self, name: String, value: Value) {
        self.bound.push((name, value));
    }

    /// Pops bound names down to `depth`.
    pub(super) fn unbind_to(&mut self, depth: usize) {
        self.bound.truncate(depth);
    }

    pub(super) fn bound_depth(&self) -> usize {
        self.bound.len()
    }
}

enum ForItem {
    Skip,
    Unknown,
    Value(Value),
    Entry(String, Value),
}

/// The value marked sensitive when `sensitive` is set.
pub fn mark_if(value: Value, sensitive: bool) -> Value {
    if sensitive {
        value.into_sensitive()
    } else {
        value
    }
}

/// A number from a number or a numeric string, as Terraform converts operands.
fn to_number(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}
