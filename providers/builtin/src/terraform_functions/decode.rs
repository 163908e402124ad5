//! The content of a `.tfvars` file as an object (`decode_tfvars`): attributes only, each
//! expression evaluated with no variables and no functions, as Terraform CLI reads such a
//! file, so `1 + 2`, conditionals, `for` expressions and templates of constants work and any
//! reference or function call is an error.
//!
//! The expressions are evaluated by `hcl-rs` (an HCL evaluator over the same `hcl-edit`
//! parser the engine uses), since a provider cannot reach the engine's evaluator.

use ggplan_sdk::{Number, Value};
use hcl::edit::Span;
use hcl::edit::structure::Structure;
use hcl::eval::{Context, ErrorKind, Evaluate};
use std::collections::BTreeMap;

/// What Terraform calls the text in its messages.
const SOURCE: &str = "<decode_tfvars argument>";

/// The variables `src` defines, or Terraform's message of why it cannot be read.
pub(super) fn tfvars(src: &str) -> Result<BTreeMap<String, Value>, String> {
    let body = hcl::edit::parser::parse_body(src).map_err(|e| {
        let at = e.location();
        format!(
            "invalid tfvars syntax: {SOURCE}:{},{}: {}",
            at.line(),
            at.column(),
            e.message()
        )
    })?;
    // The parser has refused an attribute set twice.
    let mut vars = BTreeMap::new();
    for structure in body.into_iter() {
        let attribute = match structure {
            Structure::Attribute(attribute) => attribute,
            Structure::Block(block) => {
                return Err(format!(
                    "invalid tfvars content: {SOURCE}:{}: Unexpected \"{}\" block; Blocks are \
                     not allowed here",
                    range(src, block.ident.span()),
                    block.ident.as_str()
                ));
            }
        };
        let name = attribute.key.as_str().to_string();
        let value_at = range(src, attribute.value.span());
        let value = evaluate(attribute.value).map_err(|why| {
            format!("invalid expression for variable {name:?}: {SOURCE}:{value_at}: {why}")
        })?;
        vars.insert(name, value);
    }
    Ok(vars)
}

/// An expression's value without variables or functions, or why it has none (in Terraform's
/// words for a reference or a call).
fn evaluate(expression: hcl::edit::expr::Expression) -> Result<Value, String> {
    let value = hcl::Expression::from(expression)
        .evaluate(&Context::new())
        .map_err(|e| match e.kind() {
            ErrorKind::UndefinedVar(_) => {
                "Variables not allowed; Variables may not be used here".to_string()
            }
            ErrorKind::UndefinedFunc(_) => {
                "Function calls not allowed; Functions may not be called here".to_string()
            }
            other => other.to_string(),
        })?;
    Ok(from_hcl(value))
}

fn from_hcl(value: hcl::Value) -> Value {
    match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(b),
        hcl::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::int(i),
            (None, Some(f)) => Value::Number(Number::from_f64(f)),
            // Every HCL number is an integer or a double; nothing else is left.
            (None, None) => Value::Null,
        },
        hcl::Value::String(s) => Value::String(s),
        hcl::Value::Array(items) => Value::List(items.into_iter().map(from_hcl).collect()),
        hcl::Value::Object(map) => {
            Value::Map(map.into_iter().map(|(k, v)| (k, from_hcl(v))).collect())
        }
    }
}

/// Where `span` is in `src`, as HCL writes a range in its messages: `LINE,COLUMN-COLUMN` on
/// one line, `LINE,COLUMN-LINE,COLUMN` across lines (lines and columns from 1, the end
/// exclusive).
fn range(src: &str, span: Option<std::ops::Range<usize>>) -> String {
    let span = span.unwrap_or(0..0);
    let (line, column) = position(src, span.start);
    match position(src, span.end) {
        (end_line, end_column) if end_line == line => format!("{line},{column}-{end_column}"),
        (end_line, end_column) => format!("{line},{column}-{end_line},{end_column}"),
    }
}

/// The line and column (both from 1) of byte `offset` of `src`.
fn position(src: &str, offset: usize) -> (usize, usize) {
    let before = src.get(..offset.min(src.len())).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_of_constants_are_evaluated() {
        let src = "a = 1 + 2\nb = true ? \"x\" : \"y\"\nc = [for x in [1, 2] : x * 2]\n\
                   d = \"x${1 + 1}\"\ne = <<EOT\nhi\nEOT\nf = -1.5\ng = { k = null }\n";
        let vars = tfvars(src).unwrap();
        assert_eq!(vars["a"], Value::int(3));
        assert_eq!(vars["b"], Value::string("x"));
        assert_eq!(vars["c"], Value::List(vec![Value::int(2), Value::int(4)]));
        assert_eq!(vars["d"], Value::string("x2"));
        assert_eq!(vars["e"], Value::string("hi\n"));
        assert_eq!(vars["f"], Value::Number(Number::Float(-1.5)));
        assert_eq!(vars["g"], Value::object([("k", Value::Null)]));
        assert!(tfvars("").unwrap().is_empty());
    }

    #[test]
    fn references_calls_blocks_and_repeats_are_refused_where_they_are() {
        assert_eq!(
            tfvars("x = 1\na = b").unwrap_err(),
            "invalid expression for variable \"a\": <decode_tfvars argument>:2,5-6: Variables \
             not allowed; Variables may not be used here"
        );
        assert!(
            tfvars("a = f(\n1)").unwrap_err().ends_with(
                ":1,5-2,3: Function calls not allowed; Functions may not be called here"
            )
        );
        assert_eq!(
            tfvars("a { }").unwrap_err(),
            "invalid tfvars content: <decode_tfvars argument>:1,1-2: Unexpected \"a\" block; \
             Blocks are not allowed here"
        );
        assert!(
            tfvars("a = 1\na = 2")
                .unwrap_err()
                .starts_with("invalid tfvars syntax: <decode_tfvars argument>:2,1:")
        );
        assert!(
            tfvars("a = ")
                .unwrap_err()
                .starts_with("invalid tfvars syntax: <decode_tfvars argument>:1,")
        );
    }
}
