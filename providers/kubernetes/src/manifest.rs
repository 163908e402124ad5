//! `kubernetes_manifest`: any object (core kinds, CRDs, custom resources) from its manifest,
//! applied by server-side apply.
//!
//! The plan is the server's own answer: a dry-run apply of the manifest, projected onto the
//! fields the manifest sets ([`crate::object::project`]), compared with the live object
//! projected the same way. So defaults, `status`, `managedFields` and `resourceVersion` make
//! no noise, a field changed by hand shows as drift, and values the server normalises match.
//! When the dry-run cannot be made yet (the manifest holds values known only after apply, its
//! namespace or its kind is created by the same apply), `object` is known after apply.

use crate::Kubernetes;
use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::field_path::FieldPath;
use crate::object::{FieldManager, Identity, manifest_path, project_object};
use crate::wait::{Wait, timeout};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, PlanRequest, Schema,
    Type, Value,
};
use serde_json::Value as Json;

const TYPE: &str = "kubernetes_manifest";
/// hashicorp/kubernetes's field manager, so that objects applied by either stay with one
/// manager.
const DEFAULT_FIELD_MANAGER: &str = "Terraform";
/// The fields the server may change on apply, unless `computed_fields` says otherwise.
const DEFAULT_COMPUTED_FIELDS: [&str; 2] = ["metadata.annotations", "metadata.labels"];
/// The fields that name the object: a change replaces it.
const IDENTITY: [&[&str]; 4] = [
    &["apiVersion"],
    &["kind"],
    &["metadata", "name"],
    &["metadata", "namespace"],
];

/// `kubernetes_manifest`.
pub struct Manifest;

fn schema() -> Schema {
    Schema::new(
        "Any Kubernetes object, applied by server-side apply.",
        [
            (
                "manifest",
                Attribute::required(Type::Any)
                    .describe("The object: apiVersion, kind, metadata and the rest, as in YAML."),
            ),
            (
                "object",
                Attribute::computed(Type::Any)
                    .describe("The object as the server has it, on the fields the manifest sets."),
            ),
            (
                "computed_fields",
                Attribute::optional(Type::List(Box::new(Type::String))).describe(
                    "Fields the server may change on apply. Default: metadata.annotations, \
                     metadata.labels.",
                ),
            ),
        ],
    )
    .with_block("field_manager", single(field_manager_schema()))
    .with_block("wait", single(wait_schema()))
    .with_block("timeouts", single(timeouts_schema()))
}

fn field_manager_schema() -> Schema {
    Schema::new(
        "The field manager this object is applied as.",
        [
            (
                "name",
                Attribute::optional(Type::String)
                    .default(Value::string(DEFAULT_FIELD_MANAGER))
                    .describe("The manager's name. Default: Terraform (as hashicorp/kubernetes)."),
            ),
            (
                "force_conflicts",
                Attribute::optional(Type::Bool)
                    .default(Value::Bool(false))
                    .describe("Take over fields another manager owns instead of failing."),
            ),
        ],
    )
}

fn wait_schema() -> Schema {
    let condition = Schema::new(
        "A condition to wait for.",
        ["type", "status"].map(|name| (name, Attribute::optional(Type::String))),
    );
    Schema::new(
        "What to wait for after a create or update.",
        [
            (
                "rollout",
                Attribute::optional(Type::Bool)
                    .describe("Wait for a Deployment, StatefulSet or DaemonSet to roll out."),
            ),
            (
                "fields",
                Attribute::optional(Type::Map(Box::new(Type::String))).describe(
                    "Field paths and regular expressions their values must match (* for any).",
                ),
            ),
        ],
    )
    .with_block("condition", NestedBlock::new(BlockNesting::List, condition))
}

fn timeouts_schema() -> Schema {
    Schema::new(
        "How long create, update and delete may wait (default 10m each).",
        ["create", "update", "delete"].map(|operation| {
            let text = format!("How long the {operation} may wait, e.g. 30s, 10m, 1h.");
            (operation, Attribute::optional(Type::String).describe(&text))
        }),
    )
}

/// hashicorp/kubernetes declares these blocks as lists of at most one; a single block reads
/// the same in a stack, and plans show nothing for one that is absent.
fn single(schema: Schema) -> NestedBlock {
    NestedBlock::new(BlockNesting::Single, schema)
}

/// The manifest of a configuration or state, as JSON; `None` while any of it is unknown.
fn manifest_json(value: &Value) -> Option<Json> {
    let manifest = value.get("manifest");
    manifest
        .is_wholly_known()
        .then(|| manifest.to_json())
        .flatten()
}

/// The field manager a configuration or state asks for.
fn field_manager(value: &Value) -> FieldManager {
    let block = value.get("field_manager");
    FieldManager {
        name: block
            .get("name")
            .as_str()
            .unwrap_or(DEFAULT_FIELD_MANAGER)
            .to_string(),
        force: block.get("force_conflicts").as_bool().unwrap_or(false),
    }
}

/// A value's `computed_fields`, or the defaults.
fn computed_fields(value: &Value) -> Result<Vec<FieldPath>, KubeError> {
    let listed: Vec<&str> = match value.get("computed_fields").as_list() {
        Some(list) => list.iter().filter_map(Value::as_str).collect(),
        None => DEFAULT_COMPUTED_FIELDS.to_vec(),
    };
    listed
        .into_iter()
        .map(|text| {
            FieldPath::parse(text)
                .map_err(|e| KubeError::invalid(AttrPath::attr("computed_fields"), e))
        })
        .collect()
}

/// `value` with its `object`, and a Secret's data marked sensitive.
fn with_object(value: &Value, object: Value) -> Value {
    let mut state = value.clone();
    state.set_attr("object", object);
    hide_secret_data(&mut state);
    state
}

/// Marks the `data` and `stringData` of a Secret's manifest and object sensitive: the
/// schema cannot say so of a field inside a dynamic manifest, and a Secret's values must
/// never be printed, whether they came from a secret or were written in the stack.
fn hide_secret_data(state: &mut Value) {
    if state.get("manifest").get("kind").as_str() != Some("Secret") {
        return;
    }
    for attribute in ["manifest", "object"] {
        for field in ["data", "stringData"] {
            let path = AttrPath::attr(attribute).key(field);
            if let Some(data) = state.at(&path).filter(|d| !d.is_null() && !d.is_unknown()) {
                let secret = data.clone().into_sensitive();
                state.set_at(&path, secret);
            }
        }
    }
}

/// The paths naming the object that differ between two manifests (a change replaces it).
fn identity_changes(prior: &Value, planned: &Value) -> Vec<AttrPath> {
    IDENTITY
        .iter()
        .filter(|fields| {
            let at = |value: &Value| {
                fields
                    .iter()
                    .fold(value.get("manifest").clone(), |v, f| v.get(f).clone())
            };
            let after = at(planned);
            !after.is_unknown() && at(prior) != after
        })
        .map(|fields| manifest_path(fields))
        .collect()
}

/// The planned `object`: the dry-run's result on the manifest's fields, with the computed
/// fields that change unknown; unknown when no dry-run can be made yet.
async fn planned_object(
    cluster: &Cluster,
    prior: Option<&Value>,
    planned: &Value,
    warnings: &mut Diagnostics,
) -> Result<Value, KubeError> {
    let Some(manifest) = manifest_json(planned) else {
        return Ok(Value::Unknown);
    };
    let identity = Identity::of(&manifest)?;
    let object = match cluster.locate(&identity).await {
        Ok(object) => object,
        // A kind a CRD of this apply will add is known only then; the apply waits for it.
        // (No CRD adds kinds to the core group, v1: there a kind it lacks is a mistake.)
        Err(KubeError::UnknownKind { .. }) if identity.api_version.contains('/') => {
            warnings.push(not_served_yet(&identity));
            return Ok(Value::Unknown);
        }
        Err(other) => return Err(other),
    };
    let manager = field_manager(planned);
    let prior = prior.and_then(manifest_json);
    let dry_run = cluster.apply_repairing(&object, &manifest, &manager, prior.as_ref(), true);
    let dry_run = match dry_run.await {
        Ok(result) => result,
        // Its namespace is made by this apply.
        Err(e) if e.is_not_found() => return Ok(Value::Unknown),
        Err(e) => return Err(e),
    };
    let mut object = Value::from_json(&project_object(&dry_run, &manifest));
    for field in computed_fields(planned)? {
        unknown_where_mutated(&mut object, planned.get("manifest"), &field);
    }
    Ok(object)
}

/// The warning for a kind the cluster does not serve when the plan is made.
fn not_served_yet(identity: &Identity) -> Diagnostic {
    Diagnostic::warning(
        format!(
            "The cluster serves no kind {} in {} yet",
            identity.kind, identity.api_version
        ),
        "It is planned from the manifest alone. If a CRD of this stack defines it (make this \
         resource depend on it), the apply waits until the CRD is established; otherwise the \
         apply fails here: check apiVersion and kind.",
    )
    .at_attribute(AttrPath::attr("manifest"))
}

/// Makes a computed field of the planned object unknown where the server's dry-run made it
/// something else than the manifest says: a mutating webhook may well make it something else
/// again when the object is applied for real (hashicorp/kubernetes plans computed fields
/// unknown; only the mutated ones are here, so that a reviewer still sees a changed label).
fn unknown_where_mutated(object: &mut Value, manifest: &Value, field: &FieldPath) {
    let path = field.attr_path();
    let Some(server) = object.at(&path) else {
        return;
    };
    if manifest.at(&path) != Some(server) {
        object.set_at(&path, Value::Unknown);
    }
}

#[async_trait]
impl ResourceType<Kubernetes> for Manifest {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        let mut check = |result: Result<(), KubeError>| {
            if let Err(e) = result {
                diagnostics.extend(ggplan_sdk::typed::CallError::into_diagnostics(
                    e,
                    "Invalid kubernetes_manifest",
                ));
            }
        };
        if let Some(manifest) = manifest_json(config) {
            check(Identity::of(&manifest).map(|_| ()));
        }
        check(computed_fields(config).map(|_| ()));
        let kind = config.get("manifest").get("kind").as_str();
        check(Wait::of(config).and_then(|wait| match (wait, kind) {
            (Some(wait), Some(kind)) => wait.check_kind(kind),
            _ => Ok(()),
        }));
        for operation in ["create", "update", "delete"] {
            check(timeout(config, operation).map(|_| ()));
        }
        diagnostics
    }

    async fn modify_plan(
        &self,
        cluster: &Cluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, KubeError> {
        let object = planned_object(cluster, request.prior, planned, warnings).await?;
        *planned = with_object(planned, object);
        Ok(request
            .prior
            .map(|prior| identity_changes(prior, planned))
            .unwrap_or_default())
    }

    async fn read(&self, cluster: &Cluster, state: &Value) -> Result<Option<Value>, KubeError> {
        let Some(manifest) = manifest_json(state) else {
            return Ok(None);
        };
        let identity = Identity::of(&manifest)?;
        let object = match cluster.locate(&identity).await {
            Ok(object) => object,
            // The CRD that defined its kind is gone, and the object with it.
            Err(KubeError::UnknownKind { .. }) => return Ok(None),
            Err(other) => return Err(other),
        };
        Ok(cluster
            .get(&object)
            .await?
            .map(|live| with_object(state, Value::from_json(&project_object(&live, &manifest)))))
    }

    async fn create(
        &self,
        cluster: &Cluster,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        apply(cluster, None, planned, "create").await
    }

    async fn update(
        &self,
        cluster: &Cluster,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        apply(cluster, Some(prior), planned, "update").await
    }

    async fn delete(
        &self,
        cluster: &Cluster,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), KubeError> {
        let Some(manifest) = manifest_json(prior) else {
            return Ok(());
        };
        let object = match cluster.locate(&Identity::of(&manifest)?).await {
            Ok(object) => object,
            Err(KubeError::UnknownKind { .. }) => return Ok(()),
            Err(other) => return Err(other),
        };
        cluster.delete(&object).await?;
        cluster.wait_gone(&object, timeout(prior, "delete")?).await
    }

    /// `apiVersion=v1,kind=Secret,namespace=default,name=sample`, as hashicorp/kubernetes.
    fn import_stub(&self, id: &str) -> Result<Value, Diagnostics> {
        let manifest = import_manifest(id)?;
        let stub = Value::object([
            ("manifest", Value::from_json(&manifest)),
            ("computed_fields", Value::Null),
        ]);
        Ok(with_object(&stub, Value::Null))
    }

    fn import_id_format(&self) -> &'static str {
        "apiVersion=<string>,kind=<string>,[namespace=<string>,]name=<string>"
    }
}

/// Applies the planned manifest, waits as its `wait` block says, and returns the state; a
/// wait that times out leaves the applied object recorded.
async fn apply(
    cluster: &Cluster,
    prior: Option<&Value>,
    planned: &Value,
    operation: &str,
) -> Result<Value, Partial<KubeError>> {
    let manifest = manifest_json(planned).ok_or_else(|| {
        KubeError::invalid(
            AttrPath::attr("manifest"),
            "the manifest is still not known",
        )
    })?;
    let limit = timeout(planned, operation)?;
    let object = cluster
        .locate_when_served(&Identity::of(&manifest)?, limit)
        .await?;
    let prior = prior.and_then(manifest_json);
    let manager = field_manager(planned);
    let applied = cluster
        .apply_repairing(&object, &manifest, &manager, prior.as_ref(), false)
        .await?;
    let state = with_object(
        planned,
        Value::from_json(&project_object(&applied, &manifest)),
    );
    let Some(wait) = Wait::of(planned)? else {
        return Ok(state);
    };
    match cluster.wait_for(&object, &wait, limit).await {
        Ok(waited) => Ok(with_object(
            planned,
            Value::from_json(&project_object(&waited, &manifest)),
        )),
        Err(e) => Err(Partial::left(state, e)),
    }
}

/// The manifest an import id names.
fn import_manifest(id: &str) -> Result<Json, Diagnostics> {
    let mut fields = std::collections::BTreeMap::new();
    for part in id.split(',') {
        let (key, value) = part.split_once('=').ok_or_else(|| bad_import_id(id))?;
        fields.insert(key.trim(), value.trim());
    }
    let (Some(api_version), Some(kind), Some(name)) = (
        fields.get("apiVersion"),
        fields.get("kind"),
        fields.get("name"),
    ) else {
        return Err(bad_import_id(id));
    };
    let mut metadata = serde_json::json!({ "name": name });
    if let Some(namespace) = fields.get("namespace") {
        metadata["namespace"] = Json::from(*namespace);
    }
    Ok(serde_json::json!({ "apiVersion": api_version, "kind": kind, "metadata": metadata }))
}

fn bad_import_id(id: &str) -> Diagnostics {
    Diagnostic::error(
        format!("{id:?} is not a kubernetes_manifest import id"),
        "Write apiVersion=<string>,kind=<string>,[namespace=<string>,]name=<string>, e.g. \
         apiVersion=v1,kind=Secret,namespace=default,name=sample.",
    )
    .into()
}
