//! Provider fault injection against a real MLflow tracking server (`tests/support/mlflow.sh`):
//! `tests/support/fault_proxy.rs` stands between ggplan and the server and answers chosen
//! requests with 503s, resets, lost or truncated answers and delays. Each test checks what
//! ggplan said, what its state records and, asking the server directly, what exists: the
//! state must hold exactly what MLflow holds, and no create may run twice.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/mlflow_server.rs"]
mod mlflow_server;

use binary::StackDir;
use fault_proxy::{Fault, Faults, Rule};
use mlflow_server::server_url;
use serde_json::Value as Json;
use std::net::SocketAddr;
use std::time::Duration;

/// A model name no other test uses.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A stack of one registered model (and, with `source`, one version of it) whose provider
/// talks to MLflow through a fresh fault proxy.
struct Faulty {
    stack: StackDir,
    faults: Faults,
    model: String,
}

impl Faulty {
    fn new(prefix: &str, retries: u32, source: Option<&str>) -> Faulty {
        let upstream: SocketAddr = server_url().trim_start_matches("http://").parse().unwrap();
        let faults = Faults::new();
        let proxy = faults.front(upstream);
        let model = unique(prefix);
        let version = source.map_or(String::new(), |source| {
            format!(
                "resource \"mlflow_model_version\" \"v\" {{\n  model  = \
                 mlflow_registered_model.m.name\n  source = \"{source}\"\n}}\n"
            )
        });
        let stack = StackDir::new(&format!(
            "provider \"mlflow\" {{\n  tracking_uri    = \"http://{proxy}\"\n  retries         = \
             {retries}\n  request_timeout = 1\n}}\n\nresource \"mlflow_registered_model\" \"m\" \
             {{\n  name = \"{model}\"\n}}\n\n{version}"
        ));
        Faulty {
            stack,
            faults,
            model,
        }
    }

    fn apply(&self) -> binary::Run {
        self.stack.ggplan(&["apply", ".", "--auto-approve"])
    }

    /// The versions MLflow holds of the model, asked directly.
    fn versions(&self) -> Vec<String> {
        let found = get(
            "model-versions/search",
            &[("filter", &format!("name='{}'", self.model))],
        );
        found["model_versions"]
            .as_array()
            .map(|vs| {
                vs.iter()
                    .map(|v| v["version"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether MLflow has the registered model, asked directly.
    fn model_exists(&self) -> bool {
        get("registered-models/get", &[("name", &self.model)])["registered_model"].is_object()
    }

    /// The addresses in state, and whether state records an unfinished operation.
    fn recorded(&self) -> (Vec<String>, bool) {
        let state = self.stack.state();
        let addresses = state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap().to_string())
            .collect();
        (addresses, state["pending"].is_object())
    }

    fn version_in_state(&self) -> Option<String> {
        let state = self.stack.state();
        let resources = state["resources"].as_array()?;
        let version = resources
            .iter()
            .find(|r| r["address"] == "mlflow_model_version.v")?;
        version["attributes"]["version"]
            .as_str()
            .map(str::to_string)
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        let url = format!("{}/api/2.0/mlflow/registered-models/delete", server_url());
        let _ = reqwest::blocking::Client::new()
            .delete(url)
            .json(&serde_json::json!({ "name": self.model }))
            .send();
    }
}

fn get(endpoint: &str, query: &[(&str, &str)]) -> Json {
    let url = format!("{}/api/2.0/mlflow/{endpoint}", server_url());
    reqwest::blocking::Client::new()
        .get(url)
        .query(query)
        .send()
        .unwrap()
        .json()
        .unwrap_or(Json::Null)
}

#[test]
fn server_errors_on_a_create_are_retried_within_the_configured_bound() {
    let ok = Faulty::new("faults-retry", 3, None);
    ok.faults.add(Rule::new(
        "POST",
        "registered-models/create",
        2,
        Fault::Status(503),
    ));
    ok.apply().expect(0);
    assert_eq!(ok.faults.count("POST", "registered-models/create"), (3, 2));
    assert!(ok.model_exists());
    assert_eq!(
        ok.recorded(),
        (vec!["mlflow_registered_model.m".into()], false)
    );

    let refused = Faulty::new("faults-bound", 2, None);
    refused.faults.add(Rule::new(
        "POST",
        "registered-models/create",
        100,
        Fault::Status(503),
    ));
    let run = refused.apply().expect(1);
    let out = run.all();
    assert!(
        out.contains("MLflow failed while creating registered model") && out.contains("503"),
        "{out}"
    );
    // One attempt and two retries, then a clear error; nothing exists, nothing is recorded.
    assert_eq!(
        refused.faults.count("POST", "registered-models/create"),
        (3, 3)
    );
    assert!(!refused.model_exists());
    assert_eq!(refused.recorded(), (vec![], false));
}

#[test]
fn a_lost_create_answer_is_not_sent_again_and_the_version_is_found() {
    let f = Faulty::new("faults-lost", 3, Some("s3://models/food11/1"));
    f.faults.add(Rule::new(
        "POST",
        "model-versions/create",
        1,
        Fault::LoseAnswer,
    ));
    let run = f.apply().expect(0);
    assert!(
        run.all()
            .contains("The answer to creating mlflow_model_version was lost; the object was found"),
        "{}",
        run.all()
    );
    // Sent once: a second create would have registered a second version.
    assert_eq!(f.faults.count("POST", "model-versions/create"), (1, 1));
    assert_eq!(f.versions(), vec!["1".to_string()]);
    assert_eq!(f.version_in_state().as_deref(), Some("1"));
    f.stack
        .ggplan(&["plan", ".", "--detailed-exitcode"])
        .expect(0);
}

#[test]
fn a_create_whose_outcome_is_unknown_stays_pending_and_the_next_plan_finds_it() {
    let f = Faulty::new("faults-unknown", 2, Some("s3://models/food11/2"));
    // The answer is lost, and looking for the version fails too: nobody can tell yet.
    f.faults.add(Rule::new(
        "POST",
        "model-versions/create",
        1,
        Fault::LoseAnswer,
    ));
    f.faults.add(Rule::new(
        "GET",
        "model-versions/search",
        100,
        Fault::Status(503),
    ));
    let out = f.apply().expect(1).all();
    assert!(
        out.contains("mlflow_model_version.v: the create's outcome is unknown"),
        "{out}"
    );
    assert_eq!(f.versions(), vec!["1".to_string()]);
    let (recorded, pending) = f.recorded();
    assert_eq!(recorded, vec!["mlflow_registered_model.m".to_string()]);
    assert!(pending, "the unfinished create is not recorded as pending");

    // The service is well again: the plan finds the version rather than registering another.
    f.faults.clear();
    let plan = f
        .stack
        .ggplan(&["plan", ".", "--detailed-exitcode"])
        .expect(0);
    assert!(
        plan.all()
            .contains("mlflow_model_version.v: found the object an unfinished create made"),
        "{}",
        plan.all()
    );
    f.apply().expect(0);
    assert_eq!(f.version_in_state().as_deref(), Some("1"));
    assert!(!f.recorded().1, "the create is still pending");
    assert_eq!(f.versions(), vec!["1".to_string()]);
    f.stack
        .ggplan(&["plan", ".", "--detailed-exitcode"])
        .expect(0);
}

#[test]
fn a_create_that_never_arrived_is_made_by_the_next_apply() {
    let f = Faulty::new("faults-reset", 2, Some("s3://models/food11/3"));
    f.faults.add(Rule::new(
        "POST",
        "model-versions/create",
        1,
        Fault::ResetBefore,
    ));
    // A reset looks like a lost answer to ggplan: it looks, finds nothing, and cannot be sure
    // that the server is not still making it.
    f.apply().expect(1);
    assert!(f.versions().is_empty());
    assert!(f.recorded().1);
    let plan = f.stack.ggplan(&["plan", "."]).expect(0);
    assert!(
        plan.all()
            .contains("mlflow_model_version.v: an unfinished create made nothing"),
        "{}",
        plan.all()
    );
    f.apply().expect(0);
    assert_eq!(f.versions(), vec!["1".to_string()]);
    assert_eq!(f.version_in_state().as_deref(), Some("1"));
}

#[test]
fn truncated_and_slow_answers_to_reads_are_retried() {
    let f = Faulty::new("faults-reads", 3, None);
    f.apply().expect(0);
    f.faults.add(Rule::new(
        "GET",
        "registered-models/get",
        1,
        Fault::Truncate,
    ));
    f.faults.add(Rule::new(
        "GET",
        "registered-models/get",
        1,
        Fault::Delay(Duration::from_millis(1500)),
    ));
    f.stack
        .ggplan(&["plan", ".", "--detailed-exitcode"])
        .expect(0);
    // The truncated answer, the one that timed out (request_timeout = 1), then a whole one.
    assert_eq!(f.faults.count("GET", "registered-models/get"), (3, 2));
}
