//! `mlflow_experiment`: an experiment of the tracking server. Renaming is an update; a new
//! artifact location replaces it. A deleted experiment (MLflow keeps it until `mlflow gc`)
//! counts as gone.

use crate::Mlflow;
use crate::client::{Client, Method};
use crate::resource::{ObjectApi, found_by_name, normalize, required_str, validate_tags};
use crate::wire::{self, CreatedExperiment, ExperimentResponse};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, Diagnostics, Found, PlanRequest, Schema, Type, Value, objchange,
};
use serde_json::json;
use std::time::SystemTime;

const TYPE: &str = "mlflow_experiment";

const API: ObjectApi = ObjectApi {
    update: (Method::Post, "experiments/update"),
    set_tag: (Method::Post, "experiments/set-experiment-tag"),
    delete_tag: (Method::Post, "experiments/delete-experiment-tag"),
    delete: (Method::Post, "experiments/delete"),
};

/// The managed experiment.
pub(crate) struct Experiment;

fn state_of(experiment: &wire::Experiment) -> Value {
    Value::object([
        ("id", Value::string(&experiment.experiment_id)),
        ("name", Value::string(&experiment.name)),
        (
            "artifact_location",
            wire::text_value(experiment.artifact_location.as_deref()),
        ),
        ("tags", wire::tags_value(&experiment.tags)),
    ])
}

/// The experiment a state names: by id once it has one, by name on import.
async fn fetch(client: &Client, state: &Value) -> Result<Option<wire::Experiment>, Diagnostics> {
    let (found, what) = match state.get("id").as_str() {
        Some(id) => (
            client
                .get::<ExperimentResponse>("experiments/get", &[("experiment_id", id)])
                .await,
            format!("reading experiment {id}"),
        ),
        None => {
            let name = required_str(state, "name")?;
            (
                client
                    .get::<ExperimentResponse>(
                        "experiments/get-by-name",
                        &[("experiment_name", name)],
                    )
                    .await,
                format!("reading experiment {name:?}"),
            )
        }
    };
    match found {
        Ok(found) if found.experiment.lifecycle_stage.as_deref() == Some("deleted") => Ok(None),
        Ok(found) => Ok(Some(found.experiment)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(client.fail(&e, &what)),
    }
}

#[async_trait]
impl ResourceType<Mlflow> for Experiment {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An MLflow experiment, which groups training runs.",
            [
                (
                    "name",
                    Attribute::required(Type::String)
                        .describe("The experiment's name; changing it renames the experiment."),
                ),
                (
                    "artifact_location",
                    Attribute::optional_computed(Type::String)
                        .force_new()
                        .describe("Where runs store artifacts; the server's default if unset."),
                ),
                (
                    "tags",
                    Attribute::optional(Type::Map(Box::new(Type::String)))
                        .describe("Tags; keys starting with \"mlflow.\" are MLflow's own."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String)
                        .describe("The experiment id MLflow assigned."),
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
        Ok(fetch(client, state).await?.as_ref().map(state_of))
    }

    async fn create(
        &self,
        client: &Client,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let name = required_str(planned, "name")?;
        let mut body = json!({"name": name, "tags": wire::tags_json(planned.get("tags"))});
        if let Some(location) = planned.get("artifact_location").as_str() {
            body["artifact_location"] = json!(location);
        }
        let doing = format!("creating experiment {name:?}");
        let created = client
            .create::<CreatedExperiment>("experiments/create", body)
            .await
            .map_err(|e| {
                let mut partial = client.fail_create(&e, &doing);
                if e.is_already_exists() {
                    for d in &mut partial.error.0 {
                        d.detail.push_str(
                            " A deleted experiment keeps its name until `mlflow gc` removes it: \
                             restore it (`mlflow experiments restore`) and import it, or purge it.",
                        );
                    }
                }
                partial
            })?;
        let stub = Value::object([("id", Value::string(&created.experiment_id))]);
        match fetch(client, &stub).await? {
            Some(experiment) => Ok(state_of(&experiment)),
            None => Err(client
                .fail(
                    &crate::error::ApiError::Unexpected(format!(
                        "experiment {} vanished right after it was created",
                        created.experiment_id
                    )),
                    &doing,
                )
                .into()),
        }
    }

    /// By name, since the id is what the lost answer held.
    async fn find_created(
        &self,
        client: &Client,
        config: &Value,
        since: SystemTime,
    ) -> Result<Found, Diagnostics> {
        let Some(name) = config.get("name").as_str() else {
            return Ok(Found::CannotTell("its name is not known yet".into()));
        };
        let by_name = Value::object([("name", Value::string(name))]);
        let found = fetch(client, &by_name).await?;
        let stub = found.as_ref().map_or(Value::Null, |e| {
            Value::object([("id", Value::string(&e.experiment_id))])
        });
        Ok(found_by_name(found.map(|e| e.creation_time), since, stub))
    }

    async fn update(
        &self,
        client: &Client,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let id = required_str(prior, "id")?;
        let name = required_str(planned, "name")?;
        let doing = format!("updating experiment {id} ({name:?})");
        let renamed = (prior.get("name") != planned.get("name")).then(|| json!({"new_name": name}));
        let object = json!({"experiment_id": id});
        Ok(API
            .update(client, object, renamed, prior, planned, &doing)
            .await?)
    }

    async fn delete(
        &self,
        client: &Client,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let id = required_str(prior, "id")?;
        let doing = format!("deleting experiment {id}");
        let object = json!({"experiment_id": id});
        API.delete(client, object, &doing).await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let key = if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            "id"
        } else {
            "name"
        };
        Ok(Value::object([(key, Value::string(id))]))
    }

    fn import_id_format(&self) -> &'static str {
        "its numeric id, or its name"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_by_id_or_by_name() {
        let by_id = Experiment.import_stub("12").unwrap();
        assert_eq!(by_id.get("id"), &Value::string("12"));
        let by_name = Experiment.import_stub("food11").unwrap();
        assert_eq!(by_name.get("name"), &Value::string("food11"));
        assert_eq!(by_name.get("id"), &Value::Null);
    }
}
