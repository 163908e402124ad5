//! The objects of a rendered chart (`helm template`, `helm get manifest`) and the `manifest`
//! attribute they become: a map from `Kind namespace/name` (`Kind name` for cluster-wide
//! objects) to the object, which plans diff object by object and field by field, with every
//! Secret's data and every string holding a `set_sensitive` value marked sensitive.

use ggplan_sdk::{AttrPath, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The annotation that makes an object a hook (run at install, upgrade, test...): not part
/// of the release's lasting objects, and not in its manifest.
const HOOK: &str = "helm.sh/hook";

/// One object of a rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The object as the chart renders it (no namespace unless the chart writes one).
    pub object: Json,
    /// The namespace it lives in; `None` for a cluster-wide kind.
    pub namespace: Option<String>,
}

impl Rendered {
    /// `Kind namespace/name`, or `Kind name` for a cluster-wide object.
    pub fn key(&self) -> String {
        let kind = self.object["kind"].as_str().unwrap_or_default();
        let name = self.object["metadata"]["name"].as_str().unwrap_or_default();
        match &self.namespace {
            Some(namespace) => format!("{kind} {namespace}/{name}"),
            None => format!("{kind} {name}"),
        }
    }

    /// The object a `manifest` entry holds, with the namespace its key names.
    pub fn from_entry(key: &str, object: Json) -> Rendered {
        let place = key
            .split_once(' ')
            .map(|(_, place)| place)
            .unwrap_or_default();
        let namespace = place
            .split_once('/')
            .map(|(namespace, _)| namespace.to_string());
        Rendered { object, namespace }
    }

    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    /// The object as helm applies it: in its namespace, with the label and annotations by
    /// which helm knows the release owns it.
    pub fn as_helm_applies(&self, release: &str, release_namespace: &str) -> Json {
        let mut object = self.object.clone();
        let metadata = &mut object["metadata"];
        if let Some(namespace) = &self.namespace {
            metadata["namespace"] = Json::from(namespace.as_str());
        }
        metadata["labels"]["app.kubernetes.io/managed-by"] = Json::from("Helm");
        metadata["annotations"]["meta.helm.sh/release-name"] = Json::from(release);
        metadata["annotations"]["meta.helm.sh/release-namespace"] = Json::from(release_namespace);
        object
    }
}

/// The objects of helm's YAML output, hooks left out; an error names the document that does
/// not parse.
pub fn documents(text: &str) -> Result<Vec<Json>, String> {
    let documents: Vec<Json> = serde_saphyr::from_multiple(text)
        .map_err(|e| format!("helm's output does not parse as YAML: {e}"))?;
    Ok(documents
        .into_iter()
        .filter(|document| document.get("kind").is_some())
        .filter(|document| document["metadata"]["annotations"].get(HOOK).is_none())
        .collect())
}

/// The `manifest` attribute: each object under its key, Secrets' data and strings holding a
/// secret marked sensitive.
pub fn manifest_value(objects: &BTreeMap<String, Json>, secrets: &[String]) -> Value {
    let entries = objects.iter().map(|(key, object)| {
        let mut value = Value::from_json(object);
        if object["kind"] == "Secret" {
            for field in ["data", "stringData"] {
                let path = AttrPath::attr(field);
                if let Some(data) = value.at(&path).filter(|d| !d.is_null()) {
                    let hidden = data.clone().into_sensitive();
                    value.set_at(&path, hidden);
                }
            }
        }
        (key.clone(), mark_secrets(value, secrets))
    });
    Value::Map(entries.collect())
}

/// `value` with every string that holds one of `secrets` marked sensitive.
pub fn mark_secrets(value: Value, secrets: &[String]) -> Value {
    let secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() {
        return value;
    }
    mark_strings(value, &|text| {
        secrets.iter().any(|s| text.contains(s.as_str()))
    })
}

fn mark_strings(value: Value, holds_secret: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::String(text) if holds_secret(&text) => Value::String(text).into_sensitive(),
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|item| mark_strings(item, holds_secret))
                .collect(),
        ),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, item)| (key, mark_strings(item, holds_secret)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OUTPUT: &str = "---
# Source: platform/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: \"s3cr3t\"
---
# Source: platform/templates/config.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  url: \"postgres://app:s3cr3t@db\"
  workers: \"2\"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
";

    #[test]
    fn hooks_are_not_objects_of_the_release() {
        let objects = documents(OUTPUT).unwrap();
        let kinds: Vec<&str> = objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["Secret", "ConfigMap"]);
        assert!(documents("a: [").unwrap_err().contains("does not parse"));
    }

    #[test]
    fn secret_data_and_strings_holding_a_secret_are_sensitive() {
        let objects: BTreeMap<String, Json> = documents(OUTPUT)
            .unwrap()
            .into_iter()
            .map(|object| {
                let rendered = Rendered {
                    object,
                    namespace: Some("ns".into()),
                };
                (rendered.key(), rendered.object)
            })
            .collect();
        let manifest = manifest_value(&objects, &["s3cr3t".into()]);
        let secret = manifest.get("Secret ns/db");
        assert!(secret.get("stringData").is_sensitive());
        assert!(!secret.get("metadata").contains_sensitive());
        let config = manifest.get("ConfigMap ns/settings").get("data");
        assert!(config.get("url").is_sensitive());
        assert!(!config.get("workers").is_sensitive());
    }

    #[test]
    fn objects_are_keyed_by_kind_namespace_and_name_and_applied_as_helm_owns_them() {
        let object = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "minio"}});
        let namespaced = Rendered {
            object: object.clone(),
            namespace: Some("p".into()),
        };
        assert_eq!(namespaced.key(), "Service p/minio");
        let applied = namespaced.as_helm_applies("platform", "p");
        assert_eq!(applied["metadata"]["namespace"], "p");
        assert_eq!(
            applied["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "Helm"
        );
        assert_eq!(
            applied["metadata"]["annotations"]["meta.helm.sh/release-name"],
            "platform"
        );
        let cluster_wide = Rendered {
            object: object.clone(),
            namespace: None,
        };
        assert_eq!(cluster_wide.key(), "Service minio");
        for rendered in [namespaced, cluster_wide] {
            assert_eq!(
                Rendered::from_entry(&rendered.key(), object.clone()),
                rendered
            );
        }
    }
}
