//! One authenticated session with a cloud: a Keystone v3 token (renewed before it expires and
//! after a 401), the service catalog, the negotiated Nova microversion, and JSON requests that
//! retry transient faults. A POST that may have arrived is never sent twice: its lost answer
//! is [`ApiError::AnswerLost`], and the object it may have made is looked for instead.
//!
//! The token and the credentials never leave this module: errors carry the method, path,
//! status and the service's message only.

use crate::cloud::{Cloud, Credentials};
use crate::error::{ApiError, error_from_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use std::time::Duration;
use tokio::sync::{Mutex, OnceCell};

/// The newest Nova microversion this provider speaks. 2.91 is the last that still generates
/// keypairs (2.92 removed it); everything the provider reads is present from 2.47 on.
const COMPUTE_MAX_MICROVERSION: (u32, u32) = (2, 90);

/// How many times a request is sent when the service is unreachable or briefly failing.
const ATTEMPTS: u32 = 4;

/// The services the provider talks to, by their catalog type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Network,
    Compute,
    Image,
    /// Blazar.
    Reservation,
}

impl Service {
    /// The catalog type.
    pub fn catalog_type(self) -> &'static str {
        match self {
            Service::Network => "network",
            Service::Compute => "compute",
            Service::Image => "image",
            Service::Reservation => "reservation",
        }
    }

    /// The version prefix the catalog URL may leave out.
    fn version_suffix(self) -> Option<&'static str> {
        match self {
            Service::Network => Some("/v2.0"),
            Service::Image => Some("/v2"),
            Service::Reservation => Some("/v1"),
            Service::Compute => None,
        }
    }
}

struct Token {
    value: String,
    /// When to stop using it (a minute before Keystone's expiry).
    renew_at: Option<chrono::DateTime<chrono::Utc>>,
    catalog: Json,
}

/// An authenticated session.
pub struct Session {
    http: reqwest::Client,
    cloud: Cloud,
    token: Mutex<Option<Token>>,
    compute_microversion: OnceCell<Option<String>>,
}

impl Session {
    /// A session for `cloud`; authenticates now so that bad credentials show at configure.
    pub async fn open(cloud: Cloud) -> Result<Session, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build an HTTP client: {e}")))?;
        let session = Session {
            http,
            cloud,
            token: Mutex::new(None),
            compute_microversion: OnceCell::new(),
        };
        session.token().await?;
        Ok(session)
    }

    /// A valid token and catalog, authenticating when there is none or it is about to expire.
    async fn token(&self) -> Result<(String, Json), ApiError> {
        let mut guard = self.token.lock().await;
        let fresh = guard
            .as_ref()
            .is_some_and(|t| t.renew_at.is_none_or(|at| chrono::Utc::now() < at));
        if !fresh {
            *guard = Some(self.authenticate().await?);
        }
        let token = guard
            .as_ref()
            .ok_or_else(|| ApiError::Auth("no token".into()))?;
        Ok((token.value.clone(), token.catalog.clone()))
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    async fn authenticate(&self) -> Result<Token, ApiError> {
        let url = format!("{}/auth/tokens", self.cloud.auth_url);
        let body = auth_body(&self.cloud.credentials);
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            backoff(attempt).await;
            let response = match self.http.post(&url).json(&body).send().await {
                Ok(r) => r,
                Err(e) => {
                    last = Some(ApiError::Transport {
                        service: "identity",
                        url: url.clone(),
                        message: describe_transport(&e),
                    });
                    continue;
                }
            };
            let status = response.status();
            if status.is_server_error() && attempt + 1 < ATTEMPTS {
                continue;
            }
            let token = response
                .headers()
                .get("x-subject-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let text = response.text().await.unwrap_or_default();
            if !status.is_success() {
                let (code, message) = error_from_body(&text);
                return Err(ApiError::Auth(format!(
                    "Keystone at {} refused the credentials with HTTP {}{}: {message}",
                    self.cloud.auth_url,
                    status.as_u16(),
                    code.map(|c| format!(" ({c})")).unwrap_or_default()
                )));
            }
            let value = token.ok_or_else(|| ApiError::Decode {
                service: "identity",
                message: "the token response has no X-Subject-Token header".into(),
            })?;
            let parsed: Json = serde_json::from_str(&text).map_err(|e| ApiError::Decode {
                service: "identity",
                message: e.to_string(),
            })?;
            let renew_at = parsed["token"]["expires_at"]
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&chrono::Utc) - chrono::Duration::seconds(60));
            return Ok(Token {
                value,
                renew_at,
                catalog: parsed["token"]["catalog"].clone(),
            });
        }
        Err(last.unwrap_or_else(|| ApiError::Auth("authentication failed".into())))
    }

    /// Whether the session authenticates with an application credential (whose tokens
    /// Keystone does not let create trusts, which Blazar needs).
    pub fn uses_application_credential(&self) -> bool {
        matches!(
            self.cloud.credentials,
            Credentials::ApplicationCredential { .. }
        )
    }

    /// The endpoint of `service` for the cloud's region and interface, with its version.
    async fn endpoint(&self, service: Service) -> Result<String, ApiError> {
        let (_, catalog) = self.token().await?;
        let url = find_endpoint(
            &catalog,
            service.catalog_type(),
            &self.cloud.interface,
            self.cloud.region.as_deref(),
        )
        .ok_or_else(|| {
            ApiError::Auth(format!(
                "the service catalog has no {} endpoint for interface {}{}",
                service.catalog_type(),
                self.cloud.interface,
                self.cloud
                    .region
                    .as_ref()
                    .map(|r| format!(" in region {r}"))
                    .unwrap_or_default()
            ))
        })?;
        let url = url.trim_end_matches('/').to_string();
        Ok(match service.version_suffix() {
            Some(suffix) if !url.ends_with(suffix) => format!("{url}{suffix}"),
            _ => url,
        })
    }

    /// The Nova microversion negotiated with the compute service (the newest both speak).
    pub async fn compute_microversion(&self) -> Result<Option<String>, ApiError> {
        self.compute_microversion
            .get_or_try_init(|| async {
                let root = self.endpoint(Service::Compute).await?;
                let doc = self
                    .send(Service::Compute, Method::GET, &root, None, None)
                    .await?
                    .unwrap_or(Json::Null);
                let max = doc["version"]["version"].as_str().and_then(parse_version);
                Ok(max.map(|max| {
                    let (major, minor) = max.min(COMPUTE_MAX_MICROVERSION);
                    format!("{major}.{minor}")
                }))
            })
            .await
            .cloned()
    }

    /// Sends a request to `path` under the service's endpoint and returns the JSON answer
    /// (`None` for an empty body).
    pub async fn request(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Option<Json>, ApiError> {
        let microversion = match service {
            Service::Compute => self.compute_microversion().await?,
            _ => None,
        };
        self.request_with(service, method, path, body, microversion.as_deref())
            .await
    }

    /// As [`Session::request`], with an explicit compute microversion.
    pub async fn request_with(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<&Json>,
        microversion: Option<&str>,
    ) -> Result<Option<Json>, ApiError> {
        let url = format!("{}{path}", self.endpoint(service).await?);
        self.send(service, method, &url, body, microversion).await
    }

    /// Sends a request, again after a transient fault (no connection, 429, 503; a lost
    /// answer or a 5xx only when the method is idempotent: a POST that may have arrived is
    /// not sent twice) and once after a 401 with a fresh token.
    async fn send(
        &self,
        service: Service,
        method: Method,
        url: &str,
        body: Option<&Json>,
        microversion: Option<&str>,
    ) -> Result<Option<Json>, ApiError> {
        let idempotent = method != Method::POST && method != Method::PATCH;
        let mut reauthenticated = false;
        let mut attempt = 0;
        loop {
            backoff(attempt).await;
            attempt += 1;
            let last = attempt >= ATTEMPTS;
            let (status, text) = match self.exchange(&method, url, body, microversion).await? {
                Exchange::Answer(status, text) => (status, text),
                Exchange::Lost { sent, .. } if (idempotent || !sent) && !last => continue,
                Exchange::Lost { sent, message } => {
                    return Err(if sent && !idempotent {
                        self.lost(service, &method, url, message)
                    } else {
                        ApiError::Transport {
                            service: service.catalog_type(),
                            url: strip_query(url),
                            message,
                        }
                    });
                }
            };
            if status == StatusCode::UNAUTHORIZED && !reauthenticated {
                reauthenticated = true;
                self.forget_token().await;
                continue;
            }
            let transient = match status.as_u16() {
                429 | 503 => true,
                500 | 502 | 504 => idempotent,
                _ => false,
            };
            if transient && !last {
                continue;
            }
            if !idempotent && matches!(status.as_u16(), 502 | 504) {
                // A gateway's error: the service behind it may have carried the POST out.
                let message = format!("HTTP {} from a gateway", status.as_u16());
                return Err(self.lost(service, &method, url, message));
            }
            return decode_answer(service, &method, url, status, &text);
        }
    }

    /// One exchange: the answer, or why there is none.
    async fn exchange(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Json>,
        microversion: Option<&str>,
    ) -> Result<Exchange, ApiError> {
        let (token, _) = self.token().await?;
        let mut request = self
            .http
            .request(method.clone(), url)
            .header("X-Auth-Token", token)
            .header("Accept", "application/json");
        if let Some(version) = microversion {
            request = request
                .header("OpenStack-API-Version", format!("compute {version}"))
                .header("X-OpenStack-Nova-API-Version", version);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                return Ok(Exchange::Lost {
                    sent: !e.is_connect(),
                    message: describe_transport(&e),
                });
            }
        };
        let status = response.status();
        Ok(match response.text().await {
            Ok(text) => Exchange::Answer(status, text),
            Err(e) => Exchange::Lost {
                sent: true,
                message: format!("the answer broke off: {}", describe_transport(&e)),
            },
        })
    }

    fn lost(&self, service: Service, method: &Method, url: &str, message: String) -> ApiError {
        ApiError::AnswerLost {
            service: service.catalog_type(),
            method: method.to_string(),
            path: path_of(url),
            message,
        }
    }

    /// GET a JSON document.
    pub async fn get(&self, service: Service, path: &str) -> Result<Json, ApiError> {
        Ok(self
            .request(service, Method::GET, path, None)
            .await?
            .unwrap_or(Json::Null))
    }

    /// GET a JSON document; `None` when it does not exist.
    pub async fn get_optional(
        &self,
        service: Service,
        path: &str,
    ) -> Result<Option<Json>, ApiError> {
        match self.get(service, path).await {
            Ok(doc) => Ok(Some(doc)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// POST a JSON body.
    pub async fn post(&self, service: Service, path: &str, body: &Json) -> Result<Json, ApiError> {
        Ok(self
            .request(service, Method::POST, path, Some(body))
            .await?
            .unwrap_or(Json::Null))
    }

    /// PUT a JSON body.
    pub async fn put(&self, service: Service, path: &str, body: &Json) -> Result<Json, ApiError> {
        Ok(self
            .request(service, Method::PUT, path, Some(body))
            .await?
            .unwrap_or(Json::Null))
    }

    /// DELETE; an object already gone is not an error.
    pub async fn delete(&self, service: Service, path: &str) -> Result<(), ApiError> {
        match self.request(service, Method::DELETE, path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// What one exchange with a service brought.
enum Exchange {
    Answer(StatusCode, String),
    /// No (whole) answer. `sent` unless the connection was never made, so that the service
    /// may have carried the request out.
    Lost {
        sent: bool,
        message: String,
    },
}

/// The JSON of a success (`None` for an empty body), or the error an error status says.
fn decode_answer(
    service: Service,
    method: &Method,
    url: &str,
    status: StatusCode,
    text: &str,
) -> Result<Option<Json>, ApiError> {
    if !status.is_success() {
        let (code, message) = error_from_body(text);
        return Err(ApiError::Status {
            service: service.catalog_type(),
            method: method.to_string(),
            path: path_of(url),
            status: status.as_u16(),
            code,
            message,
        });
    }
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| ApiError::Decode {
            service: service.catalog_type(),
            message: format!("{} {}: {e}", method, path_of(url)),
        })
}

/// The Keystone v3 authentication request for `credentials`.
fn auth_body(credentials: &Credentials) -> Json {
    fn domain(name: &Option<String>, id: &Option<String>) -> Json {
        match (id, name) {
            (Some(id), _) => json!({ "id": id }),
            (None, Some(name)) => json!({ "name": name }),
            (None, None) => json!({ "id": "default" }),
        }
    }
    fn user(
        name: &Option<String>,
        id: &Option<String>,
        domain_name: &Option<String>,
        domain_id: &Option<String>,
    ) -> Json {
        match (id, name) {
            (Some(id), _) => json!({ "id": id }),
            (None, name) => json!({ "name": name, "domain": domain(domain_name, domain_id) }),
        }
    }
    match credentials {
        Credentials::Password {
            user_name,
            user_id,
            user_domain_name,
            user_domain_id,
            password,
            project_name,
            project_id,
            project_domain_name,
            project_domain_id,
        } => {
            let mut user = user(user_name, user_id, user_domain_name, user_domain_id);
            user["password"] = json!(password);
            let mut auth = json!({
                "identity": { "methods": ["password"], "password": { "user": user } }
            });
            let project = match (project_id, project_name) {
                (Some(id), _) => Some(json!({ "id": id })),
                (None, Some(name)) => Some(json!({
                    "name": name,
                    "domain": domain(project_domain_name, project_domain_id),
                })),
                (None, None) => None,
            };
            if let Some(project) = project {
                auth["scope"] = json!({ "project": project });
            }
            json!({ "auth": auth })
        }
        Credentials::ApplicationCredential {
            id,
            name,
            user_name,
            user_id,
            user_domain_name,
            user_domain_id,
            secret,
        } => {
            let credential = match (id, name) {
                (Some(id), _) => json!({ "id": id, "secret": secret }),
                (None, name) => json!({
                    "name": name,
                    "secret": secret,
                    "user": user(user_name, user_id, user_domain_name, user_domain_id),
                }),
            };
            json!({ "auth": { "identity": {
                "methods": ["application_credential"],
                "application_credential": credential,
            } } })
        }
    }
}

/// The URL of a catalog endpoint of `service_type` for `interface` (and `region` if given).
fn find_endpoint(
    catalog: &Json,
    service_type: &str,
    interface: &str,
    region: Option<&str>,
) -> Option<String> {
    catalog
        .as_array()?
        .iter()
        .filter(|s| s["type"] == service_type)
        .flat_map(|s| s["endpoints"].as_array().into_iter().flatten())
        .find(|e| {
            e["interface"] == interface
                && region.is_none_or(|r| e["region_id"] == r || e["region"] == r)
        })
        .and_then(|e| e["url"].as_str())
        .map(str::to_string)
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

async fn backoff(attempt: u32) {
    if attempt > 0 {
        tokio::time::sleep(Duration::from_millis(250 << attempt.min(5))).await;
    }
}

fn describe_transport(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        message = format!("{message}: {inner}");
        source = inner.source();
    }
    message
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// The path of a URL (after the authority), for error messages.
fn path_of(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = without_scheme
        .find('/')
        .map_or("/", |i| &without_scheme[i..]);
    strip_query(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_endpoint_for_interface_and_region() {
        let catalog = json!([
            {"type": "network", "endpoints": [
                {"interface": "internal", "region_id": "R1", "url": "http://internal:9696"},
                {"interface": "public", "region_id": "R2", "url": "http://r2:9696"},
                {"interface": "public", "region_id": "R1", "url": "http://r1:9696/"}
            ]}
        ]);
        assert_eq!(
            find_endpoint(&catalog, "network", "public", Some("R1")).as_deref(),
            Some("http://r1:9696/")
        );
        assert_eq!(find_endpoint(&catalog, "compute", "public", None), None);
    }

    #[test]
    fn application_credential_body_has_no_scope() {
        let body = auth_body(&Credentials::ApplicationCredential {
            id: Some("abc".into()),
            name: None,
            user_name: None,
            user_id: None,
            user_domain_name: None,
            user_domain_id: None,
            secret: "s".into(),
        });
        assert_eq!(
            body["auth"]["identity"]["application_credential"],
            json!({"id": "abc", "secret": "s"})
        );
        assert!(body["auth"].get("scope").is_none());
    }

    #[test]
    fn password_body_scopes_to_the_project_in_its_domain() {
        let body = auth_body(&Credentials::Password {
            user_name: Some("u".into()),
            user_id: None,
            user_domain_name: Some("Default".into()),
            user_domain_id: None,
            password: "p".into(),
            project_name: Some("demo".into()),
            project_id: None,
            project_domain_name: None,
            project_domain_id: None,
        });
        assert_eq!(
            body["auth"]["identity"]["password"]["user"],
            json!({"name": "u", "domain": {"name": "Default"}, "password": "p"})
        );
        assert_eq!(
            body["auth"]["scope"]["project"],
            json!({"name": "demo", "domain": {"id": "default"}})
        );
    }

    #[test]
    fn error_paths_drop_host_and_query() {
        assert_eq!(
            path_of("http://127.0.0.1:9696/v2.0/networks?name=x"),
            "/v2.0/networks"
        );
        assert_eq!(parse_version("2.96"), Some((2, 96)));
    }
}
