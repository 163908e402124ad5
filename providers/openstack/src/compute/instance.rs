//! `openstack_compute_instance_v2`: a Nova server.
//!
//! Create waits for ACTIVE (a server that goes to ERROR is deleted again and its fault message
//! reported); delete waits until the server is gone; both honour the `timeouts` block. Name,
//! metadata, tags, security groups and the flavor (resize, then confirm) change in place;
//! image, key pair, user data, availability zone, networks and scheduler hints replace.
//!
//! `network` blocks are read back from the server's interfaces in the configured order, so
//! `network[0].fixed_ip_v4` and `access_ip_v4` are the addresses Neutron gave the ports; a
//! server with no configured blocks (an imported one) has a block for each interface.

use super::{flavor_id_by_name, image_id_by_name, image_name};
use crate::OpenStack;
use crate::convert::{encode, query, str_attr, string_map, strings_attr, text, to_json};
use crate::error::ApiError;
use crate::networking::find_network_id;
use crate::resource::{id_stub, keep, made_since, read_back, set_tags, with_id};
use crate::session::{Service, Session};
use crate::wait::{Poll, timeout, timeouts_block, until, validate_timeouts};
use async_trait::async_trait;
use base64::Engine;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, Found, NestedBlock, Schema, Type,
    Value, set_of,
};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;
use std::time::Duration;

pub struct Instance;

fn strings() -> Type {
    Type::List(Box::new(Type::String))
}

fn network_block() -> Schema {
    let fixed = |description: &str| {
        Attribute::optional_computed(Type::String)
            .force_new()
            .describe(description)
    };
    Schema::new(
        "A network interface of the server: an existing port, or a network by id or name.",
        [
            ("uuid", fixed("The network's id.")),
            ("name", fixed("The network's name.")),
            ("port", fixed("An existing port to attach.")),
            ("fixed_ip_v4", fixed("The IPv4 address on this network.")),
            ("fixed_ip_v6", fixed("The IPv6 address on this network.")),
            ("mac", Attribute::computed(Type::String)),
            (
                "access_network",
                Attribute::optional(Type::Bool)
                    .describe("Use this network's address as access_ip_v4/v6."),
            ),
        ],
    )
}

fn scheduler_hints_block() -> Schema {
    Schema::new(
        "Hints for the Nova scheduler.",
        [
            ("group", Attribute::optional(Type::String).force_new()),
            ("different_host", Attribute::optional(strings()).force_new()),
            ("same_host", Attribute::optional(strings()).force_new()),
            ("target_cell", Attribute::optional(Type::String).force_new()),
            (
                "additional_properties",
                Attribute::optional(Type::Map(Box::new(Type::String))).force_new(),
            ),
        ],
    )
}

fn server_path(id: &str) -> String {
    format!("/servers/{}", encode(id))
}

async fn show_server(session: &Session, id: &str) -> Result<Option<Json>, ApiError> {
    let doc = session
        .get_optional(Service::Compute, &server_path(id))
        .await?;
    Ok(doc
        .map(|d| d["server"].clone())
        .filter(|s| !matches!(s["status"].as_str(), Some("DELETED" | "SOFT_DELETED"))))
}

async fn action(session: &Session, id: &str, body: Json) -> Result<(), ApiError> {
    session
        .post(
            Service::Compute,
            &format!("{}/action", server_path(id)),
            &body,
        )
        .await
        .map(|_| ())
}

/// The server's fault, for a server in ERROR.
fn fault(server: &Json) -> String {
    let fault = &server["fault"];
    match (fault["message"].as_str(), fault["code"].as_i64()) {
        (Some(message), Some(code)) => format!("{message} (code {code})"),
        (Some(message), None) => message.to_string(),
        _ => "Nova recorded no fault message".to_string(),
    }
}

/// Waits until the server has `status` (ERROR fails with the fault message).
async fn wait_for_status(
    session: &Session,
    id: &str,
    status: &str,
    limit: Duration,
) -> Result<Json, ApiError> {
    until(
        &format!("server {id} to become {status}"),
        limit,
        || async {
            let Some(server) = show_server(session, id).await? else {
                return Err(ApiError::Failed(format!(
                    "server {id} disappeared while waiting for it to become {status}"
                )));
            };
            match server["status"].as_str().unwrap_or_default() {
                s if s == status => Ok(Poll::Done(server)),
                "ERROR" => Err(ApiError::Failed(format!(
                    "server {id} went to ERROR: {}",
                    fault(&server)
                ))),
                other => Ok(Poll::Pending(other.to_string())),
            }
        },
    )
    .await
}

/// Deletes the server and waits until it is gone.
async fn delete_and_wait(session: &Session, id: &str, limit: Duration) -> Result<(), ApiError> {
    session.delete(Service::Compute, &server_path(id)).await?;
    until(&format!("server {id} to be deleted"), limit, || async {
        Ok(match show_server(session, id).await? {
            None => Poll::Done(()),
            Some(server) => {
                Poll::Pending(server["status"].as_str().unwrap_or_default().to_string())
            }
        })
    })
    .await
}

/// The `networks` field of a create request.
async fn networks(session: &Session, planned: &Value) -> Result<Json, ApiError> {
    let mut out = Vec::new();
    for block in planned.get("network").as_list().unwrap_or_default() {
        let mut entry = Map::new();
        if let Some(port) = str_attr(block, "port") {
            entry.insert("port".into(), json!(port));
        } else {
            let uuid = match (str_attr(block, "uuid"), str_attr(block, "name")) {
                (Some(uuid), _) => uuid.to_string(),
                (None, Some(name)) => find_network_id(session, name).await?,
                (None, None) => {
                    return Err(ApiError::Config(
                        "a network block needs one of port, uuid and name".into(),
                    ));
                }
            };
            entry.insert("uuid".into(), json!(uuid));
            if let Some(ip) = str_attr(block, "fixed_ip_v4").or(str_attr(block, "fixed_ip_v6")) {
                entry.insert("fixed_ip".into(), json!(ip));
            }
        }
        out.push(Json::Object(entry));
    }
    // Since microversion 2.37 a server without networks must say so.
    Ok(if out.is_empty() {
        json!("auto")
    } else {
        Json::Array(out)
    })
}

fn scheduler_hints(planned: &Value) -> Option<Json> {
    let hints = planned.get("scheduler_hints").as_list()?.first()?;
    let mut out = Map::new();
    for name in ["group", "target_cell"] {
        if let Some(v) = str_attr(hints, name) {
            out.insert(name.into(), json!(v));
        }
    }
    for name in ["different_host", "same_host"] {
        let hosts = strings_attr(hints, name);
        if !hosts.is_empty() {
            out.insert(name.into(), json!(hosts));
        }
    }
    if let Some(extra) = hints.get("additional_properties").as_map() {
        for (k, v) in extra {
            out.insert(k.clone(), to_json(v));
        }
    }
    Some(Json::Object(out))
}

/// The network blocks of a server, in the order of `prior`'s blocks, from its interfaces.
async fn read_networks(session: &Session, id: &str, prior: &Value) -> Result<Vec<Value>, ApiError> {
    let doc = session
        .get(
            Service::Compute,
            &format!("{}/os-interface", server_path(id)),
        )
        .await?;
    let mut interfaces: Vec<Json> = doc["interfaceAttachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut names: BTreeMap<String, Value> = BTreeMap::new();
    let configured = prior.get("network").as_list().unwrap_or_default();
    // An imported server (or one whose configuration names no network) has no blocks to
    // follow: every interface is one, in Nova's order.
    let unconfigured = vec![Value::Null; interfaces.len()];
    let wanted = if configured.is_empty() {
        unconfigured.as_slice()
    } else {
        configured
    };
    let mut out = Vec::new();
    for block in wanted {
        let position = interfaces.iter().position(|i| {
            match str_attr(block, "port") {
                Some(port) => i["port_id"] == port,
                None => match str_attr(block, "uuid") {
                    Some(uuid) => i["net_id"] == uuid,
                    // A network given by name: the interface in the same position.
                    None => true,
                },
            }
        });
        let Some(position) = position else {
            continue;
        };
        let interface = interfaces.remove(position);
        let net_id = interface["net_id"].as_str().unwrap_or_default().to_string();
        let name = match names.get(&net_id) {
            Some(name) => name.clone(),
            None => {
                let name = crate::networking::network_name(session, &net_id).await?;
                names.insert(net_id.clone(), name.clone());
                name
            }
        };
        let address = |v6: bool| {
            interface["fixed_ips"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|ip| ip["ip_address"].as_str())
                .find(|ip| ip.contains(':') == v6)
                .unwrap_or_default()
                .to_string()
        };
        out.push(Value::object([
            ("uuid", Value::String(net_id)),
            ("name", name),
            ("port", text(&interface["port_id"])),
            ("fixed_ip_v4", Value::String(address(false))),
            ("fixed_ip_v6", Value::String(address(true))),
            ("mac", text(&interface["mac_addr"])),
            ("access_network", block.get("access_network").clone()),
        ]));
    }
    Ok(out)
}

/// The address for `access_ip_v4`/`v6`: the server's own, else the access network's, else
/// the first network's.
fn access_ip(server: &Json, networks: &[Value], field: &str, attribute: &str) -> Value {
    if let Some(ip) = server[field].as_str().filter(|s| !s.is_empty()) {
        return Value::string(ip);
    }
    let chosen = networks
        .iter()
        .find(|n| n.get("access_network").as_bool() == Some(true))
        .or_else(|| networks.first());
    chosen.map_or_else(|| Value::string(""), |n| n.get(attribute).clone())
}

/// The key pair: null when the server has none and the configuration names none.
fn key_pair(server: &Json, prior: &Value) -> Value {
    match server["key_name"].as_str() {
        None | Some("") if prior.get("key_pair").is_null() => Value::Null,
        _ => text(&server["key_name"]),
    }
}

/// The names of the server's security groups, as a set.
fn security_group_names(server: &Json) -> Value {
    let names = server["security_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .map(Value::string)
        .collect();
    Value::List(set_of(names))
}

/// Sets `metadata` and `all_metadata` from the server's metadata: `metadata` stays null when
/// the configuration sets none and the server has none.
fn set_metadata(state: &mut Value, api_metadata: &Json, prior: &Value) {
    let all = string_map(api_metadata);
    let configured =
        if prior.get("metadata").is_null() && all.as_map().is_some_and(BTreeMap::is_empty) {
            Value::Null
        } else {
            all.clone()
        };
    state.set_attr("metadata", configured);
    state.set_attr("all_metadata", all);
}

impl Instance {
    /// The state of a server from Nova's answer; `prior` gives what only the configuration
    /// knows.
    async fn state(
        &self,
        session: &Session,
        server: &Json,
        prior: &Value,
    ) -> Result<Value, ApiError> {
        let id = server["id"].as_str().unwrap_or_default();
        let networks = read_networks(session, id, prior).await?;
        let (image_id, image_name) = self.image(session, &server["image"], prior).await?;
        let (flavor_id, flavor_name) = self.flavor(session, &server["flavor"], prior).await?;
        let mut state = Value::object([
            ("id", Value::string(id)),
            ("name", text(&server["name"])),
            ("image_id", image_id),
            ("image_name", image_name),
            ("flavor_id", flavor_id),
            ("flavor_name", flavor_name),
            ("key_pair", key_pair(server, prior)),
            (
                "availability_zone",
                text(&server["OS-EXT-AZ:availability_zone"]),
            ),
            ("security_groups", security_group_names(server)),
            (
                "access_ip_v4",
                access_ip(server, &networks, "accessIPv4", "fixed_ip_v4"),
            ),
            (
                "access_ip_v6",
                access_ip(server, &networks, "accessIPv6", "fixed_ip_v6"),
            ),
            ("network", Value::List(networks)),
        ]);
        set_metadata(&mut state, &server["metadata"], prior);
        set_tags(&mut state, &server["tags"], prior);
        keep(
            &mut state,
            prior,
            &["user_data", "config_drive", "scheduler_hints", "timeouts"],
        );
        Ok(state)
    }

    /// The image id and name; the name is looked up only when the image changed.
    async fn image(
        &self,
        session: &Session,
        image: &Json,
        prior: &Value,
    ) -> Result<(Value, Value), ApiError> {
        let id = image["id"].as_str().unwrap_or_default();
        let name = match (
            prior.get("image_id").as_str(),
            prior.get("image_name").as_str(),
        ) {
            (Some(known), Some(name)) if known == id => name.to_string(),
            _ if id.is_empty() => String::new(),
            _ => image_name(session, id).await?.unwrap_or_default(),
        };
        Ok((Value::string(id), Value::String(name)))
    }

    /// The flavor id and name. Since microversion 2.47 a server names its flavor but does
    /// not give its id, which is looked up only when the name changed.
    async fn flavor(
        &self,
        session: &Session,
        flavor: &Json,
        prior: &Value,
    ) -> Result<(Value, Value), ApiError> {
        if let Some(id) = flavor["id"].as_str() {
            let name = match prior.get("flavor_name").as_str() {
                Some(name) if prior.get("flavor_id").as_str() == Some(id) => name.to_string(),
                _ => super::flavors(session)
                    .await?
                    .iter()
                    .find(|f| f["id"] == id)
                    .and_then(|f| f["name"].as_str())
                    .unwrap_or_default()
                    .to_string(),
            };
            return Ok((Value::string(id), Value::String(name)));
        }
        let name = flavor["original_name"].as_str().unwrap_or_default();
        let same_flavor = match prior.get("flavor_name").as_str() {
            Some(known) => known == name,
            None => true,
        };
        let id = match prior.get("flavor_id").as_str() {
            Some(id) if same_flavor => id.to_string(),
            _ => flavor_id_by_name(session, name).await?,
        };
        Ok((Value::String(id), Value::string(name)))
    }

    async fn flavor_ref(session: &Session, planned: &Value) -> Result<String, ApiError> {
        match (
            str_attr(planned, "flavor_id"),
            str_attr(planned, "flavor_name"),
        ) {
            (Some(id), _) => Ok(id.to_string()),
            (None, Some(name)) => flavor_id_by_name(session, name).await,
            (None, None) => Err(ApiError::Config("set flavor_id or flavor_name".into())),
        }
    }

    async fn create_body(session: &Session, planned: &Value) -> Result<Json, ApiError> {
        let image = match (
            str_attr(planned, "image_id"),
            str_attr(planned, "image_name"),
        ) {
            (Some(id), _) => id.to_string(),
            (None, Some(name)) => image_id_by_name(session, name).await?,
            (None, None) => return Err(ApiError::Config("set image_id or image_name".into())),
        };
        let mut server = Map::new();
        server.insert("name".into(), to_json(planned.get("name")));
        server.insert("imageRef".into(), json!(image));
        server.insert(
            "flavorRef".into(),
            json!(Self::flavor_ref(session, planned).await?),
        );
        server.insert("networks".into(), networks(session, planned).await?);
        if let Some(key) = str_attr(planned, "key_pair") {
            server.insert("key_name".into(), json!(key));
        }
        if let Some(data) = planned.get("user_data").as_str() {
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            server.insert("user_data".into(), json!(encoded));
        }
        if let Some(zone) = str_attr(planned, "availability_zone") {
            server.insert("availability_zone".into(), json!(zone));
        }
        if let Some(drive) = planned.get("config_drive").as_bool() {
            server.insert("config_drive".into(), json!(drive));
        }
        if !planned.get("metadata").is_null() {
            server.insert("metadata".into(), to_json(planned.get("metadata")));
        }
        let groups = strings_attr(planned, "security_groups");
        if !groups.is_empty() {
            let groups: Vec<Json> = groups.iter().map(|g| json!({ "name": g })).collect();
            server.insert("security_groups".into(), Json::Array(groups));
        }
        let tags = strings_attr(planned, "tags");
        if !tags.is_empty() {
            server.insert("tags".into(), json!(tags));
        }
        let mut body = json!({ "server": server });
        if let Some(hints) = scheduler_hints(planned) {
            body["os:scheduler_hints"] = hints;
        }
        Ok(body)
    }

    async fn resize(
        session: &Session,
        id: &str,
        flavor: &str,
        limit: Duration,
    ) -> Result<(), ApiError> {
        action(session, id, json!({ "resize": { "flavorRef": flavor } })).await?;
        wait_for_status(session, id, "VERIFY_RESIZE", limit).await?;
        action(session, id, json!({ "confirmResize": null })).await?;
        wait_for_status(session, id, "ACTIVE", limit)
            .await
            .map(|_| ())
    }

    async fn change_security_groups(
        session: &Session,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<(), ApiError> {
        let before = strings_attr(prior, "security_groups");
        let after = strings_attr(planned, "security_groups");
        for group in after.iter().filter(|g| !before.contains(g)) {
            action(
                session,
                id,
                json!({ "addSecurityGroup": { "name": group } }),
            )
            .await?;
        }
        for group in before.iter().filter(|g| !after.contains(g)) {
            action(
                session,
                id,
                json!({ "removeSecurityGroup": { "name": group } }),
            )
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ResourceType<OpenStack> for Instance {
    fn name(&self) -> &'static str {
        "openstack_compute_instance_v2"
    }

    fn schema(&self) -> Schema {
        let string_set = || Type::Set(Box::new(Type::String));
        let string_map = || Type::Map(Box::new(Type::String));
        Schema::new(
            "A Nova server.",
            [
                ("id", Attribute::computed(Type::String)),
                (
                    "name",
                    Attribute::required(Type::String).describe("The server's name."),
                ),
                (
                    "image_id",
                    Attribute::optional_computed(Type::String).force_new(),
                ),
                (
                    "image_name",
                    Attribute::optional_computed(Type::String).force_new(),
                ),
                (
                    "flavor_id",
                    Attribute::optional_computed(Type::String).describe(
                        "The flavor's id (a reservation's flavor on Chameleon); a change resizes.",
                    ),
                ),
                ("flavor_name", Attribute::optional_computed(Type::String)),
                ("key_pair", Attribute::optional(Type::String).force_new()),
                (
                    "user_data",
                    Attribute::optional(Type::String)
                        .force_new()
                        .describe("cloud-init user data, passed as given."),
                ),
                ("config_drive", Attribute::optional(Type::Bool).force_new()),
                (
                    "availability_zone",
                    Attribute::optional_computed(Type::String).force_new(),
                ),
                (
                    "security_groups",
                    Attribute::optional_computed(string_set())
                        .describe("Security group names (of ports Nova creates)."),
                ),
                ("metadata", Attribute::optional(string_map())),
                ("all_metadata", Attribute::computed(string_map())),
                ("tags", Attribute::optional(string_set())),
                ("all_tags", Attribute::computed(string_set())),
                ("access_ip_v4", Attribute::optional_computed(Type::String)),
                ("access_ip_v6", Attribute::optional_computed(Type::String)),
            ],
        )
        .with_block(
            "network",
            NestedBlock::new(BlockNesting::List, network_block()),
        )
        .with_block(
            "scheduler_hints",
            NestedBlock::new(BlockNesting::Set, scheduler_hints_block()),
        )
        .with_block("timeouts", timeouts_block("the server"))
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("all_metadata", &["metadata"]),
            ("all_tags", &["tags"]),
            ("flavor_id", &["flavor_name"]),
            ("flavor_name", &["flavor_id"]),
        ]
    }

    fn computed_blocks(&self) -> &'static [&'static str] {
        &["network"]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        // As in Terraform's provider, an empty string is no value (`flavor_id = var.x` with
        // an empty default).
        let unset = |a: &str| config.get(a).is_null() || config.get(a).as_str() == Some("");
        let missing = |a: &str, b: &str| unset(a) && unset(b);
        if missing("image_id", "image_name") {
            diags.push(
                Diagnostic::error("Server without an image", "Set image_id or image_name.")
                    .at_attribute(AttrPath::attr("image_name")),
            );
        }
        if missing("flavor_id", "flavor_name") {
            diags.push(
                Diagnostic::error("Server without a flavor", "Set flavor_id or flavor_name.")
                    .at_attribute(AttrPath::attr("flavor_id")),
            );
        }
        for (i, block) in config
            .get("network")
            .as_list()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if ["port", "uuid", "name"]
                .iter()
                .all(|a| block.get(a).is_null())
            {
                diags.push(
                    Diagnostic::error(
                        "Network block without a network",
                        "Each network block needs one of port, uuid and name.",
                    )
                    .at_attribute(AttrPath::attr("network").index(i)),
                );
            }
        }
        diags.extend(validate_timeouts(config));
        diags
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        match show_server(session, id).await? {
            Some(server) => Ok(Some(self.state(session, &server, state).await?)),
            None => Ok(None),
        }
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let body = Self::create_body(session, planned).await?;
        let doc = session.post(Service::Compute, "/servers", &body).await?;
        let id = doc["server"]["id"]
            .as_str()
            .ok_or_else(|| ApiError::Decode {
                service: "compute",
                message: "creating a server returned no id".into(),
            })?
            .to_string();
        let limit = timeout(planned, "create");
        match wait_for_status(session, &id, "ACTIVE", limit).await {
            Ok(_) => read_back(self, session, with_id(planned, &id)).await,
            Err(ApiError::Failed(reason)) if reason.contains("went to ERROR") => {
                // A server that failed to build is useless: remove it so nothing is left
                // behind, and report why it failed.
                match delete_and_wait(session, &id, timeout(planned, "delete")).await {
                    Ok(()) => Err(Partial::from(ApiError::Failed(format!(
                        "{reason}; the failed server was deleted"
                    )))),
                    Err(e) => Err(Partial::left(
                        with_id(planned, &id),
                        ApiError::Failed(format!("{reason}; deleting it failed too: {e}")),
                    )),
                }
            }
            Err(e) => Err(Partial::left(with_id(planned, &id), e)),
        }
    }

    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let id = prior.get("id").as_str().unwrap_or_default().to_string();
        let left = |e| Partial::left(prior.clone(), e);
        if prior.get("name") != planned.get("name") {
            let body = json!({ "server": { "name": to_json(planned.get("name")) } });
            session
                .put(Service::Compute, &server_path(&id), &body)
                .await
                .map_err(left)?;
        }
        if prior.get("metadata") != planned.get("metadata") {
            let metadata = planned
                .get("metadata")
                .to_json()
                .filter(|m| !m.is_null())
                .unwrap_or_else(|| json!({}));
            session
                .put(
                    Service::Compute,
                    &format!("{}/metadata", server_path(&id)),
                    &json!({ "metadata": metadata }),
                )
                .await
                .map_err(left)?;
        }
        if !planned.get("tags").is_null() && prior.get("all_tags") != planned.get("tags") {
            session
                .put(
                    Service::Compute,
                    &format!("{}/tags", server_path(&id)),
                    &json!({ "tags": strings_attr(planned, "tags") }),
                )
                .await
                .map_err(left)?;
        }
        if !planned.get("security_groups").is_unknown()
            && prior.get("security_groups") != planned.get("security_groups")
        {
            Self::change_security_groups(session, &id, prior, planned)
                .await
                .map_err(left)?;
        }
        let flavor_changed = (planned.get("flavor_id").as_str().is_some()
            && prior.get("flavor_id") != planned.get("flavor_id"))
            || (planned.get("flavor_name").as_str().is_some()
                && prior.get("flavor_name") != planned.get("flavor_name"));
        if flavor_changed {
            let flavor = Self::flavor_ref(session, planned).await.map_err(left)?;
            Self::resize(session, &id, &flavor, timeout(planned, "update"))
                .await
                .map_err(left)?;
        }
        read_back(self, session, with_id(planned, &id)).await
    }

    /// By name (Nova filters by a regular expression, anchored and escaped here) among the
    /// servers Nova stamped as created since the create began.
    async fn find_created(
        &self,
        session: &Session,
        config: &Value,
        since: std::time::SystemTime,
    ) -> Result<Found, ApiError> {
        let Some(name) = str_attr(config, "name") else {
            return Ok(Found::CannotTell("its name is not known yet".into()));
        };
        let pattern: String = name
            .chars()
            .flat_map(|c| {
                let escape = "\\.^$|?*+()[]{}".contains(c);
                escape.then_some('\\').into_iter().chain([c])
            })
            .collect();
        let filter = query(&[("name", Some(format!("^{pattern}$")))]);
        let doc = session
            .get(Service::Compute, &format!("/servers/detail{filter}"))
            .await?;
        let servers: Vec<Json> = doc["servers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["name"].as_str() == Some(name))
            .cloned()
            .collect();
        Ok(made_since(&servers, "created", since, config))
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        let id = prior.get("id").as_str().unwrap_or_default();
        delete_and_wait(session, id, timeout(prior, "delete")).await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_ip_prefers_the_access_network_then_the_first() {
        let networks = vec![
            Value::object([
                ("fixed_ip_v4", Value::string("10.0.0.5")),
                ("access_network", Value::Null),
            ]),
            Value::object([
                ("fixed_ip_v4", Value::string("192.168.1.11")),
                ("access_network", Value::Bool(true)),
            ]),
        ];
        let server = json!({ "accessIPv4": "" });
        assert_eq!(
            access_ip(&server, &networks, "accessIPv4", "fixed_ip_v4"),
            Value::string("192.168.1.11")
        );
        assert_eq!(
            access_ip(&server, &networks[..1], "accessIPv4", "fixed_ip_v4"),
            Value::string("10.0.0.5")
        );
        let own = json!({ "accessIPv4": "203.0.113.9" });
        assert_eq!(
            access_ip(&own, &networks, "accessIPv4", "fixed_ip_v4"),
            Value::string("203.0.113.9")
        );
    }

    #[test]
    fn faults_are_reported_with_their_code() {
        let server = json!({ "fault": { "message": "No valid host was found. ", "code": 500 } });
        assert_eq!(fault(&server), "No valid host was found.  (code 500)");
        assert_eq!(fault(&json!({})), "Nova recorded no fault message");
    }

    #[test]
    fn validation_names_missing_image_flavor_and_network() {
        let config = Value::object([
            ("name", Value::string("n")),
            ("flavor_id", Value::string("")),
            (
                "network",
                Value::List(vec![Value::object([("port", Value::Null)])]),
            ),
            (
                "timeouts",
                Value::object([("create", Value::string("soon"))]),
            ),
        ]);
        let diags = Instance.validate(&config);
        let summaries: Vec<&str> = diags.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "Server without an image",
                "Server without a flavor",
                "Network block without a network",
                "Invalid timeout"
            ]
        );
    }

    #[test]
    fn scheduler_hints_are_flattened() {
        let planned = Value::object([(
            "scheduler_hints",
            Value::List(vec![Value::object([
                ("group", Value::string("g")),
                ("different_host", Value::List(vec![])),
                (
                    "additional_properties",
                    Value::object([("reservation", Value::string("r"))]),
                ),
            ])]),
        )]);
        assert_eq!(
            scheduler_hints(&planned),
            Some(json!({ "group": "g", "reservation": "r" }))
        );
    }
}
