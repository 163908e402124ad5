//! ggplan's `helm` provider. Being built: it has no types yet.

use async_trait::async_trait;
use ggplan_provider_kubernetes::error::KubeError;
use ggplan_sdk::typed::{ResourceType, TypedProvider};
use ggplan_sdk::{Diagnostics, ProviderFactory, Value};

/// The `helm` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<Helm>()
}

pub struct Helm;

#[async_trait]
impl TypedProvider for Helm {
    type Client = ();
    type Error = KubeError;
    const NAME: &'static str = "helm";

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        Vec::new()
    }

    async fn configure(_config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }
}
