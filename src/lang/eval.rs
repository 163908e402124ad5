//! The expression evaluator: HCL expressions to [`Value`]s, with unknown values and sensitive
//! marks flowing through every operation.
//!
//! What names mean (var, local, resources, each, count...) is the caller's business, answered
//! through [`Resolver`]; the evaluator knows only the language.

use super::functions::unify::unify;
use super::functions::{self, FunctionContext, FunctionError};
use super::template;
use crate::config::{Expr, FileId, SourceMap};
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Number, Value};
use hcl_edit::Decorated;
use hcl_edit::Span;
use hcl_edit::expr::{
    BinaryOperator, Conditional, Expression, ForExpr, FuncCall, FuncName, Object, ObjectKey,
    Traversal, TraversalOperator, UnaryOp, UnaryOperator,
};
use std::collections::BTreeMap;
use unicode_normalization::UnicodeNormalization;

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

/// [`AllUnknown`], except `terraform.workspace` when the workspace `validate` runs in is known.
pub struct AllUnknownInWorkspace(pub Option<String>);

impl Resolver for AllUnknownInWorkspace {
    fn resolve(&self, root: &str, steps: &[Step]) -> std::result::Result<(Value, usize), String> {
        match (root, steps.first()) {
            ("terraform", Some(Step::Attr(name))) if name == "workspace" => {
                let value = self.0.clone().map_or(Value::Unknown, Value::string);
                Ok((value, 1))
            }
            _ => AllUnknown.resolve(root, steps),
        }
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
    /// How many expressions (and splat steps, and templates) are being evaluated inside one
    /// another: bounded by [`MAX_DEPTH`], so that `[[1]]` followed by 2,000 `[*]` or a
    /// template that includes itself is an error, not a stack overflow.
    depth: usize,
    /// Whether a template read by `templatefile` is being rendered.
    in_templatefile: bool,
}

/// The deepest evaluation allowed; HCL written by hand nests a few levels.
const MAX_DEPTH: usize = 200;

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
            depth: 0,
            in_templatefile: false,
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

    /// Evaluates `e`, one level deeper.
    pub(super) fn expr(&mut self, e: &Expression) -> Result<Value> {
        self.deeper(e.span(), |ev| ev.expr_kind(e))
    }

    /// Runs `f` one level deeper, or fails once [`MAX_DEPTH`] is reached.
    fn deeper<T>(
        &mut self,
        span: Option<std::ops::Range<usize>>,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(
                span,
                "Expression too deeply nested",
                format!(
                    "This expression nests more than {MAX_DEPTH} levels deep (expressions, \
                     splat steps or templates that include templates); write it flatter."
                ),
            ));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// One arm per expression kind; each kind with rules of its own has a function below.
    fn expr_kind(&mut self, e: &Expression) -> Result<Value> {
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(number_literal(n.value()))),
            Expression::String(s) => Ok(Value::String(nfc(s.value()))),
            Expression::Array(items) => Ok(Value::List(
                items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?,
            )),
            Expression::Object(obj) => self.object(obj),
            Expression::StringTemplate(t) => template::eval(self, t, e.span(), None),
            Expression::HeredocTemplate(h) => {
                template::eval(self, &h.template, e.span(), h.indent())
            }
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.variable(v.as_str(), &[], e.span()).map(|(v, _)| v),
            Expression::Conditional(c) => self.conditional(c),
            Expression::FuncCall(call) => self.call(call, e.span()),
            Expression::Traversal(t) => self.traversal(t, e.span()),
            Expression::UnaryOp(op) => self.unary(op, e.span()),
            Expression::BinaryOp(op) => {
                self.binary(op.operator.value(), &op.lhs_expr, &op.rhs_expr, e.span())
            }
            Expression::ForExpr(f) => self.for_expr(f, e.span()),
        }
    }

    /// `{ key = value, ... }`. An unknown key makes the whole object unknown (its value is not
    /// evaluated), and a sensitive key marks the whole object.
    fn object(&mut self, obj: &Object) -> Result<Value> {
        let mut map = BTreeMap::new();
        let mut unknown_key = false;
        let mut sensitive_key = false;
        for (key, value) in obj.iter() {
            let key = match key {
                ObjectKey::Ident(id) => id.as_str().to_string(),
                ObjectKey::Expression(k) => {
                    let v = self.expr(k)?;
                    sensitive_key |= v.is_sensitive();
                    match self.object_key(v.peel(), k, value.expr())? {
                        Some(key) => key,
                        None => {
                            unknown_key = true;
                            continue;
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
        Ok(mark_if(out, sensitive_key))
    }

    /// The attribute name an object key expression gives (`None` when it is unknown): strings,
    /// numbers and bools, as their text.
    fn object_key(
        &self,
        key: &Value,
        key_expr: &Expression,
        value_expr: &Expression,
    ) -> Result<Option<String>> {
        match key {
            Value::Unknown => Ok(None),
            // Terraform points at the value of the item here.
            Value::Null => Err(self.error(
                value_expr.span(),
                "Null value as key",
                "Can't use a null value as a key.".into(),
            )),
            other => key_text(other).map(Some).ok_or_else(|| {
                self.error(
                    key_expr.span(),
                    "Incorrect key type",
                    format!(
                        "Can't use this value as a key: string required, but have {}.",
                        type_name(other)
                    ),
                )
            }),
        }
    }

    /// `root.a[0].b` and `(expr).a[0]`. A root name that no `for` binds goes to the resolver
    /// with the leading static steps up to the first splat; the resolver takes what it needs
    /// and the rest is walked generically.
    fn traversal(&mut self, t: &Traversal, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let ops: Vec<&Decorated<TraversalOperator>> = t.operators.iter().collect();
        match &t.expr {
            Expression::Variable(root) if !self.is_bound(root.as_str()) => {
                let steps = self.static_steps(&ops)?;
                let (value, used) = self.variable(root.as_str(), &steps, span.clone())?;
                self.traverse(value, &ops[used..], span)
            }
            base => {
                let value = self.expr(base)?;
                self.traverse(value, &ops, span)
            }
        }
    }

    /// The attribute and index steps of a traversal, up to its first splat, evaluated.
    fn static_steps(&mut self, ops: &[&Decorated<TraversalOperator>]) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        for op in ops {
            match op.value() {
                TraversalOperator::GetAttr(id) => steps.push(Step::Attr(id.as_str().to_string())),
                TraversalOperator::Index(ix) => steps.push(Step::Index(self.expr(ix)?)),
                TraversalOperator::LegacyIndex(i) => {
                    steps.push(Step::Index(Value::int(*i.value() as i64)))
                }
                _ => break,
            }
        }
        Ok(steps)
    }

    /// `!x` and `-x`: the operand converted as Terraform converts it, unknown stays unknown,
    /// null is an error, the mark is kept.
    fn unary(&mut self, op: &UnaryOp, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let (v, sensitive) = self.expr(&op.expr)?.unmark();
        let out = match op.operator.value() {
            UnaryOperator::Not => match self.bool_operand(v, &op.expr, "unary")? {
                Operand::Known(b) => Value::Bool(!b),
                Operand::Unknown => Value::Unknown,
                Operand::Null => return Err(self.null_operand(span)),
            },
            UnaryOperator::Neg => match self.number_operand(v, &op.expr, "unary")? {
                Operand::Known(n) => Value::Number(negate(n)),
                Operand::Unknown => Value::Unknown,
                Operand::Null => return Err(self.null_operand(span)),
            },
        };
        Ok(mark_if(out, sensitive))
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

    /// "Unsuitable value for left operand: ..." at the operand.
    fn operand_error(&self, e: &Expression, side: &str, detail: &str) -> Diagnostic {
        self.error(
            e.span(),
            "Invalid operand",
            format!("Unsuitable value for {side} operand: {detail}."),
        )
    }

    /// Terraform's error for a null operand, which points at the whole operation.
    fn null_operand(&self, span: Option<std::ops::Range<usize>>) -> Diagnostic {
        self.error(
            span,
            "Operation failed",
            "Error during operation: argument must not be null.".into(),
        )
    }

    /// An operand converted to a number as Terraform converts it (a string must hold one).
    fn number_operand(&self, v: Value, e: &Expression, side: &str) -> Result<Operand<Number>> {
        match v {
            Value::Number(n) => Ok(Operand::Known(n)),
            Value::Unknown => Ok(Operand::Unknown),
            Value::Null => Ok(Operand::Null),
            Value::String(s) => Number::parse(&s)
                .map(Operand::Known)
                .ok_or_else(|| self.operand_error(e, side, "a number is required")),
            other => Err(self.operand_error(
                e,
                side,
                &format!("number required, but have {}", type_name(&other)),
            )),
        }
    }

    /// An operand converted to a bool as Terraform converts it (`"true"` and `"false"` too).
    fn bool_operand(&self, v: Value, e: &Expression, side: &str) -> Result<Operand<bool>> {
        match v {
            Value::Bool(b) => Ok(Operand::Known(b)),
            Value::Unknown => Ok(Operand::Unknown),
            Value::Null => Ok(Operand::Null),
            Value::String(s) if s == "true" || s == "false" => Ok(Operand::Known(s == "true")),
            Value::String(_) => Err(self.operand_error(e, side, "a bool is required")),
            other => Err(self.operand_error(
                e,
                side,
                &format!("bool required, but have {}", type_name(&other)),
            )),
        }
    }

    fn binary(
        &mut self,
        op: &BinaryOperator,
        lhs: &Expression,
        rhs: &Expression,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        if matches!(op, BinaryOperator::And | BinaryOperator::Or) {
            return self.logical(*op, lhs, rhs);
        }
        let (l, ls) = self.expr(lhs)?.unmark();
        let (r, rs) = self.expr(rhs)?.unmark();
        let sensitive = ls || rs;
        if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) {
            if !l.is_wholly_known() || !r.is_wholly_known() {
                return Ok(mark_if(Value::Unknown, sensitive));
            }
            let (l, lm) = l.unmark_deep();
            let (r, rm) = r.unmark_deep();
            let equal = l == r;
            let out = Value::Bool(equal == (*op == BinaryOperator::Eq));
            return Ok(mark_if(out, sensitive || !lm.is_empty() || !rm.is_empty()));
        }
        let a = self.number_operand(l, lhs, "left")?;
        let b = self.number_operand(r, rhs, "right")?;
        let (a, b) = match (a, b) {
            (Operand::Unknown, _) | (_, Operand::Unknown) => {
                return Ok(mark_if(Value::Unknown, sensitive));
            }
            (Operand::Null, _) | (_, Operand::Null) => return Err(self.null_operand(span)),
            (Operand::Known(a), Operand::Known(b)) => (a, b),
        };
        let out = match op {
            BinaryOperator::Less => Value::Bool(a < b),
            BinaryOperator::LessEq => Value::Bool(a <= b),
            BinaryOperator::Greater => Value::Bool(a > b),
            BinaryOperator::GreaterEq => Value::Bool(a >= b),
            _ => Value::Number(arithmetic(*op, a, b)),
        };
        Ok(mark_if(out, sensitive))
    }

    /// `&&` and `||`. Null counts as false. A known left side decides alone, as in Terraform
    /// 1.15: the right side's errors are then ignored, but not a right side of the wrong type.
    fn logical(&mut self, op: BinaryOperator, lhs: &Expression, rhs: &Expression) -> Result<Value> {
        let and = op == BinaryOperator::And;
        let (l, ls) = self.expr(lhs)?.unmark();
        let left = self.bool_operand(l, lhs, "left")?.or_false();
        if left == Some(!and) {
            if let Ok(r) = self.expr(rhs) {
                self.bool_operand(r.unmark().0, rhs, "right")?;
            }
            return Ok(mark_if(Value::Bool(!and), ls));
        }
        let (r, rs) = self.expr(rhs)?.unmark();
        let right = self.bool_operand(r, rhs, "right")?.or_false();
        let out = match (left, right) {
            (Some(a), Some(b)) => Value::Bool(if and { a && b } else { a || b }),
            // An unknown side decides nothing unless the other side decides alone.
            (_, Some(b)) if b != and => Value::Bool(b),
            _ => Value::Unknown,
        };
        Ok(mark_if(out, ls || rs))
    }

    /// Which way a condition (of `? :` or `%{if}`) goes: `None` while it is unknown. A bool or
    /// its string spelling; null and other types are errors at the condition.
    pub(super) fn condition(&self, cond: Value, e: &Expression) -> Result<Option<bool>> {
        match cond {
            Value::Unknown => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            Value::String(s) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Value::Null => Err(self.error(
                e.span(),
                "Null condition",
                "The condition value is null. Conditions must either be true or false.".into(),
            )),
            _ => Err(self.error(
                e.span(),
                "Incorrect condition type",
                "The condition expression must be of type bool.".into(),
            )),
        }
    }

    fn conditional(&mut self, c: &Conditional) -> Result<Value> {
        let (cond, cs) = self.expr(&c.cond_expr)?.unmark();
        let choice = self.condition(cond, &c.cond_expr)?;
        // Both results are evaluated, to unify their types; an error in the result not taken
        // is ignored, as Terraform does.
        let (t, f) = match (choice, self.expr(&c.true_expr), self.expr(&c.false_expr)) {
            (Some(true) | None, Err(e), _) | (Some(false) | None, _, Err(e)) => return Err(e),
            (_, Ok(t), Err(_)) => return Ok(mark_if(t, cs)),
            (_, Err(_), Ok(f)) => return Ok(mark_if(f, cs)),
            (_, Ok(t), Ok(f)) => (t, f),
        };
        let (t, ts) = t.unmark();
        let (f, fs) = f.unmark();
        let names = (type_name(&t), type_name(&f));
        let mut unified = unify(vec![t, f])
            .map_err(|_| {
                let span = match (c.true_expr.span(), c.false_expr.span()) {
                    (Some(a), Some(b)) => Some(a.start..b.end),
                    _ => None,
                };
                self.error(
                    span,
                    "Inconsistent conditional result types",
                    format!(
                        "The true and false result expressions must have consistent types. The \
                         'true' value is {}, but the 'false' value is {}.",
                        names.0, names.1
                    ),
                )
            })?
            .into_iter();
        let (t, f) = (unified.next(), unified.next());
        let out = match choice {
            None => Value::Unknown,
            Some(true) => t.unwrap_or_default(),
            Some(false) => f.unwrap_or_default(),
        };
        Ok(mark_if(out, cs || ts || fs))
    }

    /// Applies traversal operators to a value. Each operator reports its errors at its own
    /// span (`.name`, `[key]`), as Terraform does.
    fn traverse(
        &mut self,
        mut value: Value,
        ops: &[&Decorated<TraversalOperator>],
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        for (i, op) in ops.iter().enumerate() {
            let at = op.span().or(span.clone());
            value = match op.value() {
                TraversalOperator::GetAttr(id) => self.get_attr(value, id.as_str(), at)?,
                TraversalOperator::Index(ix) => {
                    let key = self.expr(ix)?;
                    self.index(value, key, at)?
                }
                TraversalOperator::LegacyIndex(n) => {
                    self.index(value, Value::int(*n.value() as i64), at)?
                }
                splat @ (TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)) => {
                    let (inner, sensitive) = value.unmark();
                    let items = match inner {
                        Value::Unknown => return Ok(mark_if(Value::Unknown, sensitive)),
                        Value::Null => Vec::new(),
                        Value::List(items) => items,
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    // `[*]` applies every following step to each element; the legacy `.*`
                    // only the attribute steps, and the rest to the resulting list.
                    let per_item = match splat {
                        TraversalOperator::AttrSplat(_) => rest
                            .iter()
                            .take_while(|o| matches!(o.value(), TraversalOperator::GetAttr(_)))
                            .count(),
                        _ => rest.len(),
                    };
                    let out = self.deeper(at, |ev| {
                        items
                            .into_iter()
                            .map(|item| ev.traverse(item, &rest[..per_item], span.clone()))
                            .collect::<Result<Vec<_>>>()
                    })?;
                    let out = mark_if(Value::List(out), sensitive);
                    return self
                        .deeper(span.clone(), |ev| ev.traverse(out, &rest[per_item..], span));
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
        let unsupported =
            |detail: String| self.error(span.clone(), "Unsupported attribute", detail);
        let out = match inner {
            Value::Unknown => Value::Unknown,
            Value::Map(mut map) => match map.remove(name) {
                Some(v) => v,
                None => {
                    let hint = did_you_mean(name, map.keys().map(String::as_str));
                    return Err(unsupported(format!(
                        "This object does not have an attribute named {name:?}.{hint}"
                    )));
                }
            },
            Value::Null => {
                return Err(self.error(
                    span,
                    "Attempt to get attribute from null value",
                    "This value is null, so it does not have any attributes.".into(),
                ));
            }
            Value::List(_) => {
                return Err(unsupported(format!(
                    "This value does not have any attributes. To take {name:?} from every \
                     element, use a splat: [*].{name}; for one element, index it first."
                )));
            }
            other => {
                return Err(unsupported(format!(
                    "Can't access attributes on a primitive-typed value ({}).",
                    type_name(&other)
                )));
            }
        };
        Ok(mark_if(out, sensitive))
    }

    /// `collection[key]`: an unknown collection or key gives unknown, a sensitive one marks
    /// the element; a null key is an error before that, except on a null collection, which
    /// reports itself.
    fn index(
        &self,
        value: Value,
        key: Value,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value> {
        let (inner, vs) = value.unmark();
        let (key, ks) = key.unmark();
        let sensitive = vs || ks;
        let invalid = |detail: String| self.error(span.clone(), "Invalid index", detail);
        if matches!(key, Value::Null) && !matches!(inner, Value::Null) {
            return Err(invalid("Can't use a null value as an indexing key.".into()));
        }
        if matches!(inner, Value::Unknown) || matches!(key, Value::Unknown) {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        let out = match inner {
            Value::List(mut items) => {
                let i = sequence_position(&key, items.len())
                    .map_err(|why| invalid(format!("{MISSING_ELEMENT}: {why}.")))?;
                items.swap_remove(i)
            }
            Value::Map(map) => map_element(map, &key).map_err(invalid)?,
            Value::Null => {
                return Err(self.error(
                    span,
                    "Attempt to index null value",
                    "This value is null, so it does not have any indices.".into(),
                ));
            }
            _ => return Err(invalid("This value does not have any indices.".into())),
        };
        Ok(mark_if(out, sensitive))
    }

    /// The key/value pairs a `for` expression or `%{for}` directive iterates over.
    pub(crate) fn iteration_pairs(
        &self,
        collection: Value,
        e: &Expression,
    ) -> Result<Option<Vec<(Value, Value)>>> {
        Ok(Some(match collection {
            Value::Unknown => return Ok(None),
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
                    e.span(),
                    "Iteration over null value",
                    "A null value cannot be used as the collection in a 'for' expression.".into(),
                ));
            }
            other => {
                return Err(self.error(
                    e.span(),
                    "Iteration over non-iterable value",
                    format!(
                        "A value of type {} cannot be used as the collection in a 'for' expression.",
                        type_name(&other)
                    ),
                ));
            }
        }))
    }

    fn for_expr(&mut self, f: &ForExpr, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let (collection, sensitive) = self.expr(&f.intro.collection_expr)?.unmark();
        let Some(pairs) = self.iteration_pairs(collection, &f.intro.collection_expr)? else {
            return Ok(mark_if(Value::Unknown, sensitive));
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
                                "Two different items produced the key {k:?} in this 'for' \
                                 expression. If duplicates are expected, use the ellipsis (...) \
                                 after the value expression to enable grouping by key."
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
            let invalid = |detail: String| {
                self.error(
                    cond.expr.span(),
                    "Invalid 'for' condition",
                    format!("The 'if' clause value is invalid: {detail}."),
                )
            };
            match c {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(ForItem::Skip),
                Value::String(s) if s == "true" => {}
                Value::String(s) if s == "false" => return Ok(ForItem::Skip),
                Value::Unknown => return Ok(ForItem::Unknown),
                Value::Null => {
                    return Err(self.error(
                        cond.expr.span(),
                        "Condition is null",
                        "The value of the 'if' clause must not be null.".into(),
                    ));
                }
                Value::String(_) => return Err(invalid("a bool is required".into())),
                other => {
                    return Err(invalid(format!(
                        "bool required, but have {}",
                        type_name(&other)
                    )));
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
            Value::Null => Err(self.error(
                key_expr.span().or(span),
                "Invalid object key",
                "Key expression in 'for' expression must not produce a null value.".into(),
            )),
            other => Err(self.error(
                key_expr.span().or(span),
                "Invalid object key",
                format!(
                    "The key expression produced an invalid result: string required, but have {}.",
                    type_name(other)
                ),
            )),
        }
    }

    fn call(&mut self, call: &FuncCall, span: Option<std::ops::Range<usize>>) -> Result<Value> {
        let name = self.function_name(&call.name)?;
        match name.as_str() {
            "try" => return self.call_try(call, span),
            "can" => return self.call_can(call, span),
            _ => {}
        }
        let Some(args) = self.call_args(call, span.clone())? else {
            return Ok(Value::Unknown);
        };
        if name == "templatefile" {
            return self.templatefile(args, span);
        }
        functions::call(&name, args, self.functions)
            .map_err(|e| self.call_error(call, span, &name, e))
    }

    /// The name a call's function goes by: `NAME` for a built-in one (which Terraform 1.8
    /// also lets a stack write `core::NAME`), `provider::PROVIDER::NAME` for a provider's.
    /// Any other namespace names no function.
    fn function_name(&self, name: &FuncName) -> Result<String> {
        let namespace: Vec<&str> = name.namespace.iter().map(|n| n.as_str()).collect();
        let function = name.name.as_str();
        match namespace.as_slice() {
            [] | ["core"] => Ok(function.to_string()),
            ["provider", provider] => Ok(format!("provider::{provider}::{function}")),
            _ => Err(self.error(
                name_span(name),
                "Call to unknown function",
                format!(
                    "There is no function named \"{}::{function}\". A function is built in \
                     (NAME, or core::NAME) or offered by a provider \
                     (provider::PROVIDER::NAME).",
                    namespace.join("::")
                ),
            )),
        }
    }

    /// The arguments of a call, the last one expanded when it ends with `...`; `None` when
    /// that one is unknown, which makes the call's result unknown.
    fn call_args(
        &mut self,
        call: &FuncCall,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Option<Vec<Value>>> {
        let mut args = call
            .args
            .iter()
            .map(|a| self.expr(a))
            .collect::<Result<Vec<_>>>()?;
        if !call.args.expand_final() {
            return Ok(Some(args));
        }
        let last = args.pop().unwrap_or_default();
        let (last, sensitive) = last.unmark();
        match last {
            Value::List(items) => args.extend(items.into_iter().map(|v| mark_if(v, sensitive))),
            Value::Unknown => return Ok(None),
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
        Ok(Some(args))
    }

    /// A failed call as Terraform reports it: an unknown function at its name (with what
    /// may have been meant), a bad argument at that argument, a wrong count or a failure at
    /// the call.
    fn call_error(
        &self,
        call: &FuncCall,
        span: Option<std::ops::Range<usize>>,
        name: &str,
        e: FunctionError,
    ) -> Diagnostic {
        match e {
            FunctionError::Unknown(_) => {
                let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
                let hint = match namespace.as_slice() {
                    ["provider", provider] => self
                        .functions
                        .provider_functions
                        .missing_hint(provider, call.name.name.as_str()),
                    _ => did_you_mean(
                        name,
                        functions::names().chain(["try", "can", "templatefile"]),
                    ),
                };
                self.error(
                    name_span(&call.name),
                    "Call to unknown function",
                    format!("There is no function named {name:?}.{hint}"),
                )
            }
            FunctionError::Arg { index, .. } => {
                let args: Vec<&Expression> = call.args.iter().collect();
                let at = args.get(index).or(args.last()).and_then(|a| start_span(a));
                self.error(at.or(span), "Invalid function argument", e.to_string())
            }
            FunctionError::Arity { ref missing, .. } => self.error(
                span,
                if missing.is_some() {
                    "Not enough function arguments"
                } else {
                    "Too many function arguments"
                },
                e.to_string(),
            ),
            FunctionError::Call(_) => self.error(
                self.call_head(span),
                "Error in function call",
                format!("Call to function {name:?} failed: {e}"),
            ),
        }
    }

    /// The span of `name(` in a call, where Terraform reports a failed call.
    fn call_head(&self, span: Option<std::ops::Range<usize>>) -> Option<std::ops::Range<usize>> {
        let span = span?;
        let text = &self.sources.file(self.file).text;
        let paren = text.get(span.clone())?.find('(')?;
        Some(span.start..span.start + paren + 1)
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
        if self.in_templatefile {
            // As in Terraform: a template that renders templates could include itself.
            return Err(fail(
                self,
                format!("{path}: cannot call templatefile from inside a template"),
            ));
        }
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
        self.in_templatefile = true;
        let rendered = self.eval_with_bindings(&expr, bindings);
        self.in_templatefile = false;
        rendered.map_err(|d| {
            let detail = d.detail.trim_end_matches('.');
            fail(self, format!("{}: {detail}", full.display()))
        })
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

/// The span of a function's name, namespace included.
fn name_span(name: &FuncName) -> Option<std::ops::Range<usize>> {
    let end = name.name.span()?;
    let start = name
        .namespace
        .first()
        .and_then(|n| n.span())
        .unwrap_or(end.clone());
    Some(start.start..end.end)
}

/// A string literal normalised to NFC, as HCL normalises the strings of its source.
pub(super) fn nfc(s: &str) -> String {
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        s.to_string()
    } else {
        s.nfc().collect()
    }
}

/// A number literal: whole numbers exact while they fit, others as doubles.
fn number_literal(n: &hcl_edit::Number) -> Number {
    match n.as_i64() {
        Some(i) => Number::Int(i),
        None => Number::from_f64(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// `-n`: a whole number stays exact unless negating it overflows.
fn negate(n: Number) -> Number {
    match n {
        Number::Int(i) => match i.checked_neg() {
            Some(n) => Number::Int(n),
            None => Number::Float(-(i as f64)),
        },
        Number::Float(f) => Number::Float(-f),
    }
}

/// The text a key takes when it names an attribute: strings as they are, numbers and bools
/// as they print. Other values cannot be keys.
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

const MISSING_ELEMENT: &str = "The given key does not identify an element in this collection value";

/// Which element of a sequence of `len` elements `key` picks: a whole, non-negative number
/// (or a string holding one) below the length. The error says why not.
fn sequence_position(key: &Value, len: usize) -> std::result::Result<usize, &'static str> {
    let n = match key {
        Value::Number(n) => *n,
        Value::String(s) => Number::parse(s).ok_or("a number is required")?,
        _ => return Err("a number is required"),
    };
    let i = match n {
        Number::Float(f) if f.fract() != 0.0 => {
            return Err(
                "indexing a sequence requires a whole number, but the given index has a \
                 fractional part",
            );
        }
        n => n.as_i64().ok_or("a number is required")?,
    };
    if i < 0 {
        Err("a negative number is not a valid index for a sequence")
    } else if i as usize >= len {
        Err("the given index is greater than or equal to the length of the collection")
    } else {
        Ok(i as usize)
    }
}

/// The element of an object or map that `key` names, taken out. The error is the detail of
/// an "Invalid index" diagnostic.
fn map_element(
    mut map: BTreeMap<String, Value>,
    key: &Value,
) -> std::result::Result<Value, String> {
    let Some(k) = key_text(key) else {
        return Err(format!(
            "{MISSING_ELEMENT}: string required, but have {}.",
            type_name(key)
        ));
    };
    match map.remove(&k) {
        Some(v) => Ok(v),
        None if matches!(key, Value::Number(_)) => Err(format!(
            "{MISSING_ELEMENT}. An object only supports looking up attributes by name, not by \
             numeric index."
        )),
        None => {
            let hint = did_you_mean(&k, map.keys().map(String::as_str));
            Err(format!("{MISSING_ELEMENT}.{hint}"))
        }
    }
}

/// Where Terraform reports a problem with an expression's value as a function argument: its
/// first token (`[`, `{`, a string's text inside the quotes, a call's name), or all of it.
fn start_span(e: &Expression) -> Option<std::ops::Range<usize>> {
    let span = e.span()?;
    match e {
        Expression::Array(_) | Expression::Object(_) | Expression::Parenthesis(_) => {
            Some(span.start..span.start + 1)
        }
        Expression::String(_) if span.end - span.start >= 2 => Some(span.start + 1..span.end - 1),
        Expression::FuncCall(call) => call.name.name.span(),
        Expression::BinaryOp(op) => start_span(&op.lhs_expr),
        Expression::Conditional(c) => start_span(&c.cond_expr),
        _ => Some(span),
    }
}

/// An operand after conversion.
enum Operand<T> {
    Known(T),
    Unknown,
    Null,
}

impl Operand<bool> {
    /// The bool a logical operator sees: null counts as false, unknown is `None`.
    fn or_false(self) -> Option<bool> {
        match self {
            Operand::Known(b) => Some(b),
            Operand::Null => Some(false),
            Operand::Unknown => None,
        }
    }
}

/// The Terraform type name of a value, for messages. Values carry no static types, so this is
/// the type a literal of the same shape has: lists read as tuples and maps as objects.
pub fn type_name(v: &Value) -> &'static str {
    match v.peel() {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "tuple",
        Value::Map(_) => "object",
        Value::Unknown | Value::Sensitive(_) => "dynamic",
    }
}

/// `a op b` for arithmetic operators. Whole numbers stay exact while they fit; a division by
/// zero gives an infinity and a modulo by zero its left side, as in Terraform.
fn arithmetic(op: BinaryOperator, a: Number, b: Number) -> Number {
    if let (Number::Int(x), Number::Int(y)) = (a, b) {
        let exact = match op {
            BinaryOperator::Plus => x.checked_add(y),
            BinaryOperator::Minus => x.checked_sub(y),
            BinaryOperator::Mul => x.checked_mul(y),
            BinaryOperator::Mod if y == 0 => Some(x),
            BinaryOperator::Mod => x.checked_rem(y),
            BinaryOperator::Div if x.checked_rem(y) == Some(0) => x.checked_div(y),
            _ => None,
        };
        if let Some(n) = exact {
            return Number::Int(n);
        }
    }
    let (x, y) = (a.as_f64(), b.as_f64());
    let out = match op {
        BinaryOperator::Plus => x + y,
        BinaryOperator::Minus => x - y,
        BinaryOperator::Mul => x * y,
        BinaryOperator::Div => x / y,
        _ if y == 0.0 => x,
        _ => x % y,
    };
    Number::from_f64(tidy(out))
}

/// A double result rounded to 15 significant digits when that is within a few units in the
/// last place: Terraform computes with 512-bit floats, so `0.1 + 0.2` is `0.3` there, where a
/// double gives `0.30000000000000004`. Results that need all 17 digits are kept.
fn tidy(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let rounded: f64 = format!("{x:.14e}").parse().unwrap_or(x);
    let ulp = f64::from_bits(x.abs().to_bits() + 1) - x.abs();
    if (rounded - x).abs() <= 4.0 * ulp {
        rounded
    } else {
        x
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `local.NAME` for a few values with marks; every other name is an error.
    struct Locals;

    impl Resolver for Locals {
        fn resolve(
            &self,
            root: &str,
            steps: &[Step],
        ) -> std::result::Result<(Value, usize), String> {
            let name = match (root, steps.first()) {
                ("local", Some(Step::Attr(name))) => name.as_str(),
                _ => return Err(format!("{root} is not declared")),
            };
            let item = |n: &str| Value::object([("name", Value::string(n))]);
            let value = match name {
                "unknown" => Value::Unknown,
                "secret" => Value::string("hunter2").into_sensitive(),
                "secret_true" => Value::Bool(true).into_sensitive(),
                "secret_one" => Value::int(1).into_sensitive(),
                "secret_list" => Value::List(vec![item("a"), item("b")]).into_sensitive(),
                _ => return Err(format!("local.{name} is not declared")),
            };
            Ok((value, 1))
        }
    }

    /// Evaluates `src` against [`Locals`].
    pub(in crate::lang) fn eval(src: &str) -> Result<Value> {
        let mut sources = SourceMap::default();
        let file = sources.add("<expr>".into(), src.to_string());
        let expr = hcl_edit::parser::parse_expr(src).expect("the test expression parses");
        let functions = FunctionContext {
            base_dir: std::path::PathBuf::from("."),
            plan_timestamp: String::new(),
            provider_functions: functions::provider::tests::table(),
        };
        let expr = Expr {
            file,
            expr,
            span: 0..src.len(),
        };
        Evaluator::new(&sources, &Locals, &functions).eval(&expr)
    }

    pub(in crate::lang) fn ok(src: &str) -> Value {
        eval(src).unwrap_or_else(|d| panic!("{src}: {d}"))
    }

    pub(in crate::lang) fn err(src: &str) -> String {
        match eval(src) {
            Ok(v) => panic!("{src} gave {v:?}, not an error"),
            Err(d) => format!("{}: {}", d.summary, d.detail),
        }
    }

    fn secret(v: Value) -> Value {
        v.into_sensitive()
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    #[test]
    fn an_unknown_condition_makes_the_result_unknown() {
        assert_eq!(ok("local.unknown ? 1 : 2"), Value::Unknown);
        assert_eq!(
            ok("local.unknown ? local.secret : \"x\""),
            secret(Value::Unknown)
        );
    }

    #[test]
    fn a_sensitive_condition_marks_the_result_taken() {
        assert_eq!(
            ok("local.secret_true ? \"a\" : \"b\""),
            secret(Value::string("a"))
        );
        assert_eq!(ok("\"false\" ? \"a\" : \"b\""), Value::string("b"));
        assert!(err("null ? 1 : 2").starts_with("Null condition"));
    }

    #[test]
    fn an_error_in_the_result_not_taken_is_ignored() {
        assert_eq!(ok("true ? \"ok\" : local.missing"), Value::string("ok"));
        assert_eq!(ok("false ? local.missing : \"ok\""), Value::string("ok"));
        assert!(err("local.unknown ? local.missing : \"ok\"").contains("local.missing"));
    }

    #[test]
    fn operators_keep_unknowns_and_the_marks_of_either_operand() {
        assert_eq!(ok("local.unknown + 1"), Value::Unknown);
        assert_eq!(ok("local.secret_one + 1"), secret(Value::int(2)));
        assert_eq!(
            ok("local.unknown * local.secret_one"),
            secret(Value::Unknown)
        );
        assert_eq!(ok("-local.secret_one"), secret(Value::int(-1)));
        assert_eq!(ok("!local.unknown"), Value::Unknown);
        assert_eq!(ok("[local.unknown] == [1]"), Value::Unknown);
        // A mark deep inside an operand marks the comparison.
        assert_eq!(
            ok("[local.secret] == [\"hunter2\"]"),
            secret(Value::Bool(true))
        );
    }

    #[test]
    fn a_known_left_side_decides_a_logical_operator_alone() {
        assert_eq!(ok("false && local.missing"), Value::Bool(false));
        assert_eq!(ok("true || local.missing"), Value::Bool(true));
        assert_eq!(ok("local.unknown || true"), Value::Bool(true));
        assert_eq!(ok("local.unknown && true"), Value::Unknown);
        // The right side's errors are ignored, but not its type.
        assert!(err("false && 5").starts_with("Invalid operand"));
    }

    #[test]
    fn an_index_is_unknown_with_an_unknown_collection_or_key_and_marked_by_either() {
        assert_eq!(
            ok("[\"a\", \"b\"][local.secret_one]"),
            secret(Value::string("b"))
        );
        assert_eq!(ok("local.unknown[0]"), Value::Unknown);
        assert_eq!(ok("[\"a\"][local.unknown]"), Value::Unknown);
        assert_eq!(ok("local.secret_list[0].name"), secret(Value::string("a")));
        assert!(err("{ a = 1 }[null]").contains("Can't use a null value as an indexing key"));
        assert!(err("null[null]").starts_with("Attempt to index null value"));
    }

    #[test]
    fn a_sequence_index_is_a_whole_non_negative_number_below_the_length() {
        let at = |key: Value, len| sequence_position(&key, len);
        assert_eq!(at(Value::int(1), 2), Ok(1));
        assert_eq!(at(Value::string("1"), 2), Ok(1));
        assert!(
            at(Value::Number(Number::Float(0.5)), 2)
                .unwrap_err()
                .contains("fractional")
        );
        assert!(at(Value::int(-1), 2).unwrap_err().contains("negative"));
        assert!(
            at(Value::int(2), 2)
                .unwrap_err()
                .contains("greater than or equal")
        );
        assert_eq!(at(Value::Bool(true), 2), Err("a number is required"));
    }

    #[test]
    fn an_object_key_may_be_a_number_or_bool_written_as_text() {
        assert_eq!(ok("{ \"1\" = \"x\" }[1]"), Value::string("x"));
        assert_eq!(ok("{ (true) = 1 }[\"true\"]"), Value::int(1));
        let map = |k: &str| BTreeMap::from([(k.to_string(), Value::int(1))]);
        assert!(
            map_element(map("a"), &Value::int(0))
                .unwrap_err()
                .contains("not by numeric index")
        );
        assert!(
            map_element(map("name"), &Value::string("nme"))
                .unwrap_err()
                .contains("Did you mean \"name\"?")
        );
    }

    #[test]
    fn an_unknown_object_key_makes_the_object_unknown_and_a_sensitive_key_marks_it() {
        assert_eq!(ok("{ (local.unknown) = 1, b = 2 }"), Value::Unknown);
        // The value of an unknown key is not evaluated.
        assert_eq!(ok("{ (local.unknown) = local.missing }"), Value::Unknown);
        assert_eq!(
            ok("{ (local.secret) = 1 }"),
            secret(Value::object([("hunter2", Value::int(1))]))
        );
        assert!(err("{ ([1]) = 1 }").starts_with("Incorrect key type"));
    }

    #[test]
    fn a_splat_maps_over_the_elements_and_keeps_the_collection_mark() {
        assert_eq!(
            ok("local.secret_list[*].name"),
            secret(strings(&["a", "b"]))
        );
        assert_eq!(ok("local.unknown[*].name"), Value::Unknown);
        // A single value is a list of one, null a list of none.
        assert_eq!(ok("\"x\"[*]"), strings(&["x"]));
        assert_eq!(ok("(null)[*]"), Value::List(vec![]));
    }

    #[test]
    fn try_takes_the_first_success_and_can_is_unknown_for_an_unknown_value() {
        assert_eq!(ok("try(local.missing, \"b\")"), Value::string("b"));
        // A value that is not wholly known may yet fail: the result is unknown.
        assert_eq!(ok("try([local.unknown], \"b\")"), Value::Unknown);
        assert!(err("try(local.missing)").contains("no expression succeeded"));
        assert_eq!(ok("can(local.missing)"), Value::Bool(false));
        assert_eq!(ok("can(local.secret)"), Value::Bool(true));
        assert_eq!(ok("can(local.unknown)"), Value::Unknown);
    }

    #[test]
    fn a_for_filter_skips_items_and_an_unknown_filter_makes_the_result_unknown() {
        assert_eq!(
            ok("[for x in [1, 2, 3] : x if x != 2]"),
            Value::List(vec![Value::int(1), Value::int(3)])
        );
        assert_eq!(ok("[for x in [1, 2] : x if local.unknown]"), Value::Unknown);
        assert_eq!(
            ok("{ for x in [\"a\"] : x => local.unknown }"),
            Value::object([("a", Value::Unknown)])
        );
        assert_eq!(
            ok("{ for x in [\"a\"] : local.unknown => x }"),
            Value::Unknown
        );
        // A sensitive collection marks the whole result.
        assert_eq!(
            ok("[for item in local.secret_list : item.name]"),
            secret(strings(&["a", "b"]))
        );
    }

    #[test]
    fn grouping_collects_duplicate_keys_which_are_an_error_without_it() {
        assert_eq!(
            ok("{ for x in [\"a\", \"b\", \"a\"] : x => upper(x)... }"),
            Value::object([("a", strings(&["A", "A"])), ("b", strings(&["B"]))])
        );
        assert!(err("{ for x in [\"a\", \"a\"] : x => x }").starts_with("Duplicate object key"));
    }

    #[test]
    fn provider_functions_are_called_by_their_namespaced_name() {
        assert_eq!(
            ok("provider::terraform::encode_expr([1, \"a\"])"),
            Value::string("[1, \"a\"]")
        );
        assert_eq!(ok("provider::fake::join(1, local.unknown)"), Value::Unknown);
        assert_eq!(
            ok("provider::fake::join(1, \"a\", local.secret)"),
            secret(Value::string("a-hunter2"))
        );
        // Terraform 1.8's core:: namespace names the built-in functions.
        assert_eq!(ok("core::upper(\"a\")"), Value::string("A"));
        assert_eq!(ok("core::try(local.nope, 2)"), Value::int(2));
    }

    #[test]
    fn provider_function_errors_are_located_like_other_function_errors() {
        let d = eval("provider::fake::join(1, [])").unwrap_err();
        assert_eq!(d.summary, "Invalid function argument");
        assert!(
            d.detail
                .starts_with("Invalid value for \"parts\" parameter: "),
            "{d:?}"
        );
        assert_eq!(d.range.map(|r| r.start.column), Some(25));
        assert_eq!(
            err("provider::fake::join()"),
            "Not enough function arguments: Function \"provider::fake::join\" expects 1 \
             argument(s). Missing value for \"sep\"."
        );
        assert_eq!(
            err("provider::fake::join(null)"),
            "Invalid function argument: Invalid value for \"sep\" parameter: argument must not \
             be null."
        );
        assert_eq!(
            err("provider::terraform::encode_tfvars(\"x\")"),
            "Error in function call: Call to function \"provider::terraform::encode_tfvars\" \
             failed: invalid value to encode: must be an object whose attribute names will \
             become the encoded variable names."
        );
    }

    #[test]
    fn unknown_provider_functions_and_namespaces_are_refused_with_what_exists() {
        let d = eval("1 + provider::fake::jion(1)").unwrap_err();
        assert_eq!(d.summary, "Call to unknown function");
        assert_eq!(
            d.detail,
            "There is no function named \"provider::fake::jion\". Did you mean \"join\"? The \
             fake provider offers: broken, join."
        );
        // Located at the whole name, namespace included.
        assert_eq!(
            d.range.map(|r| (r.start.column, r.end.column)),
            Some((5, 25))
        );
        assert!(
            err("provider::nope::f()")
                .contains("This ggplan has no provider \"nope\" with functions.")
        );
        for bad in [
            "foo::upper(\"a\")",
            "provider::upper(\"a\")",
            "provider::a::b::c()",
        ] {
            let text = err(bad);
            assert!(
                text.starts_with("Call to unknown function: There is no function named"),
                "{text}"
            );
            assert!(text.contains("provider::PROVIDER::NAME"), "{text}");
        }
    }
}
