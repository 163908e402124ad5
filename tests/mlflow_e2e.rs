//! The `ggplan` binary on examples/mlflow against a real MLflow tracking server
//! (`tests/support/mlflow.sh`, started by `scripts/test.sh`): adopting a registry the training
//! pipeline filled (import), creating the aliases, a promotion as a one-line change of
//! promotion.auto.tfvars, an alias moved behind the stack's back shown as drift and put back,
//! a version that does not exist refused at plan time, and destroy.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/mlflow_server.rs"]
mod mlflow_server;

use binary::{BIN, Run};
use mlflow_server::server_url;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// examples/mlflow copied into a temporary directory, run against one uniquely named model.
struct Stack {
    _tmp: TempDir,
    dir: PathBuf,
    model: String,
    url: String,
}

impl Stack {
    fn new() -> Stack {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mlflow");
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mlflow");
        std::fs::create_dir(&dir).unwrap();
        for entry in std::fs::read_dir(&example).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf" || e == "tfvars") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Stack {
            _tmp: tmp,
            dir,
            model: format!("GourmetGramFood11Model-e2e-{}-{nanos}", std::process::id()),
            url: server_url(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(BIN)
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env("MLFLOW_TRACKING_URI", &self.url)
            .env("GGPLAN_VAR_model_name", &self.model)
            .output()
            .unwrap();
        Run::of(output)
    }

    /// Changes one line of promotion.auto.tfvars, as a reviewer would see it in a diff.
    fn promote(&self, variable: &str, version: &str) {
        let path = self.dir.join("promotion.auto.tfvars");
        let text = std::fs::read_to_string(&path).unwrap();
        let prefix = format!("{variable} ");
        let changed: Vec<String> = text
            .lines()
            .map(|line| {
                if line.starts_with(&prefix) {
                    let (head, _) = line.split_once('=').unwrap();
                    format!("{head}= {version}")
                } else {
                    line.to_string()
                }
            })
            .collect();
        assert_ne!(
            changed.join("\n"),
            text.trim_end(),
            "no line for {variable}"
        );
        std::fs::write(&path, changed.join("\n") + "\n").unwrap();
    }

    async fn rest(
        &self,
        method: reqwest::Method,
        endpoint: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.url);
        let client = reqwest::Client::new();
        let request = if method == reqwest::Method::GET {
            let query: Vec<(String, String)> = body
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            client.get(url).query(&query)
        } else {
            client.request(method, url).json(&body)
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn alias_version(&self, alias: &str) -> String {
        let (status, body) = self
            .rest(
                reqwest::Method::GET,
                "registered-models/alias",
                json!({"name": self.model, "alias": alias}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["model_version"]["version"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

#[tokio::test]
async fn promotion_drift_and_plan_time_checks_through_the_binary() {
    let stack = Stack::new();
    // The training pipeline registered the model and three versions before the stack existed.
    let (status, body) = stack
        .rest(
            reqwest::Method::POST,
            "registered-models/create",
            json!({"name": stack.model}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for i in 1..=3 {
        let source = format!("s3://gourmetgram/food11/run-{i}/model");
        let (status, body) = stack
            .rest(
                reqwest::Method::POST,
                "model-versions/create",
                json!({"name": stack.model, "source": source}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // Adopt it, then create the aliases promotion.auto.tfvars declares.
    let import = stack
        .run(&["import", "mlflow_registered_model.food11", &stack.model])
        .expect(0);
    assert!(
        import.stdout.contains("Import successful!"),
        "{}",
        import.stdout
    );
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    for alias in ["development", "staging", "staging-approved", "production"] {
        let line = format!("mlflow_model_alias.env[\"{alias}\"] will be created");
        assert!(plan.stdout.contains(&line), "{line}\n{}", plan.stdout);
    }
    assert!(
        plan.stdout
            .contains("Plan: 4 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    stack.run(&["apply", "--auto-approve"]).expect(0);
    stack.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(stack.alias_version("production").await, "1");

    // A promotion is one changed line and an in-place update.
    stack.promote("staging", "\"3\"");
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("mlflow_model_alias.env[\"staging\"] will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("~ version = \"2\" -> \"3\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    stack.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(stack.alias_version("staging").await, "3");

    // A workflow moves production behind the stack's back: plan shows it, apply puts it back.
    let (status, body) = stack
        .rest(
            reqwest::Method::POST,
            "registered-models/alias",
            json!({"name": stack.model, "alias": "production", "version": "3"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let plan = stack.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("mlflow_model_alias.env[\"production\"] will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("~ version = \"3\" -> \"1\""),
        "{}",
        plan.stdout
    );
    stack.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(stack.alias_version("production").await, "1");
    stack.run(&["plan", "--detailed-exitcode"]).expect(0);

    // A version the registry does not have is refused by plan, before anything changes.
    let refused = stack.run(&["plan", "--var", "canary=9"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("mlflow_model_alias.env[\"canary\"]"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains(&format!("Model \"{}\" has no version 9", stack.model)),
        "{}",
        refused.stderr
    );

    stack.run(&["destroy", "--auto-approve"]).expect(0);
    let (status, _) = stack
        .rest(
            reqwest::Method::GET,
            "registered-models/get",
            json!({"name": stack.model}),
        )
        .await;
    assert_eq!(status, 404, "destroy deletes the model");
}
