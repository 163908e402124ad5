//! Errors of the OpenStack APIs and how they become diagnostics a person can act on.

use ggplan_sdk::typed::CallError;
use ggplan_sdk::{Diagnostic, Diagnostics};
use serde_json::Value as Json;

/// What went wrong talking to OpenStack. Messages never contain a secret: request bodies and
/// tokens are not part of any variant.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The service answered with an error status.
    #[error("{service} answered {method} {path} with HTTP {status}{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        service: &'static str,
        method: String,
        path: String,
        status: u16,
        /// The service's error type (`OverQuota`, `itemNotFound`...), when it names one.
        code: Option<String>,
        message: String,
    },
    /// The service could not be reached (after retries).
    #[error("could not reach {service} at {url}: {message}")]
    Transport {
        service: &'static str,
        url: String,
        message: String,
    },
    /// A POST was sent and its answer lost (a timeout, a reset, a broken-off body, a
    /// gateway's 502 or 504): the service may have carried it out, so it was not sent again.
    #[error("the answer of {service} to {method} {path} was lost: {message}")]
    AnswerLost {
        service: &'static str,
        method: String,
        path: String,
        message: String,
    },
    /// Keystone refused the credentials or the catalog lacks a service.
    #[error("{0}")]
    Auth(String),
    /// The provider configuration (clouds.yaml, OS_* variables) is incomplete or invalid.
    #[error("{0}")]
    Config(String),
    /// An answer that does not have the expected shape.
    #[error("unexpected answer from {service}: {message}")]
    Decode {
        service: &'static str,
        message: String,
    },
    /// A wait ran out of time or an object reached a failure state.
    #[error("{0}")]
    Failed(String),
    /// A lookup by name found no object or more than one.
    #[error("{0}")]
    Lookup(String),
}

impl ApiError {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the object addressed does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// What a person should do about this error.
    fn advice(&self) -> &'static str {
        match self {
            ApiError::Status {
                status: 403 | 409 | 413,
                code,
                message,
                ..
            } if code.as_deref().is_some_and(|c| c.contains("Quota"))
                || message.to_lowercase().contains("quota") =>
            {
                "The project's quota is exhausted: free resources or ask for a larger quota, \
                 then apply again."
            }
            ApiError::Status { message, .. } if message.contains("Not enough hosts available") => {
                "The cloud has no free capacity for this reservation in that period (Blazar): \
                 reserve fewer instances, a smaller flavor or another period."
            }
            ApiError::Status { status: 401, .. } | ApiError::Auth(_) => {
                "Check the credentials of the cloud in clouds.yaml (or the OS_* variables): the \
                 application credential or password may be wrong, expired or revoked."
            }
            ApiError::Status { status: 403, .. } => {
                "The credentials lack permission for this operation: use a role or project that \
                 allows it, or ask the cloud's administrator."
            }
            ApiError::Status { status: 404, .. } => {
                "The object or one it refers to does not exist: check the ids and names used."
            }
            ApiError::Status { status: 409, .. } => {
                "The request conflicts with the object's current state (in use, duplicate, or \
                 busy): resolve the conflict, then apply again."
            }
            ApiError::Status { status: 400, .. } => {
                "The service rejected the request: check the attribute values against the \
                 service's rules."
            }
            ApiError::Status { .. } => {
                "The service failed: look at its state, then plan and apply again."
            }
            ApiError::Transport { .. } => {
                "Check the auth_url and the network path to the cloud, then try again."
            }
            ApiError::AnswerLost { .. } => {
                "The request may have been carried out; the next plan looks for the object it \
                 made rather than making a second one. Check the network path to the cloud."
            }
            ApiError::Config(_) => {
                "Fix the provider configuration: the clouds.yaml entry named by `cloud` (looked \
                 up in OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/ and \
                 /etc/openstack/), the OS_* variables or the provider block."
            }
            ApiError::Decode { .. } => {
                "This is a bug in the provider or an unsupported service version."
            }
            ApiError::Failed(_) => "Inspect the object in the cloud, then plan and apply again.",
            ApiError::Lookup(_) => "Use a more specific name or an id.",
        }
    }

    /// A diagnostic for this error: `context` says what was being done to which object.
    pub fn diagnostic(&self, context: &str) -> Diagnostic {
        Diagnostic::error(context.to_string(), format!("{self}. {}", self.advice()))
    }

    /// Diagnostics with a single error for this error.
    pub fn diagnostics(&self, context: &str) -> Diagnostics {
        self.diagnostic(context).into()
    }
}

impl CallError for ApiError {
    fn into_diagnostics(self, doing: &str) -> Diagnostics {
        self.diagnostics(doing)
    }

    fn outcome_unknown(&self) -> bool {
        matches!(self, ApiError::AnswerLost { .. })
    }
}

/// The error type and message an OpenStack service put in an error body. Neutron says
/// `{"NeutronError": {"type", "message"}}`, Nova `{"itemNotFound": {"message", "code"}}`,
/// Keystone `{"error": {"message", "title"}}`, Blazar `{"error_message", "error_name"}`; Glance
/// often answers in plain text.
pub fn error_from_body(body: &str) -> (Option<String>, String) {
    if let Ok(Json::Object(top)) = serde_json::from_str::<Json>(body) {
        if let Some(message) = top.get("message").and_then(Json::as_str) {
            return (None, message.to_string());
        }
        if let Some(message) = top.get("error_message").and_then(Json::as_str) {
            // Blazar's error_name is often just the status again.
            let name = top.get("error_name").and_then(Json::as_str);
            return (name.map(str::to_string), message.to_string());
        }
        for (key, inner) in &top {
            if let Some(message) = inner.get("message").and_then(Json::as_str) {
                let code = inner
                    .get("type")
                    .and_then(Json::as_str)
                    .or_else(|| inner.get("title").and_then(Json::as_str))
                    .unwrap_or(key);
                return (Some(code.to_string()), message.to_string());
            }
        }
    }
    let text: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = text.chars().take(300).collect();
    (None, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_bodies_of_each_service() {
        let neutron = r#"{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['network'].", "detail": ""}}"#;
        assert_eq!(
            error_from_body(neutron),
            (
                Some("OverQuota".to_string()),
                "Quota exceeded for resources: ['network'].".to_string()
            )
        );
        let nova =
            r#"{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}"#;
        assert_eq!(error_from_body(nova).0.as_deref(), Some("itemNotFound"));
        let keystone = r#"{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}"#;
        assert_eq!(
            error_from_body(keystone),
            (
                Some("Unauthorized".to_string()),
                "The request you have made requires authentication.".to_string()
            )
        );
        let blazar = r#"{"error_code": 500, "error_message": "Not enough hosts available", "error_name": 500}"#;
        assert_eq!(error_from_body(blazar).1, "Not enough hosts available");
        assert_eq!(
            error_from_body("404 Not Found\n\n  The resource could not be found.").1,
            "404 Not Found The resource could not be found."
        );
    }

    #[test]
    fn quota_errors_say_to_raise_the_quota() {
        let e = ApiError::Status {
            service: "network",
            method: "POST".into(),
            path: "/v2.0/networks".into(),
            status: 409,
            code: Some("OverQuota".into()),
            message: "Quota exceeded for resources: ['network'].".into(),
        };
        let d = e.diagnostic("creating openstack_networking_network_v2");
        assert!(d.detail.contains("HTTP 409 (OverQuota)"), "{}", d.detail);
        assert!(d.detail.contains("quota is exhausted"), "{}", d.detail);
    }
}
