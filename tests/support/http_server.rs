//! A small HTTP/1.1 server on loopback for tests: answers each path from a table of fixed
//! responses (404 otherwise) and records the requests it got. It stands where a release's
//! download server stands for the `http` data source.

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A fixed response.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            content_type,
            body: body.into(),
        }
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// The running server (it stops with the test process).
pub struct Server {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// Serves `routes` (path -> response) on a free loopback port.
    pub fn start(routes: HashMap<String, Response>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = routes.clone();
                let seen = seen.clone();
                std::thread::spawn(move || serve(stream, &routes, &seen));
            }
        });
        Server { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(stream: TcpStream, routes: &HashMap<String, Response>, seen: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        // HTTP/1.0 (what the fault proxy sends) closes the connection after the answer.
        let closes = parts.next() == Some("HTTP/1.0");
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let response = routes.get(&path).cloned().unwrap_or(Response {
            status: 404,
            content_type: "text/plain",
            body: b"not found\n".to_vec(),
        });
        seen.lock().unwrap().push(Request {
            method: method.clone(),
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let head = format!(
            "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\nx-served-by: fixture\r\n\r\n",
            response.status,
            response.content_type,
            response.body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        if method != "HEAD" {
            stream.write_all(&response.body).unwrap();
        }
        if closes {
            return;
        }
    }
}
