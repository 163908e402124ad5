//! Conversions between the services' JSON and ggplan values, following Terraform's
//! OpenStack provider: a string the service leaves null is stored as `""`, sets are sorted.

use ggplan_sdk::{Number, Value, set_of};
use serde_json::{Map, Value as Json};

/// A JSON string as a value; null and non-strings become `""`.
pub fn text(json: &Json) -> Value {
    Value::string(json.as_str().unwrap_or_default())
}

/// A JSON bool as a value; anything else becomes null.
pub fn flag(json: &Json) -> Value {
    json.as_bool().map_or(Value::Null, Value::Bool)
}

/// A JSON number as a value; null becomes 0 (as Terraform stores unset port ranges).
pub fn number(json: &Json) -> Value {
    match json {
        Json::Number(_) => Value::from_json(json),
        _ => Value::int(0),
    }
}

/// A JSON array of strings as a sorted set value.
pub fn string_set(json: &Json) -> Value {
    Value::List(set_of(
        string_items(json).into_iter().map(Value::String).collect(),
    ))
}

/// A JSON array of strings as a list value, in order.
pub fn string_list(json: &Json) -> Value {
    Value::List(string_items(json).into_iter().map(Value::String).collect())
}

fn string_items(json: &Json) -> Vec<String> {
    json.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A JSON object of strings as a map value.
pub fn string_map(json: &Json) -> Value {
    Value::Map(
        json.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k.clone(), Value::String(text))
            })
            .collect(),
    )
}

/// A known, non-empty string attribute of a configuration or state.
pub fn str_attr<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).as_str().filter(|s| !s.is_empty())
}

/// A known bool attribute.
pub fn bool_attr(value: &Value, name: &str) -> Option<bool> {
    value.get(name).as_bool()
}

/// A known whole-number attribute.
pub fn int_attr(value: &Value, name: &str) -> Option<i64> {
    value.get(name).as_number().and_then(Number::as_i64)
}

/// The strings of a list or set attribute (empty when null).
pub fn strings_attr(value: &Value, name: &str) -> Vec<String> {
    value
        .get(name)
        .as_list()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A value as JSON (unknowns, which apply never sees, become null).
pub fn to_json(value: &Value) -> Json {
    value.to_json().unwrap_or(Json::Null)
}

/// Whether an attribute has a value to send: neither null nor (in a plan, for what the
/// service will choose) unknown.
fn is_set(value: &Value) -> bool {
    !value.is_null() && !value.is_unknown()
}

/// Builds a JSON object from the attributes of `value` that are set: each `(attribute, field)`
/// pair copies a known, non-null attribute to the field.
pub fn fields(value: &Value, pairs: &[(&str, &str)]) -> Map<String, Json> {
    pairs
        .iter()
        .filter(|(attribute, _)| is_set(value.get(attribute)))
        .map(|(attribute, field)| (field.to_string(), to_json(value.get(attribute))))
        .collect()
}

/// The fields of `pairs` whose attribute differs between `prior` and `planned`.
pub fn changed_fields(prior: &Value, planned: &Value, pairs: &[(&str, &str)]) -> Map<String, Json> {
    pairs
        .iter()
        .filter(|(attribute, _)| prior.get(attribute) != planned.get(attribute))
        .filter(|(attribute, _)| is_set(planned.get(attribute)))
        .map(|(attribute, field)| (field.to_string(), to_json(planned.get(attribute))))
        .collect()
}

/// Merges the `value_specs` map (extra fields passed to the API verbatim) into a body.
pub fn merge_value_specs(body: &mut Map<String, Json>, value: &Value) {
    if let Some(specs) = value.get("value_specs").as_map() {
        for (k, v) in specs {
            body.insert(k.clone(), to_json(v));
        }
    }
}

/// Percent-encodes a query parameter value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string (`?a=1&b=2`, or empty) from the pairs whose value is set.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_become_what_terraform_stores() {
        assert_eq!(text(&Json::Null), Value::string(""));
        assert_eq!(number(&Json::Null), Value::int(0));
        assert_eq!(
            string_set(&json!(["b", "a"])),
            Value::List(vec![Value::string("a"), Value::string("b")])
        );
    }

    #[test]
    fn only_set_or_changed_attributes_reach_the_body() {
        let planned = Value::object([
            ("name", Value::string("n")),
            ("mtu", Value::Null),
            ("description", Value::Unknown),
            ("admin_state_up", Value::Bool(true)),
        ]);
        let pairs = [
            ("name", "name"),
            ("mtu", "mtu"),
            ("admin_state_up", "admin_state_up"),
        ];
        assert_eq!(
            Json::Object(fields(&planned, &pairs)),
            json!({"name": "n", "admin_state_up": true})
        );
        let prior = Value::object([
            ("name", Value::string("o")),
            ("admin_state_up", Value::Bool(true)),
        ]);
        assert_eq!(
            Json::Object(changed_fields(&prior, &planned, &pairs)),
            json!({"name": "n"})
        );
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            query(&[("name", Some("KVM@TACC x".into())), ("id", None)]),
            "?name=KVM%40TACC%20x"
        );
        assert_eq!(query(&[("id", None)]), "");
    }
}
