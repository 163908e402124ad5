//! ggplan's MLflow provider: the model registry as declared state.
//!
//! | resource                  | import id            | data source               |
//! |---------------------------|----------------------|---------------------------|
//! | `mlflow_registered_model` | `NAME`               | `mlflow_registered_model` |
//! | `mlflow_model_alias`      | `MODEL/ALIAS`        | —                         |
//! | `mlflow_model_version`    | `MODEL/VERSION`      | `mlflow_model_version`    |
//! | `mlflow_experiment`       | `ID` (or `NAME`)     | —                         |
//!
//! Which model version serves where is recorded as registered-model aliases, so promoting a
//! model is a one-line change to a stack, and an alias moved behind the stack's back is drift
//! that `plan` shows and `apply` reverts. Every call goes through the tracking server's REST API
//! (`/api/2.0/mlflow`, MLflow 2.9 or later); transient failures are retried with backoff.

mod client;
mod error;
mod experiment;
mod model_alias;
mod model_version;
mod registered_model;
mod resource;
mod settings;
mod wire;

use async_trait::async_trait;
use client::Client;
use ggplan_sdk::typed::{DataSourceType, ResourceType, TypedProvider};
use ggplan_sdk::{Diagnostics, ProviderFactory, Schema, Value};
use settings::Settings;

/// The `mlflow` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<Mlflow>()
}

/// The `mlflow` provider: a configured block is one [`Client`] of the tracking server.
pub(crate) struct Mlflow;

#[async_trait]
impl TypedProvider for Mlflow {
    type Client = Client;
    type Error = Diagnostics;
    const NAME: &'static str = "mlflow";
    // No Terraform provider has these types: the host `ggplan` says they are ggplan's own.
    const SOURCE: &'static str = "ggplan/builtin/mlflow";

    fn schema() -> Schema {
        settings::schema()
    }

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![
            Box::new(registered_model::RegisteredModel),
            Box::new(model_alias::ModelAlias),
            Box::new(model_version::ModelVersion),
            Box::new(experiment::Experiment),
        ]
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![
            Box::new(registered_model::RegisteredModelData),
            Box::new(model_version::ModelVersionData),
        ]
    }

    async fn configure(config: &Value) -> Result<Client, Diagnostics> {
        let settings = Settings::from_config(config, |var| std::env::var(var).ok())?;
        Client::new(&settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::typed::TypeTable;

    /// A configured instance; planning these types needs no server.
    async fn configured() -> TypeTable<Mlflow> {
        let config = Value::object([("tracking_uri", Value::string("http://127.0.0.1:9"))]);
        ggplan_sdk::testing::configured::<Mlflow>(&config).await
    }

    /// A configuration with `pairs`, an empty description and no tags.
    fn config<const N: usize>(pairs: [(&str, &str); N]) -> Value {
        let empty = [
            ("description", Value::string("")),
            ("tags", Value::Map(Default::default())),
        ];
        Value::object(
            pairs
                .into_iter()
                .map(|(name, value)| (name, Value::string(value)))
                .chain(empty),
        )
    }

    async fn plan(
        table: &TypeTable<Mlflow>,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> Value {
        ggplan_sdk::testing::plan(table, type_name, prior, config)
            .await
            .planned
    }

    #[test]
    fn the_provider_offers_its_types_under_its_name() {
        let schema = (factory().new)().schema();
        let names: Vec<_> = schema
            .resources
            .keys()
            .chain(schema.data_sources.keys())
            .collect();
        assert_eq!(
            names,
            [
                "mlflow_experiment",
                "mlflow_model_alias",
                "mlflow_model_version",
                "mlflow_registered_model",
                "mlflow_model_version",
                "mlflow_registered_model"
            ]
        );
        assert!(schema.provider.attributes["password"].sensitive);
    }

    #[tokio::test]
    async fn plans_read_empty_as_null_and_leave_mlflow_s_values_unknown_when_new() {
        let table = configured().await;
        let named = config([("name", "m")]);
        let model = plan(&table, "mlflow_registered_model", None, &named).await;
        assert_eq!(model.get("id"), &Value::string("m"));
        assert_eq!(model.get("description"), &Value::Null);
        assert_eq!(model.get("tags"), &Value::Null);

        let registered = config([("model", "m"), ("source", "runs:/r/model")]);
        let version = plan(&table, "mlflow_model_version", None, &registered).await;
        for computed in ["version", "status", "id"] {
            assert_eq!(version.get(computed), &Value::Unknown, "{computed}");
        }
        let mut prior = version.clone();
        for (name, value) in [("version", "1"), ("status", "READY"), ("id", "m/1")] {
            prior.set_attr(name, Value::string(value));
        }
        let unchanged = plan(&table, "mlflow_model_version", Some(&prior), &registered).await;
        assert_eq!(unchanged, prior);

        let experiment = plan(&table, "mlflow_experiment", None, &named).await;
        assert_eq!(experiment.get("id"), &Value::Unknown);
        assert_eq!(experiment.get("artifact_location"), &Value::Unknown);
    }
}
