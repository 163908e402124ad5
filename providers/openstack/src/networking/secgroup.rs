//! `openstack_networking_secgroup_v2` and `openstack_networking_secgroup_rule_v2`.

use super::canonical;
use super::{
    SECURITY_GROUP_RULES, SECURITY_GROUPS, common_attributes, create, delete, show,
    tag_and_read_back, tenant, update_with_tags,
};
use crate::OpenStack;
use crate::convert::{changed_fields, fields, flag, int_attr, number, str_attr, text};
use crate::error::ApiError;
use crate::resource::{id_stub, keep, read_back, set_tags, with_id};
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostics, PlanRequest, Schema, Type, Value};
use serde_json::Value as Json;

const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("stateful", "stateful"),
];

pub struct Secgroup;

/// The state of a security group from its API object.
pub fn secgroup_state(api: &Json, prior: &Value) -> Value {
    let mut state = Value::object([
        ("id", text(&api["id"])),
        ("name", text(&api["name"])),
        ("description", text(&api["description"])),
        ("stateful", flag(&api["stateful"])),
        ("tenant_id", text(&api["tenant_id"])),
    ]);
    keep(&mut state, prior, &["delete_default_rules", "value_specs"]);
    set_tags(&mut state, &api["tags"], prior);
    state
}

#[async_trait]
impl ResourceType<OpenStack> for Secgroup {
    fn name(&self) -> &'static str {
        "openstack_networking_secgroup_v2"
    }

    fn schema(&self) -> Schema {
        let mut attributes = common_attributes();
        attributes.extend([
            ("name", Attribute::required(Type::String)),
            ("description", Attribute::optional_computed(Type::String)),
            ("stateful", Attribute::optional_computed(Type::Bool)),
            (
                "delete_default_rules",
                Attribute::optional(Type::Bool)
                    .force_new()
                    .describe("Delete the egress rules Neutron adds to a new group."),
            ),
        ]);
        Schema::new("A Neutron security group.", attributes)
    }

    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[("all_tags", &["tags"])]
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        Ok(show(session, SECURITY_GROUPS, id)
            .await?
            .map(|api| secgroup_state(&api, state)))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = fields(planned, FIELDS);
        body.extend(tenant(planned));
        let api = create(session, SECURITY_GROUPS, body, planned).await?;
        let state = secgroup_state(&api, planned);
        if planned.get("delete_default_rules").as_bool() == Some(true) {
            for rule in api["security_group_rules"].as_array().into_iter().flatten() {
                let rule_id = rule["id"].as_str().unwrap_or_default();
                if let Err(e) = delete(session, SECURITY_GROUP_RULES, rule_id).await {
                    return Err(Partial::left(state, e));
                }
            }
        }
        tag_and_read_back(self, session, SECURITY_GROUPS, &api, planned, state).await
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
            SECURITY_GROUPS,
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
        super::find_by_name(session, super::SECURITY_GROUPS, config, since).await
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(
            session,
            SECURITY_GROUPS,
            prior.get("id").as_str().unwrap_or_default(),
        )
        .await
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        id_stub(id)
    }
}

/// One rule of a security group; every attribute is force-new.
pub struct SecgroupRule;

const RULE_FIELDS: &[(&str, &str)] = &[
    ("direction", "direction"),
    ("ethertype", "ethertype"),
    ("protocol", "protocol"),
    ("port_range_min", "port_range_min"),
    ("port_range_max", "port_range_max"),
    ("remote_ip_prefix", "remote_ip_prefix"),
    ("remote_group_id", "remote_group_id"),
    ("security_group_id", "security_group_id"),
    ("description", "description"),
];

fn rule_state(api: &Json) -> Value {
    Value::object([
        ("id", text(&api["id"])),
        ("direction", text(&api["direction"])),
        ("ethertype", text(&api["ethertype"])),
        ("protocol", text(&api["protocol"])),
        ("port_range_min", number(&api["port_range_min"])),
        ("port_range_max", number(&api["port_range_max"])),
        ("remote_ip_prefix", text(&api["remote_ip_prefix"])),
        ("remote_group_id", text(&api["remote_group_id"])),
        ("security_group_id", text(&api["security_group_id"])),
        ("description", text(&api["description"])),
        ("tenant_id", text(&api["tenant_id"])),
    ])
}

/// The attributes of `planned` that say what `prior` says, in another spelling.
fn equivalent_fields(prior: &Value, planned: &Value) -> Vec<&'static str> {
    let both = |name| (str_attr(planned, name), str_attr(prior, name));
    let mut same = Vec::new();
    let ethertypes = both("ethertype");
    if let (Some(new), Some(old)) = ethertypes
        && new.eq_ignore_ascii_case(old)
    {
        same.push("ethertype");
    }
    let (new_ether, old_ether) = (
        ethertypes.0.unwrap_or_default(),
        ethertypes.1.unwrap_or_default(),
    );
    // An unset protocol reads back as "": `str_attr` treats that as unset, so compare text.
    let protocols = (
        planned.get("protocol").as_str(),
        prior.get("protocol").as_str(),
    );
    if let (Some(new), Some(old)) = protocols
        && canonical::protocol(new, new_ether) == canonical::protocol(old, old_ether)
    {
        same.push("protocol");
    }
    if let (Some(new), Some(old)) = both("remote_ip_prefix")
        && canonical::cidr(new).is_some_and(|c| canonical::cidr(old) == Some(c))
    {
        same.push("remote_ip_prefix");
    }
    let range = |value| {
        Some((
            int_attr(value, "port_range_min")?,
            int_attr(value, "port_range_max")?,
        ))
    };
    if let (Some(new), Some(old)) = (range(planned), range(prior))
        && canonical::port_range(new.0, new.1) == canonical::port_range(old.0, old.1)
    {
        same.extend(["port_range_min", "port_range_max"]);
    }
    same
}

/// Keeps the prior value of each attribute `planned` spells another way: the service stores
/// its own spelling (`2001:DB8::/32` is `2001:db8::/32`), which must plan no replacement.
fn keep_prior_spelling(prior: &Value, planned: &mut Value) {
    for name in equivalent_fields(prior, planned) {
        planned.set_attr(name, prior.get(name).clone());
    }
}

#[async_trait]
impl ResourceType<OpenStack> for SecgroupRule {
    fn name(&self) -> &'static str {
        "openstack_networking_secgroup_rule_v2"
    }

    fn schema(&self) -> Schema {
        let optional = |ty| Attribute::optional_computed(ty).force_new();
        Schema::new(
            "A rule of a Neutron security group.",
            [
                ("id", Attribute::computed(Type::String)),
                (
                    "direction",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("ingress or egress"),
                ),
                (
                    "ethertype",
                    Attribute::required(Type::String)
                        .force_new()
                        .describe("IPv4 or IPv6"),
                ),
                ("protocol", optional(Type::String)),
                ("port_range_min", optional(Type::Number)),
                ("port_range_max", optional(Type::Number)),
                ("remote_ip_prefix", optional(Type::String)),
                ("remote_group_id", optional(Type::String)),
                (
                    "security_group_id",
                    Attribute::required(Type::String).force_new(),
                ),
                ("description", Attribute::optional(Type::String).force_new()),
                ("tenant_id", optional(Type::String)),
            ],
        )
    }

    async fn modify_plan(
        &self,
        _session: &Session,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, ApiError> {
        if let Some(prior) = request.prior {
            keep_prior_spelling(prior, planned);
        }
        Ok(Vec::new())
    }

    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        let Some(api) = show(session, SECURITY_GROUP_RULES, id).await? else {
            return Ok(None);
        };
        let mut fresh = rule_state(&api);
        // An unset description reads back as "": keep null so that no drift shows.
        if state.get("description").is_null()
            && api["description"].as_str().unwrap_or("").is_empty()
        {
            keep(&mut fresh, state, &["description"]);
        }
        Ok(Some(fresh))
    }

    async fn create(
        &self,
        session: &Session,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        let mut body = fields(planned, RULE_FIELDS);
        body.extend(tenant(planned));
        let api = create(session, SECURITY_GROUP_RULES, body, planned).await?;
        read_back(
            self,
            session,
            with_id(planned, api["id"].as_str().unwrap_or_default()),
        )
        .await
    }

    async fn update(
        &self,
        _session: &Session,
        _prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<ApiError>> {
        // Every attribute is force-new: an update only ever restates the same rule.
        Ok(planned.clone())
    }

    async fn delete(
        &self,
        session: &Session,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), ApiError> {
        delete(
            session,
            SECURITY_GROUP_RULES,
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

    fn rule(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().cloned())
    }

    #[test]
    fn another_spelling_of_the_stored_rule_keeps_the_prior_values() {
        let prior = rule(&[
            ("ethertype", Value::string("IPv6")),
            ("protocol", Value::string("ipv6-icmp")),
            ("remote_ip_prefix", Value::string("2001:db8::/32")),
            ("port_range_min", Value::int(0)),
            ("port_range_max", Value::int(0)),
        ]);
        let mut planned = rule(&[
            ("ethertype", Value::string("ipv6")),
            ("protocol", Value::string("icmp")),
            ("remote_ip_prefix", Value::string("2001:DB8:0::/32")),
            ("port_range_min", Value::int(1)),
            ("port_range_max", Value::int(65535)),
        ]);
        keep_prior_spelling(&prior, &mut planned);
        assert_eq!(planned, prior);
    }

    #[test]
    fn a_different_rule_is_left_to_be_replaced() {
        let prior = rule(&[
            ("ethertype", Value::string("IPv4")),
            ("protocol", Value::string("tcp")),
            ("remote_ip_prefix", Value::string("10.0.0.0/16")),
            ("port_range_min", Value::int(22)),
            ("port_range_max", Value::int(22)),
        ]);
        let planned = rule(&[
            ("ethertype", Value::string("IPv4")),
            ("protocol", Value::string("udp")),
            ("remote_ip_prefix", Value::string("10.1.0.0/16")),
            ("port_range_min", Value::int(22)),
            ("port_range_max", Value::int(23)),
        ]);
        let mut kept = planned.clone();
        keep_prior_spelling(&prior, &mut kept);
        assert_eq!(kept, planned);
        let any = rule(&[("protocol", Value::string("any"))]);
        let mut kept = any.clone();
        let prior = rule(&[("protocol", Value::string(""))]);
        keep_prior_spelling(&prior, &mut kept);
        assert_eq!(kept.get("protocol"), &Value::string(""));
    }
}
