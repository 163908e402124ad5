//! String maps of an object (labels, annotations, a ConfigMap's or a Secret's data) as plans
//! compare them: on the keys this stack set, since server-side apply leaves every other key to
//! whoever wrote it.

use ggplan_sdk::Value;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The map `live` (a JSON object, or nothing) on the keys of `prior`, the map the stack set
/// last time: a key removed by hand is missing, a value changed by hand shows. A `prior` that
/// is unknown stands for "every key" (an import: nothing says yet which keys are the stack's),
/// except the keys `hidden` rejects; a null `prior` stays null.
pub fn compare(live: &Json, prior: &Value, hidden: fn(&str) -> bool) -> Value {
    let entries = live.as_object();
    match prior.peel() {
        Value::Unknown => {
            let all: BTreeMap<String, Value> = entries
                .into_iter()
                .flatten()
                .filter(|(key, _)| !hidden(key))
                .map(|(key, value)| (key.clone(), text(value)))
                .collect();
            if all.is_empty() {
                Value::Null
            } else {
                Value::Map(all)
            }
        }
        Value::Map(keys) => Value::Map(
            keys.keys()
                .filter_map(|key| Some((key.clone(), text(entries?.get(key)?))))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Nothing is hidden.
pub fn nothing(_key: &str) -> bool {
    false
}

/// Whether a label or annotation is the cluster's own (`kubernetes.io/metadata.name`,
/// `deployment.kubernetes.io/revision`): hashicorp/kubernetes leaves those out of what it
/// reads unless the configuration sets them, and so does an import here.
pub fn internal(key: &str) -> bool {
    let prefix = key.split('/').next().unwrap_or(key);
    let kept = ["app.kubernetes.io", "service.beta.kubernetes.io"];
    (prefix.ends_with("kubernetes.io") && !kept.contains(&prefix))
        || key.contains("deprecated.daemonset.template.generation")
}

/// A JSON value as the string a `map(string)` holds.
fn text(value: &Json) -> Value {
    match value {
        Json::String(s) => Value::string(s.clone()),
        Json::Null => Value::Null,
        other => Value::string(other.to_string()),
    }
}

/// A map attribute as JSON, when all of it is known: `Some(None)` for null (nothing to
/// send), `None` while some of it is unknown.
pub fn known(value: &Value) -> Option<Option<Json>> {
    if value.is_null() {
        return Some(None);
    }
    value.is_wholly_known().then(|| value.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(pairs: &[(&str, &str)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
    }

    #[test]
    fn a_map_is_compared_on_the_keys_the_stack_set() {
        let live = json!({"app": "x", "added-by": "controller", "team": "changed"});
        let prior = map(&[("app", "x"), ("team", "ml"), ("removed", "by hand")]);
        assert_eq!(
            compare(&live, &prior, nothing),
            map(&[("app", "x"), ("team", "changed")])
        );
        assert_eq!(compare(&live, &Value::Null, nothing), Value::Null);
        assert_eq!(compare(&Json::Null, &map(&[("a", "1")]), nothing), map(&[]));
    }

    #[test]
    fn an_import_reads_every_key_but_the_clusters_own() {
        let live = json!({"kubernetes.io/metadata.name": "n", "app.kubernetes.io/name": "x",
                          "deployment.kubernetes.io/revision": "2", "owner": "ml"});
        assert_eq!(
            compare(&live, &Value::Unknown, internal),
            map(&[("app.kubernetes.io/name", "x"), ("owner", "ml")])
        );
        assert_eq!(compare(&json!({}), &Value::Unknown, internal), Value::Null);
    }

    #[test]
    fn a_map_is_sent_only_when_known() {
        assert_eq!(known(&Value::Null), Some(None));
        assert_eq!(known(&map(&[("a", "1")])), Some(Some(json!({"a": "1"}))));
        assert_eq!(known(&Value::object([("a", Value::Unknown)])), None);
    }
}
