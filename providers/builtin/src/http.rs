//! The `http` provider (hashicorp/http v3): the `http` data source, a GET (or HEAD, POST) whose
//! response the stack reads at plan time, as Terraform users fetch a release's install
//! manifest (`data "http" "argo" { url = ".../install.yaml" }`).
//!
//! As in hashicorp/http v3, a response of any status is a result, not an error:
//! `status_code` says what it was (check it with a `postcondition`). Transport failures are
//! errors, retried as the `retry` block says.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::typed::{DataSourceType, ResourceType, TypedProvider};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// The `http` provider: no configuration, one data source.
pub(crate) struct Http;

#[async_trait]
impl TypedProvider for Http {
    type Client = ();
    type Error = Diagnostics;
    const NAME: &'static str = "http";
    const SOURCE: &'static str = "registry.terraform.io/hashicorp/http";

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        Vec::new()
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![Box::new(HttpData)]
    }

    async fn configure(_config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }
}

/// The `http` data source.
struct HttpData;

/// What a `data "http"` block asks for, decoded.
struct Request {
    url: String,
    method: reqwest::Method,
    headers: BTreeMap<String, String>,
    body: Option<String>,
    timeout: Option<Duration>,
    /// Retries after the first attempt, and the delay bounds between them.
    attempts: u64,
    min_delay: Duration,
    max_delay: Duration,
    ca_cert_pem: Option<String>,
    client_identity_pem: Option<String>,
    insecure: bool,
}

#[async_trait]
impl DataSourceType<Http> for HttpData {
    fn name(&self) -> &'static str {
        "http"
    }

    fn schema(&self) -> Schema {
        let retry = Schema::new(
            "Retries of a request that failed to get a response.",
            [
                ("attempts", "Retries after the first attempt (default 0)."),
                (
                    "min_delay_ms",
                    "The shortest wait between attempts, in milliseconds.",
                ),
                (
                    "max_delay_ms",
                    "The longest wait between attempts, in milliseconds.",
                ),
            ]
            .map(|(name, text)| (name, Attribute::optional(Type::Number).describe(text))),
        );
        Schema::new(
            "An HTTP request made when the stack is planned; its response as attributes.",
            request_attributes()
                .into_iter()
                .chain(response_attributes()),
        )
        .with_block("retry", NestedBlock::new(BlockNesting::Single, retry))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        Request::from_config(config).err().unwrap_or_default()
    }

    async fn read(&self, _client: &(), config: &Value) -> Result<Value, Diagnostics> {
        let request = Request::from_config(config)?;
        let response = request.send().await?;
        let status = response.status().as_u16();
        let mut headers: BTreeMap<String, Value> = BTreeMap::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(canonical_header(name.as_str()))
                .and_modify(|v| {
                    if let Value::String(joined) = v {
                        joined.push_str(", ");
                        joined.push_str(&value);
                    }
                })
                .or_insert(Value::String(value));
        }
        let bytes = response.bytes().await.map_err(|e| request.failed(&e))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut state = config.clone();
        for (name, value) in [
            ("id", Value::string(&request.url)),
            ("status_code", Value::int(i64::from(status))),
            ("response_headers", Value::Map(headers)),
            ("response_body", Value::String(text.clone())),
            (
                "response_body_base64",
                Value::String(STANDARD.encode(&bytes)),
            ),
            ("body", Value::String(text)),
        ] {
            state.set_attr(name, value);
        }
        Ok(state)
    }
}

impl Request {
    fn from_config(config: &Value) -> Result<Request, Diagnostics> {
        let text = |name: &str| config.get(name).as_str().map(str::to_string);
        let url = text("url").unwrap_or_default();
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok && !config.get("url").is_unknown() {
            return Err(invalid(
                "url",
                format!("url must start with http:// or https://, but it is {url:?}."),
            ));
        }
        let method = match text("method").as_deref().unwrap_or("GET") {
            "GET" => reqwest::Method::GET,
            "HEAD" => reqwest::Method::HEAD,
            "POST" => reqwest::Method::POST,
            other => {
                return Err(invalid(
                    "method",
                    format!("method is GET, HEAD or POST, not {other:?}."),
                ));
            }
        };
        let retry = config.get("retry");
        let millis = |value: &Value, name: &str| -> Result<Option<u64>, Diagnostics> {
            crate::whole_number(value, name, 0)
        };
        let min_delay = millis(retry, "min_delay_ms")?.unwrap_or(0);
        let max_delay = millis(retry, "max_delay_ms")?.unwrap_or(min_delay.max(1000));
        if max_delay < min_delay {
            return Err(invalid(
                "retry",
                "max_delay_ms must be at least min_delay_ms.".into(),
            ));
        }
        if text("client_cert_pem").is_some() != text("client_key_pem").is_some() {
            return Err(invalid(
                "client_cert_pem",
                "client_cert_pem and client_key_pem are set together.".into(),
            ));
        }
        Ok(Request {
            url,
            method,
            headers: match config.get("request_headers") {
                Value::Map(entries) => entries
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
                _ => BTreeMap::new(),
            },
            body: text("request_body"),
            timeout: millis(config, "request_timeout_ms")?.map(Duration::from_millis),
            attempts: millis(retry, "attempts")?.unwrap_or(0),
            min_delay: Duration::from_millis(min_delay),
            max_delay: Duration::from_millis(max_delay),
            ca_cert_pem: text("ca_cert_pem"),
            client_identity_pem: text("client_cert_pem")
                .zip(text("client_key_pem"))
                .map(|(cert, key)| format!("{cert}\n{key}")),
            insecure: config.get("insecure").as_bool().unwrap_or(false),
        })
    }

    fn client(&self) -> Result<reqwest::Client, Diagnostics> {
        let mut builder = reqwest::Client::builder().danger_accept_invalid_certs(self.insecure);
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(pem) = &self.ca_cert_pem {
            let cert = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| {
                invalid(
                    "ca_cert_pem",
                    format!("ca_cert_pem is not a PEM certificate: {e}."),
                )
            })?;
            builder = builder.add_root_certificate(cert);
        }
        if let Some(pem) = &self.client_identity_pem {
            // The key is never quoted: only that it could not be read.
            let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|_| {
                invalid(
                    "client_cert_pem",
                    "client_cert_pem and client_key_pem are not a PEM certificate and its key."
                        .into(),
                )
            })?;
            builder = builder.identity(identity);
        }
        builder
            .build()
            .map_err(|e| Diagnostic::error("Cannot make the HTTP client", format!("{e}.")).into())
    }

    /// The response, after up to `attempts` retries of a request that got none (a status of
    /// any kind is a response).
    async fn send(&self) -> Result<reqwest::Response, Diagnostics> {
        let client = self.client()?;
        let mut attempt = 0;
        loop {
            let mut request = client.request(self.method.clone(), &self.url);
            for (name, value) in &self.headers {
                request = request.header(name, value);
            }
            if let Some(body) = &self.body {
                request = request.body(body.clone());
            }
            match request.send().await {
                Ok(response) => return Ok(response),
                Err(e) if attempt >= self.attempts => return Err(self.failed(&e)),
                Err(_) => {
                    tokio::time::sleep(self.delay(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    /// The wait before retry `attempt` (0-based): doubling from the minimum, up to the
    /// maximum.
    fn delay(&self, attempt: u64) -> Duration {
        let doubled = self.min_delay.saturating_mul(1 << attempt.min(20) as u32);
        doubled.clamp(self.min_delay, self.max_delay)
    }

    fn failed(&self, error: &reqwest::Error) -> Diagnostics {
        // reqwest's message names the URL; its chain says why.
        let mut why = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            why.push_str(": ");
            why.push_str(&cause.to_string());
            source = cause.source();
        }
        let (tries, advice) = if self.attempts > 0 {
            (format!(" after {} attempts", self.attempts + 1), "")
        } else {
            (String::new(), "; a retry block retries failed requests")
        };
        Diagnostic::error(
            "Error making request",
            format!(
                "{} {} got no response{tries}: {why}. Check the URL and that the server is \
                 reachable from here{advice}.",
                self.method, self.url
            ),
        )
        .at_attribute(AttrPath::attr("url"))
        .into()
    }
}

fn invalid(attribute: &str, detail: String) -> Diagnostics {
    Diagnostic::error(format!("Invalid {attribute}"), detail)
        .at_attribute(AttrPath::attr(attribute))
        .into()
}

/// What a `data "http"` block says of its request.
fn request_attributes() -> Vec<(&'static str, Attribute)> {
    let string = |text| Attribute::optional(Type::String).describe(text);
    vec![
        (
            "url",
            Attribute::required(Type::String).describe("The URL, http or https."),
        ),
        ("method", string("GET (the default), HEAD or POST.")),
        (
            "request_headers",
            Attribute::optional(string_map()).describe("Request headers."),
        ),
        ("request_body", string("The request body.")),
        (
            "request_timeout_ms",
            Attribute::optional(Type::Number)
                .describe("How long a request may take, in milliseconds."),
        ),
        (
            "ca_cert_pem",
            string("A CA certificate (PEM) trusted besides the system's."),
        ),
        (
            "client_cert_pem",
            string("A client certificate (PEM), with client_key_pem."),
        ),
        (
            "client_key_pem",
            string("The client certificate's key (PEM).").sensitive(),
        ),
        (
            "insecure",
            Attribute::optional(Type::Bool).describe("Skip verifying the server's certificate."),
        ),
    ]
}

/// What the data source reads of the response.
fn response_attributes() -> Vec<(&'static str, Attribute)> {
    let computed = |ty, text| Attribute::computed(ty).describe(text);
    vec![
        ("id", computed(Type::String, "The URL.")),
        (
            "status_code",
            computed(Type::Number, "The response's status code."),
        ),
        (
            "response_headers",
            computed(
                string_map(),
                "The response's headers (repeated ones joined with \", \").",
            ),
        ),
        (
            "response_body",
            computed(Type::String, "The response body as text."),
        ),
        (
            "response_body_base64",
            computed(Type::String, "The response body, base64-encoded."),
        ),
        ("body", computed(Type::String, "Deprecated: response_body.")),
    ]
}

fn string_map() -> Type {
    Type::Map(Box::new(Type::String))
}

/// A header name as hashicorp/http reports it (Go's canonical form: `Content-Type`).
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
