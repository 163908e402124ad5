//! What the provider's resource types share beyond the typed layer: the read-back after a
//! write, the id of a new object, the attributes only the configuration knows, tags, what an
//! unfinished create made, and the import stub of a type addressed by id.

use crate::OpenStack;
use crate::error::ApiError;
use crate::session::Session;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{Diagnostics, Found, Value};
use std::time::SystemTime;

/// Reads `state` back after a create or update; when the read fails, `state` (which holds the
/// object's id) is what the engine records.
pub async fn read_back(
    resource: &dyn ResourceType<OpenStack>,
    session: &Session,
    state: Value,
) -> Result<Value, Partial<ApiError>> {
    match resource.read(session, &state).await {
        Ok(Some(fresh)) => Ok(fresh),
        Ok(None) => Err(Partial::from(ApiError::Failed(
            "the object disappeared right after it was written (deleted by someone else?)".into(),
        ))),
        Err(e) => Err(Partial::left(state, e)),
    }
}

/// `planned` with the id of the object it describes (the engine plans ids as unknown).
pub fn with_id(planned: &Value, id: &str) -> Value {
    let mut state = planned.clone();
    state.set_attr("id", Value::string(id));
    state
}

/// Copies the attributes only the configuration knows (the service does not return them) from
/// `prior` into a freshly read state.
pub fn keep(state: &mut Value, prior: &Value, names: &[&str]) {
    for name in names {
        state.set_attr(name, prior.get(name).clone());
    }
}

/// Sets `tags` and `all_tags` from the service's tags: `all_tags` is everything; `tags` is
/// what the configuration manages (null when it manages none, so unmanaged tags are no drift).
pub fn set_tags(state: &mut Value, api_tags: &serde_json::Value, prior: &Value) {
    let all = crate::convert::string_set(api_tags);
    let managed = if prior.get("tags").is_null() {
        Value::Null
    } else {
        all.clone()
    };
    state.set_attr("tags", managed);
    state.set_attr("all_tags", all);
}

/// What a listing of candidates tells of an unfinished create: the one object made since
/// `since` (by the service's `stamp` field, RFC 3339) is the create's, as a state with its id
/// for [`ResourceType::read`]; none means the create made nothing; several, that nobody can
/// tell which.
pub fn made_since(
    candidates: &[serde_json::Value],
    stamp: &str,
    since: SystemTime,
    config: &Value,
) -> Found {
    let since: chrono::DateTime<chrono::Utc> = since.into();
    let mut made = Vec::new();
    for candidate in candidates {
        let Some(at) = candidate[stamp].as_str().and_then(parse_stamp) else {
            return Found::CannotTell(format!("the service gives no {stamp} time"));
        };
        if let (true, Some(id)) = (at >= since, candidate["id"].as_str()) {
            made.push(id);
        }
    }
    match made.as_slice() {
        [] => Found::Nothing,
        [id] => Found::Object(with_id(config, id)),
        several => Found::CannotTell(format!(
            "{} matching objects were made since the create began: {}",
            several.len(),
            several.join(", ")
        )),
    }
}

/// A service's timestamp: RFC 3339, or Nova's and Neutron's older form without a zone (UTC).
fn parse_stamp(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|at| at.and_utc())
}

/// The import stub of a type whose import id is the object's id: all its read needs.
pub fn id_stub(id: &str) -> Result<Value, Diagnostics> {
    Ok(Value::object([("id", Value::string(id))]))
}

/// The planned state of `resource` the typed layer's shared rules give, before its
/// `modify_plan`, for the proposed state the engine would pass.
#[cfg(test)]
pub fn planned_by_rules(
    resource: &dyn ResourceType<OpenStack>,
    prior: Option<&Value>,
    config: &Value,
) -> Value {
    let schema = resource.schema();
    let proposed = ggplan_sdk::objchange::proposed_new(&schema, prior, config);
    ggplan_sdk::typed::plan_with_rules(resource, &schema, prior, config, &proposed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unfinished_create_made_the_one_object_stamped_since_it_began() {
        let since = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_650_000);
        let config = Value::object([("name", Value::string("n"))]);
        let old = json!({"id": "old", "created_at": "2026-12-07T13:00:00Z"});
        let new = json!({"id": "new", "created_at": "2026-12-07T14:00:00Z"});
        let nova = json!({"id": "nova", "created": "2026-12-07T14:00:00"});
        assert_eq!(
            made_since(std::slice::from_ref(&old), "created_at", since, &config),
            Found::Nothing
        );
        assert_eq!(
            made_since(&[old.clone(), new.clone()], "created_at", since, &config),
            Found::Object(with_id(&config, "new"))
        );
        assert_eq!(
            made_since(&[nova], "created", since, &config),
            Found::Object(with_id(&config, "nova"))
        );
        let twice = made_since(&[new.clone(), new], "created_at", since, &config);
        assert!(matches!(twice, Found::CannotTell(_)), "{twice:?}");
        let unstamped = made_since(&[json!({"id": "x"})], "created_at", since, &config);
        assert!(matches!(unstamped, Found::CannotTell(_)), "{unstamped:?}");
    }

    #[test]
    fn kept_attributes_and_tags_follow_the_prior_state() {
        let prior = Value::object([
            ("user_data", Value::string("#!/bin/sh")),
            ("tags", Value::List(vec![Value::string("a")])),
        ]);
        let mut state = with_id(&Value::object([("name", Value::string("n"))]), "i-1");
        keep(&mut state, &prior, &["user_data", "value_specs"]);
        set_tags(&mut state, &json!(["b", "a"]), &prior);
        let tags = Value::List(vec![Value::string("a"), Value::string("b")]);
        let expected = Value::object([
            ("id", Value::string("i-1")),
            ("name", Value::string("n")),
            ("user_data", Value::string("#!/bin/sh")),
            ("value_specs", Value::Null),
            ("tags", tags.clone()),
            ("all_tags", tags.clone()),
        ]);
        assert_eq!(state, expected);
        // A configuration without tags manages none: the service's tags are no drift.
        set_tags(&mut state, &json!(["b", "a"]), &Value::Null);
        assert_eq!(state.get("tags"), &Value::Null);
        assert_eq!(state.get("all_tags"), &tags);
    }
}
