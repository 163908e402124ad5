//! `mlflow_registered_model`: a model of the registry (its versions and aliases are their own
//! resources), and the data source of the same name, which also reports the aliases.

use crate::Mlflow;
use crate::client::{Client, Method};
use crate::resource::{
    ObjectApi, description_change, found_by_name, normalize, required_str, validate_tags,
};
use crate::wire::{self, RegisteredModelResponse};
use async_trait::async_trait;
use ggplan_sdk::typed::{DataSourceType, Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostics, Found, PlanRequest, Schema, Type, Value};
use serde::de::IgnoredAny;
use serde_json::json;
use std::time::SystemTime;

const TYPE: &str = "mlflow_registered_model";

const API: ObjectApi = ObjectApi {
    update: (Method::Patch, "registered-models/update"),
    set_tag: (Method::Post, "registered-models/set-tag"),
    delete_tag: (Method::Delete, "registered-models/delete-tag"),
    delete: (Method::Delete, "registered-models/delete"),
};

/// The managed registered model.
pub(crate) struct RegisteredModel;

/// The registered model data source.
pub(crate) struct RegisteredModelData;

fn tags_type() -> Type {
    Type::Map(Box::new(Type::String))
}

/// The model named `name`, or `None` when MLflow has none.
pub(crate) async fn fetch(
    client: &Client,
    name: &str,
) -> Result<Option<wire::RegisteredModel>, Diagnostics> {
    match client
        .get::<RegisteredModelResponse>("registered-models/get", &[("name", name)])
        .await
    {
        Ok(found) => Ok(Some(found.registered_model)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(client.fail(&e, &format!("reading registered model {name:?}"))),
    }
}

/// The resource state of a model.
fn state_of(model: &wire::RegisteredModel) -> Value {
    Value::object([
        ("id", Value::string(&model.name)),
        ("name", Value::string(&model.name)),
        (
            "description",
            wire::text_value(model.description.as_deref()),
        ),
        ("tags", wire::tags_value(&model.tags)),
    ])
}

#[async_trait]
impl ResourceType<Mlflow> for RegisteredModel {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A registered model of the MLflow model registry.",
            [
                (
                    "name",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("The model's name; changing it replaces the model."),
                ),
                (
                    "description",
                    Attribute::optional(Type::String).describe("Free text shown in the MLflow UI."),
                ),
                (
                    "tags",
                    Attribute::optional(tags_type())
                        .describe("Tags; keys starting with \"mlflow.\" are MLflow's own."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("The model's name."),
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
        planned.set_attr("id", request.config.get("name").clone());
        Ok(Vec::new())
    }

    async fn read(&self, client: &Client, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let name = required_str(state, "name")?;
        Ok(fetch(client, name).await?.as_ref().map(state_of))
    }

    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let name = required_str(planned, "name")?;
        let mut body = json!({"name": name, "tags": wire::tags_json(planned.get("tags"))});
        if let Some(description) = planned.get("description").as_str() {
            body["description"] = json!(description);
        }
        client
            .create::<IgnoredAny>("registered-models/create", body)
            .await
            .map_err(|e| client.fail_create(&e, &format!("creating registered model {name:?}")))?;
        Ok(planned.clone())
    }

    async fn find_created(
        &self,
        client: &Client,
        config: &Value,
        since: SystemTime,
    ) -> Result<Found, Diagnostics> {
        let Some(name) = config.get("name").as_str() else {
            return Ok(Found::CannotTell("its name is not known yet".into()));
        };
        let created = fetch(client, name).await?.map(|m| m.creation_timestamp);
        let stub = Value::object([("name", Value::string(name))]);
        Ok(found_by_name(created, since, stub))
    }

    async fn update(
        &self,
        client: &Client,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let name = required_str(planned, "name")?;
        let doing = format!("updating registered model {name:?}");
        let object = json!({"name": name});
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
        let name = required_str(prior, "name")?;
        let doing = format!("deleting registered model {name:?}");
        let object = json!({"name": name});
        API.delete(client, object, &doing).await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        Ok(Value::object([("name", Value::string(id))]))
    }

    fn import_id_format(&self) -> &'static str {
        "its name"
    }
}

#[async_trait]
impl DataSourceType<Mlflow> for RegisteredModelData {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Looks up a registered model and where its aliases point.",
            [
                (
                    "name",
                    Attribute::required(Type::String).describe("The model's name."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("The model's name."),
                ),
                ("description", Attribute::computed(Type::String)),
                ("tags", Attribute::computed(tags_type())),
                (
                    "aliases",
                    Attribute::computed(tags_type())
                        .describe("Each alias of the model and the version it points at."),
                ),
                (
                    "latest_version",
                    Attribute::computed(Type::String)
                        .describe("The highest version number, null when the model has none."),
                ),
            ],
        )
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value, Diagnostics> {
        let name = required_str(config, "name")?;
        let model = match fetch(client, name).await? {
            Some(model) => model,
            None => {
                let missing = crate::error::ApiError::Status {
                    status: 404,
                    code: "RESOURCE_DOES_NOT_EXIST".to_string(),
                    message: format!("Registered Model with name={name} not found"),
                };
                return Err(client.fail(&missing, &format!("reading registered model {name:?}")));
            }
        };
        let mut value = state_of(&model);
        let aliases = model
            .aliases
            .iter()
            .map(|a| (a.alias.clone(), Value::string(&a.version)))
            .collect();
        value.set_attr("aliases", Value::Map(aliases));
        let latest = model
            .latest_versions
            .iter()
            .filter_map(|v| v.version.parse::<u64>().ok())
            .max();
        value.set_attr(
            "latest_version",
            latest.map_or(Value::Null, |v| Value::string(v.to_string())),
        );
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_has_exactly_the_schema_s_attributes() {
        let model: wire::RegisteredModelResponse = serde_json::from_value(json!({
            "registered_model": {
                "name": "m", "creation_timestamp": 1, "description": "",
                "tags": [{"key": "team", "value": "ml"}],
                "aliases": [{"alias": "production", "version": "2"}]
            }
        }))
        .unwrap();
        let state = state_of(&model.registered_model);
        let schema = RegisteredModel.schema();
        let keys: Vec<_> = state.as_map().unwrap().keys().collect();
        let expected: Vec<_> = schema.attributes.keys().collect();
        assert_eq!(keys, expected);
        assert_eq!(state.get("description"), &Value::Null);
        assert_eq!(state.get("tags").get("team"), &Value::string("ml"));
    }
}
