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
use ggplan_sdk::{
    ApplyRequest, ApplyResponse, Diagnostic, Diagnostics, PlanRequest, PlanResponse, Provider,
    ProviderFactory, ProviderSchema, ReadRequest, ResourceKind, Value,
};
use resource::{DataSource, Resource};
use settings::Settings;
use std::sync::{Arc, RwLock};

/// The managed resource types.
const RESOURCES: [&dyn Resource; 4] = [
    &registered_model::RegisteredModel,
    &model_alias::ModelAlias,
    &model_version::ModelVersion,
    &experiment::Experiment,
];

/// The data sources.
const DATA_SOURCES: [&dyn DataSource; 2] = [
    &registered_model::RegisteredModelData,
    &model_version::ModelVersionData,
];

/// The `mlflow` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ProviderFactory::new("mlflow", || -> Arc<dyn Provider> {
        Arc::new(MlflowProvider::default())
    })
}

/// One configured `provider "mlflow"` block.
#[derive(Debug, Default)]
pub struct MlflowProvider {
    client: RwLock<Option<Arc<Client>>>,
}

impl MlflowProvider {
    fn client(&self) -> Result<Arc<Client>, Diagnostics> {
        self.client
            .read()
            .ok()
            .and_then(|c| c.clone())
            .ok_or_else(|| {
                Diagnostic::error(
                    "The MLflow provider is not configured",
                    "ggplan calls configure before any other call; this is a bug in ggplan.",
                )
                .into()
            })
    }

    /// The client and the resource type, or why there is none.
    fn resource(
        &self,
        type_name: &str,
    ) -> Result<(Arc<Client>, &'static dyn Resource), Diagnostics> {
        let resource = RESOURCES
            .into_iter()
            .find(|r| r.type_name() == type_name)
            .ok_or_else(|| unsupported(type_name))?;
        Ok((self.client()?, resource))
    }
}

fn unsupported(type_name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("The mlflow provider has no type {type_name:?}"),
        "Check the spelling of the type; `ggplan providers` lists the types the mlflow provider \
         offers.",
    )
    .into()
}

#[async_trait]
impl Provider for MlflowProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: settings::schema(),
            resources: RESOURCES
                .iter()
                .map(|r| (r.type_name().to_string(), r.schema()))
                .collect(),
            data_sources: DATA_SOURCES
                .iter()
                .map(|d| (d.type_name().to_string(), d.schema()))
                .collect(),
        }
    }

    fn validate(&self, kind: ResourceKind, type_name: &str, config: &Value) -> Diagnostics {
        match kind {
            ResourceKind::Managed => RESOURCES
                .iter()
                .find(|r| r.type_name() == type_name)
                .map(|r| r.validate(config))
                .unwrap_or_default(),
            ResourceKind::Data => DATA_SOURCES
                .iter()
                .find(|d| d.type_name() == type_name)
                .map(|d| d.validate(config))
                .unwrap_or_default(),
        }
    }

    async fn configure(&self, config: &Value) -> Result<(), Diagnostics> {
        let settings = Settings::from_config(config, |var| std::env::var(var).ok())?;
        let client = Arc::new(Client::new(&settings)?);
        if let Ok(mut slot) = self.client.write() {
            *slot = Some(client);
        }
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        let (client, resource) = self.resource(request.type_name)?;
        resource.read(&client, request.state).await
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        let (client, resource) = self.resource(request.type_name)?;
        resource.plan(&client, &request).await
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        let (client, resource) = match self.resource(request.type_name) {
            Ok(found) => found,
            Err(diagnostics) => return ApplyResponse::failed(request.prior, diagnostics),
        };
        let outcome = match (request.prior, request.planned) {
            (None, Some(planned)) => resource.create(&client, planned).await.map(Some),
            (Some(prior), Some(planned)) => {
                resource.update(&client, prior, planned).await.map(Some)
            }
            (Some(prior), None) => resource.delete(&client, prior).await.map(|()| None),
            (None, None) => Ok(None),
        };
        match outcome {
            Ok(state) => ApplyResponse::ok(state),
            Err(diagnostics) => ApplyResponse::failed(request.prior, diagnostics),
        }
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, Diagnostics> {
        let source = DATA_SOURCES
            .into_iter()
            .find(|d| d.type_name() == type_name)
            .ok_or_else(|| unsupported(type_name))?;
        source.read(&*self.client()?, config).await
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        let (client, resource) = self.resource(type_name)?;
        let stub = resource.import_stub(id)?;
        resource.read(&client, &stub).await?.ok_or_else(|| {
            Diagnostic::error(
                format!("No {type_name} {id:?} in MLflow"),
                format!(
                    "The tracking server has no object with import id {id:?}. {} Check the id, or \
                     declare the resource without importing it so ggplan creates it.",
                    resource.import_id_format()
                ),
            )
            .into()
        })
    }
}
