//! The Neutron data sources: `openstack_networking_network_v2`, `..._subnet_v2` and
//! `..._secgroup_v2`. Each finds exactly one object by the configured filters.

use super::{Kind, NETWORKS, SECURITY_GROUPS, SUBNETS, list};
use crate::OpenStack;
use crate::convert::{flag, number, query, string_list, string_set, strings_attr, text};
use crate::error::ApiError;
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::typed::DataSourceType;
use ggplan_sdk::{Attribute, Number, Schema, Type, Value};
use serde_json::Value as Json;

/// A filter: the configuration attribute and the API's query parameter.
type Filter = (&'static str, &'static str);

/// The one object of `kind` matching the configured `filters`.
async fn find_one(
    session: &Session,
    kind: Kind,
    config: &Value,
    filters: &[Filter],
) -> Result<Json, ApiError> {
    let mut pairs: Vec<(&str, Option<String>)> = filters
        .iter()
        .map(|(attribute, parameter)| {
            let value = match config.get(attribute) {
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                other => other.as_str().filter(|s| !s.is_empty()).map(str::to_string),
            };
            (*parameter, value)
        })
        .collect();
    let tags = strings_attr(config, "tags");
    if !tags.is_empty() {
        pairs.push(("tags", Some(tags.join(","))));
    }
    let found = list(session, kind, &query(&pairs)).await?;
    let described: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(ApiError::Lookup(format!(
            "Your query returned no results: no {} matches {}",
            kind.singular,
            described.join(", ")
        ))),
        _ => Err(ApiError::Lookup(format!(
            "Your query returned more than one result: {} {}s match {}",
            found.len(),
            kind.singular,
            described.join(", ")
        ))),
    }
}

/// An optional filter attribute that is read back.
fn filter(ty: Type) -> Attribute {
    Attribute::optional_computed(ty)
}

fn tags_attributes() -> [(&'static str, Attribute); 2] {
    [
        (
            "tags",
            Attribute::optional(Type::Set(Box::new(Type::String))),
        ),
        (
            "all_tags",
            Attribute::computed(Type::Set(Box::new(Type::String))),
        ),
    ]
}

fn with_config_tags(mut value: Value, config: &Value, api: &Json) -> Value {
    value.set_attr("tags", config.get("tags").clone());
    value.set_attr("all_tags", string_set(&api["tags"]));
    value
}

pub struct NetworkData;

#[async_trait]
impl DataSourceType<OpenStack> for NetworkData {
    fn name(&self) -> &'static str {
        "openstack_networking_network_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = vec![
            ("id", Attribute::computed(Type::String)),
            ("name", filter(Type::String)),
            ("network_id", filter(Type::String)),
            ("description", filter(Type::String)),
            ("status", filter(Type::String)),
            ("external", filter(Type::Bool)),
            ("tenant_id", filter(Type::String)),
            ("mtu", filter(Type::Number)),
            ("admin_state_up", Attribute::computed(Type::String)),
            ("shared", Attribute::computed(Type::String)),
            ("port_security_enabled", Attribute::computed(Type::Bool)),
            (
                "subnets",
                Attribute::computed(Type::List(Box::new(Type::String))),
            ),
        ];
        attributes.extend(tags_attributes());
        Schema::new("Finds one Neutron network.", attributes)
    }

    async fn read(&self, session: &Session, config: &Value) -> Result<Value, ApiError> {
        let api = find_one(
            session,
            NETWORKS,
            config,
            &[
                ("name", "name"),
                ("network_id", "id"),
                ("description", "description"),
                ("status", "status"),
                ("external", "router:external"),
                ("tenant_id", "tenant_id"),
                ("mtu", "mtu"),
            ],
        )
        .await?;
        // Terraform's data source exposes these two as strings.
        let as_text =
            |j: &Json| Value::string(j.as_bool().map(|b| b.to_string()).unwrap_or_default());
        let value = Value::object([
            ("id", text(&api["id"])),
            ("network_id", text(&api["id"])),
            ("name", text(&api["name"])),
            ("description", text(&api["description"])),
            ("status", text(&api["status"])),
            ("external", flag(&api["router:external"])),
            ("tenant_id", text(&api["tenant_id"])),
            ("mtu", number(&api["mtu"])),
            ("admin_state_up", as_text(&api["admin_state_up"])),
            ("shared", as_text(&api["shared"])),
            ("port_security_enabled", flag(&api["port_security_enabled"])),
            ("subnets", string_list(&api["subnets"])),
        ]);
        Ok(with_config_tags(value, config, &api))
    }
}

pub struct SubnetData;

#[async_trait]
impl DataSourceType<OpenStack> for SubnetData {
    fn name(&self) -> &'static str {
        "openstack_networking_subnet_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = vec![
            ("id", Attribute::computed(Type::String)),
            ("name", filter(Type::String)),
            ("subnet_id", filter(Type::String)),
            ("network_id", filter(Type::String)),
            ("description", filter(Type::String)),
            ("cidr", filter(Type::String)),
            ("ip_version", filter(Type::Number)),
            ("gateway_ip", filter(Type::String)),
            ("enable_dhcp", filter(Type::Bool)),
            ("tenant_id", filter(Type::String)),
            ("subnetpool_id", filter(Type::String)),
            (
                "dns_nameservers",
                Attribute::computed(Type::List(Box::new(Type::String))),
            ),
            (
                "allocation_pools",
                Attribute::computed(Type::List(Box::new(Type::Object(
                    [
                        ("start".to_string(), Type::String),
                        ("end".to_string(), Type::String),
                    ]
                    .into(),
                )))),
            ),
        ];
        attributes.extend(tags_attributes());
        Schema::new("Finds one Neutron subnet.", attributes)
    }

    async fn read(&self, session: &Session, config: &Value) -> Result<Value, ApiError> {
        let api = find_one(
            session,
            SUBNETS,
            config,
            &[
                ("name", "name"),
                ("subnet_id", "id"),
                ("network_id", "network_id"),
                ("description", "description"),
                ("cidr", "cidr"),
                ("ip_version", "ip_version"),
                ("gateway_ip", "gateway_ip"),
                ("enable_dhcp", "enable_dhcp"),
                ("tenant_id", "tenant_id"),
                ("subnetpool_id", "subnetpool_id"),
            ],
        )
        .await?;
        let pools = api["allocation_pools"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Value::object([("start", text(&p["start"])), ("end", text(&p["end"]))]))
            .collect();
        let value = Value::object([
            ("id", text(&api["id"])),
            ("subnet_id", text(&api["id"])),
            ("name", text(&api["name"])),
            ("network_id", text(&api["network_id"])),
            ("description", text(&api["description"])),
            ("cidr", text(&api["cidr"])),
            (
                "ip_version",
                Value::Number(Number::Int(api["ip_version"].as_i64().unwrap_or(4))),
            ),
            ("gateway_ip", text(&api["gateway_ip"])),
            ("enable_dhcp", flag(&api["enable_dhcp"])),
            ("tenant_id", text(&api["tenant_id"])),
            ("subnetpool_id", text(&api["subnetpool_id"])),
            ("dns_nameservers", string_list(&api["dns_nameservers"])),
            ("allocation_pools", Value::List(pools)),
        ]);
        Ok(with_config_tags(value, config, &api))
    }
}

pub struct SecgroupData;

#[async_trait]
impl DataSourceType<OpenStack> for SecgroupData {
    fn name(&self) -> &'static str {
        "openstack_networking_secgroup_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = vec![
            ("id", Attribute::computed(Type::String)),
            ("name", filter(Type::String)),
            ("secgroup_id", filter(Type::String)),
            ("description", filter(Type::String)),
            ("tenant_id", filter(Type::String)),
            ("stateful", filter(Type::Bool)),
        ];
        attributes.extend(tags_attributes());
        Schema::new("Finds one Neutron security group.", attributes)
    }

    async fn read(&self, session: &Session, config: &Value) -> Result<Value, ApiError> {
        let filters: &[Filter] = &[
            ("name", "name"),
            ("secgroup_id", "id"),
            ("description", "description"),
            ("stateful", "stateful"),
            ("tenant_id", "tenant_id"),
        ];
        let api = find_one(session, SECURITY_GROUPS, config, filters).await?;
        let value = Value::object([
            ("id", text(&api["id"])),
            ("secgroup_id", text(&api["id"])),
            ("name", text(&api["name"])),
            ("description", text(&api["description"])),
            ("tenant_id", text(&api["tenant_id"])),
            ("stateful", flag(&api["stateful"])),
        ]);
        Ok(with_config_tags(value, config, &api))
    }
}
