//! The type of a value, written as `terraform console`'s `type()` function prints it.
//!
//! Values carry no static types, so this is the type of the value's shape, as Terraform gives
//! it to a literal of that shape: every list is a `tuple([...])`, every map an
//! `object({...})`, null and unknown values are `dynamic`. What `tolist`, `toset` and `tomap`
//! made, and typed variables, print as tuples and objects here where Terraform says
//! `list(...)`, `set(...)` and `map(...)`.

use ggplan_sdk::Value;

/// The type of `value` in console layout: nested types one per line, indented by four.
pub fn type_expression(value: &Value) -> String {
    let mut out = String::new();
    write_type(&mut out, value, 0);
    out
}

fn write_type(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent + 4);
    match value.peel() {
        Value::Null | Value::Unknown | Value::Sensitive(_) => out.push_str("dynamic"),
        Value::Bool(_) => out.push_str("bool"),
        Value::Number(_) => out.push_str("number"),
        Value::String(_) => out.push_str("string"),
        Value::List(items) if items.is_empty() => out.push_str("tuple([])"),
        Value::List(items) => {
            out.push_str("tuple([\n");
            for item in items {
                out.push_str(&pad);
                write_type(out, item, indent + 4);
                out.push_str(",\n");
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("])");
        }
        Value::Map(map) if map.is_empty() => out.push_str("object({})"),
        Value::Map(map) => {
            out.push_str("object({\n");
            for (key, item) in map {
                out.push_str(&pad);
                out.push_str(key);
                out.push_str(": ");
                write_type(out, item, indent + 4);
                out.push_str(",\n");
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_terraform_console() {
        // Expected texts from Terraform 1.15.5's console.
        assert_eq!(type_expression(&Value::int(1)), "number");
        assert_eq!(type_expression(&Value::Null), "dynamic");
        assert_eq!(type_expression(&Value::Unknown), "dynamic");
        assert_eq!(type_expression(&Value::Bool(true).into_sensitive()), "bool");
        assert_eq!(type_expression(&Value::List(vec![])), "tuple([])");
        assert_eq!(type_expression(&Value::object::<&str>([])), "object({})");
        assert_eq!(
            type_expression(&Value::List(vec![Value::int(1), Value::string("a")])),
            "tuple([\n    number,\n    string,\n])"
        );
        // type({a={b=[{c=1}]}})
        let nested = Value::object([(
            "a",
            Value::object([(
                "b",
                Value::List(vec![Value::object([("c", Value::int(1))])]),
            )]),
        )]);
        assert_eq!(
            type_expression(&nested),
            "object({\n    a: object({\n        b: tuple([\n            object({\n                \
             c: number,\n            }),\n        ]),\n    }),\n})"
        );
    }
}
