//! What the resources that change an object something else made share
//! (`kubernetes_config_map_v1_data`, `kubernetes_annotations`): a [`PatchKind`] says which
//! object and which of its fields; [`Patch`] applies them by server-side apply as the
//! resource's `field_manager` (conflicts with other managers fail, unless `force`), compares
//! only those fields, and gives up those it drops (all on destroy), which removes them unless
//! another manager set them too and leaves the object to its maker. Such an object must
//! exist: a create finds it or fails (nothing is created).
//! There is no import, as with hashicorp/kubernetes: creating the resource adopts the fields.

use crate::Kubernetes;
use crate::cluster::Cluster;
use crate::error::{KubeError, Place};
use crate::object::{FieldManager, ObjectRef, owned_keys};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostics, PlanRequest, Schema, Type, Value};
use kube::api::{Patch as KubePatch, PatchParams};
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

use super::metadata::{self, DEFAULT_NAMESPACE};

/// hashicorp/kubernetes's field manager for these resources.
pub const DEFAULT_FIELD_MANAGER: &str = "Terraform";

/// One kind of patch: the object it changes and the fields it sets there.
pub trait PatchKind: Send + Sync + 'static {
    const TYPE: &'static str;
    /// Whether an object without `metadata.namespace` is planned in "default" (else its
    /// kind decides: "default" for a namespaced one, none for a cluster-wide one).
    const DEFAULT_NAMESPACE: bool;
    /// Whether its id names the object's apiVersion and kind too (hashicorp/kubernetes's
    /// `kubernetes_annotations`), or is `namespace/name` (`kubernetes_config_map_v1_data`).
    const ID_WITH_KIND: bool;

    /// The schema of everything but `force`, `field_manager` and `id`.
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// The apiVersion and kind of the object, once known.
    fn target<'a>(&self, state: &'a Value) -> Option<(&'a str, &'a str)>;

    /// The fields this resource sets, merged into the object's identity (apiVersion, kind,
    /// metadata name and namespace); `None` while some are unknown.
    fn fields(&self, state: &Value) -> Option<Json>;

    /// `state` with its fields as `live` has them (on the keys `state` sets).
    fn read(&self, state: &Value, live: &Json) -> Value;

    /// Where its fields are configured, for a conflict.
    fn place(&self) -> Place;

    /// The paths of the string maps whose keys it sets (`["data"]`).
    fn maps(&self, state: &Value) -> Vec<&'static [&'static str]>;
}

/// The resource type of a [`PatchKind`].
pub struct Patch<P>(pub P);

/// The attributes every patch has; `id` as `with_kind` (see [`PatchKind::ID_WITH_KIND`]).
fn common(schema: Schema, with_kind: bool) -> Schema {
    let force = Attribute::optional(Type::Bool)
        .describe("Take over fields another field manager owns instead of failing on a conflict.");
    let manager = Attribute::optional(Type::String)
        .default(Value::string(DEFAULT_FIELD_MANAGER))
        .describe("The field manager this resource applies as.");
    let id = Attribute::computed(Type::String).describe(match with_kind {
        true => "Which object: apiVersion=...,kind=...,name=...[,namespace=...].",
        false => "Which object: namespace/name.",
    });
    let mut schema = schema;
    for (name, attribute) in [("force", force), ("field_manager", manager), ("id", id)] {
        schema.attributes.insert(name.into(), attribute);
    }
    schema
}

/// The field manager a state applies as.
fn manager(state: &Value) -> FieldManager {
    FieldManager {
        name: state
            .get("field_manager")
            .as_str()
            .unwrap_or(DEFAULT_FIELD_MANAGER)
            .into(),
        force: state.get("force").as_bool().unwrap_or(false),
    }
}

/// hashicorp/kubernetes's id of a patched object: with its apiVersion and kind, or
/// `namespace/name`.
fn id(object: &ObjectRef, with_kind: bool) -> String {
    let (name, namespace) = (&object.name, object.namespace.as_deref());
    if !with_kind {
        return format!("{}/{name}", namespace.unwrap_or_default());
    }
    let resource = &object.kind.resource;
    let (api_version, kind) = (&resource.api_version, &resource.kind);
    let id = format!("apiVersion={api_version},kind={kind},name={name}");
    match namespace {
        Some(namespace) => format!("{id},namespace={namespace}"),
        None => id,
    }
}

/// Where the object of kind `kind` in `api_version` that a `metadata` block (name, optional
/// namespace) names lives: a namespaced object without a namespace is in "default", as
/// hashicorp/kubernetes has it.
pub async fn locate(
    cluster: &Cluster,
    api_version: &str,
    kind: &str,
    block: &Value,
) -> Result<Option<ObjectRef>, KubeError> {
    let Some(name) = block.get("name").as_str() else {
        return Ok(None);
    };
    let kind = cluster.kind(api_version, kind).await?;
    let namespace = match (kind.namespaced, block.get("namespace").as_str()) {
        (true, namespace) => Some(namespace.unwrap_or(DEFAULT_NAMESPACE).to_string()),
        (false, None) => None,
        (false, Some(_)) => {
            let message = format!(
                "{} objects belong to the whole cluster: remove metadata.namespace",
                kind.resource.kind
            );
            return Err(KubeError::invalid(metadata::path("namespace"), message));
        }
    };
    Ok(Some(ObjectRef {
        kind,
        namespace,
        name: name.into(),
    }))
}

impl<P: PatchKind> Patch<P> {
    /// Where the object a state names lives; `None` while its name is unknown.
    async fn locate(
        &self,
        cluster: &Cluster,
        state: &Value,
    ) -> Result<Option<ObjectRef>, KubeError> {
        let Some((api_version, kind)) = self.0.target(state) else {
            return Ok(None);
        };
        locate(cluster, api_version, kind, metadata::of(state)).await
    }

    /// The manifest that sets `fields` (none: gives everything up) on `object`.
    fn manifest(object: &ObjectRef, fields: Option<Json>) -> Json {
        let mut metadata = json!({ "name": object.name });
        if let Some(namespace) = &object.namespace {
            metadata["namespace"] = json!(namespace);
        }
        let mut manifest = json!({
            "apiVersion": object.kind.resource.api_version,
            "kind": object.kind.resource.kind,
            "metadata": metadata,
        });
        merge(&mut manifest, fields.unwrap_or(Json::Null));
        manifest
    }

    /// The object a write changes, which must exist, as the server has it.
    async fn existing(
        &self,
        cluster: &Cluster,
        state: &Value,
    ) -> Result<(ObjectRef, Json), KubeError> {
        let object = self.locate(cluster, state).await?.ok_or_else(|| {
            KubeError::invalid(metadata::path("name"), "the object is still not known")
        })?;
        let Some(live) = cluster.get(&object).await? else {
            let message = format!(
                "{object} does not exist: {} changes an object something else makes. Create it \
                 first (make this resource depend on what makes it).",
                P::TYPE
            );
            return Err(KubeError::invalid(AttrPath::attr("metadata"), message));
        };
        Ok((object, live))
    }

    /// Applies the planned fields (or, with `dry_run`, has the server check them).
    async fn apply(
        &self,
        cluster: &Cluster,
        object: &ObjectRef,
        prior: Option<&Value>,
        planned: &Value,
        dry_run: bool,
    ) -> Result<Json, KubeError> {
        let fields = self.0.fields(planned).ok_or_else(|| {
            KubeError::invalid(AttrPath::root(), "the fields are still not known")
        })?;
        let manifest = Self::manifest(object, Some(fields));
        let prior =
            prior.and_then(|prior| Some(Self::manifest(object, Some(self.0.fields(prior)?))));
        cluster
            .apply_repairing(
                object,
                &manifest,
                &manager(planned),
                prior.as_ref(),
                dry_run,
            )
            .await
    }

    async fn plan(
        &self,
        cluster: &Cluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
    ) -> Result<(), KubeError> {
        if P::DEFAULT_NAMESPACE {
            metadata::default_namespace(planned);
        }
        let object = match self.locate(cluster, planned).await {
            Ok(object) => object,
            // A CRD this apply makes may define the kind.
            Err(KubeError::UnknownKind { .. }) => None,
            Err(other) => return Err(other),
        };
        let known = object.as_ref().map(|o| id(o, P::ID_WITH_KIND));
        planned.set_attr("id", known.map_or(Value::Unknown, Value::string));
        // The server checks the change (a conflict shows in the plan), when the object exists
        // already: it may be made by the same apply.
        let Some(object) = object.filter(|_| request.prior != Some(planned)) else {
            return Ok(());
        };
        if self.0.fields(planned).is_some() && cluster.get(&object).await?.is_some() {
            self.apply(cluster, &object, request.prior, planned, true)
                .await?;
        }
        Ok(())
    }

    /// Applies the planned fields, having first removed the keys the prior state set that
    /// they drop and nobody else set.
    async fn write(
        &self,
        cluster: &Cluster,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<Value, KubeError> {
        let (object, live) = self.existing(cluster, planned).await?;
        if let Some(prior) = prior {
            let fields = self.0.fields(planned).unwrap_or_default();
            remove(cluster, &object, self.dropped(prior, &live, &fields)).await?;
        }
        let applied = self.apply(cluster, &object, prior, planned, false).await?;
        Ok(self.0.read(planned, &applied))
    }

    /// Gives up the fields: the object stays, without them (unless another manager set them
    /// too).
    async fn release(&self, cluster: &Cluster, prior: &Value) -> Result<(), KubeError> {
        let object = match self.locate(cluster, prior).await {
            Ok(Some(object)) => object,
            Ok(None) | Err(KubeError::UnknownKind { .. }) => return Ok(()),
            Err(other) => return Err(other),
        };
        let Some(live) = cluster.get(&object).await? else {
            return Ok(());
        };
        remove(cluster, &object, self.dropped(prior, &live, &Json::Null)).await?;
        let manifest = Self::manifest(&object, None);
        let manager = manager(prior);
        let released = cluster.apply(&object, &manifest, &manager, false);
        released.await.map(|_| ())
    }

    /// The keys `prior` set, as its field manager alone (by `live`'s managed fields), that
    /// `fields` (what is applied now) no longer sets: they go.
    fn dropped(&self, prior: &Value, live: &Json, fields: &Json) -> Dropped {
        let manager = manager(prior).name;
        let set = self.0.fields(prior).unwrap_or_default();
        let mut keys = Vec::new();
        for path in self.0.maps(prior) {
            let ours = owned_keys(live, &manager, path);
            let others = others_keys(live, &manager, path);
            let set = at(&set, path)
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys());
            let gone = set.filter(|key| {
                ours.contains(*key) && !others.contains(*key) && at(fields, path)[key].is_null()
            });
            keys.extend(gone.map(|key| (path, key.clone())));
        }
        Dropped { manager, keys }
    }
}

/// Keys (the path of their map, and the key) a field manager gives up.
struct Dropped {
    manager: String,
    keys: Vec<(&'static [&'static str], String)>,
}

/// Removes the keys `dropped` names, by a merge patch, before the apply that gives them up:
/// an apply alone leaves them where another manager owns their map itself but none of its keys
/// (as `kubectl create` does once its keys are taken over with force), and Kubernetes then
/// makes that manager the owner of every key of the map.
async fn remove(cluster: &Cluster, object: &ObjectRef, dropped: Dropped) -> Result<(), KubeError> {
    let mut removal = json!({});
    for (path, key) in dropped.keys {
        let field = Json::Object(serde_json::Map::from_iter([(key, Json::Null)]));
        merge(&mut removal, nested(path, field));
    }
    if removal == json!({}) {
        return Ok(());
    }
    let api = cluster.api(&object.kind, object.namespace.as_deref());
    let params = PatchParams {
        field_manager: Some(dropped.manager),
        ..PatchParams::default()
    };
    let removal = KubePatch::Merge(&removal);
    let removed = api.patch(&object.name, &params, &removal).await;
    removed.map(|_| ()).map_err(|e| cluster.error(e))
}

/// The value at `path` in `object`.
fn at<'a>(object: &'a Json, path: &[&str]) -> &'a Json {
    path.iter().fold(object, |value, key| &value[key])
}

/// `value` nested under `path`.
pub fn nested(path: &[&str], value: Json) -> Json {
    path.iter().rev().fold(value, |inner, key| {
        Json::Object(serde_json::Map::from_iter([(key.to_string(), inner)]))
    })
}

/// The keys of the map at `path` that managers other than `manager` own, each by name.
fn others_keys(live: &Json, manager: &str, path: &[&str]) -> BTreeSet<String> {
    let entries = live["metadata"]["managedFields"].as_array();
    let names: BTreeSet<&str> = entries
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["manager"].as_str())
        .filter(|name| *name != manager)
        .collect();
    names
        .into_iter()
        .flat_map(|name| owned_keys(live, name, path))
        .collect()
}

/// Merges the objects of `from` into `into`, recursively.
fn merge(into: &mut Json, from: Json) {
    match (into, from) {
        (Json::Object(into), Json::Object(from)) => {
            for (key, value) in from {
                merge(into.entry(key).or_insert(Json::Null), value);
            }
        }
        (into, from) if !from.is_null() => *into = from,
        _ => {}
    }
}

#[async_trait]
impl<P: PatchKind> ResourceType<Kubernetes> for Patch<P> {
    fn name(&self) -> &'static str {
        P::TYPE
    }

    fn schema(&self) -> Schema {
        common(self.0.schema(), P::ID_WITH_KIND)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.0.validate(config)
    }

    async fn modify_plan(
        &self,
        cluster: &Cluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, KubeError> {
        let planning = self.plan(cluster, request, planned).await;
        planning
            .map(|()| Vec::new())
            .map_err(|e| e.placed(&self.0.place()))
    }

    async fn read(&self, cluster: &Cluster, state: &Value) -> Result<Option<Value>, KubeError> {
        let located = match self.locate(cluster, state).await {
            Ok(Some(object)) => object,
            Ok(None) | Err(KubeError::UnknownKind { .. }) => return Ok(None),
            Err(other) => return Err(other.placed(&self.0.place())),
        };
        let live = cluster
            .get(&located)
            .await
            .map_err(|e| e.placed(&self.0.place()))?;
        Ok(live.map(|live| self.0.read(state, &live)))
    }

    async fn create(
        &self,
        cluster: &Cluster,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        let written = self.write(cluster, None, planned).await;
        written.map_err(|e| Partial::from(e.placed(&self.0.place())))
    }

    async fn update(
        &self,
        cluster: &Cluster,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        let written = self.write(cluster, Some(prior), planned).await;
        written.map_err(|e| Partial::from(e.placed(&self.0.place())))
    }

    async fn delete(
        &self,
        cluster: &Cluster,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), KubeError> {
        self.release(cluster, prior)
            .await
            .map_err(|e| e.placed(&self.0.place()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_patched_object_as_hashicorp_kubernetes() {
        let object = |api_version: &str, kind: &str, namespace: Option<&str>| {
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let resource = kube::discovery::ApiResource {
                group: group.into(),
                version: version.into(),
                api_version: api_version.into(),
                kind: kind.into(),
                plural: format!("{}s", kind.to_lowercase()),
            };
            ObjectRef {
                kind: crate::cluster::Kind {
                    resource,
                    namespaced: namespace.is_some(),
                },
                namespace: namespace.map(str::to_string),
                name: "web".into(),
            }
        };
        let deployment = object("apps/v1", "Deployment", Some("gg"));
        assert_eq!(
            id(&deployment, true),
            "apiVersion=apps/v1,kind=Deployment,name=web,namespace=gg"
        );
        assert_eq!(id(&deployment, false), "gg/web");
        let namespace = object("v1", "Namespace", None);
        assert_eq!(
            id(&namespace, true),
            "apiVersion=v1,kind=Namespace,name=web"
        );
    }

    #[test]
    fn the_keys_given_up_are_those_the_manager_alone_set_before() {
        use super::super::config_map_data::ConfigMapData;
        let data = [("a", "1"), ("b", "2"), ("c", "3")].map(|(k, v)| (k, Value::string(v)));
        let prior = Value::object([
            ("data", Value::object(data)),
            ("field_manager", Value::string("Terraform")),
        ]);
        let live = json!({"metadata": {"managedFields": [
            {"manager": "Terraform", "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}, "f:c": {}}}},
            {"manager": "kubectl-create", "fieldsV1": {"f:data": {}}},
            {"manager": "kubectl-patch", "fieldsV1": {"f:data": {"f:b": {}}}},
        ]}});
        let now = json!({"data": {"c": "3"}});
        let dropped = Patch(ConfigMapData).dropped(&prior, &live, &now);
        assert_eq!(dropped.manager, "Terraform");
        assert_eq!(dropped.keys, [(&["data"][..], "a".to_string())]);
    }

    #[test]
    fn fields_merge_into_the_identity() {
        let mut manifest = json!({"metadata": {"name": "web"}});
        merge(
            &mut manifest,
            json!({"metadata": {"annotations": {"a": "1"}}, "spec": {"x": 1}}),
        );
        assert_eq!(
            manifest,
            json!({"metadata": {"name": "web", "annotations": {"a": "1"}}, "spec": {"x": 1}})
        );
    }
}
