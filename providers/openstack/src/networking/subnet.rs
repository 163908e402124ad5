//! `openstack_networking_subnet_v2`: an IP range of a network.

use super::{
    SUBNETS, common_attributes, create, delete, show, tag_and_read_back, tenant, update_with_tags,
};
use crate::OpenStack;
use crate::convert::{changed_fields, fields, flag, int_attr, string_list, text, to_json};
use crate::error::ApiError;
use crate::resource::{id_stub, keep, set_tags};
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value, set_of,
};
use serde_json::{Map, Value as Json, json};

/// Attributes sent as they are, on create and when changed.
const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("enable_dhcp", "enable_dhcp"),
    ("dns_nameservers", "dns_nameservers"),
];

/// Attributes sent on create only (all force-new).
const CREATE_FIELDS: &[(&str, &str)] = &[
    ("network_id", "network_id"),
    ("cidr", "cidr"),
    ("prefix_length", "prefixlen"),
    ("ip_version", "ip_version"),
    ("subnetpool_id", "subnetpool_id"),
    ("ipv6_address_mode", "ipv6_address_mode"),
    ("ipv6_ra_mode", "ipv6_ra_mode"),
];

pub struct Subnet;

/// The state of a subnet from its API object.
pub fn subnet_state(api: &Json, prior: &Value) -> Value {
    let pools: Vec<Value> = api["allocation_pools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Value::object([("start", text(&p["start"])), ("end", text(&p["end"]))]))
        .collect();
    let mut state = Value::object([
        ("id", text(&api["id"])),
        ("network_id", text(&api["network_id"])),
        ("name", text(&api["name"])),
        ("description", text(&api["description"])),
        ("cidr", text(&api["cidr"])),
        ("ip_version", crate::convert::number(&api["ip_version"])),
        ("gateway_ip", text(&api["gateway_ip"])),
        ("no_gateway", Value::Bool(api["gateway_ip"].is_null())),
        ("enable_dhcp", flag(&api["enable_dhcp"])),
        ("dns_nameservers", string_list(&api["dns_nameservers"])),
        ("allocation_pool", Value::List(set_of(pools))),
        ("subnetpool_id", text(&api["subnetpool_id"])),
        ("ipv6_address_mode", text(&api["ipv6_address_mode"])),
        ("ipv6_ra_mode", text(&api["ipv6_ra_mode"])),
        ("tenant_id", text(&api["tenant_id"])),
    ]);
    keep(&mut state, prior, &["value_specs", "prefix_length"]);
    set_tags(&mut state, &api["tags"], prior);
    state
}

/// The gateway fields of a create or update body.
fn gateway(planned: &Value, body: &mut Map<String, Json>) {
    if planned.get("no_gateway").as_bool() == Some(true) {
        body.insert("gateway_ip".into(), Json::Null);
    } else if let Some(ip) = crate::convert::str_attr(planned, "gateway_ip") {
        body.insert("gateway_ip".into(), json!(ip));
    }
}

fn pools(planned: &Value) -> Option<Json> {
    let pools = planned.get("allocation_pool").as_list()?;
    Some(Json::Array(pools.iter().map(to_json).collect()))
}

#[async_trait]
impl ResourceType<OpenStack> for Subnet {
    fn name(&self) -> &'static str {
        "openstack_networking_subnet_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        let strings = || Type::List(Box::new(Type::String));
        attributes.extend([
            (
                "network_id",
                Attribute::required(Type::String)
                    .force_new()
                    .describe("The subnet's network."),
            ),
            (
                "cidr",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("The IP range, e.g. 192.168.1.0/24."),
            ),
            (
                "prefix_length",
                Attribute::optional(Type::Number).force_new(),
            ),
            (
                "ip_version",
                Attribute::optional(Type::Number)
                    .force_new()
                    .default(Value::int(4)),
            ),
            ("name", Attribute::optional_computed(Type::String)),
            ("description", Attribute::optional_computed(Type::String)),
            (
                "no_gateway",
                Attribute::optional(Type::Bool)
                    .default(Value::Bool(false))
                    .describe("Create the subnet without a gateway."),
            ),
            ("gateway_ip", Attribute::optional_computed(Type::String)),
            (
                "enable_dhcp",
                Attribute::optional(Type::Bool).default(Value::Bool(true)),
            ),
            ("dns_nameservers", Attribute::optional_computed(strings())),
            (
                "subnetpool_id",
                Attribute::optional_computed(Type::String).force_new(),
            ),
            (
                "ipv6_address_mode",
                Attribute::optional_computed(Type::String).force_new(),
            ),
            (
                "ipv6_ra_mode",
                Attribute::optional_computed(Type::String).force_new(),
            ),
        ]);
        Schema::new("A Neutron subnet.", attributes).with_block(
            "allocation_pool",
            NestedBlock::new(
                BlockNesting::Set,
                Schema::new(
                    "A range of addresses handed out to ports.",
                    [
                        ("start", Attribute::required(Type::String)),
                        ("end", Attribute::required(Type::String)),
                    ],
                ),
            ),
        )
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[("all_tags", &["tags"]), ("gateway_ip", &["no_gateway"])]
    }

    fn computed_blocks(&self) -> &'static [&'static str] {
        &["allocation_pool"]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if config.get("no_gateway").as_bool() == Some(true)
            && crate::convert::str_attr(config, "gateway_ip").is_some()
        {
            diags.push(
                Diagnostic::error(
                    "Conflicting subnet gateway",
                    "no_gateway = true and gateway_ip cannot both be set: remove one.",
                )
                .at_attribute(ggplan_sdk::AttrPath::attr("gateway_ip")),
            );
        }
        if config.get("cidr").is_null()
            && int_attr(config, "prefix_length").is_none()
            && config.get("subnetpool_id").is_null()
        {
            diags.push(
                Diagnostic::error(
                    "Subnet without a range",
                    "Set cidr, or subnetpool_id (with prefix_length) to allocate one.",
                )
                .at_attribute(ggplan_sdk::AttrPath::attr("cidr")),
            );
        }
        diags
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        Ok(show(session, SUBNETS, id)
            .await?
            .map(|api| subnet_state(&api, state)))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = fields(planned, FIELDS);
        body.extend(fields(planned, CREATE_FIELDS));
        body.extend(tenant(planned));
        gateway(planned, &mut body);
        if let Some(pools) = pools(planned) {
            body.insert("allocation_pools".into(), pools);
        }
        let api = create(session, SUBNETS, body, planned).await?;
        let state = subnet_state(&api, planned);
        tag_and_read_back(self, session, SUBNETS, &api, planned, state).await
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = changed_fields(prior, planned, FIELDS);
        if prior.get("no_gateway") != planned.get("no_gateway")
            || prior.get("gateway_ip") != planned.get("gateway_ip")
        {
            gateway(planned, &mut body);
        }
        if prior.get("allocation_pool") != planned.get("allocation_pool")
            && let Some(pools) = pools(planned)
        {
            body.insert("allocation_pools".into(), pools);
        }
        update_with_tags(self, session, SUBNETS, prior, planned, body).await
    }

    async fn find_created(
        &self,
        session: &Session,
        config: &Value,
        since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, ApiError> {
        super::find_by_name(session, super::SUBNETS, config, since).await
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(
            session,
            SUBNETS,
            prior.get("id").as_str().unwrap_or_default(),
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::planned_by_rules;

    #[test]
    fn a_new_subnet_plans_the_defaults_and_the_pools_neutron_chooses() {
        let config = Value::object([
            ("network_id", Value::string("n")),
            ("cidr", Value::string("192.168.1.0/24")),
            ("allocation_pool", Value::List(Vec::new())),
        ]);
        let planned = planned_by_rules(&Subnet, None, &config);
        assert_eq!(planned.get("enable_dhcp"), &Value::Bool(true));
        assert_eq!(planned.get("no_gateway"), &Value::Bool(false));
        assert_eq!(planned.get("ip_version"), &Value::int(4));
        assert_eq!(planned.get("allocation_pool"), &Value::Unknown);
        assert_eq!(planned.get("gateway_ip"), &Value::Unknown);
    }
}
