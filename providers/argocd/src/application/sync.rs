//! What `argocd app sync` and `argocd app wait` do, through the Kubernetes API: a sync is
//! requested by setting the Application's `operation` field (Argo CD's controller takes it,
//! syncs, clears it and records `status.operationState`), and a wait polls the status the
//! controller writes until the application is Synced and Healthy, or Argo CD reports a failure.

use super::status::{Verdict, verdict};
use ggplan_provider_kubernetes::cluster::Cluster;
use ggplan_provider_kubernetes::error::KubeError;
use ggplan_provider_kubernetes::object::{FieldManager, ObjectRef};
use ggplan_sdk::{AttrPath, Value};
use serde_json::{Map, Value as Json, json};
use std::time::Duration;

/// The field manager of sync requests: not the one of the Application's spec, so that a
/// later apply of the spec never takes back the `operation` the controller cleared.
const SYNC_MANAGER: &str = "ggplan-sync";

const POLL: Duration = Duration::from_millis(500);

/// The sync operation for the planned state, as `argocd app sync` sends it: the target
/// revision, prune as the automated policy says, and the sync options.
pub fn operation(planned: &Value) -> Json {
    let spec = first(planned.get("spec"));
    let revision = first(spec.get("source")).get("target_revision");
    let policy = first(spec.get("sync_policy"));
    let prune = first(policy.get("automated")).get("prune");
    let mut sync = Map::new();
    if let Some(revision) = revision.as_str() {
        sync.insert("revision".into(), json!(revision));
    }
    if let Some(prune) = prune.as_bool() {
        sync.insert("prune".into(), json!(prune));
    }
    if let Some(options) = policy
        .get("sync_options")
        .to_json()
        .filter(|o| o.is_array())
    {
        sync.insert("syncOptions".into(), options);
    }
    json!({"sync": sync, "initiatedBy": {"username": "ggplan"}})
}

/// The first block of a block list (null when there is none).
pub fn first(value: &Value) -> &Value {
    value
        .as_list()
        .and_then(<[Value]>::first)
        .unwrap_or(&Value::Null)
}

/// Whether an automated sync the controller started is in progress; any other operation in
/// progress is refused, as Argo CD refuses a sync then. Checked before the spec changes, so
/// that a refused sync leaves the application as it was.
pub async fn automated_sync_running(
    cluster: &Cluster,
    object: &ObjectRef,
) -> Result<bool, KubeError> {
    let live = cluster.get(object).await?;
    let running = live.as_ref().and_then(|live| live.get("operation"));
    let Some(running) = running.filter(|o| !o.is_null()) else {
        return Ok(false);
    };
    if running["initiatedBy"]["automated"] == json!(true) {
        return Ok(true);
    }
    Err(KubeError::invalid(
        AttrPath::attr("spec"),
        format!(
            "another operation is already in progress on {object} ({running}); wait for Argo \
             CD to finish it (argocd app wait), then apply again"
        ),
    ))
}

/// Asks Argo CD to sync the application, as `argocd app sync` does; an automated sync the
/// controller has already started for the same change is that sync (a wait then waits for
/// it).
pub async fn request(
    cluster: &Cluster,
    object: &ObjectRef,
    planned: &Value,
) -> Result<(), KubeError> {
    if automated_sync_running(cluster, object).await? {
        return Ok(());
    }
    let request = json!({
        "apiVersion": object.kind.resource.api_version,
        "kind": object.kind.resource.kind,
        "metadata": {"name": object.name, "namespace": object.namespace},
        "operation": operation(planned),
    });
    let manager = FieldManager {
        name: SYNC_MANAGER.to_string(),
        force: true,
    };
    cluster.apply(object, &request, &manager, false).await?;
    Ok(())
}

/// Polls the application until it is Synced and Healthy (and the requested sync, if any, is
/// done), and returns it then; Argo CD's failure is an error in its own words.
pub async fn wait(
    cluster: &Cluster,
    object: &ObjectRef,
    sync_requested: bool,
    timeout: Duration,
) -> Result<Json, KubeError> {
    let started = tokio::time::Instant::now();
    loop {
        let live = cluster.get(object).await?.ok_or_else(|| {
            KubeError::invalid(
                AttrPath::attr("metadata"),
                format!("{object} was deleted while ggplan waited for it"),
            )
        })?;
        match verdict(&live, sync_requested) {
            Verdict::Done => return Ok(live),
            Verdict::Failed(message) => {
                return Err(KubeError::invalid(
                    AttrPath::attr("spec"),
                    format!("Argo CD reports {object} failed: {message}"),
                ));
            }
            Verdict::Pending(now) if started.elapsed() >= timeout => {
                return Err(KubeError::Timeout {
                    waited_for: format!("{object} to be Synced and Healthy (now: {now})"),
                    after: timeout,
                });
            }
            Verdict::Pending(_) => tokio::time::sleep(POLL).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_request_is_what_argocd_app_sync_sends() {
        let block = |pairs: Vec<(&str, Value)>| Value::List(vec![Value::object(pairs)]);
        let planned = Value::object([(
            "spec",
            block(vec![
                (
                    "source",
                    block(vec![("target_revision", Value::string("v2"))]),
                ),
                (
                    "sync_policy",
                    block(vec![
                        ("automated", block(vec![("prune", Value::Bool(true))])),
                        (
                            "sync_options",
                            Value::List(vec![Value::string("CreateNamespace=true")]),
                        ),
                    ]),
                ),
            ]),
        )]);
        assert_eq!(
            operation(&planned),
            json!({"sync": {"revision": "v2", "prune": true,
                            "syncOptions": ["CreateNamespace=true"]},
                   "initiatedBy": {"username": "ggplan"}})
        );
    }
}
