//! What the MLflow resource types share: the REST shape of an object kind with tags (its
//! update, tag and delete endpoints), planning and validation helpers, and import ids.

use crate::client::{Client, Method};
use crate::wire::{RESERVED_TAG_PREFIX, TagChanges};
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, Found, Value};
use serde::de::IgnoredAny;
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

/// The endpoints of one kind of MLflow object with tags (registered models, model versions,
/// experiments): how it is changed in place and deleted.
pub(crate) struct ObjectApi {
    /// Changes the object's own fields (its description, its name).
    pub update: (Method, &'static str),
    pub set_tag: (Method, &'static str),
    pub delete_tag: (Method, &'static str),
    pub delete: (Method, &'static str),
}

impl ObjectApi {
    /// Updates the object `object` names (the fields that identify it in request bodies) from
    /// `prior` to `planned`: `fields` through the update endpoint when one of them changed,
    /// then the tags. Returns the new state.
    pub(crate) async fn update(
        &self,
        client: &Client,
        object: serde_json::Value,
        fields: Option<serde_json::Value>,
        prior: &Value,
        planned: &Value,
        doing: &str,
    ) -> Result<Value, Diagnostics> {
        if let Some(fields) = fields {
            let (method, endpoint) = self.update;
            client
                .call::<IgnoredAny>(method, endpoint, with(&object, fields))
                .await
                .map_err(|e| client.fail(&e, doing))?;
        }
        let changes = TagChanges::between(prior.get("tags"), planned.get("tags"));
        let set = changes
            .set
            .into_iter()
            .map(|(key, value)| (self.set_tag, json!({"key": key, "value": value})));
        let removed = changes
            .removed
            .into_iter()
            .map(|key| (self.delete_tag, json!({"key": key})));
        for ((method, endpoint), fields) in set.chain(removed) {
            client
                .call::<IgnoredAny>(method, endpoint, with(&object, fields))
                .await
                .map_err(|e| client.fail(&e, doing))?;
        }
        Ok(planned.clone())
    }

    /// Deletes the object `object` names; one already gone counts as deleted.
    pub(crate) async fn delete(
        &self,
        client: &Client,
        object: serde_json::Value,
        doing: &str,
    ) -> Result<(), Diagnostics> {
        let (method, endpoint) = self.delete;
        delete_object(client, method, endpoint, object, doing).await
    }
}

/// The body `object` (the identifying fields) extended with `fields`.
fn with(object: &serde_json::Value, fields: serde_json::Value) -> serde_json::Value {
    let mut body = object.clone();
    if let (Some(body), serde_json::Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    body
}

/// The update endpoint's `description` field when the description changed (an empty one
/// clears it).
pub(crate) fn description_change(prior: &Value, planned: &Value) -> Option<serde_json::Value> {
    (prior.get("description") != planned.get("description")).then(|| {
        let description = planned.get("description").as_str().unwrap_or_default();
        json!({"description": description})
    })
}

/// Deletes an object; one that is already gone counts as deleted (it was deleted outside
/// ggplan, or by an earlier attempt whose answer was lost).
pub(crate) async fn delete_object(
    client: &Client,
    method: Method,
    endpoint: &str,
    body: serde_json::Value,
    doing: &str,
) -> Result<(), Diagnostics> {
    match client.call::<IgnoredAny>(method, endpoint, body).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(client.fail(&e, doing)),
    }
}

/// A string attribute the state or configuration must have (the engine enforces required
/// attributes; this guards against a hand-edited state).
/// Whether an object MLflow stamped `created` (milliseconds since the epoch) was made at or
/// after `since`; `None` when the server gave no stamp.
pub(crate) fn made_since(created: Option<i64>, since: SystemTime) -> Option<bool> {
    let since_ms = since
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    created.map(|ms| i128::from(ms) >= since_ms as i128)
}

/// What a name-unique object (a registered model, an experiment) tells of an unfinished
/// create: the object of that name is the create's when it was made since the create began;
/// an older one existed before, so the create made nothing (and a new one is refused).
pub(crate) fn found_by_name(created: Option<Option<i64>>, since: SystemTime, stub: Value) -> Found {
    match created.map(|stamp| made_since(stamp, since)) {
        None | Some(Some(false)) => Found::Nothing,
        Some(Some(true)) => Found::Object(stub),
        Some(None) => Found::CannotTell("MLflow gave no creation time".into()),
    }
}

pub(crate) fn required_str<'a>(value: &'a Value, name: &str) -> Result<&'a str, Diagnostics> {
    value.get(name).as_str().ok_or_else(|| {
        Diagnostic::error(
            format!("{name} is missing"),
            format!(
                "The resource has no {name}; if the state was edited by hand, remove the \
                 instance with `ggplan state rm` and import it again."
            ),
        )
        .at_attribute(AttrPath::attr(name))
        .into()
    })
}

/// Puts `description` and `tags` of a planned value in the form reads produce (empty is null),
/// so a stack that writes `description = ""` or `tags = {}` does not differ from the server.
pub(crate) fn normalize(planned: &mut Value) {
    if planned.get("description").as_str() == Some("") {
        planned.set_attr("description", Value::Null);
    }
    if planned.get("tags").as_map().is_some_and(|m| m.is_empty()) {
        planned.set_attr("tags", Value::Null);
    }
}

/// Configured tags may not use MLflow's reserved prefix (the check of every type with tags).
pub(crate) fn validate_tags(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for key in config
        .get("tags")
        .as_map()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if key.starts_with(RESERVED_TAG_PREFIX) {
            diagnostics.push(
                Diagnostic::error(
                    format!("Tag {key:?} uses MLflow's reserved prefix"),
                    format!(
                        "Tags whose keys start with {RESERVED_TAG_PREFIX:?} belong to MLflow and \
                         are not managed by ggplan; rename the tag."
                    ),
                )
                .at_attribute(AttrPath::attr("tags").key(key)),
            );
        }
    }
    diagnostics
}

/// Checks that a known version is what MLflow numbers versions with: "1", "2"...
pub(crate) fn check_version_number(config: &Value, name: &str) -> Diagnostics {
    let version = config.get(name);
    match version.as_str() {
        Some(v) if !is_version_number(v) => Diagnostic::error(
            format!("{v:?} is not a model version number"),
            format!(
                "MLflow numbers the versions of a registered model 1, 2, 3...; set {name} to one \
                 of those (a string or a number), not to an alias or a name."
            ),
        )
        .at_attribute(AttrPath::attr(name))
        .into(),
        _ => Diagnostics::new(),
    }
}

fn is_version_number(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0')
}

/// Splits a `MODEL/PART` import id at its last slash (alias names and version numbers have
/// none; model names may). `noun` and `format` say what the id names and how it looks ("a
/// model alias", "MODEL/ALIAS").
pub(crate) fn split_id<'a>(
    id: &'a str,
    noun: &str,
    format: &str,
) -> Result<(&'a str, &'a str), Diagnostics> {
    match id.rsplit_once('/') {
        Some((model, part)) if !model.is_empty() && !part.is_empty() => Ok((model, part)),
        _ => Err(Diagnostic::error(
            format!("Invalid import id {id:?}"),
            format!(
                "The import id of {noun} is {format}. For example \
                 GourmetGramFood11Model/production."
            ),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_description_and_tags_plan_as_null() {
        let mut planned = Value::object([
            ("description", Value::string("")),
            ("tags", Value::Map(Default::default())),
            ("name", Value::string("m")),
        ]);
        normalize(&mut planned);
        assert_eq!(planned.get("description"), &Value::Null);
        assert_eq!(planned.get("tags"), &Value::Null);
        assert_eq!(planned.get("name"), &Value::string("m"));
        let mut unknown = Value::object([("tags", Value::Unknown)]);
        normalize(&mut unknown);
        assert_eq!(unknown.get("tags"), &Value::Unknown);
    }

    #[test]
    fn bodies_extend_the_object_s_identity() {
        let body = with(&json!({"name": "m"}), json!({"key": "team", "value": "ml"}));
        assert_eq!(body, json!({"name": "m", "key": "team", "value": "ml"}));
        let prior = Value::object([("description", Value::string("a"))]);
        let cleared = Value::object([("description", Value::Null)]);
        assert_eq!(description_change(&prior, &prior), None);
        assert_eq!(
            description_change(&prior, &cleared),
            Some(json!({"description": ""}))
        );
    }

    #[test]
    fn version_numbers_and_reserved_tags_are_checked() {
        let config = |v: &str| Value::object([("version", Value::string(v))]);
        assert!(check_version_number(&config("3"), "version").is_empty());
        for bad in ["latest", "v3", "0", "03", "", "1.0"] {
            let d = check_version_number(&config(bad), "version");
            assert!(d.has_errors(), "{bad}");
        }
        assert!(
            check_version_number(&Value::object([("version", Value::Unknown)]), "version")
                .is_empty()
        );
        let tags = Value::object([(
            "tags",
            Value::object([
                ("mlflow.user", Value::string("x")),
                ("team", Value::string("ml")),
            ]),
        )]);
        let d = validate_tags(&tags);
        assert_eq!(d.0.len(), 1);
        assert_eq!(
            d.0[0].attribute,
            Some(AttrPath::attr("tags").key("mlflow.user"))
        );
    }

    #[test]
    fn import_ids_split_at_the_last_slash() {
        let split = |id| split_id(id, "a model alias", "MODEL/ALIAS");
        assert_eq!(split("m/production").unwrap(), ("m", "production"));
        assert_eq!(split("team/m/3").unwrap(), ("team/m", "3"));
        assert!(split("m/").is_err());
        let err = split("m").unwrap_err();
        assert_eq!(
            err.0[0].detail,
            "The import id of a model alias is MODEL/ALIAS. For example \
             GourmetGramFood11Model/production."
        );
    }
}
