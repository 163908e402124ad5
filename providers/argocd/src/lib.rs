//! ggplan's `argocd` provider: Argo CD's applications and repositories as the Kubernetes
//! objects Argo CD itself reads, with the names of the argoproj-labs/argocd Terraform provider.
//!
//! | resource              | object written                                                   |
//! |-----------------------|------------------------------------------------------------------|
//! | `argocd_application`  | `argoproj.io/v1alpha1` Application in the Argo CD namespace      |
//! | `argocd_repository`   | a Secret labelled `argocd.argoproj.io/secret-type: repository`   |
//!
//! Nothing talks to the Argo CD API server: the provider reaches the cluster through the
//! kubernetes provider's connection ([`settings`]), writes by server-side apply (plans are its
//! dry-runs), and reads back what Argo CD's controller writes (an Application's `status`). A
//! sync is requested the way `argocd app sync` does it, by setting the Application's
//! `operation` field ([`application::sync`]); [`wire`] maps blocks to Argo CD's fields.
//!
//! Where this differs from argoproj-labs/argocd, and why:
//! - The provider block has `namespace` and a `kubernetes {}` block; `server_addr`,
//!   `auth_token`, `username`, `password`, `port_forward*`, `core`, `grpc_web`... are refused by
//!   name: there is no Argo CD API server in the path, so no login and no RBAC of Argo CD's own
//!   (the Kubernetes user's RBAC on Applications and Secrets is what counts).
//! - `argocd_application`: one `source` (no `sources`), Helm or plain path sources (no
//!   kustomize, directory or plugin blocks), no `ignore_difference`, `info`,
//!   `managed_namespace_metadata` or `validate`: all refused at their line by the schema.
//!   `helm.parameter` is an ordered list (argoproj-labs: a set); `retry.limit` and
//!   `backoff.factor` are numbers (argoproj-labs: strings; HCL converts either way). `status`
//!   has sync, health, operation_state, conditions and reconciled_at (not resources or
//!   summary). A change of `spec.source` requests a sync (argoproj-labs only updates the spec
//!   and lets auto-sync act). Destroy always waits until the Application is gone (with
//!   `cascade`, until the controller has removed its finalizer), not only with `wait`.
//! - `argocd_repository`: the Secret is named as Argo CD names the ones it makes (`repo-` and
//!   the FNV-1a hash of URL and project); `githubapp_*`, `proxy`, `no_proxy` and
//!   `bearer_token` are not offered (refused at their line as unsupported arguments); there is
//!   no `connection_state_status` (only Argo CD's server probes a repository), and no import.

pub mod application;
pub mod repository;
pub mod settings;
pub mod wire;

use async_trait::async_trait;
use ggplan_provider_kubernetes::cluster::Cluster;
use ggplan_provider_kubernetes::error::{KubeError, Place};
use ggplan_provider_kubernetes::object::ObjectRef;
use ggplan_sdk::typed::{ResourceType, TypedProvider};
use ggplan_sdk::{AttrPath, Diagnostics, ProviderFactory, Schema, Value};

/// The `argocd` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<Argocd>()
}

pub struct Argocd;

/// The configured provider: the cluster Argo CD runs in, and the namespace it reads its
/// Applications and repository Secrets from.
pub struct ArgoCluster {
    pub cluster: Cluster,
    pub namespace: String,
}

#[async_trait]
impl TypedProvider for Argocd {
    type Client = ArgoCluster;
    type Error = KubeError;
    const NAME: &'static str = "argocd";
    const SOURCE: &'static str = "registry.terraform.io/argoproj-labs/argocd";

    fn schema() -> Schema {
        settings::schema()
    }

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![
            Box::new(application::Application),
            Box::new(repository::Repository),
        ]
    }

    async fn configure(config: &Value) -> Result<ArgoCluster, Diagnostics> {
        settings::configure(config, |var| std::env::var(var).ok()).await
    }
}

/// A failure shown at the attribute or block `object` of the resource (the kubernetes crate
/// would place it at a `manifest`, which these types do not have).
pub(crate) fn placed_at(error: KubeError, object: AttrPath) -> KubeError {
    error.placed(&Place {
        object,
        take_over: "",
    })
}

/// A refresh: the state `state_of` makes of the object at `object` as the server has it now;
/// `None` when it is gone, or when the state names no object yet.
pub(crate) async fn refresh(
    cluster: &Cluster,
    object: Option<ObjectRef>,
    state_of: impl FnOnce(&serde_json::Value) -> Value,
) -> Result<Option<Value>, KubeError> {
    let Some(object) = object else {
        return Ok(None);
    };
    Ok(cluster.get(&object).await?.map(|live| state_of(&live)))
}
