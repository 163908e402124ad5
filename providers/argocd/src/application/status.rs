//! What Argo CD's controller writes into an Application (`status`: sync, health, the last
//! operation, conditions), read back into the `status` attribute, and what a wait makes of it:
//! done (Synced and Healthy), still pending, or failed with Argo CD's own message.

use ggplan_sdk::{Type, Value};
use serde_json::Value as Json;

/// The fields of each part of `status`, as argoproj-labs/argocd names them, with Argo CD's.
const SYNC: [(&str, &str); 2] = [("status", "status"), ("revision", "revision")];
const HEALTH: [(&str, &str); 2] = [("status", "status"), ("message", "message")];
const OPERATION: [(&str, &str); 5] = [
    ("phase", "phase"),
    ("message", "message"),
    ("started_at", "startedAt"),
    ("finished_at", "finishedAt"),
    ("retry_count", "retryCount"),
];
const CONDITION: [(&str, &str); 3] = [
    ("type", "type"),
    ("message", "message"),
    ("last_transition_time", "lastTransitionTime"),
];

fn object_type(fields: &[(&str, &str)]) -> Type {
    Type::Object(
        fields
            .iter()
            .map(|(name, _)| (name.to_string(), Type::String))
            .collect(),
    )
}

fn list(ty: Type) -> Type {
    Type::List(Box::new(ty))
}

/// The type of the computed `status` attribute.
pub fn status_type() -> Type {
    let mut sync = object_type(&SYNC);
    if let Type::Object(fields) = &mut sync {
        fields.insert("revisions".into(), list(Type::String));
    }
    list(Type::Object(
        [
            ("sync", list(sync)),
            ("health", list(object_type(&HEALTH))),
            ("operation_state", list(object_type(&OPERATION))),
            ("conditions", list(object_type(&CONDITION))),
            ("reconciled_at", Type::String),
        ]
        .into_iter()
        .map(|(name, ty)| (name.to_string(), ty))
        .collect(),
    ))
}

/// A field's value as a string attribute (Argo CD's retryCount is a number).
fn text(value: Option<&Json>) -> Value {
    match value {
        Some(Json::String(s)) => Value::string(s.clone()),
        Some(Json::Number(n)) => Value::string(n.to_string()),
        _ => Value::Null,
    }
}

fn part(live: Option<&Json>, fields: &[(&str, &str)]) -> Value {
    let object = |json: &Json| {
        Value::object(
            fields
                .iter()
                .map(|(name, field)| (*name, text(json.get(field)))),
        )
    };
    Value::List(
        live.filter(|j| j.is_object())
            .map(object)
            .into_iter()
            .collect(),
    )
}

/// The `status` attribute of an Application as the server has it.
pub fn read(live: &Json) -> Value {
    let Some(status) = live.get("status").filter(|s| s.is_object()) else {
        return Value::List(Vec::new());
    };
    let mut sync = part(status.get("sync"), &SYNC);
    if let Value::List(items) = &mut sync
        && let Some(first) = items.first_mut()
    {
        let revisions = status["sync"]
            .get("revisions")
            .map_or(Value::Null, Value::from_json);
        first.set_attr("revisions", revisions);
    }
    let conditions = status.get("conditions").and_then(Json::as_array);
    let conditions = conditions.into_iter().flatten().flat_map(|condition| {
        part(Some(condition), &CONDITION)
            .as_list()
            .unwrap_or_default()
            .to_vec()
    });
    Value::List(vec![Value::object([
        ("sync", sync),
        ("health", part(status.get("health"), &HEALTH)),
        (
            "operation_state",
            part(status.get("operationState"), &OPERATION),
        ),
        ("conditions", Value::List(conditions.collect())),
        ("reconciled_at", text(status.get("reconciledAt"))),
    ])])
}

/// Where an Application is, for a wait.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Synced and Healthy.
    Done,
    /// Not yet; says what it is now.
    Pending(String),
    /// Argo CD reports a failure, in its own words.
    Failed(String),
}

/// Argo CD's condition types that are errors (ComparisonError, InvalidSpecError, SyncError...).
fn is_error_condition(condition: &Json) -> bool {
    condition["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("Error"))
}

/// The verdict on `live`; `sync_requested`: a sync was asked for, so the wait lasts until
/// the controller has taken the operation and finished it.
pub fn verdict(live: &Json, sync_requested: bool) -> Verdict {
    if sync_requested && live.get("operation").is_some_and(|o| !o.is_null()) {
        return Verdict::Pending("the requested sync has not started".into());
    }
    let status = &live["status"];
    let operation = &status["operationState"];
    let phase = operation["phase"].as_str().unwrap_or("");
    let message = operation["message"].as_str().unwrap_or("");
    match phase {
        "Failed" | "Error" => return Verdict::Failed(format!("the sync {phase}: {message}")),
        "Running" | "Terminating" => return Verdict::Pending(format!("the sync is {phase}")),
        _ => {}
    }
    let conditions = status["conditions"].as_array().into_iter().flatten();
    if let Some(error) = conditions.into_iter().find(|c| is_error_condition(c)) {
        let kind = error["type"].as_str().unwrap_or("");
        return Verdict::Failed(format!(
            "{kind}: {}",
            error["message"].as_str().unwrap_or("")
        ));
    }
    let health = status["health"]["status"].as_str();
    let sync = status["sync"]["status"].as_str();
    match (sync, health) {
        (_, Some("Degraded")) => {
            let why = status["health"]["message"].as_str().unwrap_or("");
            Verdict::Failed(format!("health Degraded: {why}"))
        }
        (Some("Synced"), Some("Healthy")) => Verdict::Done,
        (None, None) => Verdict::Pending("no status from Argo CD's controller yet".into()),
        (sync, health) => Verdict::Pending(format!(
            "sync {}, health {}",
            sync.unwrap_or("unknown"),
            health.unwrap_or("unknown")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app(status: Json) -> Json {
        json!({"status": status})
    }

    #[test]
    fn synced_and_healthy_is_done_and_anything_else_pending() {
        let done = app(json!({"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}));
        assert_eq!(verdict(&done, false), Verdict::Done);
        let progressing =
            app(json!({"sync": {"status": "Synced"}, "health": {"status": "Progressing"}}));
        assert_eq!(
            verdict(&progressing, false),
            Verdict::Pending("sync Synced, health Progressing".into())
        );
        assert!(matches!(
            verdict(&app(json!(null)), false),
            Verdict::Pending(_)
        ));
        let mut requested = done.clone();
        requested["operation"] = json!({"sync": {}});
        assert!(matches!(verdict(&requested, true), Verdict::Pending(_)));
        assert_eq!(verdict(&requested, false), Verdict::Done);
    }

    #[test]
    fn failures_carry_argo_cds_own_message() {
        let degraded = app(json!({"sync": {"status": "Synced"},
            "health": {"status": "Degraded", "message": "Deployment exceeded its progress deadline"}}));
        assert_eq!(
            verdict(&degraded, false),
            Verdict::Failed("health Degraded: Deployment exceeded its progress deadline".into())
        );
        let failed = app(json!({"operationState": {"phase": "Failed",
            "message": "one or more objects failed to apply"}}));
        assert_eq!(
            verdict(&failed, true),
            Verdict::Failed("the sync Failed: one or more objects failed to apply".into())
        );
        let invalid = app(json!({"conditions": [{"type": "InvalidSpecError",
            "message": "application destination server is invalid"}]}));
        assert_eq!(
            verdict(&invalid, false),
            Verdict::Failed("InvalidSpecError: application destination server is invalid".into())
        );
    }

    #[test]
    fn status_reads_back_with_argoproj_labs_names() {
        let live = app(json!({"sync": {"status": "Synced", "revision": "abc"},
            "health": {"status": "Healthy"},
            "operationState": {"phase": "Succeeded", "retryCount": 0}}));
        let status = read(&live);
        let first = &status.as_list().unwrap()[0];
        assert_eq!(
            first.get("sync").as_list().unwrap()[0]
                .get("revision")
                .as_str(),
            Some("abc")
        );
        let operation = &first.get("operation_state").as_list().unwrap()[0];
        assert_eq!(operation.get("retry_count").as_str(), Some("0"));
        assert!(first.get("conditions").as_list().unwrap().is_empty());
    }
}
