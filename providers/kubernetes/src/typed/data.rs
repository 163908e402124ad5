//! The data sources: `kubernetes_resource` (any object), `kubernetes_secret_v1` and
//! `kubernetes_namespace_v1`. As with hashicorp/kubernetes, an object that does not exist
//! reads as nothing (null attributes), not as an error; a namespaced object without
//! `metadata.namespace` is looked up in "default".
//!
//! Where ggplan differs: `kubernetes_resource`'s `object` leaves out
//! `metadata.managedFields` (bookkeeping, and noise in plans), and a Secret's `data` and
//! `stringData` in it are sensitive; the metadata blocks of the data sources take only the
//! name and namespace to look up (labels and annotations are read, every key).

use super::metadata::{self, DEFAULT_NAMESPACE};
use super::patch::locate;
use super::secret;
use crate::Kubernetes;
use crate::cluster::Cluster;
use crate::error::{KubeError, Place};
use async_trait::async_trait;
use ggplan_sdk::typed::DataSourceType;
use ggplan_sdk::{AttrPath, Attribute, Schema, Type, Value};
use serde_json::Value as Json;

/// Where a data source's failures are shown: its metadata block.
fn place() -> Place {
    Place {
        object: AttrPath::attr("metadata"),
        take_over: "",
    }
}

/// The object of `api_version` and `kind` a data source's metadata block names, as the server
/// has it (`None`: there is none), with the namespace it was looked up in.
async fn lookup(
    cluster: &Cluster,
    api_version: &str,
    kind: &str,
    config: &Value,
) -> Result<(Option<Json>, Option<String>), KubeError> {
    let found = locate(cluster, api_version, kind, metadata::of(config)).await;
    let Some(object) = found.map_err(|e| e.placed(&place()))? else {
        let message = "the name to look up is not known";
        return Err(KubeError::invalid(metadata::path("name"), message));
    };
    let live = cluster.get(&object).await.map_err(|e| e.placed(&place()))?;
    Ok((live, object.namespace))
}

/// A metadata block's name (known: data sources are read with known configurations).
fn name(config: &Value) -> &str {
    metadata::of(config)
        .get("name")
        .as_str()
        .unwrap_or_default()
}

/// `kubernetes_resource`: any object, whole, as `object`.
pub struct Resource;

#[async_trait]
impl DataSourceType<Kubernetes> for Resource {
    fn name(&self) -> &'static str {
        "kubernetes_resource"
    }

    fn schema(&self) -> Schema {
        let required = |what: &str| Attribute::required(Type::String).describe(what);
        let object = Attribute::computed(Type::Any).describe(
            "The object as the server has it (null when there is none); a Secret's data is \
             sensitive.",
        );
        let namespace = Attribute::optional(Type::String)
            .describe("The object's namespace (default: \"default\" for a namespaced kind).");
        Schema::new(
            "Any object of the cluster, read whole (the Argo CD initial admin secret, say).",
            [
                ("api_version", required("The object's apiVersion, e.g. v1.")),
                ("kind", required("The object's kind, e.g. Secret.")),
                ("object", object),
            ],
        )
        .with_block("metadata", metadata::target_block("object", namespace))
    }

    async fn read(&self, cluster: &Cluster, config: &Value) -> Result<Value, KubeError> {
        let api_version = config.get("api_version").as_str().unwrap_or_default();
        let kind = config.get("kind").as_str().unwrap_or_default();
        let (live, _) = lookup(cluster, api_version, kind, config).await?;
        let mut state = config.clone();
        state.set_attr("object", live.map_or(Value::Null, object));
        Ok(state)
    }
}

/// The object a `kubernetes_resource` shows: without its managed fields, a Secret's values
/// sensitive.
fn object(mut live: Json) -> Value {
    if let Some(metadata) = live["metadata"].as_object_mut() {
        metadata.remove("managedFields");
    }
    let secret = live["kind"] == "Secret";
    let mut object = Value::from_json(&live);
    for field in ["data", "stringData"].into_iter().filter(|_| secret) {
        let values = object.get(field).clone();
        if !values.is_null() {
            object.set_attr(field, values.into_sensitive());
        }
    }
    object
}

/// `kubernetes_secret_v1` (data source): a Secret's data, decoded, sensitive.
pub struct SecretData;

#[async_trait]
impl DataSourceType<Kubernetes> for SecretData {
    fn name(&self) -> &'static str {
        "kubernetes_secret_v1"
    }

    fn schema(&self) -> Schema {
        let strings = || Type::Map(Box::new(Type::String));
        Schema::new(
            "A Secret's data (sensitive), decoded.",
            [
                (
                    "data",
                    Attribute::computed(strings())
                        .sensitive()
                        .describe("The data in plain text, but for the keys of binary_data."),
                ),
                (
                    "binary_data",
                    Attribute::optional(strings())
                        .sensitive()
                        .describe("Keys to read base64-encoded (binary values); set each to \"\"."),
                ),
                (
                    "type",
                    Attribute::computed(Type::String).describe("The Secret's type."),
                ),
                (
                    "immutable",
                    Attribute::computed(Type::Bool).describe("Whether its data is immutable."),
                ),
                (
                    "id",
                    Attribute::computed(Type::String).describe("namespace/name of the Secret."),
                ),
            ],
        )
        .with_block("metadata", metadata::lookup_block("secret", true))
    }

    async fn read(&self, cluster: &Cluster, config: &Value) -> Result<Value, KubeError> {
        let (live, namespace) = lookup(cluster, "v1", "Secret", config).await?;
        let namespace = namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.into());
        let mut state = config.clone();
        let block = metadata::read_all(name(config), Some(&namespace), live.as_ref());
        state.set_attr("metadata", block);
        state.set_attr("id", Value::string(format!("{namespace}/{}", name(config))));
        if let Some(live) = &live {
            secret::read(&mut state, live, |_| true);
        }
        Ok(state)
    }
}

/// `kubernetes_namespace_v1` (data source).
pub struct NamespaceData;

#[async_trait]
impl DataSourceType<Kubernetes> for NamespaceData {
    fn name(&self) -> &'static str {
        "kubernetes_namespace_v1"
    }

    fn schema(&self) -> Schema {
        let finalizers =
            Type::Object([("finalizers".to_string(), Type::List(Box::new(Type::String)))].into());
        let spec = Attribute::computed(Type::List(Box::new(finalizers)))
            .describe("The namespace's spec: its finalizers.");
        let id = Attribute::computed(Type::String).describe("The namespace's name.");
        Schema::new("A namespace.", [("spec", spec), ("id", id)])
            .with_block("metadata", metadata::lookup_block("namespace", false))
    }

    async fn read(&self, cluster: &Cluster, config: &Value) -> Result<Value, KubeError> {
        let (live, _) = lookup(cluster, "v1", "Namespace", config).await?;
        let mut state = config.clone();
        state.set_attr(
            "metadata",
            metadata::read_all(name(config), None, live.as_ref()),
        );
        state.set_attr("id", Value::string(name(config)));
        let finalizers = live
            .as_ref()
            .map(|live| Value::from_json(&live["spec"]["finalizers"]));
        let spec = finalizers.map(|f| Value::List(vec![Value::object([("finalizers", f)])]));
        state.set_attr("spec", spec.unwrap_or(Value::Null));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_secrets_values_are_sensitive_and_managed_fields_left_out() {
        let live = json!({"kind": "Secret", "metadata": {"name": "s", "managedFields": [{}]},
                          "data": {"password": "aHVudGVyMg=="}});
        let shown = object(live);
        assert!(shown.get("data").is_sensitive());
        assert_eq!(
            shown.get("metadata"),
            &Value::object([("name", Value::string("s"))])
        );
        let map = object(json!({"kind": "ConfigMap", "data": {"a": "1"}}));
        assert!(!map.contains_sensitive());
    }
}
