//! The MLflow REST objects this provider reads (only the fields it uses; unknown fields are
//! ignored, so newer servers answer fine), and their conversion to ggplan values.

use ggplan_sdk::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Tag keys MLflow reserves for itself (`mlflow.user`, `mlflow.experimentKind`...): they are
/// not the stack's to manage, so reads leave them out and configurations may not set them.
pub(crate) const RESERVED_TAG_PREFIX: &str = "mlflow.";

/// A `{key, value}` tag.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// An `{alias, version}` entry of a registered model.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AliasEntry {
    pub alias: String,
    pub version: String,
}

/// `registered_model` of `registered-models/get`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RegisteredModel {
    pub name: String,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub creation_timestamp: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub aliases: Vec<AliasEntry>,
    #[serde(default)]
    pub latest_versions: Vec<ModelVersion>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RegisteredModelResponse {
    pub registered_model: RegisteredModel,
}

/// `model_version` of `model-versions/get` and `registered-models/alias`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ModelVersion {
    pub name: String,
    pub version: String,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub creation_timestamp: Option<i64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ModelVersionResponse {
    pub model_version: ModelVersion,
}

/// `experiment` of `experiments/get`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Experiment {
    pub experiment_id: String,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub creation_time: Option<i64>,
    #[serde(default)]
    pub artifact_location: Option<String>,
    #[serde(default)]
    pub lifecycle_stage: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ExperimentResponse {
    pub experiment: Experiment,
}

/// The answer of `experiments/create`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CreatedExperiment {
    pub experiment_id: String,
}

/// The stack's view of tags: a map without MLflow's reserved keys, null when empty (so a
/// stack that sets no tags and a model without tags agree).
pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    let map: BTreeMap<String, Value> = tags
        .iter()
        .filter(|t| !t.key.starts_with(RESERVED_TAG_PREFIX))
        .map(|t| (t.key.clone(), Value::string(&t.value)))
        .collect();
    if map.is_empty() {
        Value::Null
    } else {
        Value::Map(map)
    }
}

/// Tags in the API's `[{key, value}]` form.
pub(crate) fn tags_json(tags: &Value) -> serde_json::Value {
    let list = tags
        .as_map()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some(serde_json::json!({"key": k, "value": v.as_str()?})))
        .collect();
    serde_json::Value::Array(list)
}

/// An optional text as the stack sees it: absent and empty are both null.
pub(crate) fn text_value(text: Option<&str>) -> Value {
    match text {
        Some(t) if !t.is_empty() => Value::string(t),
        _ => Value::Null,
    }
}

/// What to change to turn the tags `prior` into `planned`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TagChanges {
    /// Keys to set, with their new values.
    pub set: Vec<(String, String)>,
    /// Keys to delete.
    pub removed: Vec<String>,
}

impl TagChanges {
    pub(crate) fn between(prior: &Value, planned: &Value) -> TagChanges {
        let empty = BTreeMap::new();
        let before = prior.as_map().unwrap_or(&empty);
        let after = planned.as_map().unwrap_or(&empty);
        TagChanges {
            set: after
                .iter()
                .filter(|(k, v)| before.get(*k) != Some(*v))
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect(),
            removed: before
                .keys()
                .filter(|k| !after.contains_key(*k))
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_leave_out_mlflow_s_own_and_empty_is_null() {
        let tags = vec![
            Tag {
                key: "team".into(),
                value: "ml".into(),
            },
            Tag {
                key: "mlflow.user".into(),
                value: "root".into(),
            },
        ];
        assert_eq!(
            tags_value(&tags),
            Value::object([("team", Value::string("ml"))])
        );
        assert_eq!(tags_value(&tags[1..]), Value::Null);
        assert_eq!(
            tags_json(&tags_value(&tags)),
            serde_json::json!([{"key": "team", "value": "ml"}])
        );
        assert_eq!(tags_json(&Value::Null), serde_json::json!([]));
    }

    #[test]
    fn tag_changes_set_new_and_changed_and_remove_dropped() {
        let prior = Value::object([("a", Value::string("1")), ("b", Value::string("2"))]);
        let planned = Value::object([("a", Value::string("1")), ("c", Value::string("3"))]);
        assert_eq!(
            TagChanges::between(&prior, &planned),
            TagChanges {
                set: vec![("c".into(), "3".into())],
                removed: vec!["b".into()],
            }
        );
        assert_eq!(
            TagChanges::between(&planned, &Value::Null).removed,
            vec!["a".to_string(), "c".to_string()]
        );
    }

    #[test]
    fn texts_absent_or_empty_are_null() {
        assert_eq!(text_value(None), Value::Null);
        assert_eq!(text_value(Some("")), Value::Null);
        assert_eq!(text_value(Some("x")), Value::string("x"));
    }
}
