//! ggplan's Kubernetes provider: objects of a cluster as resources, with the names and
//! behaviour of Terraform's `hashicorp/kubernetes`.
//!
//! | resource                             | data source               | function                |
//! |--------------------------------------|---------------------------|-------------------------|
//! | `kubernetes_manifest`                | `kubernetes_resource`     | `manifest_decode`       |
//! | `kubernetes_namespace_v1`            | `kubernetes_namespace_v1` | `manifest_decode_multi` |
//! | `kubernetes_secret_v1`               | `kubernetes_secret_v1`    |                         |
//! | `kubernetes_config_map_v1`           |                           |                         |
//! | `kubernetes_config_map_v1_data`      |                           |                         |
//! | `kubernetes_annotations`             |                           |                         |
//! | `kubernetes_service_account_v1`      |                           |                         |
//! | `kubernetes_cluster_role_binding_v1` |                           |                         |
//!
//! Every write is a server-side apply (or, for plans, its dry-run) through kube-rs; the
//! provider's client ([`cluster::Cluster`]) discovers the kinds a cluster serves once per
//! apiVersion and again when a kind is missing, so a CRD and its custom resources can be
//! applied in one run. The typed resources and the data sources ([`typed`]) are built on the
//! same server-side apply. The provider block reads a kubeconfig and explicit settings as the
//! Terraform provider does ([`settings`]).

// The connection, the object core and waiting are public: the helm and argocd providers
// reach their clusters and write their objects through them.
pub mod cluster;
pub mod error;
mod field_path;
mod functions;
mod manifest;
pub mod object;
pub mod settings;
mod typed;
pub mod wait;

use async_trait::async_trait;
use cluster::Cluster;
use error::KubeError;
use ggplan_sdk::typed::{DataSourceType, ProviderFunction, ResourceType, TypedProvider};
use ggplan_sdk::{Diagnostic, Diagnostics, ProviderFactory, Schema, Value};
use typed::patch::Patch;
use typed::resource::Typed;

/// The `kubernetes` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<Kubernetes>()
}

/// The provider: its client is one cluster.
pub struct Kubernetes;

#[async_trait]
impl TypedProvider for Kubernetes {
    type Client = Cluster;
    type Error = KubeError;
    const NAME: &'static str = "kubernetes";
    const SOURCE: &'static str = "registry.terraform.io/hashicorp/kubernetes";

    fn schema() -> Schema {
        settings::schema()
    }

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![
            Box::new(manifest::Manifest),
            Box::new(Typed(typed::namespace::Namespace)),
            Box::new(Typed(typed::secret::Secret)),
            Box::new(Typed(typed::config_map::ConfigMap)),
            Box::new(Typed(typed::service_account::ServiceAccount)),
            Box::new(Typed(typed::cluster_role_binding::ClusterRoleBinding)),
            Box::new(Patch(typed::config_map_data::ConfigMapData)),
            Box::new(Patch(typed::annotations::Annotations)),
        ]
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![
            Box::new(typed::data::Resource),
            Box::new(typed::data::SecretData),
            Box::new(typed::data::NamespaceData),
        ]
    }

    fn functions() -> Vec<Box<dyn ProviderFunction>> {
        vec![
            Box::new(functions::ManifestDecode),
            Box::new(functions::ManifestDecodeMulti),
        ]
    }

    async fn configure(config: &Value) -> Result<Cluster, Diagnostics> {
        let config = settings::config(config, |var| std::env::var(var).ok()).await?;
        Cluster::new(config).map_err(|e| {
            Diagnostic::error("Cannot configure the kubernetes provider", format!("{e:?}")).into()
        })
    }
}
