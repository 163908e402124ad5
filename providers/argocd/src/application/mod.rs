//! `argocd_application`: an Argo CD Application, written by server-side apply as the
//! `argoproj.io/v1alpha1` Application object Argo CD reads (plans are its dry-run), read back
//! on the fields the stack sets (so a hand edit of one is drift, repaired by apply), with the
//! `status` Argo CD's controller writes. A change of `spec.source` requests a sync
//! ([`sync`]); `wait` waits for Synced and Healthy; destroy with `cascade` deletes through
//! Argo CD's resources finalizer and waits until the controller has removed it.

mod schema;
pub mod status;
pub mod sync;

use crate::{ArgoCluster, Argocd, wire};
use async_trait::async_trait;
use ggplan_provider_kubernetes::cluster::Cluster;
use ggplan_provider_kubernetes::error::KubeError;
use ggplan_provider_kubernetes::object::{FieldManager, ObjectRef, project};
use ggplan_provider_kubernetes::wait::timeout_or;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, PlanRequest, Schema, Value};
use serde_json::{Map, Value as Json, json};
use std::time::Duration;
use sync::first;

pub const API_VERSION: &str = "argoproj.io/v1alpha1";
pub const KIND: &str = "Application";
/// Argo CD's finalizer: its controller deletes the application's objects, then removes it.
pub const FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// How long a wait lasts unless `timeouts` says otherwise (argoproj-labs/argocd's default).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The field manager of the Application's metadata and spec.
const MANAGER: &str = "ggplan";
/// The field manager that adds the finalizer at destroy, apart from the spec's manager.
const CASCADE_MANAGER: &str = "ggplan-cascade";

pub struct Application;

fn manager(name: &str) -> FieldManager {
    FieldManager {
        name: name.to_string(),
        force: true,
    }
}

/// The metadata block of a state (null when there is none).
fn metadata(state: &Value) -> &Value {
    first(state.get("metadata"))
}

/// The Application a state describes; `None` while some of it is unknown.
fn manifest(state: &Value) -> Option<Json> {
    let block = metadata(state);
    let mut meta = Map::new();
    for (attribute, field) in [("name", "name"), ("namespace", "namespace")] {
        meta.insert(field.into(), json!(block.get(attribute).as_str()?));
    }
    for map in ["labels", "annotations"] {
        match block.get(map) {
            Value::Null => {}
            value => {
                meta.insert(map.into(), value.to_json().filter(Json::is_object)?);
            }
        }
    }
    let spec = wire::to_json(&schema::spec(), first(state.get("spec")))?;
    Some(json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}))
}

/// The metadata block read back from `live`: labels and annotations on the keys the stack
/// sets (others belong to whoever wrote them).
fn read_metadata(base: &Value, live: &Json) -> Value {
    let block = metadata(base);
    let meta = &live["metadata"];
    let keys = |map: &str| match block.get(map) {
        // An import's stub: all of them, since no configuration says which are the stack's.
        Value::Unknown => Value::from_json(&meta[map]),
        wanted => match wanted.as_map() {
            None => Value::Null,
            Some(wanted) => Value::object(wanted.keys().filter_map(|key| {
                let value = meta[map].get(key)?.as_str()?;
                Some((key.clone(), Value::string(value)))
            })),
        },
    };
    Value::List(vec![Value::object([
        ("name", Value::from_json(&meta["name"])),
        ("namespace", Value::from_json(&meta["namespace"])),
        ("labels", keys("labels")),
        ("annotations", keys("annotations")),
        ("generation", Value::from_json(&meta["generation"])),
        (
            "resource_version",
            Value::from_json(&meta["resourceVersion"]),
        ),
        ("uid", Value::from_json(&meta["uid"])),
    ])])
}

/// `name:namespace`, argoproj-labs/argocd's id.
fn id(state: &Value) -> Value {
    let block = metadata(state);
    match (block.get("name").as_str(), block.get("namespace").as_str()) {
        (Some(name), Some(namespace)) => Value::string(format!("{name}:{namespace}")),
        _ => Value::Unknown,
    }
}

/// The state for `base` (planned or prior) of the Application `live`: its spec on the fields
/// `base` sets (all of it for an import's stub, which has no spec), its metadata and status.
fn state(base: &Value, live: &Json) -> Value {
    let spec_schema = schema::spec();
    let configured = first(base.get("spec"));
    let spec = match wire::to_json(&spec_schema, configured) {
        Some(wanted) if !configured.is_null() => project(&live["spec"], &wanted),
        _ => live["spec"].clone(),
    };
    let mut state = base.clone();
    state.set_attr(
        "spec",
        Value::List(vec![wire::from_json(&spec_schema, &spec)]),
    );
    state.set_attr("metadata", read_metadata(base, live));
    state.set_attr("status", status::read(live));
    state.set_attr("id", id(&state));
    state
}

/// Whether an update changes where the application's manifests come from.
fn source_changed(prior: &Value, planned: &Value) -> bool {
    let source = |state: &Value| first(state.get("spec")).get("source").clone();
    source(prior) != source(planned)
}

impl Application {
    async fn locate(
        &self,
        argo: &ArgoCluster,
        state: &Value,
    ) -> Result<Option<ObjectRef>, KubeError> {
        let block = metadata(state);
        let (Some(name), namespace) = (block.get("name").as_str(), block.get("namespace")) else {
            return Ok(None);
        };
        let namespace = namespace.as_str().unwrap_or(&argo.namespace);
        Ok(Some(ObjectRef {
            kind: argo.cluster.kind(API_VERSION, KIND).await?,
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
        }))
    }

    /// The planned state's defaults (the provider's namespace, project "default"), computed
    /// attributes unknown where the apply changes them, and the server's dry-run.
    async fn plan(
        &self,
        argo: &ArgoCluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        warnings: &mut Diagnostics,
    ) -> Result<(), KubeError> {
        fill_defaults(planned, request.config, &argo.namespace);
        planned.set_attr("id", id(planned));
        // Only a change of the object itself (not of cascade, wait or timeouts, which are
        // ggplan's alone) writes it, and so changes its version and status.
        let object_changes = match request.prior {
            None => true,
            Some(prior) => manifest(prior) != manifest(planned) || manifest(planned).is_none(),
        };
        if !object_changes {
            return Ok(());
        }
        mark_computed_unknown(planned);
        if let Some(prior) = request.prior
            && source_changed(prior, planned)
        {
            warnings.push(Diagnostic::warning(
                "Applying this plan requests a sync of the application",
                "spec.source changes: the apply sets the Application's operation field, as \
                 `argocd app sync` does, for Argo CD's controller to sync it.",
            ));
        }
        self.dry_run(argo, request.prior, planned).await
    }

    /// A server-side dry-run of the planned Application; skipped while it holds unknowns or
    /// before Argo CD's namespace exists.
    async fn dry_run(
        &self,
        argo: &ArgoCluster,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<(), KubeError> {
        let (Some(wanted), Some(object)) = (manifest(planned), self.locate(argo, planned).await?)
        else {
            return Ok(());
        };
        let prior = prior.and_then(manifest);
        let manager = manager(MANAGER);
        let checked = argo
            .cluster
            .apply_repairing(&object, &wanted, &manager, prior.as_ref(), true)
            .await;
        match checked {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    async fn create(
        &self,
        argo: &ArgoCluster,
        planned: &Value,
    ) -> Result<Value, Partial<KubeError>> {
        let wanted = manifest(planned).ok_or_else(not_known)?;
        let object = self.locate(argo, planned).await?.ok_or_else(not_known)?;
        let cluster = &argo.cluster;
        if cluster.get(&object).await?.is_some() {
            return Err(exists(&object).into());
        }
        let live = cluster
            .apply(&object, &wanted, &manager(MANAGER), false)
            .await?;
        let created = state(planned, &live);
        self.waited(cluster, &object, planned, false, "create")
            .await
            .map(|waited| waited.map_or_else(|| created.clone(), |live| state(planned, &live)))
            .map_err(|e| Partial::left(created, e))
    }

    async fn update(
        &self,
        argo: &ArgoCluster,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Partial<KubeError>> {
        let wanted = manifest(planned).ok_or_else(not_known)?;
        let prior_manifest = manifest(prior);
        if prior_manifest.as_ref() == Some(&wanted) {
            // Only cascade, wait or timeouts changed: they are ggplan's, not the object's.
            return Ok(planned.clone());
        }
        let object = self.locate(argo, planned).await?.ok_or_else(not_known)?;
        let cluster = &argo.cluster;
        let sync_requested = source_changed(prior, planned);
        if sync_requested {
            sync::automated_sync_running(cluster, &object).await?;
        }
        let manager = manager(MANAGER);
        let applied = cluster
            .apply_repairing(&object, &wanted, &manager, prior_manifest.as_ref(), false)
            .await?;
        let updated = state(planned, &applied);
        if sync_requested {
            sync::request(cluster, &object, planned)
                .await
                .map_err(|e| Partial::left(updated.clone(), e))?;
        }
        self.waited(cluster, &object, planned, sync_requested, "update")
            .await
            .map(|waited| waited.map_or_else(|| updated.clone(), |live| state(planned, &live)))
            .map_err(|e| Partial::left(updated, e))
    }

    /// With `wait`, the Application once Argo CD reports it Synced and Healthy.
    async fn waited(
        &self,
        cluster: &Cluster,
        object: &ObjectRef,
        planned: &Value,
        sync_requested: bool,
        operation: &str,
    ) -> Result<Option<Json>, KubeError> {
        if planned.get("wait").as_bool() != Some(true) {
            return Ok(None);
        }
        let limit = timeout_or(planned, operation, DEFAULT_TIMEOUT)?;
        sync::wait(cluster, object, sync_requested, limit)
            .await
            .map(Some)
    }

    /// Deletes the Application; with `cascade`, through Argo CD's finalizer, waiting until
    /// the controller has deleted the application's objects and removed it.
    async fn delete(&self, argo: &ArgoCluster, prior: &Value) -> Result<(), KubeError> {
        let Some(object) = self.locate(argo, prior).await? else {
            return Ok(());
        };
        let cluster = &argo.cluster;
        if cluster.get(&object).await?.is_none() {
            return Ok(());
        }
        if prior.get("cascade").as_bool() != Some(false) {
            let finalizer = json!({
                "apiVersion": API_VERSION,
                "kind": KIND,
                "metadata": {"name": object.name, "namespace": object.namespace,
                             "finalizers": [FINALIZER]},
            });
            cluster
                .apply(&object, &finalizer, &manager(CASCADE_MANAGER), false)
                .await?;
        }
        cluster.delete(&object).await?;
        let what = format!(
            "to be gone (with cascade, Argo CD's controller deletes the application's objects, \
             then removes the finalizer {FINALIZER}: is it running?)"
        );
        let limit = timeout_or(prior, "delete", DEFAULT_TIMEOUT)?;
        cluster
            .wait_until(&object, limit, &what, Option::is_none)
            .await
            .map(|_| ())
    }
}

/// The defaults of what the configuration leaves out: the provider's namespace (computed,
/// so unknown in the engine's proposal) and project "default".
fn fill_defaults(planned: &mut Value, config: &Value, namespace: &str) {
    let meta_path = AttrPath::attr("metadata").index(0);
    if metadata(config).get("namespace").is_null() {
        planned.set_at(&meta_path.key("namespace"), Value::string(namespace));
    }
    let project = AttrPath::attr("spec").index(0).key("project");
    if planned.at(&project).is_some_and(Value::is_null) {
        planned.set_at(&project, Value::string("default"));
    }
}

/// What the apply changes besides the configuration: the object's version, and the status.
fn mark_computed_unknown(planned: &mut Value) {
    let meta = AttrPath::attr("metadata").index(0);
    for computed in ["generation", "resource_version"] {
        if planned.at(&meta.key(computed)).is_some() {
            planned.set_at(&meta.key(computed), Value::Unknown);
        }
    }
    planned.set_attr("status", Value::Unknown);
}

/// A create over an Application that exists already, refused: taking it over would make
/// the stack's destroy delete it.
fn exists(object: &ObjectRef) -> KubeError {
    let namespace = object.namespace.as_deref().unwrap_or_default();
    KubeError::invalid(
        AttrPath::attr("metadata").index(0).key("name"),
        format!(
            "{object} already exists. To manage it, import it (ggplan import ADDRESS {}:{namespace}); \
             to make a new one, choose another name.",
            object.name
        ),
    )
}

/// The failure, shown at the block it is about: the metadata for the object's name, else the
/// spec (a server-side refusal is the API server's message, which names the field).
fn placed(error: KubeError) -> KubeError {
    let about_name =
        matches!(&error, KubeError::Api { message, .. } if message.contains("metadata.name"));
    let object = match about_name {
        true => AttrPath::attr("metadata").index(0).key("name"),
        false => AttrPath::attr("spec"),
    };
    crate::placed_at(error, object)
}

fn placed_partial(partial: Partial<KubeError>) -> Partial<KubeError> {
    partial.map_error(placed)
}

fn not_known() -> KubeError {
    KubeError::invalid(AttrPath::attr("spec"), "the application is still not known")
}

/// Argo CD's rule for a destination (its controller would mark the application
/// InvalidSpecError): a cluster by `server` or by `name`, not both, not neither.
fn destination_checks(config: &Value) -> Diagnostics {
    let destination = first(first(config.get("spec")).get("destination"));
    let (server, name) = (destination.get("server"), destination.get("name"));
    let at = AttrPath::attr("spec").index(0).key("destination").index(0);
    let problem = match (server.is_null(), name.is_null()) {
        _ if destination.is_null() || server.is_unknown() || name.is_unknown() => None,
        (false, false) => Some("a destination names its cluster by server or by name, not both"),
        (true, true) => Some("a destination needs its cluster: set server or name"),
        _ => None,
    };
    match problem {
        Some(problem) => Diagnostic::error(problem, "Argo CD refuses such an application.")
            .at_attribute(at)
            .into(),
        None => Diagnostics::new(),
    }
}

#[async_trait]
impl ResourceType<Argocd> for Application {
    fn name(&self) -> &'static str {
        "argocd_application"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        for operation in ["create", "update", "delete"] {
            if let Err(e) = timeout_or(config, operation, DEFAULT_TIMEOUT) {
                diagnostics.extend(ggplan_sdk::typed::CallError::into_diagnostics(
                    e,
                    "Invalid argocd_application",
                ));
            }
        }
        diagnostics.extend(destination_checks(config));
        diagnostics
    }

    async fn modify_plan(
        &self,
        argo: &ArgoCluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, KubeError> {
        self.plan(argo, request, planned, warnings)
            .await
            .map_err(placed)?;
        Ok(Vec::new())
    }

    async fn read(&self, argo: &ArgoCluster, state: &Value) -> Result<Option<Value>, KubeError> {
        let object = self.locate(argo, state).await.map_err(placed)?;
        let refreshed = crate::refresh(&argo.cluster, object, |live| self::state(state, live));
        refreshed.await.map_err(placed)
    }

    async fn create(
        &self,
        argo: &ArgoCluster,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        Application::create(self, argo, planned)
            .await
            .map_err(placed_partial)
    }

    async fn update(
        &self,
        argo: &ArgoCluster,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        Application::update(self, argo, prior, planned)
            .await
            .map_err(placed_partial)
    }

    async fn delete(
        &self,
        argo: &ArgoCluster,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), KubeError> {
        Application::delete(self, argo, prior).await.map_err(placed)
    }

    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let Some((name, namespace)) = id.split_once(':') else {
            return Err(Diagnostic::error(
                format!("{id:?} is not an argocd_application id"),
                "Write it as name:namespace (e.g. platform:argocd).",
            )
            .into());
        };
        let block = Value::object([
            ("name", Value::string(name)),
            ("namespace", Value::string(namespace)),
            ("labels", Value::Unknown),
            ("annotations", Value::Unknown),
        ]);
        Ok(Value::object([
            ("metadata", Value::List(vec![block])),
            ("cascade", Value::Bool(true)),
            ("wait", Value::Bool(false)),
            ("timeouts", Value::Null),
        ]))
    }

    fn import_id_format(&self) -> &'static str {
        "name:namespace"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_destination(pairs: Vec<(&str, Value)>) -> Value {
        let block = |value: Value| Value::List(vec![value]);
        Value::object([(
            "spec",
            block(Value::object([(
                "destination",
                block(Value::object(pairs)),
            )])),
        )])
    }

    #[test]
    fn a_destination_names_its_cluster_once() {
        let server = ("server", Value::string("https://kubernetes.default.svc"));
        let name = ("name", Value::string("in-cluster"));
        assert!(destination_checks(&with_destination(vec![server.clone()])).is_empty());
        assert!(destination_checks(&with_destination(vec![name.clone()])).is_empty());
        let both = destination_checks(&with_destination(vec![server, name]));
        assert!(format!("{both:?}").contains("not both"), "{both:?}");
        let neither =
            destination_checks(&with_destination(vec![("namespace", Value::string("x"))]));
        assert!(
            format!("{neither:?}").contains("set server or name"),
            "{neither:?}"
        );
    }
}
