//! `openstack_networking_router_v2` and `openstack_networking_router_interface_v2`.

use super::{
    PORTS, ROUTERS, common_attributes, create, delete, show, sync_tags, tenant, update_with_tags,
};
use crate::convert::{changed_fields, fields, flag, str_attr, text};
use crate::error::ApiError;
use crate::resource::{ManagedType, Partial, keep, read_back, set_tags};
use crate::session::{Service, Session};
use async_trait::async_trait;
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use serde_json::{Map, Value as Json, json};

const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("admin_state_up", "admin_state_up"),
];

pub struct Router;

fn router_state(api: &Json, prior: &Value) -> Value {
    let gateway = &api["external_gateway_info"];
    let mut state = Value::object([
        ("id", text(&api["id"])),
        ("name", text(&api["name"])),
        ("description", text(&api["description"])),
        ("admin_state_up", flag(&api["admin_state_up"])),
        ("external_network_id", text(&gateway["network_id"])),
        ("enable_snat", flag(&gateway["enable_snat"])),
        ("tenant_id", text(&api["tenant_id"])),
    ]);
    keep(&mut state, prior, &["value_specs"]);
    set_tags(&mut state, &api["tags"], prior);
    state
}

/// The `external_gateway_info` for the planned gateway (null: none).
fn gateway(planned: &Value) -> Json {
    match str_attr(planned, "external_network_id") {
        Some(network) => {
            let mut info = json!({ "network_id": network });
            if let Some(snat) = planned.get("enable_snat").as_bool() {
                info["enable_snat"] = json!(snat);
            }
            info
        }
        None => Json::Null,
    }
}

#[async_trait]
impl ManagedType for Router {
    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        attributes.extend([
            ("name", Attribute::optional_computed(Type::String)),
            ("description", Attribute::optional_computed(Type::String)),
            ("admin_state_up", Attribute::optional_computed(Type::Bool)),
            (
                "external_network_id",
                Attribute::optional_computed(Type::String)
                    .describe("The external network of the router's gateway."),
            ),
            (
                "enable_snat",
                Attribute::optional_computed(Type::Bool)
                    .describe("Source NAT on the gateway (setting it is admin only by default)."),
            ),
        ]);
        Schema::new("A Neutron router.", attributes)
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("all_tags", &["tags"]),
            ("enable_snat", &["external_network_id"]),
        ]
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        Ok(show(session, ROUTERS, id)
            .await?
            .map(|api| router_state(&api, state)))
    }

    async fn create(&self, session: &Session, planned: &Value) -> Result<Value, Partial> {
        let mut body = fields(planned, FIELDS);
        body.extend(tenant(planned));
        let info = gateway(planned);
        if !info.is_null() {
            body.insert("external_gateway_info".into(), info);
        }
        let api = create(session, ROUTERS, body, planned).await?;
        let state = router_state(&api, planned);
        let id = api["id"].as_str().unwrap_or_default();
        if let Err(e) = sync_tags(session, ROUTERS, id, planned, &api["tags"]).await {
            return Err(Partial::left(state, e));
        }
        read_back(self, session, state).await
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Partial> {
        let mut body = changed_fields(prior, planned, FIELDS);
        if prior.get("external_network_id") != planned.get("external_network_id")
            || prior.get("enable_snat") != planned.get("enable_snat")
        {
            body.insert("external_gateway_info".into(), gateway(planned));
        }
        update_with_tags(self, session, ROUTERS, prior, planned, body).await
    }

    async fn delete(&self, session: &Session, prior: &Value) -> Result<(), ApiError> {
        delete(
            session,
            ROUTERS,
            prior.get("id").as_str().unwrap_or_default(),
        )
        .await
    }
}

/// A router's interface on a subnet or port; its id is the interface port's id.
pub struct RouterInterface;

async fn interface_call(
    session: &Session,
    router: &str,
    action: &str,
    body: Map<String, Json>,
) -> Result<Json, ApiError> {
    session
        .put(
            Service::Network,
            &format!("/routers/{router}/{action}"),
            &Json::Object(body),
        )
        .await
}

#[async_trait]
impl ManagedType for RouterInterface {
    fn schema(&self) -> Schema {
        Schema::new(
            "Attaches a router to a subnet (or an existing port).",
            [
                (
                    "id",
                    Attribute::computed(Type::String).describe("The interface port's id."),
                ),
                ("router_id", Attribute::required(Type::String).force_new()),
                (
                    "subnet_id",
                    Attribute::optional_computed(Type::String).force_new(),
                ),
                (
                    "port_id",
                    Attribute::optional_computed(Type::String).force_new(),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let subnet = !config.get("subnet_id").is_null();
        let port = !config.get("port_id").is_null();
        if subnet == port {
            Diagnostic::error(
                "Router interface needs one of subnet_id and port_id",
                "Set exactly one of subnet_id and port_id.",
            )
            .at_attribute(AttrPath::attr("subnet_id"))
            .into()
        } else {
            Diagnostics::new()
        }
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let (Some(id), Some(router)) = (state.get("id").as_str(), state.get("router_id").as_str())
        else {
            return Ok(None);
        };
        let Some(port) = show(session, PORTS, id).await? else {
            return Ok(None);
        };
        if port["device_id"] != router {
            return Ok(None);
        }
        let subnet = port["fixed_ips"][0]["subnet_id"].clone();
        Ok(Some(Value::object([
            ("id", Value::string(id)),
            ("router_id", Value::string(router)),
            ("port_id", Value::string(id)),
            ("subnet_id", text(&subnet)),
        ])))
    }

    async fn create(&self, session: &Session, planned: &Value) -> Result<Value, Partial> {
        let router = str_attr(planned, "router_id").unwrap_or_default();
        let body = fields(
            planned,
            &[("subnet_id", "subnet_id"), ("port_id", "port_id")],
        );
        let answer = interface_call(session, router, "add_router_interface", body).await?;
        let port = answer["port_id"].as_str().unwrap_or_default();
        let state = Value::object([
            ("id", Value::string(port)),
            ("router_id", Value::string(router)),
            ("port_id", Value::string(port)),
            ("subnet_id", text(&answer["subnet_id"])),
        ]);
        read_back(self, session, state).await
    }

    async fn update(
        &self,
        _session: &Session,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, Partial> {
        // Every attribute is force-new: an update only ever restates the same interface.
        Ok(planned.clone())
    }

    async fn delete(&self, session: &Session, prior: &Value) -> Result<(), ApiError> {
        let router = prior.get("router_id").as_str().unwrap_or_default();
        let body = fields(prior, &[("id", "port_id")]);
        match interface_call(session, router, "remove_router_interface", body).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}
