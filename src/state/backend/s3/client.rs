//! The few S3 operations the backend needs (GetObject, conditional PutObject, DeleteObject,
//! ListObjectsV2), as SigV4-signed HTTP requests. reqwest's blocking client runs its own
//! runtime, which cannot be entered from the engine's tokio threads, so it lives on a thread
//! of its own and every request is a job sent to it (the engine's calls block, as they do on
//! the local file).

use super::settings::S3Settings;
use super::sigv4::{self, Canonical};
use reqwest::blocking::Client as Http;
use std::sync::mpsc;
use std::time::Duration;

/// How long one request may take before it is an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An object read, with the ETag a conditional write names.
pub struct Object {
    pub body: Vec<u8>,
    pub etag: String,
}

/// What a write requires of the object it replaces.
pub enum Condition {
    /// No object: `If-None-Match: *` (a lock, or a first state).
    Absent,
    /// The object read before, unchanged: `If-Match: <etag>` (compare-and-swap).
    Unchanged(String),
}

/// Why an operation failed.
#[derive(Debug)]
pub enum Failure {
    /// The write's condition did not hold (HTTP 412): another writer came first.
    Precondition,
    /// Anything else, said for a person (no secret in it).
    Other(String),
}

type Job = Box<dyn FnOnce(&Http) + Send>;

/// A handle to the request thread; the thread ends when it is dropped.
pub struct Client {
    jobs: mpsc::Sender<Job>,
    settings: S3Settings,
}

/// A response as the operations read it.
struct Response {
    status: u16,
    etag: Option<String>,
    body: Vec<u8>,
}

impl Client {
    pub fn start(settings: S3Settings) -> Client {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            let http = Http::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .expect("an HTTP client with default TLS settings builds");
            for job in queue {
                job(&http);
            }
        });
        Client { jobs, settings }
    }

    /// The object at `key`, or `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<Object>, Failure> {
        let r = self.send("GET", Some(key), &[], Vec::new(), Vec::new())?;
        match r.status {
            404 if error_code(&r.body).as_deref() != Some("NoSuchBucket") => Ok(None),
            200 => Ok(Some(Object {
                body: r.body,
                etag: r.etag.unwrap_or_default(),
            })),
            _ => Err(self.failure("GET", key, &r)),
        }
    }

    /// Writes `body` at `key` if `condition` holds.
    pub fn put(&self, key: &str, body: Vec<u8>, condition: Condition) -> Result<(), Failure> {
        let mut headers = self.settings.write_headers.clone();
        match condition {
            Condition::Absent => headers.push(("if-none-match".into(), "*".into())),
            Condition::Unchanged(etag) => headers.push(("if-match".into(), etag)),
        }
        let r = self.send("PUT", Some(key), &[], headers, body)?;
        match r.status {
            200 => Ok(()),
            // 409: a conflicting conditional write in progress on AWS, which says to retry.
            412 | 409 => Err(Failure::Precondition),
            _ => Err(self.failure("PUT", key, &r)),
        }
    }

    /// Deletes the object at `key` (there being none is no error).
    pub fn delete(&self, key: &str) -> Result<(), Failure> {
        let r = self.send("DELETE", Some(key), &[], Vec::new(), Vec::new())?;
        match r.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.failure("DELETE", key, &r)),
        }
    }

    /// The keys under `prefix`, in the store's (lexical) order, every page of them.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, Failure> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let mut query = vec![
                ("list-type".to_string(), "2".to_string()),
                ("prefix".to_string(), prefix.to_string()),
            ];
            if let Some(t) = token.take() {
                query.push(("continuation-token".to_string(), t));
            }
            let r = self.send("GET", None, &query, Vec::new(), Vec::new())?;
            if r.status != 200 {
                return Err(self.failure("ListObjectsV2", prefix, &r));
            }
            let text = String::from_utf8_lossy(&r.body);
            keys.extend(xml_texts(&text, "Key"));
            let truncated =
                xml_texts(&text, "IsTruncated").first().map(String::as_str) == Some("true");
            token = xml_texts(&text, "NextContinuationToken").into_iter().next();
            if !truncated || token.is_none() {
                return Ok(keys);
            }
        }
    }

    /// Signs and sends one request on the request thread.
    fn send(
        &self,
        method: &'static str,
        key: Option<&str>,
        query: &[(String, String)],
        mut headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<Response, Failure> {
        let (url, host, path) = self.url(key, query);
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let payload = sigv4::sha256_hex(&body);
        headers.push(("host".into(), host));
        headers.push(("x-amz-date".into(), amz_date.clone()));
        headers.push(("x-amz-content-sha256".into(), payload.clone()));
        let credentials = &self.settings.credentials;
        if let Some(token) = &credentials.session_token {
            headers.push(("x-amz-security-token".into(), token.clone()));
        }
        let canonical = Canonical {
            method,
            path: &path,
            query,
            headers: &headers,
            payload_sha256: &payload,
        };
        let authorization =
            sigv4::authorization(credentials, &self.settings.region, &amz_date, &canonical);
        headers.retain(|(name, _)| name != "host");
        headers.push(("authorization".into(), authorization));
        let (reply, answer) = mpsc::channel();
        let job: Job = Box::new(move |http: &Http| {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
            let mut request = http.request(method, &url).body(body);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let result = request.send().and_then(|r| {
                let status = r.status().as_u16();
                let etag = r
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok(Response {
                    status,
                    etag,
                    body: r.bytes()?.to_vec(),
                })
            });
            let _ = reply.send(result.map_err(describe));
        });
        let unreachable = || Failure::Other("the S3 request thread ended".into());
        self.jobs.send(job).map_err(|_| unreachable())?;
        let answer = answer.recv().map_err(|_| unreachable())?;
        answer.map_err(|detail| {
            Failure::Other(self.settings.scrub(&format!(
                "cannot reach the S3 endpoint {}: {detail}",
                self.settings.endpoint
            )))
        })
    }

    /// The URL of `key` (or of the bucket), its host and its encoded path.
    fn url(&self, key: Option<&str>, query: &[(String, String)]) -> (String, String, String) {
        let s = &self.settings;
        let (scheme, rest) = s.endpoint.split_once("://").expect("checked in settings");
        let (authority, base) = rest.split_once('/').map_or((rest, ""), |(a, b)| (a, b));
        let key = sigv4::uri_encode(key.unwrap_or(""), false);
        let base = if base.is_empty() {
            String::new()
        } else {
            format!("/{base}")
        };
        let (host, path) = if s.path_style {
            (authority.to_string(), format!("{base}/{}/{key}", s.bucket))
        } else {
            (format!("{}.{authority}", s.bucket), format!("{base}/{key}"))
        };
        let query = sigv4::canonical_query(query);
        let query = if query.is_empty() {
            query
        } else {
            format!("?{query}")
        };
        (format!("{scheme}://{host}{path}{query}"), host, path)
    }

    /// An unexpected answer, with the store's error code and message.
    fn failure(&self, operation: &str, key: &str, r: &Response) -> Failure {
        let text = String::from_utf8_lossy(&r.body);
        let code = error_code(&r.body).unwrap_or_else(|| format!("HTTP {}", r.status));
        let message = xml_texts(&text, "Message")
            .into_iter()
            .next()
            .map_or(String::new(), |m| format!(": {m}"));
        let hint = match code.as_str() {
            "NoSuchBucket" => {
                " (create the bucket first: ggplan does not create it, as Terraform does not)"
            }
            "SignatureDoesNotMatch" | "InvalidAccessKeyId" => {
                " (check the access key and secret key)"
            }
            _ => "",
        };
        Failure::Other(self.settings.scrub(&format!(
            "{operation} {key} in bucket {} failed: {code}{message}{hint}",
            self.settings.bucket
        )))
    }
}

/// The `<Code>` of an S3 error document.
fn error_code(body: &[u8]) -> Option<String> {
    xml_texts(&String::from_utf8_lossy(body), "Code")
        .into_iter()
        .next()
}

/// The text of every `<tag>` element of `xml`, its entities decoded. S3's answers are flat
/// documents whose elements of interest hold only text, which this reads exactly.
fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    found
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let entity = &rest[amp..];
        let end = entity.find(';').map_or(0, |e| e + 1);
        let decoded = match &entity[..end] {
            "&amp;" => Some('&'),
            "&lt;" => Some('<'),
            "&gt;" => Some('>'),
            "&quot;" => Some('"'),
            "&apos;" => Some('\''),
            e if e.starts_with("&#x") => u32::from_str_radix(&e[3..e.len() - 1], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with("&#") => e[2..e.len() - 1].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &entity[end..];
            }
            None => {
                out.push('&');
                rest = &entity[1..];
            }
        }
    }
    out + rest
}

/// A transport error with its causes (reqwest's own message is only the outermost).
fn describe(e: reqwest::Error) -> String {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut text = if timeout {
        format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_texts_reads_s3_answers() {
        let list = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b</Key>\
                    </Contents><Contents><Key>env:/x/k&#x2F;&#47;</Key></Contents>\
                    <NextContinuationToken>t=1</NextContinuationToken></ListBucketResult>";
        assert_eq!(xml_texts(list, "Key"), ["a&b", "env:/x/k//"]);
        assert_eq!(xml_texts(list, "IsTruncated"), ["true"]);
        assert_eq!(xml_texts(list, "Owner"), Vec::<String>::new());
        assert_eq!(unescape("a & b &bogus; &lt;"), "a & b &bogus; <");
        assert_eq!(
            error_code(b"<Error><Code>NoSuchKey</Code></Error>").as_deref(),
            Some("NoSuchKey")
        );
    }
}
