//! Plans, drift and states as JSON documents in the shapes of `terraform show -json` (format
//! 1.2 for plans, 1.0 for states), so tools written for Terraform's JSON (tfcmt, Infracost,
//! conftest/OPA, checkov) can read them: [`plan`] the plan document, [`state`] the state
//! document, [`modules`] the module tree both hold their resources in, [`config`] the plan's
//! `configuration` and [`relevant`] the attributes it refers to. The schema is documented
//! in `docs/json-format.md`; the changes and values inside are written by the plan's own
//! codec, [`crate::plan::json`].

mod config;
mod modules;
mod plan;
mod relevant;
mod state;

pub use crate::plan::json::{Secrets, decode, value};
pub use config::configuration;
pub use plan::{PlanContext, plan, resource_changes};
pub use state::state;

use crate::address::{InstanceAddr, ModulePath, ProviderAddr, ResourceAddr};
use crate::plan::ResourceChange;
use crate::providers::Registry;
use ggplan_sdk::{ProviderSchema, ResourceKind, Schema, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The `format_version` of plan documents.
pub const PLAN_FORMAT_VERSION: &str = "1.2";
/// The `format_version` of state documents.
pub const STATE_FORMAT_VERSION: &str = "1.0";

/// What documents say about providers that neither plans nor states record: the source
/// address of each provider (`provider_name`) and the schemas of its types.
pub struct ProviderFacts {
    sources: BTreeMap<String, String>,
    schemas: BTreeMap<&'static str, ProviderSchema>,
}

impl ProviderFacts {
    /// The facts of the providers compiled into `registry`.
    pub fn of(registry: &Registry) -> ProviderFacts {
        let schemas = registry.schemas();
        let sources = schemas
            .keys()
            .map(|name| (name.to_string(), registry.source(name)))
            .collect();
        ProviderFacts { sources, schemas }
    }

    /// The provider's source address, as Terraform's `provider_name`
    /// (`registry.terraform.io/hashicorp/random`; an alias is not part of it). A provider this
    /// ggplan lacks gets the address Terraform implies for its local name.
    pub fn source(&self, provider: &ProviderAddr) -> String {
        self.sources
            .get(&provider.name)
            .cloned()
            .unwrap_or_else(|| format!("registry.terraform.io/hashicorp/{}", provider.name))
    }

    /// The schema of a provider's `provider` block.
    pub fn provider_schema(&self, provider: &ProviderAddr) -> Option<&Schema> {
        Some(&self.schemas.get(provider.name.as_str())?.provider)
    }

    /// The schema of a resource's type.
    pub fn type_schema(&self, provider: &ProviderAddr, addr: &ResourceAddr) -> Option<&Schema> {
        let schema = self.schemas.get(provider.name.as_str())?;
        match addr.kind {
            ResourceKind::Managed => schema.resources.get(&addr.type_name),
            ResourceKind::Data => schema.data_sources.get(&addr.type_name),
        }
    }

    /// The schema version of the instance's type (0 for a type the provider lacks).
    pub fn schema_version(&self, provider: &ProviderAddr, addr: &InstanceAddr) -> u64 {
        self.type_schema(provider, &addr.resource)
            .map_or(0, |s| s.version)
    }
}

/// A plan's changes by the resource of the configuration they are instances of (module path
/// and resource), so that the configuration's parts find theirs without scanning the plan.
struct ChangesByResource<'a> {
    by_resource: BTreeMap<(ModulePath, ResourceAddr), Vec<&'a ResourceChange>>,
}

impl<'a> ChangesByResource<'a> {
    fn of(changes: &'a [ResourceChange]) -> ChangesByResource<'a> {
        let mut by_resource: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for c in changes {
            let key = (c.addr.module.path(), c.addr.resource.clone());
            by_resource.entry(key).or_default().push(c);
        }
        ChangesByResource { by_resource }
    }

    /// The changes of the instances of `resource` in every instance of module `path`.
    fn of_resource(&self, path: &ModulePath, resource: &ResourceAddr) -> &[&'a ResourceChange] {
        self.by_resource
            .get(&(path.clone(), resource.clone()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The type of a known value in Terraform's JSON type syntax (`"string"`,
/// `["tuple", [...]]`, `["object", {...}]`); ggplan values carry no static type, so
/// collections are described as tuples and objects.
pub fn type_of(v: &Value) -> Json {
    match v.peel() {
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::List(items) => json!(["tuple", items.iter().map(type_of).collect::<Vec<_>>()]),
        Value::Map(map) => json!([
            "object",
            map.iter()
                .map(|(k, v)| (k.clone(), type_of(v)))
                .collect::<Map<_, _>>()
        ]),
        _ => json!("dynamic"),
    }
}
