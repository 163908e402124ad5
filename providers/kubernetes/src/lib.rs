//! ggplan's Kubernetes provider: objects of a cluster as resources, with the names and
//! behaviour of Terraform's `hashicorp/kubernetes`.
//!
//! | resource              | data source | function                                   |
//! |-----------------------|-------------|--------------------------------------------|
//! | `kubernetes_manifest` |             | `manifest_decode`, `manifest_decode_multi` |
//!
//! Every write is a server-side apply (or, for plans, its dry-run) through kube-rs; the
//! provider's client ([`cluster::Cluster`]) discovers the kinds a cluster serves once per
//! apiVersion and again when a kind is missing, so a CRD and its custom resources can be
//! applied in one run. The provider block reads a kubeconfig and explicit settings as the
//! Terraform provider does ([`settings`]).

mod cluster;
mod error;
mod field_path;
mod functions;
mod manifest;
mod object;
mod settings;
mod wait;

use async_trait::async_trait;
use cluster::Cluster;
use error::KubeError;
use ggplan_sdk::typed::{ProviderFunction, ResourceType, TypedProvider};
use ggplan_sdk::{Diagnostic, Diagnostics, ProviderFactory, Schema, Value};

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

    fn schema() -> Schema {
        settings::schema()
    }

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![Box::new(manifest::Manifest)]
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
