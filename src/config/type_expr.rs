//! Type constraints as written in `variable { type = ... }`.

use super::{Expr, SourceMap};
use crate::lang::eval::{Evaluator, NoNames};
use crate::lang::functions::FunctionContext;
use ggplan_sdk::Type;
use hcl_edit::expr::{Expression, FuncArgs};
use std::collections::BTreeMap;

/// Decodes a type constraint expression (`string`, `list(string)`, `map(object({a=number}))`).
pub fn parse_type(expr: &Expression) -> Result<Type, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            "list" | "set" | "map" => Err(format!(
                "The {0} type constraint needs an element type, as in {0}(string).",
                v.as_str()
            )),
            other => Err(format!(
                "{other:?} is not a type; use string, number, bool, any, list(T), set(T), \
                 map(T), tuple([...]) or object({{...}})."
            )),
        },
        Expression::Parenthesis(p) => parse_type(p.inner()),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args = &call.args;
            match name {
                "list" => Ok(Type::List(Box::new(parse_type(one_arg(name, args)?)?))),
                "set" => Ok(Type::Set(Box::new(parse_type(one_arg(name, args)?)?))),
                "map" => Ok(Type::Map(Box::new(parse_type(one_arg(name, args)?)?))),
                // Meaningful inside object(): the attribute may be left out.
                "optional" => {
                    let mut iter = args.iter();
                    match (iter.next(), iter.next(), iter.next()) {
                        (Some(t), default, None) => Ok(Type::Optional(
                            Box::new(parse_type(t)?),
                            default.map(constant_default).transpose()?,
                        )),
                        _ => Err("optional() takes a type and maybe a default, as in \
                                  optional(string, \"x\")."
                            .into()),
                    }
                }
                "tuple" => match one_arg(name, args)? {
                    Expression::Array(items) => Ok(Type::Tuple(
                        items.iter().map(parse_type).collect::<Result<_, _>>()?,
                    )),
                    _ => {
                        Err("tuple() takes a list of types, as in tuple([string, number]).".into())
                    }
                },
                "object" => match one_arg(name, args)? {
                    Expression::Object(obj) => {
                        let mut attrs = BTreeMap::new();
                        for (key, value) in obj.iter() {
                            let key = match key {
                                hcl_edit::expr::ObjectKey::Ident(id) => id.as_str().to_string(),
                                hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                                    s.value().clone()
                                }
                                _ => return Err("object() attribute names must be names.".into()),
                            };
                            attrs.insert(key, parse_type(value.expr())?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    _ => Err(
                        "object() takes an object of types, as in object({ a = string }).".into(),
                    ),
                },
                other => Err(format!("{other}() is not a type constructor.")),
            }
        }
        _ => Err("A type constraint must be a type such as string or list(number).".into()),
    }
}

/// The default of `optional(T, default)`: a constant expression, as JSON.
fn constant_default(expr: &Expression) -> Result<serde_json::Value, String> {
    let mut sources = SourceMap::default();
    let file = sources.add("<type constraint>".into(), String::new());
    let functions = FunctionContext {
        base_dir: std::path::PathBuf::from("."),
        plan_timestamp: String::new(),
        // A type constraint's default is a constant: no provider is at hand, nor needed.
        provider_functions: Default::default(),
    };
    let expr = Expr {
        file,
        expr: expr.clone(),
        span: 0..0,
    };
    let value = Evaluator::new(&sources, &NoNames, &functions)
        .eval(&expr)
        .map_err(|d| format!("Invalid default value for optional attribute: {}", d.detail))?;
    let (value, _) = value.unmark_deep();
    value
        .to_json()
        .ok_or_else(|| "The default of an optional attribute must be known.".to_string())
}

fn one_arg<'a>(name: &str, args: &'a FuncArgs) -> Result<&'a Expression, String> {
    let mut iter = args.iter();
    match (iter.next(), iter.next()) {
        (Some(arg), None) => Ok(arg),
        _ => Err(format!("{name}() takes exactly one type.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(src: &str) -> Result<Type, String> {
        let body = hcl_edit::parser::parse_body(&format!("t = {src}\n")).unwrap();
        let attr = body.attributes().next().unwrap();
        parse_type(&attr.value)
    }

    #[test]
    fn parses_nested_types() {
        assert_eq!(
            ty("map(object({ ip = string, n = number }))")
                .unwrap()
                .to_string(),
            "map(object({ip=string, n=number}))"
        );
        assert_eq!(
            ty("list(string)").unwrap(),
            Type::List(Box::new(Type::String))
        );
        assert_eq!(
            ty("object({ a = optional(number, 1 + 1), b = optional(list(string)) })")
                .unwrap()
                .to_string(),
            "object({a=optional(number, 2), b=optional(list(string))})"
        );
        assert!(ty("object({ a = optional(number, var.x) })").is_err());
        assert!(ty("strin").is_err());
        assert!(ty("list").is_err());
    }
}
