//! Type constraints as written in `variable { type = ... }`.

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
                // optional(T, default) is only meaningful inside object(); its default is
                // applied by the language issue's conversion, here it constrains like T.
                "optional" => match args.iter().next() {
                    Some(first) => parse_type(first),
                    None => Err("optional() needs a type, as in optional(string).".into()),
                },
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
        assert!(ty("strin").is_err());
        assert!(ty("list").is_err());
    }
}
