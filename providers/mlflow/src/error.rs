//! What can go wrong talking to MLflow, and how each failure reads as a diagnostic.

use ggplan_sdk::Diagnostic;

/// A failed MLflow REST call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// No answer: connection refused, timeout, TLS failure (after all retries).
    #[error("could not reach MLflow at {url} after {attempts} attempt(s): {reason}")]
    Unreachable {
        url: String,
        attempts: u32,
        reason: String,
    },
    /// An answer with an error status. `code` is MLflow's `error_code` when the body had one.
    #[error("MLflow answered HTTP {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    /// A request that creates something was sent and its answer lost (a timeout, a reset
    /// connection, a truncated body): it may have been carried out, so it is not sent again.
    #[error("the answer of MLflow at {url} was lost: {reason}")]
    AnswerLost { url: String, reason: String },
    /// A success status whose body is not what the API documents.
    #[error("MLflow answered with an unexpected body: {0}")]
    Unexpected(String),
}

impl ApiError {
    /// Whether the object asked for does not exist (MLflow's RESOURCE_DOES_NOT_EXIST / 404).
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Status { status: 404, .. })
            || matches!(self, ApiError::Status { code, .. } if code == "RESOURCE_DOES_NOT_EXIST")
    }

    /// Whether the object to create exists already.
    pub(crate) fn is_already_exists(&self) -> bool {
        matches!(self, ApiError::Status { code, .. } if code == "RESOURCE_ALREADY_EXISTS")
    }

    /// The error as a diagnostic about `doing` (e.g. `creating registered model "m"`), made
    /// with `credentials` (a description that never holds a secret).
    pub(crate) fn diagnostic(&self, doing: &str, credentials: &str) -> Diagnostic {
        match self {
            ApiError::Unreachable { .. } => Diagnostic::error(
                format!("MLflow is unreachable while {doing}"),
                format!(
                    "{self}. Check that the tracking server is running and that tracking_uri \
                     (or MLFLOW_TRACKING_URI) points at it; raise retries or request_timeout \
                     in the provider block if the server is slow to start."
                ),
            ),
            ApiError::AnswerLost { .. } => Diagnostic::error(
                format!("MLflow's answer was lost while {doing}"),
                format!(
                    "{self}. The request may have been carried out, so it was not sent again; \
                     the next plan looks for what it made. Check the network between ggplan and \
                     the tracking server, or raise request_timeout if the server is slow."
                ),
            ),
            ApiError::Status {
                status: status @ (401 | 403),
                code,
                message,
            } => refusal(*status, code, message, doing, credentials),
            ApiError::Status {
                status,
                code,
                message,
            } => self.rejection(*status, code, message, doing),
            ApiError::Unexpected(_) => Diagnostic::error(
                format!("MLflow answered unexpectedly while {doing}"),
                format!(
                    "{self}. Check that tracking_uri points at an MLflow tracking server (not a \
                     proxy's login page) of a supported version (2.9 or later)."
                ),
            ),
        }
    }

    /// An error status other than 401 and 403 as a diagnostic about `doing`.
    fn rejection(&self, status: u16, code: &str, message: &str, doing: &str) -> Diagnostic {
        if self.is_not_found() {
            Diagnostic::error(
                format!("MLflow has no such object while {doing} ({code})"),
                format!(
                    "The server said: {message}. Check the name (and version) in the stack, or \
                     create the object first."
                ),
            )
        } else if self.is_already_exists() {
            Diagnostic::error(
                format!("It already exists in MLflow while {doing} ({code})"),
                format!(
                    "The server said: {message}. Import the existing object with `ggplan \
                     import ADDRESS ID` so the stack manages it, or choose another name."
                ),
            )
        } else if status >= 500 {
            Diagnostic::error(
                format!("MLflow failed while {doing} (HTTP {status} {code})"),
                format!(
                    "The server said: {message}. This is a server-side error that persisted \
                     through the provider's retries; check the tracking server's log, then run \
                     the command again."
                ),
            )
        } else {
            Diagnostic::error(
                format!("MLflow rejected the request while {doing} (HTTP {status} {code})"),
                format!(
                    "The server said: {message}. Correct the attribute the message names in the \
                     stack and plan again."
                ),
            )
        }
    }
}

/// A 401 (the credentials) or 403 (their permissions) as a diagnostic about `doing`.
fn refusal(status: u16, code: &str, message: &str, doing: &str, credentials: &str) -> Diagnostic {
    if status == 401 {
        Diagnostic::error(
            format!("MLflow refused the credentials while {doing} (HTTP 401 {code})"),
            format!(
                "The server said: {message}. The request used {credentials}. Set username \
                 and password (or MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD) to an \
                 account of the server, or token for a bearer token."
            ),
        )
    } else {
        Diagnostic::error(
            format!("MLflow denied permission while {doing} (HTTP 403 {code})"),
            format!(
                "The server said: {message}. The request used {credentials}, which may read \
                 but not do this. Ask an MLflow admin to grant that user EDIT or MANAGE \
                 permission on the object, or use another account."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: &str) -> ApiError {
        ApiError::Status {
            status,
            code: code.to_string(),
            message: "msg".to_string(),
        }
    }

    #[test]
    fn classifies_mlflow_error_codes() {
        assert!(status(404, "RESOURCE_DOES_NOT_EXIST").is_not_found());
        assert!(status(400, "RESOURCE_DOES_NOT_EXIST").is_not_found());
        assert!(!status(400, "INVALID_PARAMETER_VALUE").is_not_found());
        assert!(status(400, "RESOURCE_ALREADY_EXISTS").is_already_exists());
    }

    #[test]
    fn each_diagnostic_names_the_operation_the_code_and_a_remedy() {
        let cases = [
            (status(401, "UNAUTHENTICATED"), "MLFLOW_TRACKING_USERNAME"),
            (status(403, "PERMISSION_DENIED"), "grant"),
            (status(404, "RESOURCE_DOES_NOT_EXIST"), "create the object"),
            (status(400, "RESOURCE_ALREADY_EXISTS"), "ggplan import"),
            (status(503, "TEMPORARILY_UNAVAILABLE"), "server's log"),
            (status(400, "INVALID_PARAMETER_VALUE"), "Correct"),
        ];
        for (error, remedy) in cases {
            let d = error.diagnostic("creating registered model \"m\"", "username \"bob\"");
            let ApiError::Status { code, .. } = &error else {
                unreachable!()
            };
            assert!(d.summary.contains("creating registered model \"m\""), "{d}");
            assert!(d.summary.contains(code.as_str()), "{d}");
            assert!(d.detail.contains("msg"), "{d}");
            assert!(d.detail.contains(remedy), "{d}");
        }
        let d = status(401, "UNAUTHENTICATED").diagnostic("x", "username \"bob\"");
        assert!(d.detail.contains("username \"bob\""));
    }
}
