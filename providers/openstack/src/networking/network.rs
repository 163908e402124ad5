//! `openstack_networking_network_v2`: a Neutron network.

use super::{
    NETWORKS, common_attributes, create, delete, show, tag_and_read_back, tenant, update_with_tags,
};
use crate::OpenStack;
use crate::convert::{changed_fields, fields, flag, number, string_set, text};
use crate::error::ApiError;
use crate::resource::{id_stub, keep, set_tags};
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{Attribute, Diagnostics, Schema, Type, Value};

/// The updatable attributes and the API fields they map to.
const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("admin_state_up", "admin_state_up"),
    ("shared", "shared"),
    ("external", "router:external"),
    ("port_security_enabled", "port_security_enabled"),
    ("mtu", "mtu"),
];

pub struct Network;

/// The state of a network from its API object; configuration-only attributes from `prior`.
pub fn network_state(api: &serde_json::Value, prior: &Value) -> Value {
    let mut state = Value::object([
        ("id", text(&api["id"])),
        ("name", text(&api["name"])),
        ("description", text(&api["description"])),
        ("admin_state_up", flag(&api["admin_state_up"])),
        ("shared", flag(&api["shared"])),
        ("external", flag(&api["router:external"])),
        ("port_security_enabled", flag(&api["port_security_enabled"])),
        ("mtu", number(&api["mtu"])),
        ("tenant_id", text(&api["tenant_id"])),
        (
            "availability_zone_hints",
            string_set(&api["availability_zone_hints"]),
        ),
    ]);
    keep(&mut state, prior, &["value_specs"]);
    set_tags(&mut state, &api["tags"], prior);
    state
}

#[async_trait]
impl ResourceType<OpenStack> for Network {
    fn name(&self) -> &'static str {
        "openstack_networking_network_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        attributes.extend([
            (
                "name",
                Attribute::optional_computed(Type::String).describe("The network's name."),
            ),
            ("description", Attribute::optional_computed(Type::String)),
            (
                "admin_state_up",
                Attribute::optional_computed(Type::Bool).describe("Whether the network is up."),
            ),
            (
                "shared",
                Attribute::optional_computed(Type::Bool)
                    .describe("Whether every project may use it (admin only)."),
            ),
            (
                "external",
                Attribute::optional_computed(Type::Bool)
                    .describe("Whether it is an external network (router:external; admin only)."),
            ),
            (
                "port_security_enabled",
                Attribute::optional_computed(Type::Bool)
                    .describe("The default port security of its ports."),
            ),
            (
                "mtu",
                Attribute::optional_computed(Type::Number).describe("The MTU."),
            ),
            (
                "availability_zone_hints",
                Attribute::optional_computed(Type::Set(Box::new(Type::String))).force_new(),
            ),
        ]);
        Schema::new("A Neutron network.", attributes)
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[("all_tags", &["tags"])]
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        Ok(show(session, NETWORKS, id)
            .await?
            .map(|api| network_state(&api, state)))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = fields(planned, FIELDS);
        body.extend(tenant(planned));
        if let Some(hints) = planned.get("availability_zone_hints").to_json() {
            body.insert("availability_zone_hints".into(), hints);
        }
        let api = create(session, NETWORKS, body, planned).await?;
        let state = network_state(&api, planned);
        tag_and_read_back(self, session, NETWORKS, &api, planned, state).await
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        update_with_tags(
            self,
            session,
            NETWORKS,
            prior,
            planned,
            changed_fields(prior, planned, FIELDS),
        )
        .await
    }

    async fn find_created(
        &self,
        session: &Session,
        config: &Value,
        since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, ApiError> {
        super::find_by_name(session, super::NETWORKS, config, since).await
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(
            session,
            NETWORKS,
            prior.get("id").as_str().unwrap_or_default(),
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}
