//! ggplan's `helm` provider: `helm_release`, with the names and behaviour of Terraform's
//! `hashicorp/helm`, through the real helm binary (Go templates and Sprig have no faithful
//! Rust twin, so charts are never rendered here).
//!
//! A plan renders the chart (`helm template` against the cluster, so with its version and
//! APIs as capabilities) and asks the cluster what applying each object would make of it (a
//! server-side dry-run as helm's field manager, through the kubernetes provider's core): the `manifest` attribute is a map of objects keyed
//! `Kind namespace/name`, so a plan shows which objects are added, removed or changed, field
//! by field, with Secrets' data and `set_sensitive` values hidden. A refresh reads the live
//! objects on the same fields, so an object edited or deleted by hand is drift; the apply
//! (`helm upgrade --install`, then any object still missing applied as helm would) repairs
//! it. Modules: [`settings`] (the provider block), [`binary`] (running helm), [`spec`] (a
//! configuration as helm arguments), [`rendered`] (helm's YAML as the `manifest`), [`live`]
//! (the objects in the cluster), [`release`] (the resource type).

mod binary;
mod error;
mod live;
mod release;
mod rendered;
mod settings;
mod spec;

use async_trait::async_trait;
use error::HelmError;
use ggplan_sdk::typed::{ResourceType, TypedProvider};
use ggplan_sdk::{Diagnostics, ProviderFactory, Schema, Value};

/// The `helm` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<Helm>()
}

pub struct Helm;

#[async_trait]
impl TypedProvider for Helm {
    type Client = settings::Client;
    type Error = HelmError;
    const NAME: &'static str = "helm";
    const SOURCE: &'static str = "registry.terraform.io/hashicorp/helm";

    fn schema() -> Schema {
        settings::schema()
    }

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![Box::new(release::Release)]
    }

    async fn configure(config: &Value) -> Result<settings::Client, Diagnostics> {
        settings::configure(config, |var| std::env::var(var).ok()).await
    }
}
