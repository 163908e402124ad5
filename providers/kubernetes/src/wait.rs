//! Waiting for objects: the `wait` block (`rollout`, `condition`, `fields`) after a create or
//! update, an object's disappearance after a delete, and the `timeouts` block that bounds
//! both.

use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::field_path::FieldPath;
use crate::object::{Identity, ObjectRef};
use ggplan_sdk::{AttrPath, Value};
use serde_json::Value as Json;
use std::time::Duration;

/// How long a create, update or delete may wait, by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(500);
/// The kinds that roll out (those `kubectl rollout status` follows).
const ROLLOUT_KINDS: [&str; 3] = ["Deployment", "StatefulSet", "DaemonSet"];

/// What a `wait` block asks for.
#[derive(Debug, Clone, Default)]
pub struct Wait {
    rollout: bool,
    /// `(type, status)` of conditions that must all hold.
    conditions: Vec<(String, String)>,
    /// Fields whose value (as text) must match a regular expression (`*`: any value).
    fields: Vec<(String, FieldPath, regex::Regex)>,
}

impl Wait {
    /// The `wait` block of a configuration or state; `None` when there is none (or it asks
    /// for nothing).
    pub fn of(value: &Value) -> Result<Option<Wait>, KubeError> {
        let block = value.get("wait");
        if block.is_null() {
            return Ok(None);
        }
        let at = |name: &str| AttrPath::attr("wait").key(name);
        let mut wait = Wait {
            rollout: block.get("rollout").as_bool() == Some(true),
            ..Wait::default()
        };
        for condition in block.get("condition").as_list().unwrap_or_default() {
            let text = |name| condition.get(name).as_str().unwrap_or_default().to_string();
            wait.conditions.push((text("type"), text("status")));
        }
        for (path, pattern) in block.get("fields").as_map().into_iter().flatten() {
            let field = FieldPath::parse(path).map_err(|e| KubeError::invalid(at("fields"), e))?;
            // `*` is hashicorp/kubernetes's "any value".
            let pattern = match pattern.as_str().unwrap_or_default() {
                "*" => ".*",
                other => other,
            };
            let regex = regex::Regex::new(pattern).map_err(|e| {
                KubeError::invalid(
                    at("fields").key(path),
                    format!("bad regular expression: {e}"),
                )
            })?;
            wait.fields.push((path.clone(), field, regex));
        }
        let asks = wait.rollout || !wait.conditions.is_empty() || !wait.fields.is_empty();
        Ok(asks.then_some(wait))
    }

    /// Refuses a rollout wait on a kind that has no rollout: it could only time out, after
    /// the whole timeout, with the object long applied.
    pub fn check_kind(&self, kind: &str) -> Result<(), KubeError> {
        if !self.rollout || ROLLOUT_KINDS.contains(&kind) {
            return Ok(());
        }
        Err(KubeError::invalid(
            AttrPath::attr("wait").key("rollout"),
            format!(
                "{kind} objects have no rollout to wait for (only {} have one): remove \
                 rollout, or wait for a condition or fields instead",
                ROLLOUT_KINDS.join(", ")
            ),
        ))
    }

    /// What is still missing in `object`, or `None` when everything asked for holds.
    pub fn missing(&self, object: &Json) -> Option<String> {
        if self.rollout
            && let Some(why) = rollout_pending(object)
        {
            return Some(why);
        }
        for (kind, status) in &self.conditions {
            if !has_condition(object, kind, status) {
                return Some(format!("condition {kind}={status}"));
            }
        }
        for (text, path, regex) in &self.fields {
            let value = path.get(object).map(|v| match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            });
            if !value.is_some_and(|v| regex.is_match(&v)) {
                return Some(format!("field {text} to match {}", regex.as_str()));
            }
        }
        None
    }
}

/// Why the rollout of a Deployment, StatefulSet or DaemonSet is not complete yet (the checks
/// of `kubectl rollout status`), or `None` when it is; other kinds have no rollout.
fn rollout_pending(object: &Json) -> Option<String> {
    let number = |path: &str| {
        FieldPath::parse(path)
            .ok()
            .and_then(|p| p.get(object).and_then(Json::as_i64))
            .unwrap_or(0)
    };
    let kind = object
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or_default();
    if number("status.observedGeneration") < number("metadata.generation") {
        return Some("the controller to see the new generation".into());
    }
    let (wanted, done) = match kind {
        "Deployment" | "StatefulSet" => {
            let replicas = FieldPath::parse("spec.replicas")
                .ok()
                .and_then(|p| p.get(object).and_then(Json::as_i64))
                .unwrap_or(1);
            let ready = if kind == "Deployment" {
                "status.availableReplicas"
            } else {
                "status.readyReplicas"
            };
            (
                replicas,
                number("status.updatedReplicas").min(number(ready)),
            )
        }
        "DaemonSet" => (
            number("status.desiredNumberScheduled"),
            number("status.updatedNumberScheduled").min(number("status.numberAvailable")),
        ),
        other => return Some(format!("a rollout, which {other} objects do not have")),
    };
    (done < wanted).then(|| format!("the rollout: {done} of {wanted} replicas updated and ready"))
}

fn has_condition(object: &Json, kind: &str, status: &str) -> bool {
    let conditions = object
        .get("status")
        .and_then(|s| s.get("conditions"))
        .and_then(Json::as_array);
    conditions.into_iter().flatten().any(|c| {
        c.get("type").and_then(Json::as_str) == Some(kind)
            && c.get("status").and_then(Json::as_str) == Some(status)
    })
}

/// The `timeouts` block's value for `operation` (`create`, `update`, `delete`), or the
/// default.
pub fn timeout(value: &Value, operation: &str) -> Result<Duration, KubeError> {
    timeout_or(value, operation, DEFAULT_TIMEOUT)
}

/// [`timeout`] for a type whose `operation` waits `default` unless told otherwise
/// (hashicorp/kubernetes gives each type its own).
pub fn timeout_or(
    value: &Value,
    operation: &str,
    default: Duration,
) -> Result<Duration, KubeError> {
    match value.get("timeouts").get(operation).as_str() {
        None => Ok(default),
        Some(text) => parse_duration(text).ok_or_else(|| {
            KubeError::invalid(
                AttrPath::attr("timeouts").key(operation),
                format!(
                    "{text:?} is not a duration: write it as Terraform does, e.g. 30s, 10m, 1h30m"
                ),
            )
        }),
    }
}

/// A Go-style duration: numbers with units h, m, s (and ms).
fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "h" => Duration::from_secs(3600),
            "m" => Duration::from_secs(60),
            "s" => Duration::from_secs(1),
            "ms" => Duration::from_millis(1),
            _ => return None,
        };
        total += unit * u32::try_from(number).ok()?;
        rest = &rest[unit_end..];
    }
    Some(total)
}

impl Cluster {
    /// Polls the object until `wait` holds, and returns it then.
    pub async fn wait_for(
        &self,
        object: &ObjectRef,
        wait: &Wait,
        timeout: Duration,
    ) -> Result<Json, KubeError> {
        let started = tokio::time::Instant::now();
        loop {
            let current = self.get(object).await?.ok_or_else(|| KubeError::Api {
                code: 404,
                reason: "NotFound".into(),
                message: format!("{object} disappeared while ggplan waited for it"),
                conflicts: Vec::new(),
            })?;
            let Some(missing) = wait.missing(&current) else {
                return Ok(current);
            };
            if started.elapsed() >= timeout {
                return Err(KubeError::Timeout {
                    waited_for: format!("{missing} on {object}"),
                    after: timeout,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Where the object `identity` names lives, waiting up to `timeout` while the cluster
    /// does not serve its kind yet but has a CRD that defines it (applied just before, being
    /// established). A kind no CRD defines fails at once.
    pub async fn locate_when_served(
        &self,
        identity: &Identity,
        timeout: Duration,
    ) -> Result<ObjectRef, KubeError> {
        let started = tokio::time::Instant::now();
        loop {
            match self.locate(identity).await {
                Err(unknown @ KubeError::UnknownKind { .. }) => {
                    if started.elapsed() >= timeout || !self.defines(identity).await? {
                        return Err(unknown);
                    }
                    tokio::time::sleep(POLL).await;
                }
                located => return located,
            }
        }
    }

    /// Whether a CRD of the cluster defines the kind of `identity` at its apiVersion.
    async fn defines(&self, identity: &Identity) -> Result<bool, KubeError> {
        let Some((group, version)) = identity.api_version.split_once('/') else {
            return Ok(false); // The core group has no CRDs.
        };
        let crds = self
            .kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
            .await?;
        let list = self
            .api(&crds, None)
            .list(&kube::api::ListParams::default())
            .await
            .map_err(|e| self.error(e))?;
        Ok(list.items.iter().any(|crd| {
            let spec = &crd.data["spec"];
            spec["group"] == group
                && spec["names"]["kind"] == identity.kind.as_str()
                && spec["versions"]
                    .as_array()
                    .is_some_and(|versions| versions.iter().any(|v| v["name"] == version))
        }))
    }

    /// Polls until the object is gone (a namespace: until its finalizers have run).
    pub async fn wait_gone(&self, object: &ObjectRef, timeout: Duration) -> Result<(), KubeError> {
        self.wait_until(object, timeout, "to be gone", Option::is_none)
            .await
            .map(|_| ())
    }

    /// Polls the object (`None` while it does not exist) until `done` holds, and returns it
    /// then; `what` says what the wait is for (`to be gone`, `to have a token`).
    pub async fn wait_until(
        &self,
        object: &ObjectRef,
        timeout: Duration,
        what: &str,
        done: impl Fn(&Option<Json>) -> bool,
    ) -> Result<Option<Json>, KubeError> {
        let started = tokio::time::Instant::now();
        loop {
            let current = self.get(object).await?;
            if done(&current) {
                return Ok(current);
            }
            if started.elapsed() >= timeout {
                return Err(KubeError::Timeout {
                    waited_for: format!("{object} {what}"),
                    after: timeout,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_read_as_terraform_writes_them() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("5 minutes"), None);
    }

    #[test]
    fn a_rollout_is_done_when_the_controller_saw_the_generation_and_replicas_are_ready() {
        let mut deployment = json!({
            "kind": "Deployment", "metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 2}
        });
        assert!(rollout_pending(&deployment).unwrap().contains("generation"));
        deployment["status"]["observedGeneration"] = json!(2);
        assert_eq!(rollout_pending(&deployment), None);
        deployment["status"]["availableReplicas"] = json!(1);
        assert!(rollout_pending(&deployment).unwrap().contains("1 of 2"));
        assert!(rollout_pending(&json!({"kind": "ConfigMap"})).is_some());
    }

    #[test]
    fn a_rollout_wait_is_refused_on_a_kind_without_rollout() {
        let config = Value::object([("wait", Value::object([("rollout", Value::Bool(true))]))]);
        let wait = Wait::of(&config).unwrap().unwrap();
        assert!(wait.check_kind("Deployment").is_ok());
        match wait.check_kind("ConfigMap") {
            Err(KubeError::Invalid { message, attribute }) => {
                assert_eq!(attribute, AttrPath::attr("wait").key("rollout"));
                assert!(
                    message.starts_with("ConfigMap objects have no rollout"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        let conditions_only = Wait {
            conditions: vec![("Ready".into(), "True".into())],
            ..Wait::default()
        };
        assert!(conditions_only.check_kind("ConfigMap").is_ok());
    }

    #[test]
    fn a_wait_checks_conditions_and_fields() {
        let config = Value::object([(
            "wait",
            Value::object([
                (
                    "condition",
                    Value::List(vec![Value::object([
                        ("type", Value::string("Established")),
                        ("status", Value::string("True")),
                    ])]),
                ),
                (
                    "fields",
                    Value::object([("status.phase", Value::string("^Active$"))]),
                ),
            ]),
        )]);
        let wait = Wait::of(&config).unwrap().unwrap();
        let pending = json!({"status": {"phase": "Terminating"}});
        assert_eq!(
            wait.missing(&pending).unwrap(),
            "condition Established=True"
        );
        let done = json!({"status": {"phase": "Active",
            "conditions": [{"type": "Established", "status": "True"}]}});
        assert_eq!(wait.missing(&done), None);
        assert!(Wait::of(&Value::Null).unwrap().is_none());
    }
}
