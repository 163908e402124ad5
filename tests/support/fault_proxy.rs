//! A fault-injecting HTTP proxy for tests: it stands between ggplan and a real service
//! (MLflow, OpenStack's APIs) and, for the requests a rule picks, answers an error status,
//! resets the connection before or after the service carried the request out, truncates the
//! answer, or delays it. Everything else passes through unchanged, so the service stays the
//! proof of what exists.
//!
//! One [`Faults`] holds the rules, the text rewrites (a Keystone catalog names the services'
//! own addresses; the rewrite points them at their proxies) and a log of what it did. It can
//! front several upstreams, one loopback port each. Requests go upstream as HTTP/1.0, so
//! that answers come back whole and unchunked; clients get HTTP/1.1 with a length.

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a request a rule picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers this status itself; the service never sees the request.
    Status(u16),
    /// Closes the connection without an answer; the service never sees the request.
    ResetBefore,
    /// Lets the service carry the request out, then closes the connection without its answer.
    LoseAnswer,
    /// Lets the service answer, then sends the head and half the body and closes.
    Truncate,
    /// Holds the request this long, then passes it on.
    Delay(Duration),
}

/// Picks requests by method and a part of their path: the next `times` get `fault`. Rules
/// are tried in the order they were added; a request goes on to the next rule once a rule's
/// faults are spent.
#[derive(Debug, Clone)]
pub struct Rule {
    pub method: &'static str,
    pub path_contains: &'static str,
    pub times: usize,
    pub fault: Fault,
    seen: usize,
}

impl Rule {
    /// `fault` for the next `times` requests `method path_contains` picks.
    pub fn new(
        method: &'static str,
        path_contains: &'static str,
        times: usize,
        fault: Fault,
    ) -> Rule {
        Rule {
            method,
            path_contains,
            times,
            fault,
            seen: 0,
        }
    }

    /// The fault for a request, counting it when it matches.
    fn pick(&mut self, method: &str, path: &str) -> Option<Fault> {
        if method != self.method || !path.contains(self.path_contains) {
            return None;
        }
        if self.seen == self.times {
            return None;
        }
        self.seen += 1;
        Some(self.fault)
    }
}

/// One request the proxy handled, and the fault it got.
#[derive(Debug, Clone)]
pub struct Handled {
    pub method: String,
    pub path: String,
    pub fault: Option<Fault>,
}

#[derive(Default)]
struct Shared {
    rules: Vec<Rule>,
    rewrites: Vec<(String, String)>,
    log: Vec<Handled>,
}

/// The rules, rewrites and log the proxies of one test share.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Shared>>);

impl Faults {
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Starts a proxy in front of `upstream` on a free loopback port and returns its address.
    /// Answers are rewritten from the upstream's address to the proxy's.
    pub fn front(&self, upstream: SocketAddr) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        self.rewrite(&upstream.to_string(), &addr.to_string());
        let faults = self.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let faults = faults.clone();
                std::thread::spawn(move || faults.serve(client, upstream));
            }
        });
        addr
    }

    /// Replaces `from` by `to` in every answer's body and headers.
    pub fn rewrite(&self, from: &str, to: &str) {
        self.lock()
            .rewrites
            .push((from.to_string(), to.to_string()));
    }

    pub fn add(&self, rule: Rule) {
        self.lock().rules.push(rule);
    }

    /// Forgets every rule (the log stays).
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// What the proxies handled so far.
    pub fn log(&self) -> Vec<Handled> {
        self.lock().log.clone()
    }

    /// How many requests `method path_contains` picks were handled, and how many of those got
    /// a fault.
    pub fn count(&self, method: &str, path_contains: &str) -> (usize, usize) {
        let log = self.log();
        let matching: Vec<_> = log
            .iter()
            .filter(|h| h.method == method && h.path.contains(path_contains))
            .collect();
        let faulted = matching.iter().filter(|h| h.fault.is_some()).count();
        (matching.len(), faulted)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves one client connection, request after request, until it closes or a fault
    /// closes it.
    fn serve(&self, client: TcpStream, upstream: SocketAddr) {
        let mut reader = BufReader::new(client.try_clone().unwrap());
        let mut client = client;
        while let Some(request) = Request::read(&mut reader) {
            let fault = {
                let mut shared = self.lock();
                let fault = shared
                    .rules
                    .iter_mut()
                    .find_map(|r| r.pick(&request.method, &request.path));
                shared.log.push(Handled {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    fault,
                });
                fault
            };
            if !self.answer(&mut client, &request, upstream, fault) {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        }
    }

    /// Answers one request as `fault` says; false when the connection is to be closed.
    fn answer(
        &self,
        client: &mut TcpStream,
        request: &Request,
        upstream: SocketAddr,
        fault: Option<Fault>,
    ) -> bool {
        match fault {
            Some(Fault::Status(status)) => {
                let body = format!(
                    "{{\"error_code\": \"TEMPORARILY_UNAVAILABLE\", \"message\": \"injected \
                     HTTP {status}\"}}"
                );
                write_response(client, status, &[], body.as_bytes(), None)
            }
            Some(Fault::ResetBefore) => false,
            Some(Fault::Delay(pause)) => {
                std::thread::sleep(pause);
                self.forward(client, request, upstream, None)
            }
            Some(Fault::LoseAnswer) => {
                let _ = exchange(request, upstream);
                false
            }
            Some(Fault::Truncate) => self.forward(client, request, upstream, Some(0.5)),
            None => self.forward(client, request, upstream, None),
        }
    }

    /// Passes the request upstream and its answer back (rewritten; cut to `share` of the body
    /// when given, then closed).
    fn forward(
        &self,
        client: &mut TcpStream,
        request: &Request,
        upstream: SocketAddr,
        share: Option<f64>,
    ) -> bool {
        let Some(raw) = exchange(request, upstream) else {
            return write_response(client, 502, &[], b"upstream unreachable", None);
        };
        let rewritten = self.rewritten(&raw);
        let Some((status, headers, body)) = split_response(&rewritten) else {
            return write_response(client, 502, &[], b"upstream answer unreadable", None);
        };
        write_response(client, status, &headers, body, share) && share.is_none()
    }

    fn rewritten(&self, raw: &[u8]) -> Vec<u8> {
        let mut text = String::from_utf8_lossy(raw).into_owned();
        for (from, to) in &self.lock().rewrites {
            text = text.replace(from.as_str(), to);
        }
        text.into_bytes()
    }
}

/// A request as the client sent it.
struct Request {
    method: String,
    path: String,
    /// Without the hop-by-hop ones.
    headers: Headers,
    body: Vec<u8>,
}

impl Request {
    fn read(reader: &mut BufReader<TcpStream>) -> Option<Request> {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next()?.to_string();
        let path = parts.next()?.to_string();
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':')?;
            let (name, value) = (name.trim().to_string(), value.trim().to_string());
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().ok()?,
                "connection" | "keep-alive" | "transfer-encoding" => {}
                _ => headers.push((name, value)),
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        Some(Request {
            method,
            path,
            headers,
            body,
        })
    }
}

/// Sends `request` to `upstream` as HTTP/1.0 and returns the whole raw answer.
fn exchange(request: &Request, upstream: SocketAddr) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream).ok()?;
    let mut head = format!("{} {} HTTP/1.0\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body.len()));
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(&request.body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    Some(raw)
}

/// Header names and values.
type Headers = Vec<(String, String)>;

/// The status, the end-to-end headers and the body of a raw answer.
fn split_response(raw: &[u8]) -> Option<(u16, Headers, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .filter(|(n, _)| {
            !matches!(
                n.to_ascii_lowercase().as_str(),
                "content-length" | "connection" | "keep-alive" | "transfer-encoding"
            )
        })
        .collect();
    Some((status, headers, &raw[end + 4..]))
}

/// Writes an answer with the length of the whole body; with `share`, only that part of the
/// body. False when the client is gone.
fn write_response(
    client: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    share: Option<f64>,
) -> bool {
    let mut head = format!("HTTP/1.1 {status} Proxied\r\n");
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let sent = match share {
        Some(share) => &body[..(body.len() as f64 * share) as usize],
        None => body,
    };
    client.write_all(head.as_bytes()).is_ok() && client.write_all(sent).is_ok()
}
