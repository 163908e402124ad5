//! Values in HCL console syntax, as `terraform console` and `terraform output` print them,
//! and the string quoting shared with the plan renderer.

use ggplan_sdk::Value;
use std::fmt::Write;

/// A value as `terraform console` prints it: strings quoted, lists and maps over several lines
/// indented by two spaces, multi-line strings as heredocs, `(sensitive value)` for anything
/// sensitive and `(known after apply)` for unknowns.
pub fn value(v: &Value) -> String {
    value_at(v, 0)
}

/// [`value`] for a value that starts at column `indent` (its inner lines are indented to match).
pub fn value_at(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_value(&mut out, v, indent);
    out
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        // The console checks whether a value is known before whether it is sensitive.
        Value::Sensitive(inner) if matches!(**inner, Value::Unknown) => {
            out.push_str("(known after apply)")
        }
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::String(s) if s.contains('\n') => {
            // Terraform's console writes every line of the string (a trailing newline gives a
            // last empty line) and uses the indented heredoc form when nested.
            out.push_str(if indent > 0 { "<<-EOT\n" } else { "<<EOT\n" });
            for line in s.split('\n') {
                let _ = writeln!(out, "{pad}{line}");
            }
            let _ = write!(out, "{pad}EOT");
        }
        Value::List(items) if items.is_empty() => out.push_str("[]"),
        Value::List(items) => {
            out.push_str("[\n");
            for item in items {
                let _ = write!(out, "{pad}  ");
                write_value(out, item, indent + 2);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}]");
        }
        Value::Map(map) if map.is_empty() => out.push_str("{}"),
        Value::Map(map) => {
            out.push_str("{\n");
            for (key, item) in map {
                let _ = write!(out, "{pad}  {} = ", quote(key));
                write_value(out, item, indent + 2);
                out.push('\n');
            }
            let _ = write!(out, "{pad}}}");
        }
        Value::String(s) => out.push_str(&quote(s)),
        Value::Number(ggplan_sdk::Number::Float(f)) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "+Inf" } else { "-Inf" })
        }
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Null => out.push_str("null"),
    }
}

/// A string in double quotes with Terraform's escaping (Go's `strconv.Quote`, UTF-8 kept):
/// `"`, `\` and control characters are escaped; `${` and `%{` are not.
pub(super) use crate::lang::functions::go_quote as quote;

/// An object key as the plan prints it: bare when it is an HCL identifier, quoted otherwise.
pub(super) fn key_label(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if identifier {
        key.to_string()
    } else {
        quote(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_layout() {
        let v = Value::object([
            ("a", Value::int(1)),
            (
                "b c",
                Value::List(vec![
                    Value::string("x"),
                    Value::Number(ggplan_sdk::Number::Float(2.5)),
                    Value::Null,
                    Value::Bool(true),
                ]),
            ),
            ("e", Value::object::<&str>([])),
            ("f", Value::List(vec![])),
            ("g", Value::string("l1\nl2\n")),
            ("h", Value::string("s").into_sensitive()),
            (
                "i",
                Value::object([(
                    "j",
                    Value::object([("k", Value::string("q\"\\${x}%{y}\t"))]),
                )]),
            ),
            ("u", Value::Unknown),
        ]);
        // `terraform console` (Terraform 1.15.5) prints the same, but for the unknown.
        let expected = "{\n  \"a\" = 1\n  \"b c\" = [\n    \"x\",\n    2.5,\n    null,\n    true,\n  ]\n  \
                        \"e\" = {}\n  \"f\" = []\n  \"g\" = <<-EOT\n  l1\n  l2\n  \n  EOT\n  \
                        \"h\" = (sensitive value)\n  \"i\" = {\n    \"j\" = {\n      \
                        \"k\" = \"q\\\"\\\\${x}%{y}\\t\"\n    }\n  }\n  \"u\" = (known after apply)\n}";
        assert_eq!(value(&v), expected);
        insta::assert_snapshot!(value(&v));
    }

    #[test]
    fn top_level_values() {
        assert_eq!(value(&Value::string("a\nb")), "<<EOT\na\nb\nEOT");
        assert_eq!(
            value(&Value::string("hunter2").into_sensitive()),
            "(sensitive value)"
        );
        assert_eq!(value(&Value::Unknown), "(known after apply)");
        assert_eq!(quote("\u{1}é"), "\"\\x01é\"");
    }

    #[test]
    fn keys_are_bare_only_when_identifiers() {
        assert_eq!(key_label("a-b"), "a-b");
        assert_eq!(key_label("9x"), "\"9x\"");
        assert_eq!(key_label("key with space"), "\"key with space\"");
    }
}
