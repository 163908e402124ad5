//! The `openstack_compute_flavor_v2` data source: one flavor by id, or by name and sizes.

use super::flavors;
use crate::OpenStack;
use crate::convert::{encode, int_attr, number, str_attr, string_map, text};
use crate::error::ApiError;
use crate::session::{Service, Session};
use async_trait::async_trait;
use ggplan_sdk::typed::DataSourceType;
use ggplan_sdk::{Attribute, Schema, Type, Value};
use serde_json::Value as Json;

pub struct FlavorData;

/// The filters that must match exactly: attribute and API field.
const EXACT: &[(&str, &str)] = &[("vcpus", "vcpus"), ("ram", "ram"), ("disk", "disk")];

fn matches(flavor: &Json, config: &Value) -> bool {
    str_attr(config, "name").is_none_or(|n| flavor["name"] == n)
        && EXACT.iter().all(|(attribute, field)| {
            int_attr(config, attribute).is_none_or(|v| flavor[field] == v)
        })
        && int_attr(config, "min_ram").is_none_or(|v| flavor["ram"].as_i64().unwrap_or(0) >= v)
        && int_attr(config, "min_disk").is_none_or(|v| flavor["disk"].as_i64().unwrap_or(0) >= v)
        && config
            .get("is_public")
            .as_bool()
            .is_none_or(|p| flavor["os-flavor-access:is_public"] == p)
}

#[async_trait]
impl DataSourceType<OpenStack> for FlavorData {
    fn name(&self) -> &'static str {
        "openstack_compute_flavor_v2"
    }

    fn schema(&self) -> Schema {
        let filter = Attribute::optional_computed;
        Schema::new(
            "Finds one Nova flavor.",
            [
                ("id", Attribute::computed(Type::String)),
                ("flavor_id", filter(Type::String)),
                ("name", filter(Type::String)),
                ("vcpus", filter(Type::Number)),
                ("ram", filter(Type::Number)),
                ("disk", filter(Type::Number)),
                ("min_ram", Attribute::optional(Type::Number)),
                ("min_disk", Attribute::optional(Type::Number)),
                ("swap", filter(Type::Number)),
                ("rx_tx_factor", filter(Type::Number)),
                ("is_public", filter(Type::Bool)),
                ("description", Attribute::computed(Type::String)),
                (
                    "extra_specs",
                    Attribute::computed(Type::Map(Box::new(Type::String))),
                ),
            ],
        )
    }

    async fn read(&self, session: &Session, config: &Value) -> Result<Value, ApiError> {
        let flavor = match str_attr(config, "flavor_id") {
            Some(id) => session
                .get(Service::Compute, &format!("/flavors/{}", encode(id)))
                .await?["flavor"]
                .clone(),
            None => {
                let all = flavors(session).await?;
                let found: Vec<&Json> = all.iter().filter(|f| matches(f, config)).collect();
                match found.as_slice() {
                    [one] => (*one).clone(),
                    [] => {
                        return Err(ApiError::Lookup(
                            "Your query returned no results: no flavor matches".into(),
                        ));
                    }
                    _ => {
                        return Err(ApiError::Lookup(format!(
                            "Your query returned more than one result: {} flavors match",
                            found.len()
                        )));
                    }
                }
            }
        };
        let id = flavor["id"].as_str().unwrap_or_default();
        let extra_specs = if flavor["extra_specs"].is_object() {
            flavor["extra_specs"].clone()
        } else {
            session
                .get(
                    Service::Compute,
                    &format!("/flavors/{}/os-extra_specs", encode(id)),
                )
                .await?["extra_specs"]
                .clone()
        };
        Ok(Value::object([
            ("id", Value::string(id)),
            ("flavor_id", Value::string(id)),
            ("name", text(&flavor["name"])),
            ("vcpus", number(&flavor["vcpus"])),
            ("ram", number(&flavor["ram"])),
            ("disk", number(&flavor["disk"])),
            ("min_ram", config.get("min_ram").clone()),
            ("min_disk", config.get("min_disk").clone()),
            ("swap", number(&flavor["swap"])),
            ("rx_tx_factor", number(&flavor["rxtx_factor"])),
            (
                "is_public",
                Value::Bool(
                    flavor["os-flavor-access:is_public"]
                        .as_bool()
                        .unwrap_or(true),
                ),
            ),
            ("description", text(&flavor["description"])),
            ("extra_specs", string_map(&extra_specs)),
        ]))
    }
}
