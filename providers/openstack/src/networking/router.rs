//! `openstack_networking_router_v2` and `openstack_networking_router_interface_v2`.

use super::{
    PORTS, ROUTERS, common_attributes, create, delete, show, tag_and_read_back, tenant,
    update_with_tags,
};
use crate::OpenStack;
use crate::convert::{changed_fields, fields, flag, str_attr, text};
use crate::error::ApiError;
use crate::resource::{id_stub, keep, read_back, set_tags};
use crate::session::{Service, Session};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};
use serde_json::{Map, Value as Json, json};

const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("admin_state_up", "admin_state_up"),
];

pub struct Router;

fn router_state(api: &Json, prior: &Value) -> Value {
    let gateway = &api["external_gateway_info"];
    let fixed_ips = gateway["external_fixed_ips"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|ip| {
            Value::object([
                ("subnet_id", text(&ip["subnet_id"])),
                ("ip_address", text(&ip["ip_address"])),
            ])
        })
        .collect();
    let mut state = Value::object([
        ("id", text(&api["id"])),
        ("name", text(&api["name"])),
        ("description", text(&api["description"])),
        ("admin_state_up", flag(&api["admin_state_up"])),
        ("external_network_id", text(&gateway["network_id"])),
        ("enable_snat", flag(&gateway["enable_snat"])),
        ("external_fixed_ip", Value::List(fixed_ips)),
        ("tenant_id", text(&api["tenant_id"])),
    ]);
    keep(&mut state, prior, &["value_specs"]);
    set_tags(&mut state, &api["tags"], prior);
    state
}

/// The `external_gateway_info` for the planned gateway (null: none). `enable_snat` is sent
/// whenever it is known, since Neutron turns SNAT on when a gateway update leaves it out; the
/// fixed addresses only when `send_fixed_ips` (setting them is admin only, even unchanged).
fn gateway(planned: &Value, send_fixed_ips: bool) -> Json {
    let Some(network) = str_attr(planned, "external_network_id") else {
        return Json::Null;
    };
    let mut info = json!({ "network_id": network });
    if let Some(snat) = planned.get("enable_snat").as_bool() {
        info["enable_snat"] = json!(snat);
    }
    let fixed_ips = planned
        .get("external_fixed_ip")
        .as_list()
        .unwrap_or_default();
    if send_fixed_ips && !fixed_ips.is_empty() {
        let pairs = [("subnet_id", "subnet_id"), ("ip_address", "ip_address")];
        let ips: Vec<Json> = fixed_ips
            .iter()
            .map(|ip| Json::Object(fields(ip, &pairs)))
            .collect();
        info["external_fixed_ips"] = Json::Array(ips);
    }
    info
}

fn external_fixed_ip_block() -> NestedBlock {
    let attribute =
        |description: &str| Attribute::optional_computed(Type::String).describe(description);
    NestedBlock::new(
        BlockNesting::List,
        Schema::new(
            "An address of the router's gateway port (setting one is admin only by default).",
            [
                (
                    "subnet_id",
                    attribute("The external subnet of the address."),
                ),
                ("ip_address", attribute("The address itself.")),
            ],
        ),
    )
}

#[async_trait]
impl ResourceType<OpenStack> for Router {
    fn name(&self) -> &'static str {
        "openstack_networking_router_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        attributes.extend([
            ("name", Attribute::optional_computed(Type::String)),
            ("description", Attribute::optional_computed(Type::String)),
            ("admin_state_up", Attribute::optional_computed(Type::Bool)),
            (
                "external_network_id",
                Attribute::optional_computed(Type::String).describe(
                    "The external network of the router's gateway (\"\" removes the gateway).",
                ),
            ),
            (
                "enable_snat",
                Attribute::optional_computed(Type::Bool)
                    .describe("Source NAT on the gateway (setting it is admin only by default)."),
            ),
        ]);
        Schema::new("A Neutron router.", attributes)
            .with_block("external_fixed_ip", external_fixed_ip_block())
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("all_tags", &["tags"]),
            ("enable_snat", &["external_network_id"]),
            ("external_fixed_ip", &["external_network_id"]),
        ]
    }

    fn computed_blocks(&self) -> &'static [&'static str] {
        &["external_fixed_ip"]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let network = config.get("external_network_id");
        let no_gateway = network.is_null() || network.as_str() == Some("");
        let gateway_settings = !config.get("enable_snat").is_null()
            || config
                .get("external_fixed_ip")
                .as_list()
                .is_some_and(|ips| !ips.is_empty());
        if no_gateway && gateway_settings {
            Diagnostic::error(
                "Router gateway settings without a gateway",
                "enable_snat and external_fixed_ip configure the external gateway: set \
                 external_network_id too, or remove them.",
            )
            .at_attribute(AttrPath::attr("external_network_id"))
            .into()
        } else {
            Diagnostics::new()
        }
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        Ok(show(session, ROUTERS, id)
            .await?
            .map(|api| router_state(&api, state)))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = fields(planned, FIELDS);
        body.extend(tenant(planned));
        let info = gateway(planned, true);
        if !info.is_null() {
            body.insert("external_gateway_info".into(), info);
        }
        let api = create(session, ROUTERS, body, planned).await?;
        let state = router_state(&api, planned);
        tag_and_read_back(self, session, ROUTERS, &api, planned, state).await
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = changed_fields(prior, planned, FIELDS);
        let changed = |name| prior.get(name) != planned.get(name);
        let fixed_ips_changed = changed("external_fixed_ip");
        if changed("external_network_id") || changed("enable_snat") || fixed_ips_changed {
            body.insert(
                "external_gateway_info".into(),
                gateway(planned, fixed_ips_changed),
            );
        }
        update_with_tags(self, session, ROUTERS, prior, planned, body).await
    }

    async fn find_created(
        &self,
        session: &Session,
        config: &Value,
        since: std::time::SystemTime,
    ) -> Result<ggplan_sdk::Found, ApiError> {
        super::find_by_name(session, super::ROUTERS, config, since).await
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(
            session,
            ROUTERS,
            prior.get("id").as_str().unwrap_or_default(),
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}

/// The `device_owner` of the ports Neutron makes for router interfaces (legacy, DVR, HA).
const INTERFACE_OWNERS: &[&str] = &[
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
];

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
impl ResourceType<OpenStack> for RouterInterface {
    fn name(&self) -> &'static str {
        "openstack_networking_router_interface_v2"
    }

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
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        let Some(port) = show(session, PORTS, id).await? else {
            return Ok(None);
        };
        // An import knows only the port (Terraform's import id): the router is its device.
        let owner = port["device_owner"].as_str().unwrap_or_default();
        let router = match state.get("router_id").as_str() {
            Some(router) => router,
            None if INTERFACE_OWNERS.contains(&owner) => {
                port["device_id"].as_str().unwrap_or_default()
            }
            None => return Ok(None),
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

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
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
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        // Every attribute is force-new: an update only ever restates the same interface.
        Ok(planned.clone())
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        let router = prior.get("router_id").as_str().unwrap_or_default();
        let body = fields(prior, &[("id", "port_id")]);
        match interface_call(session, router, "remove_router_interface", body).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }

    fn import_id_format(&self) -> &'static str {
        "the id of the interface's port"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::planned_by_rules;

    fn fixed_ip(subnet: Value, address: Value) -> Value {
        Value::List(vec![Value::object([
            ("subnet_id", subnet),
            ("ip_address", address),
        ])])
    }

    #[test]
    fn gateway_sends_snat_when_known_and_fixed_ips_only_when_asked() {
        let planned = Value::object([
            ("external_network_id", Value::string("ext")),
            ("enable_snat", Value::Bool(false)),
            (
                "external_fixed_ip",
                fixed_ip(Value::string("sub"), Value::Unknown),
            ),
        ]);
        assert_eq!(
            gateway(&planned, true),
            json!({ "network_id": "ext", "enable_snat": false,
                    "external_fixed_ips": [{ "subnet_id": "sub" }] })
        );
        assert_eq!(
            gateway(&planned, false),
            json!({ "network_id": "ext", "enable_snat": false })
        );
        let unknown = Value::object([
            ("external_network_id", Value::string("ext")),
            ("enable_snat", Value::Unknown),
            ("external_fixed_ip", Value::Unknown),
        ]);
        assert_eq!(gateway(&unknown, true), json!({ "network_id": "ext" }));
        let removed = Value::object([("external_network_id", Value::string(""))]);
        assert_eq!(gateway(&removed, true), Json::Null);
    }

    #[test]
    fn gateway_settings_need_a_gateway() {
        let snat_only = Value::object([
            ("external_network_id", Value::string("")),
            ("enable_snat", Value::Bool(true)),
        ]);
        assert!(Router.validate(&snat_only).has_errors());
        let fixed_only = Value::object([(
            "external_fixed_ip",
            fixed_ip(Value::string("sub"), Value::Null),
        )]);
        assert!(Router.validate(&fixed_only).has_errors());
        let pending = Value::object([
            ("external_network_id", Value::Unknown),
            ("enable_snat", Value::Bool(true)),
        ]);
        assert!(!Router.validate(&pending).has_errors());
    }

    #[test]
    fn state_lists_the_gateway_addresses() {
        let api = json!({ "id": "r", "external_gateway_info": {
            "network_id": "ext", "enable_snat": true,
            "external_fixed_ips": [{ "subnet_id": "sub", "ip_address": "203.0.113.5" }] } });
        let state = router_state(&api, &Value::Null);
        assert_eq!(
            state.get("external_fixed_ip"),
            &fixed_ip(Value::string("sub"), Value::string("203.0.113.5"))
        );
        let none = router_state(
            &json!({ "id": "r", "external_gateway_info": null }),
            &Value::Null,
        );
        assert_eq!(none.get("external_fixed_ip"), &Value::List(Vec::new()));
        assert_eq!(none.get("external_network_id"), &Value::string(""));
    }

    #[test]
    fn gateway_settings_follow_the_gateway_network_unless_configured() {
        let api = json!({ "id": "r", "name": "r", "tags": [], "external_gateway_info": {
            "network_id": "ext1", "enable_snat": true,
            "external_fixed_ips": [{ "subnet_id": "sub", "ip_address": "203.0.113.5" }] } });
        let prior = router_state(&api, &Value::Null);
        let config = |network: &str| {
            Value::object([
                ("name", Value::string("r")),
                ("external_network_id", Value::string(network)),
            ])
        };
        let moved = planned_by_rules(&Router, Some(&prior), &config("ext2"));
        assert_eq!(moved.get("enable_snat"), &Value::Unknown);
        // A computed block the configuration leaves out follows its inputs too.
        assert_eq!(moved.get("external_fixed_ip"), &Value::Unknown);
        let same = planned_by_rules(&Router, Some(&prior), &config("ext1"));
        assert_eq!(same.get("enable_snat"), &Value::Bool(true));
        assert_eq!(
            same.get("external_fixed_ip"),
            prior.get("external_fixed_ip")
        );
        let new = planned_by_rules(&Router, None, &config("ext1"));
        assert_eq!(new.get("external_fixed_ip"), &Value::Unknown);
    }
}
