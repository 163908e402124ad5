//! What every typed resource that makes its own object shares: an [`ObjectType`] says how its
//! configuration becomes the object's fields and how they read back; [`Typed`] does the rest
//! (the `metadata` block and `id`, the plan with its server-side dry-run (none for a
//! replacement), read, create by server-side apply or, for a generated name, by a plain create,
//! refusing an object that exists already as hashicorp/kubernetes does, update, delete that
//! waits until the object is gone, import by hashicorp/kubernetes's id; failures placed at the
//! attribute of the field the server refused).

use super::metadata::{self, Shape};
use crate::Kubernetes;
use crate::cluster::{Cluster, Kind};
use crate::error::{KubeError, Place};
use crate::object::{FieldManager, ObjectRef};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostics, PlanRequest, Schema, Type, Value, objchange};
use serde_json::{Value as Json, json};
use std::time::Duration;

/// The field manager the typed resources apply as. Not kubernetes_manifest's "Terraform":
/// a `kubernetes_annotations` or `kubernetes_config_map_v1_data` (which apply as
/// "Terraform") on an object a typed resource made keeps its own fields that way.
pub const MANAGER: &str = "ggplan";

/// How long a delete waits for the object to be gone, unless the type says otherwise.
const DELETE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// One kind of object a typed resource makes: its schema beyond `metadata` and `id`, and how
/// its attributes become the object's fields and read back.
#[async_trait]
pub trait ObjectType: Send + Sync + 'static {
    /// The resource type's name (`kubernetes_secret_v1`).
    const TYPE: &'static str;
    const API_VERSION: &'static str;
    const KIND: &'static str;
    /// What its objects are called in descriptions ("secret").
    const OBJECT: &'static str;
    const METADATA: Shape;

    /// The schema of everything but `metadata` and `id`.
    fn schema(&self) -> Schema;

    /// Checks beyond the schema (values not known yet are skipped).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// The object's fields besides apiVersion, kind and metadata; `None` while some are
    /// unknown.
    fn body(&self, state: &Value) -> Option<Json>;

    /// Sets the attributes `body` reads from, as the object `live` has them, in `state`.
    fn read_body(&self, state: &mut Value, live: &Json);

    /// Plan rules beyond the schema's: returns the changed paths that replace the object.
    /// `changes`: whether the plan changes anything at all.
    fn refine(
        &self,
        _prior: Option<&Value>,
        _config: &Value,
        _planned: &mut Value,
        _changes: bool,
    ) -> Vec<AttrPath> {
        Vec::new()
    }

    /// What a create waits for once the object exists; the object then, if it changed.
    async fn after_create(
        &self,
        _cluster: &Cluster,
        _object: &ObjectRef,
        _planned: &Value,
    ) -> Result<Option<Json>, KubeError> {
        Ok(None)
    }

    /// How long a delete waits for the object to be gone.
    fn delete_timeout(&self, _state: &Value) -> Result<Duration, KubeError> {
        Ok(DELETE_TIMEOUT)
    }

    /// Marks in an import's stub what the read must take whole (maps it cannot tell the
    /// stack's keys of yet: unknown).
    fn import_stub(&self, _stub: &mut Value) {}
}

/// The resource type of an [`ObjectType`].
pub struct Typed<T>(pub T);

/// Typed resources apply everything they set, taking it over from whoever changed it since:
/// their objects are theirs, as with hashicorp/kubernetes.
fn manager() -> FieldManager {
    FieldManager {
        name: MANAGER.to_string(),
        force: true,
    }
}

/// Where a failure is shown: at the attribute of the field the server refused
/// (`metadata.name: Invalid value...` at `metadata[0].name`), else at `metadata` (which
/// object).
fn place(schema: &Schema, error: &KubeError) -> Place {
    Place {
        object: refused_field(schema, error).unwrap_or_else(|| AttrPath::attr("metadata")),
        take_over: "",
    }
}

/// The attribute of the first field an invalid object's error names (`Secret "db" is
/// invalid: data[bad key]: Invalid value...`), when the schema has it.
fn refused_field(schema: &Schema, error: &KubeError) -> Option<AttrPath> {
    let KubeError::Api {
        code: 422, message, ..
    } = error
    else {
        return None;
    };
    let (_, fields) = message.split_once(" is invalid: ")?;
    let field = fields.trim_start_matches('[').split(": ").next()?;
    let mut segments = field.split(['.', '[']).map(snake_case);
    let head = segments.next()?;
    if head == "metadata" {
        let configured = [
            "name",
            "generate_name",
            "namespace",
            "labels",
            "annotations",
        ];
        return Some(match segments.next() {
            Some(name) if configured.contains(&name.as_str()) => metadata::path(&name),
            _ => AttrPath::attr("metadata"),
        });
    }
    // A list of blocks is named in the singular (subjects: subject).
    let singular = head.strip_suffix('s').unwrap_or(&head).to_string();
    [head.clone(), singular]
        .into_iter()
        .find(|name| schema.attributes.contains_key(name) || schema.blocks.contains_key(name))
        .map(|name| AttrPath::attr(&name))
}

/// A field's name as an attribute's: `imagePullSecrets` as `image_pull_secrets`.
fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

impl<T: ObjectType> Typed<T> {
    /// The failure, placed where the configuration describes what it is about.
    fn placed(&self, error: KubeError) -> KubeError {
        let place = place(&ResourceType::schema(self), &error);
        error.placed(&place)
    }

    /// The manifest a state describes; `None` while some of it is unknown.
    fn manifest(&self, state: &Value) -> Option<Json> {
        let mut manifest = json!({
            "apiVersion": T::API_VERSION,
            "kind": T::KIND,
            "metadata": metadata::to_json(state, T::METADATA)?,
        });
        if let (Json::Object(manifest), Json::Object(body)) = (&mut manifest, self.0.body(state)?) {
            manifest.extend(body);
        }
        Some(manifest)
    }

    /// The kind's API and namespace (for an object still to be made).
    async fn kind(&self, cluster: &Cluster) -> Result<Kind, KubeError> {
        cluster.kind(T::API_VERSION, T::KIND).await
    }

    /// Where the object a state (or an object the server returned) names lives.
    async fn locate(
        &self,
        cluster: &Cluster,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<ObjectRef, KubeError> {
        Ok(ObjectRef {
            kind: self.kind(cluster).await?,
            namespace: namespace
                .filter(|_| T::METADATA.namespaced)
                .map(str::to_string),
            name: name.to_string(),
        })
    }

    async fn located(
        &self,
        cluster: &Cluster,
        state: &Value,
    ) -> Result<Option<ObjectRef>, KubeError> {
        let block = metadata::of(state);
        let Some(name) = block.get("name").as_str() else {
            return Ok(None);
        };
        let located = self.locate(cluster, name, block.get("namespace").as_str());
        Ok(Some(located.await?))
    }

    /// The state for `base` (the planned or prior state) of the object `live`.
    fn state(&self, base: &Value, live: &Json) -> Value {
        let mut state = base.clone();
        let block = metadata::read(metadata::of(base), live, T::METADATA);
        state.set_attr("metadata", block);
        self.0.read_body(&mut state, live);
        state.set_attr("id", metadata::id(&state, T::METADATA));
        state
    }

    /// A server-side dry-run of the planned object, for what the server would refuse (an
    /// invalid name, label or value) to show in the plan; skipped while the plan holds
    /// unknowns or the namespace is made by the same apply.
    async fn dry_run(
        &self,
        cluster: &Cluster,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<(), KubeError> {
        let (Some(manifest), Some(object)) = (
            self.manifest(planned),
            self.located(cluster, planned).await?,
        ) else {
            return Ok(());
        };
        // A new object where one exists: a replacement's (made once the old one is gone), or
        // a create that will be refused; an apply against the old one checks neither.
        if prior.is_none() && cluster.get(&object).await?.is_some() {
            return Ok(());
        }
        let prior = prior.and_then(|prior| self.manifest(prior));
        let manager = manager();
        let checked = cluster.apply_repairing(&object, &manifest, &manager, prior.as_ref(), true);
        match checked.await {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    async fn plan(
        &self,
        cluster: &Cluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
    ) -> Result<Vec<AttrPath>, KubeError> {
        if T::METADATA.namespaced {
            metadata::default_namespace(planned);
        }
        let changes = request.prior != Some(planned);
        let replace = self
            .0
            .refine(request.prior, request.config, planned, changes);
        let new = match request.prior {
            None => true,
            Some(prior) => {
                !replace.is_empty()
                    || !objchange::replace_paths(&self.schema(), prior, planned).is_empty()
            }
        };
        metadata::plan_computed(planned, request.config, new, changes);
        planned.set_attr("id", metadata::id(planned, T::METADATA));
        // A replacement makes a new object: the server would refuse the change in place
        // (roleRef, the data of an immutable Secret) that a dry-run against the old one asks.
        let replaced = new && request.prior.is_some();
        if changes && !replaced {
            self.dry_run(cluster, request.prior, planned).await?;
        }
        Ok(replace)
    }

    /// Creates the object: by server-side apply, or by a plain create when the server
    /// generates its name; then waits as the type says.
    async fn create(
        &self,
        cluster: &Cluster,
        planned: &Value,
    ) -> Result<Value, Partial<KubeError>> {
        let manifest = self.manifest(planned).ok_or_else(not_known)?;
        let named = self.located(cluster, planned).await?;
        let live = match &named {
            Some(object) => {
                if cluster.get(object).await?.is_some() {
                    return Err(exists(object).into());
                }
                cluster.apply(object, &manifest, &manager(), false).await?
            }
            None => {
                let kind = self.kind(cluster).await?;
                let namespace = metadata::of(planned)
                    .get("namespace")
                    .as_str()
                    .filter(|_| kind.namespaced);
                cluster
                    .create(&kind, namespace, &manifest, &manager())
                    .await?
            }
        };
        let state = self.state(planned, &live);
        let object = self.located(cluster, &state).await?.ok_or_else(not_known)?;
        match self.0.after_create(cluster, &object, planned).await {
            Ok(waited) => Ok(waited.map_or(state, |live| self.state(planned, &live))),
            Err(e) => Err(Partial::left(state, e)),
        }
    }

    async fn update(
        &self,
        cluster: &Cluster,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, KubeError> {
        let manifest = self.manifest(planned).ok_or_else(not_known)?;
        let object = self
            .located(cluster, planned)
            .await?
            .ok_or_else(not_known)?;
        let prior = self.manifest(prior);
        let manager = manager();
        let live = cluster.apply_repairing(&object, &manifest, &manager, prior.as_ref(), false);
        Ok(self.state(planned, &live.await?))
    }

    async fn delete(&self, cluster: &Cluster, prior: &Value) -> Result<(), KubeError> {
        let Some(object) = self.located(cluster, prior).await? else {
            return Ok(());
        };
        cluster.delete(&object).await?;
        cluster
            .wait_gone(&object, self.0.delete_timeout(prior)?)
            .await
    }
}

/// A create of an object that exists already, refused (as hashicorp/kubernetes does): taking
/// it over would make the stack's destroy delete it.
fn exists(object: &ObjectRef) -> KubeError {
    let id = match &object.namespace {
        Some(namespace) => format!("{namespace}/{}", object.name),
        None => object.name.clone(),
    };
    let message = format!(
        "{object} already exists. To manage it, import it (ggplan import ADDRESS {id}); to \
         make a new one, choose another name."
    );
    KubeError::invalid(metadata::path("name"), message)
}

fn not_known() -> KubeError {
    KubeError::invalid(AttrPath::attr("metadata"), "the object is still not known")
}

#[async_trait]
impl<T: ObjectType> ResourceType<Kubernetes> for Typed<T> {
    fn name(&self) -> &'static str {
        T::TYPE
    }

    fn schema(&self) -> Schema {
        let object = T::OBJECT;
        let mut schema = self.0.schema();
        let id = match T::METADATA.namespaced {
            true => format!("namespace/name of the {object}."),
            false => format!("The name of the {object}."),
        };
        schema
            .attributes
            .insert("id".into(), Attribute::computed(Type::String).describe(&id));
        schema.with_block("metadata", metadata::block(object, T::METADATA))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = metadata::validate(config, T::METADATA);
        diagnostics.extend(self.0.validate(config));
        diagnostics
    }

    async fn modify_plan(
        &self,
        cluster: &Cluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, KubeError> {
        self.plan(cluster, request, planned)
            .await
            .map_err(|e| self.placed(e))
    }

    async fn read(&self, cluster: &Cluster, state: &Value) -> Result<Option<Value>, KubeError> {
        let Some(object) = self
            .located(cluster, state)
            .await
            .map_err(|e| self.placed(e))?
        else {
            return Ok(None);
        };
        let live = cluster.get(&object).await.map_err(|e| self.placed(e))?;
        Ok(live.map(|live| self.state(state, &live)))
    }

    async fn create(
        &self,
        cluster: &Cluster,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        let created = Typed::create(self, cluster, planned).await;
        created.map_err(|partial| partial.map_error(|e| self.placed(e)))
    }

    async fn update(
        &self,
        cluster: &Cluster,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        let updated = Typed::update(self, cluster, prior, planned).await;
        updated.map_err(|e| Partial::from(self.placed(e)))
    }

    async fn delete(
        &self,
        cluster: &Cluster,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), KubeError> {
        Typed::delete(self, cluster, prior)
            .await
            .map_err(|e| self.placed(e))
    }

    /// hashicorp/kubernetes's ids: `namespace/name`, or `name` for a cluster-wide object.
    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let block = metadata::import_block(T::TYPE, id, T::METADATA)?;
        let schema = self.schema();
        let mut stub = schema.with_defaults(Value::object([("metadata", block)]));
        // Null where the id says nothing (timeouts, binary_data), as a configuration without
        // them plans: a matching configuration then plans no change.
        if let Value::Map(fields) = &mut stub {
            for name in schema.attributes.keys().chain(schema.blocks.keys()) {
                fields.entry(name.clone()).or_insert(Value::Null);
            }
        }
        self.0.import_stub(&mut stub);
        Ok(stub)
    }

    fn import_id_format(&self) -> &'static str {
        match T::METADATA.namespaced {
            true => "<namespace>/<name>",
            false => "<name>",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typed::{namespace::Namespace, secret::Secret};

    fn invalid(message: &str) -> KubeError {
        KubeError::Api {
            code: 422,
            reason: "Invalid".into(),
            message: message.into(),
            conflicts: Vec::new(),
        }
    }

    #[test]
    fn a_refused_field_is_placed_at_its_attribute() {
        use crate::typed::cluster_role_binding::ClusterRoleBinding;
        let schema = ResourceType::schema(&Typed(Secret));
        let name = invalid(
            "Secret \"Bad\" is invalid: metadata.name: Invalid value: \"Bad\": a lowercase \
             RFC 1123 subdomain must consist of...",
        );
        assert_eq!(place(&schema, &name).object, metadata::path("name"));
        let key = invalid("Secret \"db\" is invalid: [data[bad key]: Invalid value: \"bad key\"]");
        assert_eq!(place(&schema, &key).object, AttrPath::attr("data"));
        let schema = ResourceType::schema(&Typed(ClusterRoleBinding));
        let subject = invalid("ClusterRoleBinding \"b\" is invalid: subjects[0].kind: Unsupported");
        assert_eq!(place(&schema, &subject).object, AttrPath::attr("subject"));
        let other = KubeError::invalid(AttrPath::attr("data"), "x");
        assert_eq!(place(&schema, &other).object, AttrPath::attr("metadata"));
    }

    #[test]
    fn an_import_stub_has_every_attribute_and_block_a_plan_compares() {
        let stub = Typed(Namespace).import_stub("gg").unwrap();
        assert_eq!(stub.get("timeouts"), &Value::Null);
        assert_eq!(
            stub.get("wait_for_default_service_account"),
            &Value::Bool(false)
        );
        assert!(stub.as_map().unwrap().contains_key("timeouts"));
        let stub = Typed(Secret).import_stub("gg/db").unwrap();
        assert!(stub.as_map().unwrap().contains_key("binary_data"));
        assert_eq!(stub.get("data"), &Value::Unknown);
        assert_eq!(stub.get("type"), &Value::string("Opaque"));
    }
}
