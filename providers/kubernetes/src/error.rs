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
    /// A failure of a type whose configuration describes its object elsewhere than in a
    /// `manifest` (a typed resource's `metadata`, `data`...): placed and advised there.
    Placed { error: Box<KubeError>, place: Place },
}

/// Where a type's configuration describes the object a failure is about, and how that type
/// takes over fields another field manager owns: what a diagnostic points at and advises.
#[derive(Debug, Clone)]
pub struct Place {
    /// The attribute the object's fields come from.
    pub object: AttrPath,
    /// What to do about a field another manager owns, as the type lets you say it.
    pub take_over: &'static str,
}

impl Place {
    /// `kubernetes_manifest`: the object is its `manifest`.
    fn manifest() -> Place {
        Place {
            object: AttrPath::attr("manifest"),
            take_over: "To take them over, set field_manager { force_conflicts = true } on the \
                        resource; to leave them to the other manager, remove them from the \
                        manifest.",
        }
    }
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

    /// The API server's answer to a request into a namespace it does not have.
    pub fn namespace_not_found(namespace: &str) -> KubeError {
        KubeError::Api {
            code: 404,
            reason: "NotFound".to_string(),
            message: format!("namespaces \"{namespace}\" not found"),
            conflicts: Vec::new(),
        }
    }

    /// A problem with the manifest (or another attribute), located there.
    pub fn invalid(attribute: AttrPath, message: impl Into<String>) -> KubeError {
        KubeError::Invalid {
            message: message.into(),
            attribute,
        }
    }

    /// This failure, placed and advised for a type whose object is described at `place`.
    pub fn placed(self, place: &Place) -> KubeError {
        match self {
            already @ KubeError::Placed { .. } => already,
            error => KubeError::Placed {
                error: Box::new(error),
                place: place.clone(),
            },
        }
    }

    /// The failure itself, whatever place it was given.
    fn unplaced(&self) -> &KubeError {
        match self {
            KubeError::Placed { error, .. } => error.unplaced(),
            other => other,
        }
    }

    /// The fields a server-side apply conflict is about (empty for any other failure).
    pub fn conflicts(&self) -> &[String] {
        match self.unplaced() {
            KubeError::Api { conflicts, .. } => conflicts,
            _ => &[],
        }
    }

    /// Whether the server said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self.unplaced(), KubeError::Api { code: 404, .. })
    }
}

impl CallError for KubeError {
    fn into_diagnostics(self, doing: &str) -> Diagnostics {
        match self {
            KubeError::Placed { error, place } => error.diagnostic(doing, &place).into(),
            other => other.diagnostic(doing, &Place::manifest()).into(),
        }
    }
}

impl KubeError {
    /// The diagnostic of this failure, for a type whose object is described at `place`.
    fn diagnostic(self, doing: &str, place: &Place) -> Diagnostic {
        match self {
            KubeError::Api {
                code,
                reason,
                message,
                ..
            } => api_diagnostic(doing, code, &reason, &message, place),
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
            } => {
                unknown_kind(doing, &api_version, &kind, &known).at_attribute(place.object.clone())
            }
            KubeError::Invalid { message, attribute } => {
                Diagnostic::error(format!("{doing}: {message}"), "").at_attribute(attribute)
            }
            KubeError::Placed { error, place } => error.diagnostic(doing, &place),
            KubeError::Timeout { waited_for, after } => Diagnostic::error(
                format!(
                    "{doing}: timed out after {}s waiting for {waited_for}",
                    after.as_secs()
                ),
                "The change itself was made. Look at the object (kubectl describe) to see why \
                 it is not there yet, or allow more time in the resource's timeouts block.",
            ),
        }
    }
}

/// The API server's failure, with advice for the statuses a stack runs into.
fn api_diagnostic(
    doing: &str,
    code: u16,
    reason: &str,
    message: &str,
    place: &Place,
) -> Diagnostic {
    let object = place.object.clone();
    match (code, reason) {
        (409, "Conflict") if message.contains("conflict") => Diagnostic::error(
            format!("{doing}: another field manager owns fields this stack sets"),
            format!(
                "{message}. Someone else (kubectl edit, a controller, another stack) set these \
                 fields and owns them now. {}",
                place.take_over
            ),
        )
        .at_attribute(object),
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
        .at_attribute(object),
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
