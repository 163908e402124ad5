//! `mlflow_model_version`: a registered version of a model (MLflow numbers it), and the data
//! source of the same name, which finds a version by number or by alias.

use crate::Mlflow;
use crate::client::{Client, Method};
use crate::error::ApiError;
use crate::resource::{
    ObjectApi, check_version_number, description_change, made_since, normalize, required_str,
    split_id, validate_tags,
};
use crate::wire::{self, ModelVersionResponse};
use async_trait::async_trait;
use ggplan_sdk::typed::{DataSourceType, Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Found, PlanRequest, Schema, Type, Value,
    objchange,
};
use serde_json::json;
use std::time::{Duration, SystemTime};

const TYPE: &str = "mlflow_model_version";
const ID_FORMAT: &str = "MODEL/VERSION";

const API: ObjectApi = ObjectApi {
    update: (Method::Patch, "model-versions/update"),
    set_tag: (Method::Post, "model-versions/set-tag"),
    delete_tag: (Method::Delete, "model-versions/delete-tag"),
    delete: (Method::Delete, "model-versions/delete"),
};
/// How long a create waits for a pending registration to finish.
const REGISTRATION_POLLS: u32 = 60;
const REGISTRATION_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The managed model version.
pub(crate) struct ModelVersion;

/// The model version data source.
pub(crate) struct ModelVersionData;

fn tags_type() -> Type {
    Type::Map(Box::new(Type::String))
}

/// The resource state of a version.
fn state_of(version: &wire::ModelVersion) -> Value {
    Value::object([
        (
            "id",
            Value::string(format!("{}/{}", version.name, version.version)),
        ),
        ("model", Value::string(&version.name)),
        ("version", Value::string(&version.version)),
        ("source", wire::text_value(version.source.as_deref())),
        ("run_id", wire::text_value(version.run_id.as_deref())),
        ("status", wire::text_value(version.status.as_deref())),
        (
            "description",
            wire::text_value(version.description.as_deref()),
        ),
        ("tags", wire::tags_value(&version.tags)),
    ])
}

/// Version `version` of `model`, or `None` when it does not exist.
async fn fetch(
    client: &Client,
    model: &str,
    version: &str,
) -> Result<Option<wire::ModelVersion>, Diagnostics> {
    match client
        .get::<ModelVersionResponse>(
            "model-versions/get",
            &[("name", model), ("version", version)],
        )
        .await
    {
        Ok(found) => Ok(Some(found.model_version)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(client.fail(&e, &format!("reading version {version} of model {model:?}"))),
    }
}

/// Every version of `model`, page by page.
async fn search(client: &Client, model: &str) -> Result<Vec<wire::ModelVersion>, Diagnostics> {
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(default)]
        model_versions: Vec<wire::ModelVersion>,
        #[serde(default)]
        next_page_token: Option<String>,
    }
    let filter = format!("name='{model}'");
    let mut versions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("filter", filter.as_str())];
        if let Some(token) = &token {
            query.push(("page_token", token));
        }
        let page = client
            .get::<Page>("model-versions/search", &query)
            .await
            .map_err(|e| client.fail(&e, &format!("listing the versions of model {model:?}")))?;
        versions.extend(page.model_versions);
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return Ok(versions),
        }
    }
}

/// Waits while MLflow finishes a registration; a failed one is an error.
async fn await_registration(
    client: &Client,
    mut version: wire::ModelVersion,
) -> Result<wire::ModelVersion, Diagnostics> {
    for _ in 0..REGISTRATION_POLLS {
        if version.status.as_deref() != Some("PENDING_REGISTRATION") {
            break;
        }
        tokio::time::sleep(REGISTRATION_POLL_INTERVAL).await;
        if let Some(now) = fetch(client, &version.name, &version.version).await? {
            version = now;
        }
    }
    if version.status.as_deref() == Some("FAILED_REGISTRATION") {
        return Err(Diagnostic::error(
            format!(
                "MLflow failed to register version {} of model {:?}",
                version.version, version.name
            ),
            format!(
                "The registration ended in FAILED_REGISTRATION: {}. Check that source points \
                 at the model's artifacts, then replace the version (ggplan apply --replace).",
                version.status_message.as_deref().unwrap_or("no message")
            ),
        )
        .into());
    }
    Ok(version)
}

#[async_trait]
impl ResourceType<Mlflow> for ModelVersion {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A version of a registered model; MLflow assigns its number.",
            [
                (
                    "model",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("The registered model's name."),
                ),
                (
                    "source",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("Where the model's artifacts are, e.g. runs:/<run_id>/model."),
                ),
                (
                    "run_id",
                    Attribute::optional(Type::String)
                        .force_new()
                        .describe("The run that produced the model."),
                ),
                ("description", Attribute::optional(Type::String)),
                (
                    "tags",
                    Attribute::optional(tags_type())
                        .describe("Tags; keys starting with \"mlflow.\" are MLflow's own."),
                ),
                (
                    "version",
                    Attribute::computed(Type::String).describe("The number MLflow assigned."),
                ),
                (
                    "status",
                    Attribute::computed(Type::String)
                        .describe("READY, PENDING_REGISTRATION or FAILED_REGISTRATION."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("MODEL/VERSION."),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_tags(config)
    }

    async fn modify_plan(
        &self,
        _client: &Client,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        normalize(planned);
        objchange::unknown_when_new(&self.schema(), request.prior, planned);
        Ok(Vec::new())
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let model = required_str(state, "model")?;
        let version = required_str(state, "version")?;
        Ok(fetch(client, model, version).await?.as_ref().map(state_of))
    }

    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let model = required_str(planned, "model")?;
        let source = required_str(planned, "source")?;
        let mut body = json!({
            "name": model,
            "source": source,
            "tags": wire::tags_json(planned.get("tags")),
        });
        for optional in ["run_id", "description"] {
            if let Some(text) = planned.get(optional).as_str() {
                body[optional] = json!(text);
            }
        }
        let doing = format!("registering a version of model {model:?}");
        let created = client
            .create::<ModelVersionResponse>("model-versions/create", body)
            .await
            .map_err(|e| client.fail_create(&e, &doing))?;
        let version = await_registration(client, created.model_version).await?;
        Ok(state_of(&version))
    }

    /// Versions are numbered by MLflow, so the create's is the one version of the model with
    /// the configured source and run made since the create began.
    async fn find_created(
        &self,
        client: &Client,
        config: &Value,
        since: SystemTime,
    ) -> Result<Found, Diagnostics> {
        let (Some(model), Some(source)) =
            (config.get("model").as_str(), config.get("source").as_str())
        else {
            return Ok(Found::CannotTell(
                "its model or source is not known yet".into(),
            ));
        };
        // MLflow's filter grammar quotes with ' and has no escape for it.
        if model.contains('\'') {
            return Ok(Found::CannotTell("its model's name holds a quote".into()));
        }
        let run_id = config.get("run_id");
        if !run_id.is_wholly_known() {
            return Ok(Found::CannotTell("its run_id is not known yet".into()));
        }
        let run_id = run_id.as_str().unwrap_or_default();
        let mut made = Vec::new();
        for version in search(client, model).await? {
            let same = version.source.as_deref() == Some(source)
                && version.run_id.as_deref().unwrap_or_default() == run_id;
            match made_since(version.creation_timestamp, since) {
                Some(true) if same => made.push(version.version),
                None if same => {
                    return Ok(Found::CannotTell("MLflow gave no creation time".into()));
                }
                _ => {}
            }
        }
        Ok(match made.as_slice() {
            [] => Found::Nothing,
            [version] => Found::Object(Value::object([
                ("model", Value::string(model)),
                ("version", Value::string(version)),
            ])),
            several => Found::CannotTell(format!(
                "versions {} of model {model:?} were all registered from that source since",
                several.join(", ")
            )),
        })
    }

    async fn update(
        &self,
        client: &Client,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let model = required_str(planned, "model")?;
        let version = required_str(planned, "version")?;
        let doing = format!("updating version {version} of model {model:?}");
        let object = json!({"name": model, "version": version});
        let fields = description_change(prior, planned);
        Ok(API
            .update(client, object, fields, prior, planned, &doing)
            .await?)
    }

    async fn delete(
        &self,
        client: &Client,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let model = required_str(prior, "model")?;
        let version = required_str(prior, "version")?;
        let doing = format!("deleting version {version} of model {model:?}");
        let object = json!({"name": model, "version": version});
        API.delete(client, object, &doing).await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let (model, version) = split_id(id, "a model version", ID_FORMAT)?;
        Ok(Value::object([
            ("model", Value::string(model)),
            ("version", Value::string(version)),
        ]))
    }

    fn import_id_format(&self) -> &'static str {
        ID_FORMAT
    }
}

#[async_trait]
impl DataSourceType<Mlflow> for ModelVersionData {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Looks up a model version by number or by alias (set exactly one).",
            [
                (
                    "model",
                    Attribute::required(Type::String).describe("The registered model."),
                ),
                (
                    "version",
                    Attribute::optional_computed(Type::String)
                        .describe("The version number to look up, or the one the alias names."),
                ),
                (
                    "alias",
                    Attribute::optional(Type::String).describe("An alias to resolve."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("MODEL/VERSION."),
                ),
                ("source", Attribute::computed(Type::String)),
                ("run_id", Attribute::computed(Type::String)),
                ("status", Attribute::computed(Type::String)),
                ("description", Attribute::computed(Type::String)),
                ("tags", Attribute::computed(tags_type())),
                (
                    "aliases",
                    Attribute::computed(Type::List(Box::new(Type::String)))
                        .describe("Every alias that points at this version."),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let (version, alias) = (config.get("version"), config.get("alias"));
        if version.is_unknown() || alias.is_unknown() || version.is_null() != alias.is_null() {
            return check_version_number(config, "version");
        }
        Diagnostic::error(
            "Set either version or alias",
            "data \"mlflow_model_version\" finds one version: give its number (version) or an \
             alias that points at it (alias), not both and not neither.",
        )
        .at_attribute(AttrPath::attr("version"))
        .into()
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diagnostics> {
        let invalid = self.validate(config);
        if invalid.has_errors() {
            return Err(invalid);
        }
        let model = required_str(config, "model")?;
        let (found, what) = match config.get("alias").as_str() {
            Some(alias) => {
                let what = format!("alias {alias:?} of model {model:?}");
                let found = client
                    .get::<ModelVersionResponse>(
                        "registered-models/alias",
                        &[("name", model), ("alias", alias)],
                    )
                    .await;
                (found.map(|f| f.model_version), what)
            }
            None => {
                let version = required_str(config, "version")?;
                let what = format!("version {version} of model {model:?}");
                let found = client
                    .get::<ModelVersionResponse>(
                        "model-versions/get",
                        &[("name", model), ("version", version)],
                    )
                    .await;
                (found.map(|f| f.model_version), what)
            }
        };
        let version = found.map_err(|e| lookup_failure(client, &e, &what))?;
        let mut value = state_of(&version);
        value.set_attr("alias", config.get("alias").clone());
        let aliases = version.aliases.iter().map(Value::string).collect();
        value.set_attr("aliases", Value::List(aliases));
        Ok(value)
    }
}

/// A failed lookup. A missing alias answers 400 INVALID_PARAMETER_VALUE ("... alias X not
/// found"), so the message says plainly that the alias is not set.
fn lookup_failure(client: &Client, error: &ApiError, what: &str) -> Diagnostics {
    let alias_missing = matches!(error, ApiError::Status { code, message, .. }
        if code == "INVALID_PARAMETER_VALUE" && message.contains("not found"));
    if alias_missing {
        return Diagnostic::error(
            format!("MLflow has no {what}"),
            format!(
                "{error}. Set the alias first (an mlflow_model_alias resource), \
                 or look the version up by number."
            ),
        )
        .at_attribute(AttrPath::attr("alias"))
        .into();
    }
    client.fail(error, &format!("reading {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_has_exactly_the_schema_s_attributes() {
        let answer: ModelVersionResponse = serde_json::from_value(json!({
            "model_version": {
                "name": "m", "version": "2", "source": "runs:/abc/model", "run_id": "abc",
                "status": "READY", "tags": [{"key": "stage", "value": "qa"}],
                "aliases": ["production"], "creation_timestamp": 1
            }
        }))
        .unwrap();
        let state = state_of(&answer.model_version);
        let keys: Vec<_> = state.as_map().unwrap().keys().collect();
        let schema = ModelVersion.schema();
        let expected: Vec<_> = schema.attributes.keys().collect();
        assert_eq!(keys, expected);
        assert_eq!(state.get("id"), &Value::string("m/2"));
        assert_eq!(state.get("description"), &Value::Null);
    }

    #[test]
    fn data_source_needs_exactly_one_of_version_and_alias() {
        let config = |version: Value, alias: Value| {
            Value::object([
                ("model", Value::string("m")),
                ("version", version),
                ("alias", alias),
            ])
        };
        let ok = ModelVersionData.validate(&config(Value::string("2"), Value::Null));
        assert!(ok.is_empty());
        let ok = ModelVersionData.validate(&config(Value::Null, Value::string("production")));
        assert!(ok.is_empty());
        assert!(
            ModelVersionData
                .validate(&config(Value::Null, Value::Null))
                .has_errors()
        );
        let both = config(Value::string("2"), Value::string("production"));
        assert!(ModelVersionData.validate(&both).has_errors());
        let bad = ModelVersionData.validate(&config(Value::string("v2"), Value::Null));
        assert!(bad.has_errors());
    }
}
