//! One object by server-side apply: where a manifest's object lives, apply (or dry-run) it as
//! a field manager, read it, delete it, and the projection of the object the server returns
//! onto the fields a manifest sets, which is what plans compare.

use crate::cluster::{Cluster, Kind};
use crate::error::KubeError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::AttrPath;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::Value as Json;

/// Whether `kind` is the core Namespace.
fn is_namespace(kind: &Kind) -> bool {
    kind.resource.group.is_empty() && kind.resource.kind == "Namespace"
}

/// Where one object lives.
#[derive(Debug, Clone)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind.resource.kind, self.name),
            None => write!(f, "{} {}", self.kind.resource.kind, self.name),
        }
    }
}

/// The field manager a stack applies as (`field_manager { name, force_conflicts }`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldManager {
    pub name: String,
    /// Take over fields another manager owns instead of failing with a conflict.
    pub force: bool,
}

/// What a manifest says of its object's identity: apiVersion, kind, namespace and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Identity {
    /// The identity of `manifest`, or what it lacks (located at the manifest's field).
    pub fn of(manifest: &Json) -> Result<Identity, KubeError> {
        let field = |path: &[&str]| {
            path.iter()
                .try_fold(manifest, |value, key| value.get(key))
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let missing = |what: &str, path: &[&str]| {
            KubeError::invalid(
                manifest_path(path),
                format!("the manifest has no {what}; every Kubernetes object needs one"),
            )
        };
        if !manifest.is_object() {
            return Err(KubeError::invalid(
                AttrPath::attr("manifest"),
                "the manifest must be an object (apiVersion, kind, metadata...)",
            ));
        }
        Ok(Identity {
            api_version: field(&["apiVersion"])
                .ok_or_else(|| missing("apiVersion", &["apiVersion"]))?,
            kind: field(&["kind"]).ok_or_else(|| missing("kind", &["kind"]))?,
            namespace: field(&["metadata", "namespace"]),
            name: field(&["metadata", "name"])
                .ok_or_else(|| missing("metadata.name", &["metadata", "name"]))?,
        })
    }
}

/// The attribute path of a field of the manifest.
pub fn manifest_path(fields: &[&str]) -> AttrPath {
    fields
        .iter()
        .fold(AttrPath::attr("manifest"), |path, field| path.key(field))
}

impl Cluster {
    /// Where the object `identity` names lives: its kind resolved, and a namespace exactly
    /// when the kind has namespaces.
    pub async fn locate(&self, identity: &Identity) -> Result<ObjectRef, KubeError> {
        let kind = self.kind(&identity.api_version, &identity.kind).await?;
        let namespace_path = manifest_path(&["metadata", "namespace"]);
        match (kind.namespaced, &identity.namespace) {
            (true, None) => Err(KubeError::invalid(
                namespace_path,
                format!(
                    "{} objects live in a namespace: set metadata.namespace",
                    identity.kind
                ),
            )),
            (false, Some(_)) => Err(KubeError::invalid(
                namespace_path,
                format!(
                    "{} objects belong to the whole cluster, not to a namespace: remove \
                     metadata.namespace",
                    identity.kind
                ),
            )),
            _ => Ok(ObjectRef {
                kind,
                namespace: identity.namespace.clone(),
                name: identity.name.clone(),
            }),
        }
    }

    /// The object as the server has it now; `None` when it does not exist.
    pub async fn get(&self, object: &ObjectRef) -> Result<Option<Json>, KubeError> {
        let api = self.api(&object.kind, object.namespace.as_deref());
        match api.get_opt(&object.name).await {
            Ok(found) => Ok(found.map(to_json)),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Applies `manifest` by server-side apply as `manager` (only checked by the server, not
    /// made, with `dry_run`), and returns the object the server made of it.
    pub async fn apply(
        &self,
        object: &ObjectRef,
        manifest: &Json,
        manager: &FieldManager,
        dry_run: bool,
    ) -> Result<Json, KubeError> {
        let namespace = object.namespace.as_deref();
        if let Some(missing) = namespace.filter(|ns| dry_run && self.is_missing(ns)) {
            return Err(KubeError::namespace_not_found(missing));
        }
        let api = self.api(&object.kind, namespace);
        let params = PatchParams {
            dry_run,
            force: manager.force,
            field_manager: Some(manager.name.clone()),
            ..PatchParams::default()
        };
        let patch = Patch::Apply(manifest);
        match api
            .patch(&object.name, &params, &patch)
            .await
            .map_err(|e| self.error(e))
        {
            // An apply creates what does not exist: only its namespace can be missing.
            Err(e) if e.is_not_found() => {
                if let Some(missing) = namespace.filter(|_| dry_run) {
                    self.note_namespace(missing, true);
                }
                Err(e)
            }
            Err(e) => Err(e),
            Ok(applied) => {
                if !dry_run && is_namespace(&object.kind) {
                    self.note_namespace(&object.name, false);
                }
                Ok(to_json(applied))
            }
        }
    }

    /// Applies `manifest` as [`Cluster::apply`] does, taking back the fields the stack set
    /// last time (`prior`, the manifest last applied) from whoever changed them since
    /// (`kubectl edit`): they are drift, and applying repairs it. A conflict over a field the
    /// stack did not set before is another manager's, and stays an error (unless `manager`
    /// forces).
    pub async fn apply_repairing(
        &self,
        object: &ObjectRef,
        manifest: &Json,
        manager: &FieldManager,
        prior: Option<&Json>,
        dry_run: bool,
    ) -> Result<Json, KubeError> {
        match self.apply(object, manifest, manager, dry_run).await {
            Err(conflict)
                if !conflict.conflicts().is_empty()
                    && prior.is_some_and(|prior| {
                        conflict.conflicts().iter().all(|f| sets_field(prior, f))
                    }) =>
            {
                let forcing = FieldManager {
                    force: true,
                    ..manager.clone()
                };
                self.apply(object, manifest, &forcing, dry_run).await
            }
            other => other,
        }
    }

    /// Creates the object `manifest` describes by a plain create (POST) as `manager`: the
    /// way to an object whose name the server generates (`metadata.generateName`), which
    /// server-side apply cannot address. Returns the object made, with its name.
    pub async fn create(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        manifest: &Json,
        manager: &FieldManager,
    ) -> Result<Json, KubeError> {
        let api = self.api(kind, namespace);
        let params = kube::api::PostParams {
            dry_run: false,
            field_manager: Some(manager.name.clone()),
        };
        let body: kube::api::DynamicObject = serde_json::from_value(manifest.clone())
            .map_err(|e| KubeError::invalid(AttrPath::attr("metadata"), e.to_string()))?;
        let created = api
            .create(&params, &body)
            .await
            .map_err(|e| self.error(e))?;
        Ok(to_json(created))
    }

    /// Asks the server to delete the object (its dependents go in the background, as with
    /// kubectl); one already gone is not an error.
    pub async fn delete(&self, object: &ObjectRef) -> Result<(), KubeError> {
        let api = self.api(&object.kind, object.namespace.as_deref());
        match api.delete(&object.name, &DeleteParams::background()).await {
            Ok(_) => Ok(()),
            Err(e) => match self.error(e) {
                gone if gone.is_not_found() => Ok(()),
                other => Err(other),
            },
        }
    }
}

fn to_json(object: kube::api::DynamicObject) -> Json {
    serde_json::to_value(object).unwrap_or(Json::Null)
}

/// The keys of the map at `path` (`["metadata", "labels"]`, `["data"]`) that field manager
/// `manager` owns in `live`, by its `managedFields`, whatever operation set them.
pub fn owned_keys(live: &Json, manager: &str, path: &[&str]) -> std::collections::BTreeSet<String> {
    let entries = live["metadata"]["managedFields"].as_array();
    entries
        .into_iter()
        .flatten()
        .filter(|entry| entry["manager"] == manager)
        .filter_map(|entry| {
            path.iter()
                .try_fold(&entry["fieldsV1"], |fields, key| {
                    fields.get(format!("f:{key}"))
                })
                .and_then(Json::as_object)
        })
        .flat_map(|fields| fields.keys())
        .filter_map(|key| key.strip_prefix("f:").map(str::to_string))
        .collect()
}

/// Whether `manifest` sets the field a server-side apply conflict names, in the server's
/// path syntax: `.data.greeting`, `.metadata.labels.app.kubernetes.io/name` (a key may hold
/// dots), `.spec.containers[name="app"].image`, `.spec.args[0]`.
pub fn sets_field(manifest: &Json, field: &str) -> bool {
    if field.is_empty() {
        return true;
    }
    if let Some(rest) = field.strip_prefix('.') {
        let Json::Object(map) = manifest else {
            return false;
        };
        // The longest key the path goes on from (keys such as label names hold dots).
        return map.iter().any(|(key, value)| {
            rest.strip_prefix(key.as_str())
                .filter(|after| after.is_empty() || after.starts_with(['.', '[']))
                .is_some_and(|after| sets_field(value, after))
        });
    }
    let Some((selector, after)) = field
        .strip_prefix('[')
        .and_then(|inner| inner.split_once(']'))
    else {
        return false;
    };
    let Json::Array(items) = manifest else {
        return false;
    };
    items
        .iter()
        .enumerate()
        .filter(|(i, item)| selects(selector, *i, item))
        .any(|(_, item)| sets_field(item, after))
}

/// Whether a list selector (`0`, `name="app"`, `port=80,protocol="TCP"`, `="x"`) picks
/// `item` at `index`.
fn selects(selector: &str, index: usize, item: &Json) -> bool {
    if let Ok(position) = selector.parse::<usize>() {
        return position == index;
    }
    if let Some(value) = selector.strip_prefix('=') {
        return serde_json::from_str::<Json>(value).is_ok_and(|v| &v == item);
    }
    selector.split(',').all(|pair| {
        pair.split_once('=').is_some_and(|(key, value)| {
            let wanted = serde_json::from_str::<Json>(value).unwrap_or(Json::from(value));
            item.get(key) == Some(&wanted)
        })
    })
}

/// What a plan compares of an object: [`project`], and for a Secret written with
/// `stringData` (which the server folds into base64 `data`), those values read back from
/// `data`, so that a value changed by hand shows.
pub fn project_object(live: &Json, manifest: &Json) -> Json {
    let mut projected = project(live, manifest);
    let string_data = manifest.get("stringData").and_then(Json::as_object);
    if let (Some("Secret"), Some(keys)) = (manifest["kind"].as_str(), string_data) {
        let decoded: serde_json::Map<String, Json> = keys
            .keys()
            .filter_map(|key| {
                let encoded = live.get("data")?.get(key)?.as_str()?;
                let bytes = STANDARD.decode(encoded).ok()?;
                Some((
                    key.clone(),
                    Json::from(String::from_utf8_lossy(&bytes).into_owned()),
                ))
            })
            .collect();
        projected["stringData"] = Json::Object(decoded);
    }
    projected
}

/// The parts of `live` where `shape` (a manifest) has values: the keys of its objects,
/// recursively, and the elements of its lists of objects (matched by `name` where both sides
/// have one, else by position); anything else whole. Keys the server does not have are left
/// out, so a field removed by hand shows in a plan.
pub fn project(live: &Json, shape: &Json) -> Json {
    match (live, shape) {
        (Json::Object(live), Json::Object(shape)) => Json::Object(
            shape
                .iter()
                .filter(|(_, wanted)| !wanted.is_null())
                .filter_map(|(key, wanted)| Some((key.clone(), project(live.get(key)?, wanted))))
                .collect(),
        ),
        (Json::Array(live), Json::Array(shape)) if shape.iter().all(Json::is_object) => {
            Json::Array(
                shape
                    .iter()
                    .enumerate()
                    .filter_map(|(i, wanted)| Some(project(matching(live, wanted, i)?, wanted)))
                    .collect(),
            )
        }
        _ => live.clone(),
    }
}

/// The element of `live` that a manifest's list element `wanted` (at `index`) stands for.
fn matching<'a>(live: &'a [Json], wanted: &Json, index: usize) -> Option<&'a Json> {
    match wanted.get("name") {
        Some(name) => live
            .iter()
            .find(|element| element.get("name") == Some(name)),
        None => live.get(index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_projection_keeps_only_what_the_manifest_sets() {
        let live = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "1", "resourceVersion": "7",
                         "labels": {"app": "x", "added-by": "controller"},
                         "managedFields": [{"manager": "kubectl"}]},
            "data": {"a": "1", "b": "2"}
        });
        let manifest = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "labels": {"app": "x"}},
            "data": {"a": "1", "gone": "3"}
        });
        assert_eq!(
            project(&live, &manifest),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "n", "labels": {"app": "x"}},
                "data": {"a": "1"}
            })
        );
    }

    #[test]
    fn a_secrets_string_data_is_read_back_from_its_data() {
        let live = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg==", "other": "eA=="}});
        let manifest = json!({"kind": "Secret", "stringData": {"password": "hunter2"}});
        assert_eq!(
            project_object(&live, &manifest),
            json!({"kind": "Secret", "stringData": {"password": "hunter2"}})
        );
    }

    #[test]
    fn list_elements_are_matched_by_name_and_scalar_lists_taken_whole() {
        let live = json!({"containers": [
            {"name": "sidecar", "image": "s"},
            {"name": "app", "image": "a:2", "imagePullPolicy": "IfNotPresent"}
        ], "args": ["x", "y"]});
        let manifest = json!({"containers": [{"name": "app", "image": "a:1"}], "args": ["x"]});
        assert_eq!(
            project(&live, &manifest),
            json!({"containers": [{"name": "app", "image": "a:2"}], "args": ["x", "y"]})
        );
    }

    #[test]
    fn conflict_paths_are_found_in_a_manifest() {
        let manifest = json!({
            "metadata": {"labels": {"app.kubernetes.io/name": "x"}},
            "data": {"greeting": "hello"},
            "spec": {"containers": [{"name": "app", "image": "a"}], "args": ["x"],
                     "ports": [{"port": 80, "protocol": "TCP"}]}
        });
        for field in [
            ".data.greeting",
            ".metadata.labels.app.kubernetes.io/name",
            ".spec.containers[name=\"app\"].image",
            ".spec.args[0]",
            ".spec.ports[port=80,protocol=\"TCP\"]",
        ] {
            assert!(sets_field(&manifest, field), "{field}");
        }
        for field in [
            ".data.other",
            ".spec.containers[name=\"side\"].image",
            ".spec.args[1]",
        ] {
            assert!(!sets_field(&manifest, field), "{field}");
        }
    }

    #[test]
    fn an_identity_needs_api_version_kind_and_name() {
        let ok = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}});
        assert_eq!(Identity::of(&ok).unwrap().name, "n");
        let nameless = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {}});
        match Identity::of(&nameless) {
            Err(KubeError::Invalid { attribute, .. }) => {
                assert_eq!(attribute, manifest_path(&["metadata", "name"]))
            }
            other => panic!("{other:?}"),
        }
        assert!(Identity::of(&json!({"kind": "Namespace"})).is_err());
        assert!(Identity::of(&json!("text")).is_err());
    }
}
