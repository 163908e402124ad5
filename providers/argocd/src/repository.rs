//! `argocd_repository`: a repository Argo CD may pull from, written as the Secret Argo CD
//! reads (label `argocd.argoproj.io/secret-type: repository`, one data key per setting, in
//! Argo CD's declarative-setup names), in the provider's namespace, named as Argo CD names the
//! Secrets it makes itself (`repo-` and the FNV-1a hash of URL and project). Credentials are
//! sensitive attributes: never printed, never in a diagnostic.

use crate::{ArgoCluster, Argocd};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ggplan_provider_kubernetes::error::KubeError;
use ggplan_provider_kubernetes::object::{FieldManager, ObjectRef};
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest, Schema, Type, Value};
use serde_json::{Map, Value as Json, json};
use std::time::Duration;

/// The label that makes a Secret an Argo CD repository.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";

/// One setting: its attribute, its data key in the Secret, whether it is a secret, and whether
/// it is a boolean (`"true"`/`"false"` in the Secret).
struct Setting {
    attribute: &'static str,
    key: &'static str,
    sensitive: bool,
    boolean: bool,
    text: &'static str,
}

const fn setting(attribute: &'static str, key: &'static str, text: &'static str) -> Setting {
    Setting {
        attribute,
        key,
        sensitive: false,
        boolean: false,
        text,
    }
}

const fn secret(attribute: &'static str, key: &'static str, text: &'static str) -> Setting {
    Setting {
        sensitive: true,
        ..setting(attribute, key, text)
    }
}

const fn flag(attribute: &'static str, key: &'static str, text: &'static str) -> Setting {
    Setting {
        boolean: true,
        ..setting(attribute, key, text)
    }
}

const SETTINGS: [Setting; 12] = [
    setting("repo", "url", "URL of the repository."),
    setting("type", "type", "git, helm or oci. Default: git."),
    setting(
        "name",
        "name",
        "Name of the repository (required for a Helm repository).",
    ),
    setting(
        "project",
        "project",
        "The Argo CD project the repository belongs to.",
    ),
    setting("username", "username", "Username for the repository."),
    secret(
        "password",
        "password",
        "Password or token for the repository.",
    ),
    secret(
        "ssh_private_key",
        "sshPrivateKey",
        "PEM private key for SSH access.",
    ),
    setting(
        "tls_client_cert_data",
        "tlsClientCertData",
        "TLS client certificate, PEM.",
    ),
    secret(
        "tls_client_cert_key",
        "tlsClientCertKey",
        "TLS client certificate's key, PEM.",
    ),
    flag(
        "insecure",
        "insecure",
        "Skip the server's certificate and host key checks.",
    ),
    flag(
        "enable_lfs",
        "enableLfs",
        "Fetch Git LFS objects (git only).",
    ),
    flag(
        "enable_oci",
        "enableOCI",
        "The Helm repository is an OCI registry.",
    ),
];

pub struct Repository;

fn schema() -> Schema {
    let attributes = SETTINGS.iter().map(|s| {
        let ty = if s.boolean { Type::Bool } else { Type::String };
        let mut attribute = match s.attribute {
            "repo" => Attribute::required(ty).force_new(),
            "project" => Attribute::optional(ty).force_new(),
            _ => Attribute::optional(ty),
        };
        if s.sensitive {
            attribute = attribute.sensitive();
        }
        if s.attribute == "type" {
            attribute = attribute.default(Value::string("git"));
        }
        (s.attribute, attribute.describe(s.text))
    });
    let id = Attribute::computed(Type::String).describe("The repository's URL.");
    Schema::new(
        "A repository Argo CD may pull from, as the repository Secret Argo CD reads.",
        attributes.chain([("id", id)]),
    )
}

/// Argo CD's name for the Secret of a repository (`RepoURLToSecretName("repo", url, project)`):
/// `repo-` and the 32-bit FNV-1a hash of the URL followed by the project.
pub fn secret_name(repo: &str, project: &str) -> String {
    let hash = repo
        .bytes()
        .chain(project.bytes())
        .fold(0x811c_9dc5_u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
    format!("repo-{hash}")
}

/// The Secret a state describes; `None` while some of it is unknown.
fn manifest(state: &Value, namespace: &str) -> Option<Json> {
    let mut data = Map::new();
    for s in &SETTINGS {
        let text = match state.get(s.attribute) {
            Value::Unknown => return None,
            Value::Null => continue,
            Value::Bool(b) => b.to_string(),
            other => other.as_str()?.to_string(),
        };
        data.insert(s.key.into(), json!(STANDARD.encode(text)));
    }
    let repo = state.get("repo").as_str()?;
    let project = state.get("project").as_str().unwrap_or_default();
    Some(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(repo, project),
            "namespace": namespace,
            "labels": {SECRET_TYPE_LABEL: "repository"},
        },
        "type": "Opaque",
        "data": data,
    }))
}

/// The state for `base` of the Secret `live`: each setting as its data key holds it.
fn state(base: &Value, live: &Json) -> Value {
    let mut state = base.clone();
    for s in &SETTINGS {
        let decoded = live["data"][s.key]
            .as_str()
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        let value = match decoded {
            None => Value::Null,
            Some(text) if s.boolean => Value::Bool(text == "true"),
            Some(text) if s.sensitive => Value::string(text).into_sensitive(),
            Some(text) => Value::string(text),
        };
        state.set_attr(s.attribute, value);
    }
    state.set_attr("id", state.get("repo").clone());
    state
}

fn at_repo(error: KubeError) -> KubeError {
    crate::placed_at(error, AttrPath::attr("repo"))
}

fn manager() -> FieldManager {
    FieldManager {
        name: "ggplan".into(),
        force: true,
    }
}

impl Repository {
    async fn locate(
        &self,
        argo: &ArgoCluster,
        state: &Value,
    ) -> Result<Option<ObjectRef>, KubeError> {
        let Some(repo) = state.get("repo").as_str() else {
            return Ok(None);
        };
        let project = state.get("project").as_str().unwrap_or_default();
        Ok(Some(ObjectRef {
            kind: argo.cluster.kind("v1", "Secret").await?,
            namespace: Some(argo.namespace.clone()),
            name: secret_name(repo, project),
        }))
    }

    /// Applies the Secret (a dry-run with `dry_run`) and returns the state it makes.
    async fn apply(
        &self,
        argo: &ArgoCluster,
        prior: Option<&Value>,
        planned: &Value,
        dry_run: bool,
    ) -> Result<Option<Value>, KubeError> {
        let (Some(secret), Some(object)) = (
            manifest(planned, &argo.namespace),
            self.locate(argo, planned).await?,
        ) else {
            return Ok(None);
        };
        if prior.is_none() && !dry_run && argo.cluster.get(&object).await?.is_some() {
            return Err(KubeError::invalid(
                AttrPath::attr("repo"),
                format!(
                    "{object} already exists: Argo CD knows this repository already. Remove \
                     that Secret, or leave the repository to whoever made it."
                ),
            ));
        }
        let prior = prior.and_then(|p| manifest(p, &argo.namespace));
        let manager = manager();
        let applied = argo
            .cluster
            .apply_repairing(&object, &secret, &manager, prior.as_ref(), dry_run)
            .await;
        match applied {
            Err(e) if dry_run && e.is_not_found() => Ok(None),
            Err(e) => Err(e),
            Ok(live) => Ok(Some(state(planned, &live))),
        }
    }
}

#[async_trait]
impl ResourceType<Argocd> for Repository {
    fn name(&self) -> &'static str {
        "argocd_repository"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    /// Argo CD's own rules for what a repository must have (it would take the Secret and then
    /// refuse to use it).
    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        let kind = config.get("type").as_str().unwrap_or("git");
        if !["git", "helm", "oci"].contains(&kind) && !config.get("type").is_unknown() {
            let message = format!(
                "type {kind:?} is not a repository type Argo CD knows: use git, helm or oci"
            );
            diagnostics.push(Diagnostic::error(message, "").at_attribute(AttrPath::attr("type")));
        }
        if kind == "helm" && config.get("name").is_null() {
            diagnostics.push(
                Diagnostic::error(
                    "A Helm repository needs a name",
                    "Argo CD requires name for repositories of type helm.",
                )
                .at_attribute(AttrPath::attr("name")),
            );
        }
        diagnostics
    }

    async fn modify_plan(
        &self,
        argo: &ArgoCluster,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, KubeError> {
        planned.set_attr("id", planned.get("repo").clone());
        if request.prior != Some(&*planned) {
            self.apply(argo, request.prior, planned, true)
                .await
                .map_err(at_repo)?;
        }
        Ok(Vec::new())
    }

    async fn read(&self, argo: &ArgoCluster, state: &Value) -> Result<Option<Value>, KubeError> {
        let object = self.locate(argo, state).await.map_err(at_repo)?;
        let refreshed = crate::refresh(&argo.cluster, object, |live| self::state(state, live));
        refreshed.await.map_err(at_repo)
    }

    async fn create(
        &self,
        argo: &ArgoCluster,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        let applied = self
            .apply(argo, None, planned, false)
            .await
            .map_err(at_repo)?;
        Ok(applied.unwrap_or_else(|| planned.clone()))
    }

    async fn update(
        &self,
        argo: &ArgoCluster,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<KubeError>> {
        let applied = self
            .apply(argo, Some(prior), planned, false)
            .await
            .map_err(at_repo)?;
        Ok(applied.unwrap_or_else(|| planned.clone()))
    }

    async fn delete(
        &self,
        argo: &ArgoCluster,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), KubeError> {
        let Some(object) = self.locate(argo, prior).await? else {
            return Ok(());
        };
        argo.cluster.delete(&object).await?;
        argo.cluster
            .wait_gone(&object, Duration::from_secs(60))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helm_repository_without_a_name_and_an_unknown_type_are_refused() {
        let helm = Value::object([
            ("repo", Value::string("https://charts.example")),
            ("type", Value::string("helm")),
        ]);
        let refused = Repository.validate(&helm);
        assert!(
            format!("{refused:?}").contains("needs a name"),
            "{refused:?}"
        );
        let svn = Value::object([("type", Value::string("svn"))]);
        assert!(format!("{:?}", Repository.validate(&svn)).contains("not a repository type"));
        let git = Value::object([("type", Value::string("git"))]);
        assert!(Repository.validate(&git).is_empty());
    }

    #[test]
    fn secrets_are_named_as_argo_cd_names_them() {
        // FNV-1a 32 of the empty input is its offset basis.
        assert_eq!(secret_name("", ""), format!("repo-{}", 0x811c_9dc5_u32));
        assert_ne!(
            secret_name("https://git.example/a.git", ""),
            secret_name("https://git.example/a.git", "staging")
        );
    }

    #[test]
    fn a_repository_is_a_labelled_secret_with_argo_cds_keys() {
        let state = Value::object([
            ("repo", Value::string("https://git.example/a.git")),
            ("type", Value::string("git")),
            ("password", Value::string("hunter2")),
            ("enable_lfs", Value::Bool(true)),
        ]);
        let secret = manifest(&state, "argocd").unwrap();
        assert_eq!(
            secret["metadata"]["labels"][SECRET_TYPE_LABEL],
            "repository"
        );
        assert_eq!(secret["data"]["enableLfs"], STANDARD.encode("true"));
        assert_eq!(
            secret["data"]["url"],
            STANDARD.encode("https://git.example/a.git")
        );
        let read = super::state(&state, &secret);
        assert!(read.get("password").is_sensitive());
        assert_eq!(read.get("enable_lfs"), &Value::Bool(true));
        assert_eq!(read.get("username"), &Value::Null);
    }
}
