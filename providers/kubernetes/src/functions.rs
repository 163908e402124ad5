//! hashicorp/kubernetes's provider-defined functions: `provider::kubernetes::manifest_decode`
//! and `manifest_decode_multi`, which turn YAML (a vendored install file, say) into
//! manifests, so a multi-document file becomes `for_each` manifests.

use ggplan_sdk::typed::ProviderFunction;
use ggplan_sdk::{FunctionError, FunctionParameter, FunctionSignature, Type, Value};
use serde_json::Value as Json;

/// `manifest_decode(manifest)`: one YAML document to one manifest.
pub struct ManifestDecode;

/// `manifest_decode_multi(manifest)`: a multi-document YAML to a list of manifests.
pub struct ManifestDecodeMulti;

impl ProviderFunction for ManifestDecode {
    fn name(&self) -> &'static str {
        "manifest_decode"
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature::new(
            "Decodes a Kubernetes manifest in YAML into an object; the YAML must hold exactly \
             one document, with apiVersion, kind and metadata.",
            [yaml_parameter()],
            Type::Any,
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let mut manifests = decode(args)?;
        match manifests.len() {
            1 => Ok(manifests.remove(0)),
            n => Err(FunctionError::argument(
                0,
                format!(
                    "the YAML holds {n} manifests; manifest_decode takes exactly one (use \
                     manifest_decode_multi for several)"
                ),
            )),
        }
    }
}

impl ProviderFunction for ManifestDecodeMulti {
    fn name(&self) -> &'static str {
        "manifest_decode_multi"
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature::new(
            "Decodes a YAML file of Kubernetes manifests (documents separated by ---) into a \
             list of objects; empty documents are skipped.",
            [yaml_parameter()],
            Type::List(Box::new(Type::Any)),
        )
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        Ok(Value::List(decode(args)?))
    }
}

fn yaml_parameter() -> FunctionParameter {
    FunctionParameter::new(
        "manifest",
        Type::String,
        "The YAML text, e.g. file(\"${path.module}/install.yaml\").",
    )
}

/// The manifests of the YAML argument: its non-empty documents, each checked to be one.
fn decode(args: &[Value]) -> Result<Vec<Value>, FunctionError> {
    let text = args.first().and_then(Value::as_str).unwrap_or_default();
    let documents: Vec<Json> = serde_saphyr::from_multiple(text)
        .map_err(|e| FunctionError::argument(0, format!("the YAML does not parse: {e}")))?;
    documents
        .into_iter()
        .filter(|document| !document.is_null())
        .enumerate()
        .map(|(index, document)| {
            check_manifest(&document)
                .map(|()| Value::from_json(&document))
                .map_err(|why| FunctionError::argument(0, format!("document {} {why}", index + 1)))
        })
        .collect()
}

/// A manifest is an object with apiVersion, kind and metadata.
fn check_manifest(document: &Json) -> Result<(), String> {
    let Json::Object(fields) = document else {
        return Err("is not an object: a manifest maps apiVersion, kind, metadata...".into());
    };
    let missing: Vec<&str> = ["apiVersion", "kind", "metadata"]
        .into_iter()
        .filter(|field| !fields.contains_key(*field))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "is not a Kubernetes manifest: it has no {}",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(function: &dyn ProviderFunction, yaml: &str) -> Result<Value, String> {
        function.call(&[Value::string(yaml)]).map_err(|e| e.message)
    }

    const TWO: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: argo}
---
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: argo}
data: {retries: \"3\", enabled: \"true\"}
";

    #[test]
    fn multi_decodes_every_non_empty_document_with_its_types() {
        let decoded = call(&ManifestDecodeMulti, TWO).unwrap();
        let list = decoded.as_list().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].get("data").get("retries"), &Value::string("3"));
        let one = call(
            &ManifestDecode,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
        );
        assert_eq!(
            one.unwrap().get("metadata").get("name"),
            &Value::string("a")
        );
    }

    #[test]
    fn what_is_not_one_manifest_is_refused_with_the_reason() {
        assert!(
            call(&ManifestDecode, TWO)
                .unwrap_err()
                .contains("holds 2 manifests")
        );
        let incomplete = call(&ManifestDecodeMulti, "apiVersion: v1\nmetadata: {}\n");
        assert!(
            incomplete
                .unwrap_err()
                .contains("document 1 is not a Kubernetes manifest: it has no kind")
        );
        assert!(
            call(&ManifestDecode, "a: [")
                .unwrap_err()
                .contains("does not parse")
        );
    }
}
