//! Providers as a run sees them: the implementations compiled in ([`Registry`]), one instance
//! per provider configuration with its schemas ([`ProviderInstance`]), and the run's
//! configurations in their states with the one door every call goes through ([`Providers`],
//! [`ResourceProvider`]).

mod instance;
mod manager;
mod registry;

pub use instance::ProviderInstance;
pub use manager::{Applied, ConfigureOutcome, Planned, Providers, ResourceProvider};
pub use registry::Registry;
