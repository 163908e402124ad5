//! A small MLflow REST client: JSON in and out, authentication, and bounded retries with
//! exponential backoff for transient failures (connection refused while the server starts,
//! timeouts, 429 and 5xx answers). A create is not sent again once it may have arrived (a
//! lost answer, a 5xx other than 503): its lost answer, or a gateway's 502 or 504, is
//! [`ApiError::AnswerLost`], and the create's object is looked for instead.

use crate::error::ApiError;
use crate::settings::{Auth, Settings};
use ggplan_sdk::typed::Partial;
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The first pause between attempts; it doubles after each one, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// How much of a non-JSON error body a message quotes.
const BODY_EXCERPT: usize = 300;

/// The HTTP methods the MLflow API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// A configured connection to one tracking server.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    /// `<tracking_uri>/api/2.0/mlflow/`.
    api: String,
    /// The tracking URI without any user info, for messages.
    shown_url: String,
    auth: Auth,
    retries: u32,
    first_backoff: Duration,
}

impl Client {
    /// A client for the configured server (no request is made yet).
    pub(crate) fn new(settings: &Settings) -> Result<Client, Diagnostics> {
        let mut url = reqwest::Url::parse(&settings.tracking_uri).map_err(|e| {
            Diagnostics::from(
                Diagnostic::error(
                    "The MLflow tracking URI is not a valid URL",
                    format!("{e}. Set tracking_uri to a URL such as http://127.0.0.1:5000."),
                )
                .at_attribute(AttrPath::attr("tracking_uri")),
            )
        })?;
        // A URL may carry user info; messages must not.
        let _ = url.set_password(None);
        let _ = url.set_username("");
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(10)))
            .danger_accept_invalid_certs(settings.insecure_tls)
            .user_agent(concat!(
                "ggplan-provider-mlflow/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Cannot set up the HTTP client for MLflow",
                    format!(
                        "{}. This is a problem of the machine's TLS setup.",
                        chain(&e)
                    ),
                ))
            })?;
        Ok(Client {
            http,
            api: format!("{}/api/2.0/mlflow/", settings.tracking_uri),
            shown_url: url.as_str().trim_end_matches('/').to_string(),
            auth: settings.auth.clone(),
            retries: settings.retries,
            first_backoff: FIRST_BACKOFF,
        })
    }

    /// The same client with another first backoff (tests make it short).
    #[cfg(test)]
    pub(crate) fn with_backoff(mut self, first_backoff: Duration) -> Client {
        self.first_backoff = first_backoff;
        self
    }

    /// `GET endpoint?query`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        self.request(Method::Get, endpoint, query, None, true).await
    }

    /// A call with a JSON body (POST, PATCH and DELETE take their parameters in the body).
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        body: serde_json::Value,
    ) -> Result<T, ApiError> {
        self.request(method, endpoint, &[], Some(body), true).await
    }

    /// `POST endpoint` of a call that creates something: sent again only when it certainly
    /// did not arrive (no connection) or the server refused it (429, 5xx), since a second
    /// create after a lost answer could make a second object.
    pub(crate) async fn create<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: serde_json::Value,
    ) -> Result<T, ApiError> {
        self.request(Method::Post, endpoint, &[], Some(body), false)
            .await
    }

    /// A failed create about `doing`, whose object may exist when the answer was lost.
    pub(crate) fn fail_create(&self, error: &ApiError, doing: &str) -> Partial<Diagnostics> {
        let diagnostics = self.fail(error, doing);
        match error {
            ApiError::AnswerLost { .. } => Partial::unknown(diagnostics),
            _ => Partial::from(diagnostics),
        }
    }

    /// Diagnostics for a failed call about `doing`, naming the credentials used (not secrets).
    pub(crate) fn fail(&self, error: &ApiError, doing: &str) -> Diagnostics {
        error.diagnostic(doing, &self.auth.describe()).into()
    }

    /// A call, attempted until it succeeds, fails for good or runs out of retries; a call
    /// that is not `idempotent` is not sent again once it may have arrived.
    async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
        idempotent: bool,
    ) -> Result<T, ApiError> {
        let url = format!("{}{endpoint}", self.api);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(method, &url, query, body.as_ref()).await;
            let retry = match &outcome {
                Ok(_) => false,
                Err(Attempt::Transport { sent, .. }) => idempotent || !sent,
                // A refusal (429, 503) did nothing; another 5xx may have, after a create.
                Err(Attempt::Answer(ApiError::Status { status, .. })) => {
                    matches!(status, 429 | 503) || (*status >= 500 && idempotent)
                }
                Err(Attempt::Answer(_)) => false,
            };
            if !retry || attempt > self.retries {
                return match outcome {
                    Ok(text) => serde_json::from_str(&text)
                        .map_err(|e| ApiError::Unexpected(format!("{e} in {}", excerpt(&text)))),
                    Err(Attempt::Transport { reason, sent: true }) if !idempotent => {
                        Err(ApiError::AnswerLost {
                            url: self.shown_url.clone(),
                            reason,
                        })
                    }
                    Err(Attempt::Transport { reason, .. }) => Err(ApiError::Unreachable {
                        url: self.shown_url.clone(),
                        attempts: attempt,
                        reason,
                    }),
                    // A gateway's error: the server behind it may have carried the create out.
                    Err(Attempt::Answer(ApiError::Status { status, .. }))
                        if !idempotent && matches!(status, 502 | 504) =>
                    {
                        Err(ApiError::AnswerLost {
                            url: self.shown_url.clone(),
                            reason: format!("HTTP {status} from a gateway"),
                        })
                    }
                    Err(Attempt::Answer(error)) => Err(error),
                };
            }
            let backoff = self
                .first_backoff
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            tokio::time::sleep(backoff).await;
        }
    }

    /// One HTTP exchange: the body of a success, or why it failed.
    async fn attempt(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<String, Attempt> {
        let mut request = match method {
            Method::Get => self.http.get(url),
            Method::Post => self.http.post(url),
            Method::Patch => self.http.patch(url),
            Method::Delete => self.http.delete(url),
        };
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request = match &self.auth {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer { token } => request.bearer_auth(token),
        };
        let response = request.send().await.map_err(|e| Attempt::Transport {
            sent: !e.is_connect(),
            reason: chain(&e.without_url()),
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| Attempt::Transport {
            sent: true,
            reason: chain(&e.without_url()),
        })?;
        if status.is_success() {
            return Ok(text);
        }
        Err(Attempt::Answer(status_error(status, &text)))
    }
}

/// Why one attempt failed.
enum Attempt {
    /// No answer; `reason` says why. `sent` unless the connection was never made, so that
    /// the server may have carried the request out.
    Transport { reason: String, sent: bool },
    /// An error answer.
    Answer(ApiError),
}

/// The error of an error answer: MLflow's `{"error_code", "message"}` when the body is that,
/// else the HTTP reason and the start of the body (the basic-auth app answers 401 in text).
fn status_error(status: reqwest::StatusCode, text: &str) -> ApiError {
    #[derive(serde::Deserialize)]
    struct MlflowError {
        error_code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_str::<MlflowError>(text) {
        Ok(e) => ApiError::Status {
            status: status.as_u16(),
            code: e.error_code,
            message: e.message,
        },
        Err(_) => ApiError::Status {
            status: status.as_u16(),
            code: status
                .canonical_reason()
                .unwrap_or("ERROR")
                .to_uppercase()
                .replace(' ', "_"),
            message: excerpt(text),
        },
    }
}

/// The start of a body, on one line.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(BODY_EXCERPT) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}

/// An error and its causes, joined (reqwest's own text is only the outermost layer).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-route HTTP server that answers the n-th request with `answers[n]` (the last
    /// answer repeats) and counts the requests.
    async fn fake_server(answers: Vec<(u16, &'static str)>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answers[n.min(answers.len() - 1)];
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: \
                     {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        (url, count)
    }

    fn client(url: &str, retries: u32, auth: Auth) -> Client {
        let settings = Settings {
            tracking_uri: url.to_string(),
            auth,
            insecure_tls: false,
            request_timeout: Duration::from_secs(5),
            retries,
        };
        Client::new(&settings)
            .unwrap()
            .with_backoff(Duration::from_millis(5))
    }

    #[tokio::test]
    async fn retries_server_errors_then_succeeds() {
        let (url, count) = fake_server(vec![
            (
                503,
                r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}"#,
            ),
            (500, "oops"),
            (200, r#"{"ok":true}"#),
        ])
        .await;
        let answer: serde_json::Value = client(&url, 3, Auth::None).get("x", &[]).await.unwrap();
        assert_eq!(answer["ok"], true);
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_create_is_sent_again_only_after_a_refusal() {
        let (url, count) = fake_server(vec![
            (
                503,
                r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}"#,
            ),
            (500, "oops"),
        ])
        .await;
        let c = client(&url, 3, Auth::None);
        let err = c
            .create::<serde_json::Value>("x", serde_json::json!({}))
            .await;
        // The 503 did nothing and is retried; the 500 may have done something: reported.
        assert!(
            matches!(err, Err(ApiError::Status { status: 500, .. })),
            "{err:?}"
        );
        assert_eq!(count.load(Ordering::SeqCst), 2);
        let (url, count) = fake_server(vec![(502, "bad gateway")]).await;
        let err = client(&url, 3, Auth::None)
            .create::<serde_json::Value>("x", serde_json::json!({}))
            .await;
        assert!(matches!(err, Err(ApiError::AnswerLost { .. })), "{err:?}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let (url, count) = fake_server(vec![(
            503,
            r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}"#,
        )])
        .await;
        let err = client(&url, 2, Auth::None)
            .get::<serde_json::Value>("x", &[])
            .await
            .unwrap_err();
        assert_eq!(count.load(Ordering::SeqCst), 3);
        assert!(
            matches!(err, ApiError::Status { status: 503, ref code, .. } if code == "TEMPORARILY_UNAVAILABLE")
        );
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_keep_mlflow_s_code() {
        let (url, count) = fake_server(vec![(
            404,
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Registered Model with name=m not found"}"#,
        )])
        .await;
        let err = client(&url, 5, Auth::None)
            .get::<serde_json::Value>("registered-models/get", &[("name", "m")])
            .await
            .unwrap_err();
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(err.is_not_found());
        assert!(err.to_string().contains("name=m not found"));
    }

    #[tokio::test]
    async fn connection_refused_is_retried_then_reported_without_secrets() {
        // Bind and drop a listener: nothing listens on that port afterwards.
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://bob:hunter2@127.0.0.1:{port}");
        let auth = Auth::Basic {
            username: "bob".into(),
            password: "hunter2".into(),
        };
        let client = client(&url, 2, auth);
        let err = client.get::<serde_json::Value>("x", &[]).await.unwrap_err();
        let ApiError::Unreachable { attempts, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*attempts, 3);
        let diagnostics = client.fail(&err, "reading registered model \"m\"");
        let text = diagnostics.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("tracking server is running"), "{text}");
    }

    #[test]
    fn text_error_bodies_become_a_code_and_an_excerpt() {
        let err = status_error(
            reqwest::StatusCode::UNAUTHORIZED,
            "You are not authenticated.\n Please see docs",
        );
        assert_eq!(
            err,
            ApiError::Status {
                status: 401,
                code: "UNAUTHORIZED".into(),
                message: "You are not authenticated. Please see docs".into()
            }
        );
        assert!(excerpt(&"x".repeat(1000)).ends_with("..."));
    }
}
