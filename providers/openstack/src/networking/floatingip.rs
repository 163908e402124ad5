//! `openstack_networking_floatingip_v2`: a public address from an external network's pool,
//! optionally bound to a port. A floating IP moved to another port by hand is moved back.

use super::{
    FLOATING_IPS, NETWORKS, common_attributes, create, delete, list, show, tag_and_read_back,
    tenant, update_with_tags,
};
use crate::OpenStack;
use crate::convert::{query, str_attr, text, to_json};
use crate::error::ApiError;
use crate::resource::{id_stub, keep, set_tags, with_id};
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{Attribute, Diagnostics, Schema, Type, Value};
use serde_json::{Map, Value as Json, json};

pub struct FloatingIp;

/// The id of the external network named `pool`.
async fn pool_network(session: &Session, pool: &str) -> Result<String, ApiError> {
    let found = list(
        session,
        NETWORKS,
        &query(&[
            ("name", Some(pool.to_string())),
            ("router:external", Some("true".into())),
        ]),
    )
    .await?;
    match found.as_slice() {
        [one] => Ok(one["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(ApiError::Lookup(format!(
            "no external network is named {pool:?}"
        ))),
        _ => Err(ApiError::Lookup(format!(
            "{} external networks are named {pool:?}",
            found.len()
        ))),
    }
}

impl FloatingIp {
    async fn state(&self, session: &Session, api: &Json, prior: &Value) -> Result<Value, ApiError> {
        let network = api["floating_network_id"].as_str().unwrap_or_default();
        // The pool is the external network's name; it rarely changes, so look it up only when
        // the network differs from the one recorded.
        let pool = match (
            prior.get("pool").as_str(),
            prior.get("floating_network_id").as_str(),
        ) {
            (Some(pool), Some(known)) if known == network => Value::string(pool),
            _ => match super::show(session, NETWORKS, network).await? {
                Some(net) => text(&net["name"]),
                None => Value::string(""),
            },
        };
        let mut state = Value::object([
            ("id", text(&api["id"])),
            ("address", text(&api["floating_ip_address"])),
            ("pool", pool),
            ("floating_network_id", Value::string(network)),
            ("port_id", text(&api["port_id"])),
            ("fixed_ip", text(&api["fixed_ip_address"])),
            ("description", text(&api["description"])),
            ("tenant_id", text(&api["tenant_id"])),
        ]);
        keep(&mut state, prior, &["subnet_id", "value_specs"]);
        set_tags(&mut state, &api["tags"], prior);
        Ok(state)
    }

    /// The association fields for the planned port and fixed address.
    fn association(planned: &Value) -> Map<String, Json> {
        let mut body = Map::new();
        let port = str_attr(planned, "port_id");
        body.insert("port_id".into(), port.map_or(Json::Null, |p| json!(p)));
        if port.is_some()
            && let Some(ip) = str_attr(planned, "fixed_ip")
        {
            body.insert("fixed_ip_address".into(), json!(ip));
        }
        body
    }
}

#[async_trait]
impl ResourceType<OpenStack> for FloatingIp {
    fn name(&self) -> &'static str {
        "openstack_networking_floatingip_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        attributes.extend([
            (
                "pool",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("The name of the external network to take the address from."),
            ),
            (
                "floating_network_id",
                Attribute::computed(Type::String).describe("The external network's id."),
            ),
            (
                "address",
                Attribute::optional_computed(Type::String)
                    .force_new()
                    .describe("The floating address (a specific one may be requested)."),
            ),
            (
                "port_id",
                Attribute::optional_computed(Type::String)
                    .describe("The port the address is bound to."),
            ),
            (
                "fixed_ip",
                Attribute::optional_computed(Type::String)
                    .describe("The port's fixed address the floating address maps to."),
            ),
            ("subnet_id", Attribute::optional(Type::String).force_new()),
            ("description", Attribute::optional_computed(Type::String)),
        ]);
        Schema::new("A Neutron floating IP.", attributes)
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[("all_tags", &["tags"]), ("fixed_ip", &["port_id"])]
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        match show(session, FLOATING_IPS, id).await? {
            Some(api) => Ok(Some(self.state(session, &api, state).await?)),
            None => Ok(None),
        }
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let pool = str_attr(planned, "pool").ok_or_else(|| {
            ApiError::Config(
                "pool (the external network's name) is required to allocate a floating IP".into(),
            )
        })?;
        let mut body = Self::association(planned);
        body.insert(
            "floating_network_id".into(),
            json!(pool_network(session, pool).await?),
        );
        for (attribute, field) in [
            ("address", "floating_ip_address"),
            ("subnet_id", "subnet_id"),
            ("description", "description"),
        ] {
            if let Some(v) = str_attr(planned, attribute) {
                body.insert(field.into(), json!(v));
            }
        }
        body.extend(tenant(planned));
        let api = create(session, FLOATING_IPS, body, planned).await?;
        let state = with_id(planned, api["id"].as_str().unwrap_or_default());
        tag_and_read_back(self, session, FLOATING_IPS, &api, planned, state).await
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = Map::new();
        if prior.get("port_id") != planned.get("port_id")
            || prior.get("fixed_ip") != planned.get("fixed_ip")
        {
            body = Self::association(planned);
        }
        if prior.get("description") != planned.get("description") {
            body.insert("description".into(), to_json(planned.get("description")));
        }
        update_with_tags(self, session, FLOATING_IPS, prior, planned, body).await
    }

    /// By the external network and what else the configuration fixes (the port, the
    /// address, the description): a floating IP has no name.
    async fn find_created(
        &self,
        session: &Session,
        config: &Value,
        since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, ApiError> {
        let Some(pool) = str_attr(config, "pool") else {
            return Ok(ggplan_sdk::Found::CannotTell(
                "its pool is not known yet".into(),
            ));
        };
        let network = Value::String(pool_network(session, pool).await?);
        let filters = [
            ("floating_network_id", &network),
            ("port_id", config.get("port_id")),
            ("floating_ip_address", config.get("address")),
            ("description", config.get("description")),
        ];
        super::find_created(session, FLOATING_IPS, &filters, since, config).await
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(
            session,
            FLOATING_IPS,
            prior.get("id").as_str().unwrap_or_default(),
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}
