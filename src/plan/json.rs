//! A plan's changes as JSON in the shapes of `terraform show -json` (format 1.2), and back:
//! the codec that plan documents (`render::json`) and saved plan files (`planfile`) share.
//!
//! A value is written as three trees, as Terraform does: the value itself (unknown object
//! attributes omitted, unknown list elements `null`), `*_unknown` (`true` where a value is
//! known only after apply) and `*_sensitive` (`true` where it is secret). With
//! [`Secrets::Redact`] every secret becomes `null` in the value tree, which Terraform does not
//! do: nothing ggplan prints for machines holds a secret. Saved plan files use
//! [`Secrets::Keep`], and [`decode`] turns the three trees back into the value.

use super::{Action, ActionReason, OutputChange, ResourceChange};
use crate::address::{InstanceAddr, InstanceKey};
use ggplan_sdk::{ResourceKind, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// Whether secret values are written out (saved plan files) or replaced by `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Redact,
    Keep,
}

/// A value as JSON: unknown object attributes omitted, other unknowns `null`, and secrets
/// `null` unless kept.
pub fn value(v: &Value, secrets: Secrets) -> Json {
    match v {
        Value::Unknown | Value::Null => Json::Null,
        Value::Sensitive(_) if secrets == Secrets::Redact => Json::Null,
        Value::Sensitive(inner) => value(inner, secrets),
        Value::List(items) => Json::Array(items.iter().map(|i| value(i, secrets)).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .filter(|(_, v)| !v.is_unknown())
                .map(|(k, v)| (k.clone(), value(v, secrets)))
                .collect(),
        ),
        known => known.to_json().unwrap_or(Json::Null),
    }
}

/// Terraform's `after_unknown` tree: `true` at unknown values, `false` at wholly known ones,
/// and lists and objects holding unknowns element by element (objects with only their
/// non-`false` entries).
pub fn unknown_tree(v: &Value) -> Json {
    if v.is_wholly_known() {
        return Json::Bool(false);
    }
    match v {
        Value::Unknown => Json::Bool(true),
        Value::Sensitive(inner) => unknown_tree(inner),
        Value::List(items) => Json::Array(items.iter().map(unknown_tree).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), unknown_tree(v)))
                .filter(|(_, t)| *t != Json::Bool(false))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

/// Terraform's `*_sensitive` tree: `true` at secret values, lists element by element, objects
/// with only their non-`false` entries.
pub fn sensitive_tree(v: &Value) -> Json {
    match v {
        Value::Sensitive(_) => Json::Bool(true),
        Value::List(items) => Json::Array(items.iter().map(sensitive_tree).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), sensitive_tree(v)))
                .filter(|(_, t)| *t != Json::Bool(false))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

/// The value the three trees describe (the inverse of [`value`] with [`Secrets::Keep`],
/// [`unknown_tree`] and [`sensitive_tree`]).
pub fn decode(value: &Json, unknown: &Json, sensitive: &Json) -> Value {
    let decoded = if *unknown == Json::Bool(true) {
        Value::Unknown
    } else {
        match value {
            Json::Array(items) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        decode(
                            item,
                            unknown.get(i).unwrap_or(&Json::Null),
                            sensitive.get(i).unwrap_or(&Json::Null),
                        )
                    })
                    .collect(),
            ),
            Json::Object(map) => {
                let mut out: BTreeMap<String, Value> = map
                    .iter()
                    .map(|(k, v)| {
                        let u = unknown.get(k).unwrap_or(&Json::Null);
                        let s = sensitive.get(k).unwrap_or(&Json::Null);
                        (k.clone(), decode(v, u, s))
                    })
                    .collect();
                // Unknown attributes are omitted from the value tree.
                if let Some(tree) = unknown.as_object() {
                    for (k, u) in tree {
                        if *u == Json::Bool(true) && !out.contains_key(k) {
                            let s = sensitive.get(k).unwrap_or(&Json::Null);
                            out.insert(k.clone(), decode(&Json::Null, u, s));
                        }
                    }
                }
                Value::Map(out)
            }
            other => Value::from_json(other),
        }
    };
    if *sensitive == Json::Bool(true) {
        decoded.into_sensitive()
    } else {
        decoded
    }
}

/// Terraform's `actions` list for an action.
pub fn actions(action: Action) -> Json {
    json!(match action {
        Action::NoOp => vec!["no-op"],
        Action::Create => vec!["create"],
        Action::Read => vec!["read"],
        Action::Update => vec!["update"],
        Action::DeleteThenCreate => vec!["delete", "create"],
        Action::CreateThenDelete => vec!["create", "delete"],
        Action::Delete => vec!["delete"],
        Action::Forget => vec!["forget"],
    })
}

/// The action an `actions` list names.
pub fn action_of(actions: &Json) -> Option<Action> {
    let names: Vec<&str> = actions
        .as_array()?
        .iter()
        .filter_map(Json::as_str)
        .collect();
    Some(match names.as_slice() {
        ["no-op"] => Action::NoOp,
        ["create"] => Action::Create,
        ["read"] => Action::Read,
        ["update"] => Action::Update,
        ["delete", "create"] => Action::DeleteThenCreate,
        ["forget"] => Action::Forget,
        ["create", "delete"] => Action::CreateThenDelete,
        ["delete"] => Action::Delete,
        _ => return None,
    })
}

const REASONS: [(ActionReason, &str); 11] = [
    (
        ActionReason::NoResourceConfig,
        "delete_because_no_resource_config",
    ),
    (
        ActionReason::CountIndexOutOfRange,
        "delete_because_count_index",
    ),
    (ActionReason::EachKeyGone, "delete_because_each_key"),
    (
        ActionReason::WrongRepetition,
        "delete_because_wrong_repetition",
    ),
    (ActionReason::ReplaceByRequest, "replace_by_request"),
    (ActionReason::ReplaceByTriggers, "replace_by_triggers"),
    (
        ActionReason::ReplaceBecauseCannotUpdate,
        "replace_because_cannot_update",
    ),
    (
        ActionReason::ReplaceBecauseTainted,
        "replace_because_tainted",
    ),
    (
        ActionReason::ReadBecauseConfigUnknown,
        "read_because_config_unknown",
    ),
    (
        ActionReason::ReadBecauseDependencyPending,
        "read_because_dependency_pending",
    ),
    (
        ActionReason::ReadBecauseCheckNested,
        "read_because_check_nested",
    ),
];

/// Terraform's `action_reason` for a reason.
pub fn reason_name(reason: &ActionReason) -> &'static str {
    REASONS
        .iter()
        .find(|(r, _)| r == reason)
        .map_or("", |(_, name)| name)
}

/// The reason an `action_reason` names.
pub fn reason_of(name: &str) -> Option<ActionReason> {
    REASONS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(r, _)| r.clone())
}

/// `address`, `mode`, `type`, `name` and (for repeated resources) `index`.
pub fn address_fields(addr: &InstanceAddr) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("address".into(), json!(addr.to_string()));
    let mode = match addr.resource.kind {
        ResourceKind::Managed => "managed",
        ResourceKind::Data => "data",
    };
    out.insert("mode".into(), json!(mode));
    out.insert("type".into(), json!(addr.resource.type_name));
    out.insert("name".into(), json!(addr.resource.name));
    match &addr.key {
        Some(InstanceKey::Int(i)) => out.insert("index".into(), json!(i)),
        Some(InstanceKey::Str(s)) => out.insert("index".into(), json!(s)),
        None => None,
    };
    out
}

/// The `change` object of one side pair: `before`, `after`, and their trees. As in Terraform,
/// a missing side is `null` with `false` trees, except that a deleted object's
/// `after_unknown` is `{}`; a wholly unknown `after` is left out.
fn change_object(
    action: Action,
    before: Option<&Value>,
    after: Option<&Value>,
    secrets: Secrets,
) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("actions".into(), actions(action));
    out.insert(
        "before".into(),
        before.map_or(Json::Null, |v| value(v, secrets)),
    );
    match after {
        Some(v) if v.is_unknown() => {}
        Some(v) => {
            out.insert("after".into(), value(v, secrets));
        }
        None => {
            out.insert("after".into(), Json::Null);
        }
    }
    out.insert(
        "after_unknown".into(),
        after.map_or(json!({}), unknown_tree),
    );
    out.insert(
        "before_sensitive".into(),
        before.map_or(Json::Bool(false), sensitive_tree),
    );
    out.insert(
        "after_sensitive".into(),
        after.map_or(Json::Bool(false), sensitive_tree),
    );
    out
}

/// One entry of `resource_changes` (or `resource_drift`), with the provider configuration as
/// `provider_name` (`random.eu`: what a saved plan needs to read the change back).
pub fn resource_change(c: &ResourceChange, secrets: Secrets) -> Map<String, Json> {
    let mut out = address_fields(&c.addr);
    if let Some(from) = &c.moved_from {
        out.insert("previous_address".into(), json!(from.to_string()));
    }
    if let Some(key) = &c.deposed {
        out.insert("deposed".into(), json!(key));
    }
    out.insert("provider_name".into(), json!(c.provider));
    let mut change = change_object(c.action, c.before.as_ref(), c.after.as_ref(), secrets);
    // An object known in full has no unknown attributes: `{}`, as Terraform writes it.
    if change["after_unknown"] == Json::Bool(false) {
        change.insert("after_unknown".into(), json!({}));
    }
    if !c.replace_paths.is_empty() {
        change.insert("replace_paths".into(), json!(c.replace_paths));
    }
    if let Some(id) = &c.importing {
        change.insert("importing".into(), json!({ "id": id }));
    }
    out.insert("change".into(), Json::Object(change));
    if let Some(reason) = &c.reason {
        out.insert("action_reason".into(), json!(reason_name(reason)));
    }
    out
}

/// One entry of `output_changes`. A sensitive output is secret as a whole.
pub fn output_change(c: &OutputChange, secrets: Secrets) -> Json {
    let mark = |v: &Value| {
        if c.sensitive {
            v.clone().into_sensitive()
        } else {
            v.clone()
        }
    };
    let before = c.before.as_ref().map(mark);
    let after = c.after.as_ref().map(mark);
    let mut change = change_object(c.action, before.as_ref(), after.as_ref(), secrets);
    // An output is one value: its missing side has no attributes to be unknown.
    if after.is_none() {
        change.insert("after_unknown".into(), Json::Bool(false));
    }
    // A sensitive output's sides are secret even where one is missing (a create's `before`),
    // as Terraform writes them.
    if c.sensitive {
        change.insert("before_sensitive".into(), Json::Bool(true));
        change.insert("after_sensitive".into(), Json::Bool(true));
    }
    Json::Object(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        Value::object([
            ("id", Value::Unknown),
            ("name", Value::string("a")),
            ("nul", Value::Null),
            (
                "list",
                Value::List(vec![Value::string("x"), Value::Unknown]),
            ),
            ("secret", Value::string("hunter2").into_sensitive()),
            ("pending_secret", Value::Unknown.into_sensitive()),
            ("nested", Value::object([("k", Value::int(1))])),
        ])
    }

    #[test]
    fn three_trees_as_terraform_writes_them() {
        let v = sample();
        assert_eq!(
            value(&v, Secrets::Redact),
            json!({"list": ["x", null], "name": "a", "nested": {"k": 1}, "nul": null, "secret": null})
        );
        assert_eq!(value(&v, Secrets::Keep)["secret"], json!("hunter2"));
        assert_eq!(
            unknown_tree(&v),
            json!({"id": true, "list": [false, true], "pending_secret": true})
        );
        assert_eq!(
            sensitive_tree(&v),
            json!({"list": [false, false], "nested": {}, "pending_secret": true, "secret": true})
        );
    }

    #[test]
    fn decode_inverts_the_kept_trees() {
        let v = sample();
        let back = decode(
            &value(&v, Secrets::Keep),
            &unknown_tree(&v),
            &sensitive_tree(&v),
        );
        assert_eq!(back, v);
    }

    #[test]
    fn actions_and_reasons_round_trip() {
        for action in [
            Action::NoOp,
            Action::Create,
            Action::Read,
            Action::Update,
            Action::DeleteThenCreate,
            Action::CreateThenDelete,
            Action::Delete,
        ] {
            assert_eq!(action_of(&actions(action)), Some(action));
        }
        for (reason, name) in &REASONS {
            assert_eq!(reason_of(name).as_ref(), Some(reason));
        }
    }

    #[test]
    fn a_deleted_object_has_empty_after_unknown() {
        let c = ResourceChange {
            addr: InstanceAddr::parse("terraform_data.e[0]").unwrap(),
            provider: crate::address::ProviderAddr::default_of("terraform"),
            action: Action::Delete,
            before: Some(Value::object([("input", Value::string("e"))])),
            after: None,
            replace_paths: vec![],
            reason: Some(ActionReason::WrongRepetition),
            deposed: None,
            planned_without_provider: false,
            moved_from: None,
            importing: None,
            generated_config: None,
        };
        // As `terraform show -json` printed it for the same change (Terraform 1.15.5).
        assert_eq!(
            Json::Object(resource_change(&c, Secrets::Redact)),
            json!({
                "address": "terraform_data.e[0]", "mode": "managed", "type": "terraform_data",
                "name": "e", "index": 0, "provider_name": "terraform",
                "change": {
                    "actions": ["delete"], "before": {"input": "e"}, "after": null,
                    "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false
                },
                "action_reason": "delete_because_wrong_repetition"
            })
        );
    }
}
