//! What every MLflow resource type and data source provides, and the helpers they share.

use crate::client::{Client, Method};
use crate::wire::{RESERVED_TAG_PREFIX, TagChanges};
use async_trait::async_trait;
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, PlanRequest, PlanResponse, Schema, Value};
use serde::de::IgnoredAny;
use serde_json::json;

/// The two endpoints that set and delete one tag of an object.
pub(crate) struct TagEndpoints {
    pub set: (Method, &'static str),
    pub delete: (Method, &'static str),
}

/// Changes the tags of the object named by `object` (the fields that identify it in the
/// endpoints' bodies) from `prior` to `planned`.
pub(crate) async fn sync_tags(
    client: &Client,
    endpoints: &TagEndpoints,
    object: serde_json::Value,
    prior: &Value,
    planned: &Value,
    doing: &str,
) -> Result<(), Diagnostics> {
    let changes = TagChanges::between(prior.get("tags"), planned.get("tags"));
    let with = |fields: serde_json::Value| {
        let mut body = object.clone();
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        body
    };
    for (key, value) in changes.set {
        let (method, endpoint) = endpoints.set;
        client
            .call::<IgnoredAny>(method, endpoint, with(json!({"key": key, "value": value})))
            .await
            .map_err(|e| client.fail(&e, doing))?;
    }
    for key in changes.removed {
        let (method, endpoint) = endpoints.delete;
        client
            .call::<IgnoredAny>(method, endpoint, with(json!({"key": key})))
            .await
            .map_err(|e| client.fail(&e, doing))?;
    }
    Ok(())
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

/// A managed MLflow object type.
#[async_trait]
pub(crate) trait Resource: Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks a configuration without the server; the default checks tags.
    fn validate(&self, config: &Value) -> Diagnostics {
        validate_tags(config)
    }

    /// The object as it is now; `None` when it is gone.
    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diagnostics>;

    async fn plan(
        &self,
        client: &Client,
        request: &PlanRequest<'_>,
    ) -> Result<PlanResponse, Diagnostics>;

    async fn create(&self, client: &Client, planned: &Value) -> Result<Value, Diagnostics>;

    async fn update(
        &self,
        client: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Diagnostics>;

    /// Deletes the object; one that is already gone is not an error.
    async fn delete(&self, client: &Client, prior: &Value) -> Result<(), Diagnostics>;

    /// The least state `read` needs to find the object an import id names.
    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics>;

    /// How an import id looks, for messages.
    fn import_id_format(&self) -> &'static str;
}

/// A read-only MLflow lookup.
#[async_trait]
pub(crate) trait DataSource: Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diagnostics>;
}

/// A string attribute the state or configuration must have (the engine enforces required
/// attributes; this guards against a hand-edited state).
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

/// Sets one attribute of an object value.
pub(crate) fn set(value: &mut Value, name: &str, attribute: Value) {
    if let Value::Map(map) = value {
        map.insert(name.to_string(), attribute);
    }
}

/// The planned value with `description` and `tags` in the form reads produce (empty is null),
/// so a stack that writes `description = ""` or `tags = {}` does not differ from the server.
pub(crate) fn normalized(mut planned: Value) -> Value {
    if planned.get("description").as_str() == Some("") {
        set(&mut planned, "description", Value::Null);
    }
    if planned.get("tags").as_map().is_some_and(|m| m.is_empty()) {
        set(&mut planned, "tags", Value::Null);
    }
    planned
}

/// `planned` with every computed-only attribute unknown when the object is new (created, or
/// replaced because a force-new attribute changed): only MLflow can tell their values then.
pub(crate) fn unknown_when_new(
    schema: &Schema,
    prior: Option<&Value>,
    mut planned: Value,
) -> Value {
    let new = prior.is_none_or(|prior| {
        !ggplan_sdk::objchange::replace_paths(schema, prior, &planned).is_empty()
    });
    if new {
        for (name, attr) in &schema.attributes {
            if attr.computed && !attr.optional {
                set(&mut planned, name, Value::Unknown);
            }
        }
    }
    planned
}

/// Configured tags may not use MLflow's reserved prefix.
fn validate_tags(config: &Value) -> Diagnostics {
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
/// none; model names may).
pub(crate) fn split_id<'a>(id: &'a str, format: &str) -> Result<(&'a str, &'a str), Diagnostics> {
    match id.rsplit_once('/') {
        Some((model, part)) if !model.is_empty() && !part.is_empty() => Ok((model, part)),
        _ => Err(Diagnostic::error(
            format!("Invalid import id {id:?}"),
            format!("{format} For example GourmetGramFood11Model/production."),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, Type};

    #[test]
    fn empty_description_and_tags_plan_as_null() {
        let planned = normalized(Value::object([
            ("description", Value::string("")),
            ("tags", Value::Map(Default::default())),
            ("name", Value::string("m")),
        ]));
        assert_eq!(planned.get("description"), &Value::Null);
        assert_eq!(planned.get("tags"), &Value::Null);
        assert_eq!(planned.get("name"), &Value::string("m"));
        let unknown = normalized(Value::object([("tags", Value::Unknown)]));
        assert_eq!(unknown.get("tags"), &Value::Unknown);
    }

    #[test]
    fn computed_values_are_unknown_only_for_new_objects() {
        let schema = Schema::new(
            "t",
            [
                ("name", Attribute::required(Type::String).force_new()),
                ("note", Attribute::optional(Type::String)),
                ("version", Attribute::computed(Type::String)),
            ],
        );
        let prior = Value::object([
            ("name", Value::string("a")),
            ("version", Value::string("3")),
        ]);
        let mut planned = prior.clone();
        set(&mut planned, "note", Value::string("x"));
        let kept = unknown_when_new(&schema, Some(&prior), planned.clone());
        assert_eq!(kept.get("version"), &Value::string("3"));
        set(&mut planned, "name", Value::string("b"));
        let replaced = unknown_when_new(&schema, Some(&prior), planned.clone());
        assert_eq!(replaced.get("version"), &Value::Unknown);
        assert_eq!(
            unknown_when_new(&schema, None, prior).get("version"),
            &Value::Unknown
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
        assert_eq!(split_id("m/production", "").unwrap(), ("m", "production"));
        assert_eq!(split_id("team/m/3", "").unwrap(), ("team/m", "3"));
        assert!(split_id("m", "MODEL/ALIAS").is_err());
        assert!(split_id("m/", "MODEL/ALIAS").is_err());
    }
}
