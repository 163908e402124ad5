//! The `http` data source (hashicorp/http v3) against a real HTTP server on loopback: a
//! release manifest read at plan time and decoded, a POST with headers and a body, a 404
//! that is a result (`status_code`) and not an error, retries of a server that is not there,
//! bad arguments located in the block, and a slow read shown as Terraform shows it.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/http_server.rs"]
mod http_server;

use binary::StackDir;
use fault_proxy::{Fault, Faults, Rule};
use http_server::{Response, Server};
use std::collections::HashMap;

const MANIFEST: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argo\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: argo\n  namespace: argo\n";

/// A port that was free a moment ago: nothing listens there.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server() -> Server {
    Server::start(HashMap::from([
        (
            "/install.yaml".to_string(),
            Response::ok("application/yaml", MANIFEST),
        ),
        (
            "/api/token".to_string(),
            Response::ok("application/json", r#"{"token":"t-1"}"#),
        ),
    ]))
}

#[test]
fn a_manifest_is_read_at_plan_time_and_decoded() {
    let server = server();
    let stack = StackDir::new(&format!(
        r#"
data "http" "install" {{
  url = "{}"
  request_headers = {{ Accept = "application/yaml" }}
}}

output "kinds" {{
  value = [for doc in split("---", data.http.install.response_body) : yamldecode(doc).kind]
}}

output "status" {{
  value = data.http.install.status_code
}}

output "served_by" {{
  value = data.http.install.response_headers["X-Served-By"]
}}
"#,
        server.url("/install.yaml")
    ));
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains(
            "+ kinds     = [\n      + \"Namespace\",\n      + \"ServiceAccount\",\n    ]"
        ),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("+ status    = 200"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("+ served_by = \"fixture\""),
        "{}",
        plan.stdout
    );
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].headers["accept"], "application/yaml");

    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let state = stack.state();
    let data = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "data.http.install")
        .unwrap();
    assert_eq!(data["attributes"]["id"], server.url("/install.yaml"));
    assert_eq!(data["attributes"]["body"], MANIFEST);
}

#[test]
fn a_post_sends_its_headers_and_body_and_a_404_is_a_status_not_an_error() {
    let server = server();
    let stack = StackDir::new(&format!(
        r#"
data "http" "token" {{
  url             = "{token}"
  method          = "POST"
  request_headers = {{ Content-Type = "application/json" }}
  request_body    = jsonencode({{ user = "admin" }})
}}

data "http" "missing" {{
  url    = "{missing}"
  method = "HEAD"
}}

output "token" {{
  value = jsondecode(data.http.token.response_body).token
}}

output "missing" {{
  value = data.http.missing.status_code
}}
"#,
        token = server.url("/api/token"),
        missing = server.url("/nope"),
    ));
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("+ token   = \"t-1\""),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("+ missing = 404"), "{}", plan.stdout);
    let requests = server.requests.lock().unwrap().clone();
    let post = requests.iter().find(|r| r.path == "/api/token").unwrap();
    assert_eq!(post.method, "POST");
    assert_eq!(post.body, r#"{"user":"admin"}"#);
    assert_eq!(post.headers["content-type"], "application/json");
    assert!(
        requests
            .iter()
            .any(|r| r.method == "HEAD" && r.path == "/nope")
    );
}

#[test]
fn a_server_that_is_not_there_is_retried_then_a_located_error() {
    let port = free_port();
    let stack = StackDir::new(&format!(
        r#"
data "http" "gone" {{
  url = "http://127.0.0.1:{port}/install.yaml"
  retry {{
    attempts     = 2
    min_delay_ms = 10
  }}
}}
"#
    ));
    let plan = stack.ggplan(&["plan"]).expect(1);
    let all = plan.all();
    assert!(
        all.contains("data.http.gone: Error making request"),
        "{all}"
    );
    assert!(all.contains("got no response after 3 attempts"), "{all}");
    assert!(all.contains("main.tf line 3"), "{all}");
}

#[test]
fn bad_arguments_are_refused_where_they_are_written() {
    for (line, expected) in [
        (
            "url = \"ftp://example.com/x\"",
            "url must start with http:// or https://",
        ),
        (
            "url = \"http://127.0.0.1:1/\"\n  method = \"DELETE\"",
            "method is GET, HEAD or POST, not \"DELETE\"",
        ),
    ] {
        let stack = StackDir::new(&format!("data \"http\" \"x\" {{\n  {line}\n}}\n"));
        let run = stack.ggplan(&["validate"]).expect(1);
        assert!(run.all().contains(expected), "{line}: {}", run.all());
        assert!(run.all().contains("main.tf line"), "{line}: {}", run.all());
    }
}

#[test]
fn a_secret_in_the_url_is_left_out_of_the_error() {
    let port = free_port();
    let stack = StackDir::new(&format!(
        r#"
variable "token" {{
  type      = string
  sensitive = true
  default   = "s3cr3t-t0ken"
}}

data "http" "gone" {{
  url = "http://127.0.0.1:{port}/install.yaml?token=${{var.token}}"
}}
"#
    ));
    for args in [&["plan"][..], &["plan", "-json"][..]] {
        let plan = stack.ggplan(args).expect(1);
        assert!(
            plan.all().contains("Error making request"),
            "{}",
            plan.all()
        );
        assert!(!plan.all().contains("s3cr3t-t0ken"), "{}", plan.all());
        assert!(
            plan.all().contains("GET (sensitive value) got no response"),
            "{}",
            plan.all()
        );
    }
}

/// A data source read that takes a while is shown as Terraform shows it: `Reading...`, then
/// `Still reading... [10s elapsed]` every ten seconds, then `Read complete`.
#[test]
fn a_slow_read_says_it_is_still_reading() {
    let server = server();
    let faults = Faults::new();
    let proxy = faults.front(format!("127.0.0.1:{}", server.port).parse().unwrap());
    faults.add(Rule::new(
        "GET",
        "/install.yaml",
        1,
        Fault::Delay(std::time::Duration::from_millis(10_500)),
    ));
    let stack = StackDir::new(&format!(
        "data \"http\" \"install\" {{\n  url = \"http://{proxy}/install.yaml\"\n}}\n"
    ));
    let plan = stack.ggplan(&["plan", "."]).expect(0);
    let lines: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.starts_with("data.http"))
        .collect();
    assert_eq!(
        lines,
        [
            "data.http.install: Reading...",
            "data.http.install: Still reading... [10s elapsed]",
            format!("data.http.install: Read complete after 10s [id=http://{proxy}/install.yaml]")
                .as_str(),
        ],
        "{}",
        plan.stdout
    );
}
