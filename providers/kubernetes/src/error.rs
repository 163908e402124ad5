//! What can go wrong talking to a cluster, and how each failure reads as a diagnostic: what
//! failed, the API server's own message, and what to do.

use ggplan_sdk::typed::CallError;
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics};
use std::time::Duration;

/// A failed call to the cluster, or an object ggplan cannot address.
#[derive(Debug)]
pub enum KubeError {
    /// The API server answered with a failure status.
    Api {
        code: u16,
        reason: String,
        message: String,
        /// For a server-side apply conflict: the fields another manager owns
        /// (`.data.greeting`, `.spec.containers[name="app"].image`).
        conflicts: Vec<String>,
    },
    /// No answer: the server is down or unreachable, or TLS failed.
    Unreachable { url: String, error: String },
    /// The cluster serves no such kind at that apiVersion.
    UnknownKind {
        api_version: String,
        kind: String,
        /// The kinds it does serve there (empty when it serves no such apiVersion).
        known: Vec<String>,
    },
    /// The configuration does not describe an object the cluster can take; `attribute` is
    /// where it goes wrong.
    Invalid {
        message: String,
        attribute: AttrPath,
    },
    /// A wait ran out of time.
    Timeout { waited_for: String, after: Duration },
}

impl KubeError {
    /// A failure of `url`'s API server as kube-rs reports it.
    pub fn from_kube(url: &str, error: kube::Error) -> KubeError {
        match error {
            kube::Error::Api(status) => KubeError::Api {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
                conflicts: status
                    .details
                    .iter()
                    .flat_map(|d| &d.causes)
                    .filter(|c| c.reason == "FieldManagerConflict")
                    .map(|c| c.field.clone())
                    .collect(),
            },
            other => KubeError::Unreachable {
                url: url.to_string(),
                error: other.to_string(),
            },
        }
    }

    /// A problem with the manifest (or another attribute), located there.
    pub fn invalid(attribute: AttrPath, message: impl Into<String>) -> KubeError {
        KubeError::Invalid {
            message: message.into(),
            attribute,
        }
    }

    /// The fields a server-side apply conflict is about (empty for any other failure).
    pub fn conflicts(&self) -> &[String] {
        match self {
            KubeError::Api { conflicts, .. } => conflicts,
            _ => &[],
        }
    }

    /// Whether the server said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, KubeError::Api { code: 404, .. })
    }
}

impl CallError for KubeError {
    fn into_diagnostics(self, doing: &str) -> Diagnostics {
        let manifest = AttrPath::attr("manifest");
        let diagnostic = match self {
            KubeError::Api {
                code,
                reason,
                message,
                ..
            } => api_diagnostic(doing, code, &reason, &message),
            KubeError::Unreachable { url, error } => Diagnostic::error(
                format!("{doing}: cannot reach the Kubernetes API server at {url}"),
                format!(
                    "{error}. Check the provider's host (or the kubeconfig's server), its \
                     cluster_ca_certificate, and that the API server is up."
                ),
            ),
            KubeError::UnknownKind {
                api_version,
                kind,
                known,
            } => unknown_kind(doing, &api_version, &kind, &known).at_attribute(manifest),
            KubeError::Invalid { message, attribute } => {
                Diagnostic::error(format!("{doing}: {message}"), "").at_attribute(attribute)
            }
            KubeError::Timeout { waited_for, after } => Diagnostic::error(
                format!(
                    "{doing}: timed out after {}s waiting for {waited_for}",
                    after.as_secs()
                ),
                "The change itself was made. Look at the object (kubectl describe) to see why \
                 it is not there yet, or allow more time in the resource's timeouts block.",
            ),
        };
        diagnostic.into()
    }
}

/// The API server's failure, with advice for the statuses a stack runs into.
fn api_diagnostic(doing: &str, code: u16, reason: &str, message: &str) -> Diagnostic {
    let manifest = AttrPath::attr("manifest");
    match (code, reason) {
        (409, "Conflict") if message.contains("conflict") => Diagnostic::error(
            format!("{doing}: another field manager owns fields this stack sets"),
            format!(
                "{message}. Someone else (kubectl edit, a controller, another stack) set these \
                 fields and owns them now. To take them over, set field_manager {{ \
                 force_conflicts = true }} on the resource; to leave them to the other manager, \
                 remove them from the manifest."
            ),
        )
        .at_attribute(manifest),
        (401, _) => Diagnostic::error(
            format!("{doing}: the cluster refused the credentials"),
            format!(
                "{message}. Check the provider's token, or client_certificate and client_key \
                 (or the kubeconfig's user)."
            ),
        ),
        (403, _) => Diagnostic::error(
            format!("{doing}: forbidden"),
            format!("{message}. The provider's user is not allowed to do this; check its RBAC."),
        ),
        (422, _) | (400, _) => Diagnostic::error(
            format!("{doing}: the cluster rejected the object"),
            format!("{message}."),
        )
        .at_attribute(manifest),
        _ => Diagnostic::error(
            format!("{doing}: the API server answered {code} {reason}"),
            format!("{message}."),
        ),
    }
}

fn unknown_kind(doing: &str, api_version: &str, kind: &str, known: &[String]) -> Diagnostic {
    let detail = if known.is_empty() {
        format!(
            "The cluster serves no apiVersion {api_version:?}. Check the spelling, or install \
             what serves it first (a CRD applied by this stack is waited for: make this \
             resource depend on it)."
        )
    } else if !api_version.contains('/') {
        // No CRD adds kinds to the core group.
        format!(
            "The kinds of {api_version} are: {}. Check the spelling.",
            known.join(", ")
        )
    } else {
        format!(
            "The kinds of {api_version} are: {}. Check the spelling, or apply the CRD that \
             defines {kind} first (make this resource depend on it).",
            known.join(", ")
        )
    };
    Diagnostic::error(
        format!("{doing}: the cluster has no kind {kind} in {api_version}"),
        detail,
    )
}
