//! Neutron: networks, subnets, ports, floating IPs, routers, security groups, and their data
//! sources. Every object lives at `/v2.0/{plural}/{id}` and is wrapped in its singular name.

mod canonical;
mod floatingip;
mod lookup;
mod network;
mod port;
mod router;
mod secgroup;
mod subnet;

pub use floatingip::FloatingIp;
pub use lookup::{NetworkData, SecgroupData, SubnetData};
pub use network::Network;
pub use port::Port;
pub use router::{Router, RouterInterface};
pub use secgroup::{Secgroup, SecgroupRule};
pub use subnet::Subnet;

use crate::OpenStack;
use crate::convert::{merge_value_specs, query, strings_attr, to_json};
use crate::error::ApiError;
use crate::resource::{made_since, read_back, with_id};
use crate::session::{Service, Session};
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{Attribute, Found, Type, Value};
use serde_json::{Map, Value as Json, json};
use std::time::SystemTime;

/// A Neutron collection: its URL segment and the key its objects are wrapped in.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub plural: &'static str,
    pub singular: &'static str,
}

pub const NETWORKS: Kind = Kind {
    plural: "networks",
    singular: "network",
};
pub const SUBNETS: Kind = Kind {
    plural: "subnets",
    singular: "subnet",
};
pub const PORTS: Kind = Kind {
    plural: "ports",
    singular: "port",
};
pub const FLOATING_IPS: Kind = Kind {
    plural: "floatingips",
    singular: "floatingip",
};
pub const ROUTERS: Kind = Kind {
    plural: "routers",
    singular: "router",
};
pub const SECURITY_GROUPS: Kind = Kind {
    plural: "security-groups",
    singular: "security_group",
};
pub const SECURITY_GROUP_RULES: Kind = Kind {
    plural: "security-group-rules",
    singular: "security_group_rule",
};

/// Reads one object; `None` when it does not exist.
pub async fn show(session: &Session, kind: Kind, id: &str) -> Result<Option<Json>, ApiError> {
    let doc = session
        .get_optional(Service::Network, &format!("/{}/{id}", kind.plural))
        .await?;
    Ok(doc.map(|d| d[kind.singular].clone()))
}

/// Creates an object from `body` plus the configuration's `value_specs`.
pub async fn create(
    session: &Session,
    kind: Kind,
    mut body: Map<String, Json>,
    planned: &Value,
) -> Result<Json, ApiError> {
    merge_value_specs(&mut body, planned);
    let doc = session
        .post(
            Service::Network,
            &format!("/{}", kind.plural),
            &json!({ kind.singular: body }),
        )
        .await?;
    let object = doc[kind.singular].clone();
    if object["id"].is_string() {
        Ok(object)
    } else {
        Err(ApiError::Decode {
            service: "network",
            message: format!("creating a {} returned no id", kind.singular),
        })
    }
}

/// Changes the fields in `body` (nothing is sent when it is empty).
pub async fn update(
    session: &Session,
    kind: Kind,
    id: &str,
    body: Map<String, Json>,
) -> Result<(), ApiError> {
    if body.is_empty() {
        return Ok(());
    }
    session
        .put(
            Service::Network,
            &format!("/{}/{id}", kind.plural),
            &json!({ kind.singular: body }),
        )
        .await?;
    Ok(())
}

/// The end of the usual create of a Neutron object: the configured tags onto the new object
/// (`api` is the create's answer), then a read-back. A failure keeps `state`: the object exists.
pub async fn tag_and_read_back(
    resource: &dyn ResourceType<OpenStack>,
    session: &Session,
    kind: Kind,
    api: &Json,
    planned: &Value,
    state: Value,
) -> Result<Value, Partial<ApiError>> {
    let id = api["id"].as_str().unwrap_or_default();
    if let Err(e) = sync_tags(session, kind, id, planned, &api["tags"]).await {
        return Err(Partial::left(state, e));
    }
    read_back(resource, session, state).await
}

/// The usual in-place update of a Neutron object: the changed fields in `body`, then the tags
/// (compared with the ones the prior state saw), then a read-back. A failure keeps the prior
/// state, since the object may be half changed.
pub async fn update_with_tags(
    resource: &dyn ResourceType<OpenStack>,
    session: &Session,
    kind: Kind,
    prior: &Value,
    planned: &Value,
    body: Map<String, Json>,
) -> Result<Value, Partial<ApiError>> {
    let id = prior.get("id").as_str().unwrap_or_default();
    let left = |e| Partial::left(prior.clone(), e);
    update(session, kind, id, body).await.map_err(left)?;
    sync_tags(session, kind, id, planned, &to_json(prior.get("all_tags")))
        .await
        .map_err(left)?;
    read_back(resource, session, with_id(planned, id)).await
}

/// Deletes an object; one already gone is fine.
pub async fn delete(session: &Session, kind: Kind, id: &str) -> Result<(), ApiError> {
    session
        .delete(Service::Network, &format!("/{}/{id}", kind.plural))
        .await
}

/// Replaces the object's tags with the configured ones when the configuration manages tags
/// and they differ from `current`.
pub async fn sync_tags(
    session: &Session,
    kind: Kind,
    id: &str,
    planned: &Value,
    current: &Json,
) -> Result<(), ApiError> {
    if planned.get("tags").is_null() {
        return Ok(());
    }
    let mut wanted = strings_attr(planned, "tags");
    wanted.sort();
    let mut have: Vec<String> = current
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    have.sort();
    if wanted == have {
        return Ok(());
    }
    session
        .put(
            Service::Network,
            &format!("/{}/{id}/tags", kind.plural),
            &json!({ "tags": wanted }),
        )
        .await?;
    Ok(())
}

/// Lists objects matching a query string (`?name=...`).
pub async fn list(session: &Session, kind: Kind, query: &str) -> Result<Vec<Json>, ApiError> {
    let doc = session
        .get(Service::Network, &format!("/{}{query}", kind.plural))
        .await?;
    // The collection's key uses underscores where its URL uses dashes.
    let key = kind.plural.replace('-', "_");
    Ok(doc[key.as_str()].as_array().cloned().unwrap_or_default())
}

/// What an unfinished create of a `kind` object made: the one matching `filters` (query
/// parameters, with the configured values; one not known yet means nobody can tell) that
/// Neutron stamped as created since the create began.
pub async fn find_created(
    session: &Session,
    kind: Kind,
    filters: &[(&str, &Value)],
    since: SystemTime,
    config: &Value,
) -> Result<Found, ApiError> {
    let mut pairs = Vec::new();
    for (parameter, value) in filters {
        match value {
            Value::Null => {}
            Value::String(text) if text.is_empty() => {}
            Value::String(text) => pairs.push((*parameter, Some(text.clone()))),
            _ => {
                return Ok(Found::CannotTell(format!(
                    "its {parameter} is not known yet"
                )));
            }
        }
    }
    if pairs.is_empty() {
        return Ok(Found::CannotTell(format!(
            "a {} without a name cannot be looked for",
            kind.singular
        )));
    }
    let candidates = list(session, kind, &query(&pairs)).await?;
    Ok(made_since(&candidates, "created_at", since, config))
}

/// [`find_created`] of a named object, by its configured name.
pub async fn find_by_name(
    session: &Session,
    kind: Kind,
    config: &Value,
    since: SystemTime,
) -> Result<Found, ApiError> {
    let name = config.get("name");
    find_created(session, kind, &[("name", name)], since, config).await
}

/// The attributes every Neutron resource shares: id, project, tags and value_specs.
pub fn common_attributes() -> Vec<(&'static str, Attribute)> {
    vec![
        (
            "id",
            Attribute::computed(Type::String).describe("The object's UUID."),
        ),
        (
            "tenant_id",
            Attribute::optional_computed(Type::String)
                .force_new()
                .describe("The owning project (admin only when set)."),
        ),
        (
            "tags",
            Attribute::optional(Type::Set(Box::new(Type::String)))
                .describe("Tags the configuration manages."),
        ),
        (
            "all_tags",
            Attribute::computed(Type::Set(Box::new(Type::String)))
                .describe("Every tag on the object, including ones set outside ggplan."),
        ),
        (
            "value_specs",
            Attribute::optional(Type::Map(Box::new(Type::String)))
                .force_new()
                .describe("Extra fields passed to the API verbatim on create."),
        ),
    ]
}

/// The `tenant_id` field of a create body, when configured.
pub fn tenant(planned: &Value) -> Option<(String, Json)> {
    crate::convert::str_attr(planned, "tenant_id").map(|t| ("tenant_id".to_string(), json!(t)))
}

/// The id of the network named `name` (exactly one must match).
pub async fn find_network_id(session: &Session, name: &str) -> Result<String, ApiError> {
    let found = list(
        session,
        NETWORKS,
        &crate::convert::query(&[("name", Some(name.to_string()))]),
    )
    .await?;
    match found.as_slice() {
        [one] => Ok(one["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(ApiError::Lookup(format!("no network is named {name:?}"))),
        _ => Err(ApiError::Lookup(format!(
            "{} networks are named {name:?}: use its id",
            found.len()
        ))),
    }
}

/// The name of the network `id` (`""` when it is gone).
pub async fn network_name(session: &Session, id: &str) -> Result<Value, ApiError> {
    Ok(match show(session, NETWORKS, id).await? {
        Some(network) => crate::convert::text(&network["name"]),
        None => Value::string(""),
    })
}
