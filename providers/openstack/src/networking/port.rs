//! `openstack_networking_port_v2`: a port on a network, with fixed IPs and security groups.
//!
//! As in Terraform, `fixed_ip` is what the configuration asked for and is kept as configured;
//! the addresses the port really has are `all_fixed_ips`. `security_group_ids` is read back,
//! so security groups changed by hand show as drift and are put back.

use super::{
    PORTS, common_attributes, create, delete, show, tag_and_read_back, tenant, update_with_tags,
};
use crate::OpenStack;
use crate::convert::{
    bool_attr, changed_fields, fields, flag, str_attr, string_set, strings_attr, text, to_json,
};
use crate::error::ApiError;
use crate::resource::{id_stub, keep, set_tags};
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
    set_of,
};
use serde_json::{Value as Json, json};

/// Attributes sent as they are, on create and when changed.
const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("admin_state_up", "admin_state_up"),
    ("device_owner", "device_owner"),
    ("device_id", "device_id"),
    ("port_security_enabled", "port_security_enabled"),
];

pub struct Port;

fn address_pairs(api: &Json) -> Value {
    Value::List(set_of(
        api.as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                Value::object([
                    ("ip_address", text(&p["ip_address"])),
                    ("mac_address", text(&p["mac_address"])),
                ])
            })
            .collect(),
    ))
}

/// The state of a port from its API object.
pub fn port_state(api: &Json, prior: &Value) -> Value {
    let ips: Vec<Value> = api["fixed_ips"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|ip| text(&ip["ip_address"]))
        .collect();
    let groups = string_set(&api["security_groups"]);
    let mut state = Value::object([
        ("id", text(&api["id"])),
        ("name", text(&api["name"])),
        ("description", text(&api["description"])),
        ("network_id", text(&api["network_id"])),
        ("admin_state_up", flag(&api["admin_state_up"])),
        ("mac_address", text(&api["mac_address"])),
        ("device_owner", text(&api["device_owner"])),
        ("device_id", text(&api["device_id"])),
        ("tenant_id", text(&api["tenant_id"])),
        ("port_security_enabled", flag(&api["port_security_enabled"])),
        ("all_fixed_ips", Value::List(ips)),
        ("security_group_ids", groups.clone()),
        ("all_security_group_ids", groups),
        (
            "allowed_address_pairs",
            address_pairs(&api["allowed_address_pairs"]),
        ),
    ]);
    keep(
        &mut state,
        prior,
        &[
            "fixed_ip",
            "no_fixed_ip",
            "no_security_groups",
            "value_specs",
        ],
    );
    set_tags(&mut state, &api["tags"], prior);
    state
}

/// The `fixed_ips` field for the configured `fixed_ip` blocks (`None`: let Neutron choose).
fn fixed_ips(planned: &Value) -> Option<Json> {
    if bool_attr(planned, "no_fixed_ip") == Some(true) {
        return Some(json!([]));
    }
    let blocks = planned
        .get("fixed_ip")
        .as_list()
        .filter(|b| !b.is_empty())?;
    Some(Json::Array(
        blocks
            .iter()
            .map(|b| {
                let mut ip = serde_json::Map::new();
                if let Some(subnet) = str_attr(b, "subnet_id") {
                    ip.insert("subnet_id".into(), json!(subnet));
                }
                if let Some(address) = str_attr(b, "ip_address") {
                    ip.insert("ip_address".into(), json!(address));
                }
                Json::Object(ip)
            })
            .collect(),
    ))
}

/// The `security_groups` field (`None`: Neutron's default group, or none without port
/// security).
fn security_groups(planned: &Value) -> Option<Json> {
    if bool_attr(planned, "no_security_groups") == Some(true) {
        return Some(json!([]));
    }
    let configured = planned.get("security_group_ids");
    if configured.is_null() || configured.is_unknown() {
        return None;
    }
    Some(json!(strings_attr(planned, "security_group_ids")))
}

fn pairs(planned: &Value) -> Json {
    to_json(planned.get("allowed_address_pairs"))
        .as_array()
        .map(|pairs| {
            Json::Array(
                pairs
                    .iter()
                    .map(|p| {
                        let mut pair = json!({ "ip_address": p["ip_address"] });
                        if p["mac_address"].as_str().is_some_and(|m| !m.is_empty()) {
                            pair["mac_address"] = p["mac_address"].clone();
                        }
                        pair
                    })
                    .collect(),
            )
        })
        .unwrap_or_else(|| json!([]))
}

#[async_trait]
impl ResourceType<OpenStack> for Port {
    fn name(&self) -> &'static str {
        "openstack_networking_port_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        let string_set = || Type::Set(Box::new(Type::String));
        attributes.extend([
            ("name", Attribute::optional_computed(Type::String)),
            ("description", Attribute::optional_computed(Type::String)),
            (
                "network_id",
                Attribute::required(Type::String)
                    .force_new()
                    .describe("The port's network."),
            ),
            ("admin_state_up", Attribute::optional_computed(Type::Bool)),
            (
                "mac_address",
                Attribute::optional_computed(Type::String).force_new(),
            ),
            ("device_owner", Attribute::optional_computed(Type::String)),
            ("device_id", Attribute::optional_computed(Type::String)),
            (
                "port_security_enabled",
                Attribute::optional_computed(Type::Bool)
                    .describe("Whether security groups and anti-spoofing apply to the port."),
            ),
            (
                "security_group_ids",
                Attribute::optional_computed(string_set())
                    .describe("The security groups of the port; read back to catch drift."),
            ),
            (
                "no_security_groups",
                Attribute::optional(Type::Bool)
                    .describe("Create the port without security groups."),
            ),
            (
                "no_fixed_ip",
                Attribute::optional(Type::Bool).describe("Create the port without an address."),
            ),
            (
                "all_fixed_ips",
                Attribute::computed(Type::List(Box::new(Type::String)))
                    .describe("Every address the port has."),
            ),
            ("all_security_group_ids", Attribute::computed(string_set())),
        ]);
        Schema::new("A Neutron port.", attributes)
            .with_block(
                "fixed_ip",
                NestedBlock::new(
                    BlockNesting::List,
                    Schema::new(
                        "An address the port asks for.",
                        [
                            ("subnet_id", Attribute::required(Type::String)),
                            ("ip_address", Attribute::optional(Type::String)),
                        ],
                    ),
                ),
            )
            .with_block(
                "allowed_address_pairs",
                NestedBlock::new(
                    BlockNesting::Set,
                    Schema::new(
                        "An extra address the port may use.",
                        [
                            ("ip_address", Attribute::required(Type::String)),
                            ("mac_address", Attribute::optional_computed(Type::String)),
                        ],
                    ),
                ),
            )
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("all_tags", &["tags"]),
            ("all_fixed_ips", &["fixed_ip", "no_fixed_ip"]),
            (
                "all_security_group_ids",
                &[
                    "security_group_ids",
                    "no_security_groups",
                    "port_security_enabled",
                ],
            ),
            (
                "security_group_ids",
                &["no_security_groups", "port_security_enabled"],
            ),
        ]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let has_groups = config
            .get("security_group_ids")
            .as_list()
            .is_some_and(|l| !l.is_empty());
        if bool_attr(config, "no_security_groups") == Some(true) && has_groups {
            diags.push(
                Diagnostic::error(
                    "Conflicting port security groups",
                    "no_security_groups = true and security_group_ids cannot both be set.",
                )
                .at_attribute(AttrPath::attr("security_group_ids")),
            );
        }
        if bool_attr(config, "port_security_enabled") == Some(false) && has_groups {
            diags.push(
                Diagnostic::error(
                    "Security groups on a port without port security",
                    "Neutron refuses security groups on a port whose port_security_enabled is \
                     false: remove security_group_ids or enable port security.",
                )
                .at_attribute(AttrPath::attr("security_group_ids")),
            );
        }
        let has_fixed = config
            .get("fixed_ip")
            .as_list()
            .is_some_and(|l| !l.is_empty());
        if bool_attr(config, "no_fixed_ip") == Some(true) && has_fixed {
            diags.push(
                Diagnostic::error(
                    "Conflicting port addresses",
                    "no_fixed_ip = true and fixed_ip blocks cannot both be set.",
                )
                .at_attribute(AttrPath::attr("fixed_ip")),
            );
        }
        diags
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        Ok(show(session, PORTS, id)
            .await?
            .map(|api| port_state(&api, state)))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = fields(planned, FIELDS);
        body.insert("network_id".into(), to_json(planned.get("network_id")));
        if let Some(mac) = str_attr(planned, "mac_address") {
            body.insert("mac_address".into(), json!(mac));
        }
        body.extend(tenant(planned));
        if let Some(ips) = fixed_ips(planned) {
            body.insert("fixed_ips".into(), ips);
        }
        if let Some(groups) = security_groups(planned) {
            body.insert("security_groups".into(), groups);
        }
        if planned
            .get("allowed_address_pairs")
            .as_list()
            .is_some_and(|l| !l.is_empty())
        {
            body.insert("allowed_address_pairs".into(), pairs(planned));
        }
        let api = create(session, PORTS, body, planned).await?;
        let state = port_state(&api, planned);
        tag_and_read_back(self, session, PORTS, &api, planned, state).await
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = changed_fields(prior, planned, FIELDS);
        let groups_changed = prior.get("security_group_ids") != planned.get("security_group_ids")
            || prior.get("no_security_groups") != planned.get("no_security_groups");
        if groups_changed && let Some(groups) = security_groups(planned) {
            body.insert("security_groups".into(), groups);
        }
        // Disabling port security requires dropping the groups in the same request.
        if bool_attr(planned, "port_security_enabled") == Some(false)
            && bool_attr(prior, "port_security_enabled") != Some(false)
        {
            body.insert("security_groups".into(), json!([]));
        }
        if prior.get("fixed_ip") != planned.get("fixed_ip")
            || prior.get("no_fixed_ip") != planned.get("no_fixed_ip")
        {
            body.insert(
                "fixed_ips".into(),
                fixed_ips(planned).unwrap_or_else(|| json!([])),
            );
        }
        if prior.get("allowed_address_pairs") != planned.get("allowed_address_pairs") {
            body.insert("allowed_address_pairs".into(), pairs(planned));
        }
        update_with_tags(self, session, PORTS, prior, planned, body).await
    }

    async fn find_created(
        &self,
        session: &Session,
        config: &Value,
        since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, ApiError> {
        super::find_by_name(session, super::PORTS, config, since).await
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(session, PORTS, prior.get("id").as_str().unwrap_or_default()).await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}
