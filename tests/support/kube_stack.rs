//! A stack of the Kubernetes-family end-to-end tests (kubernetes, typed kubernetes, helm,
//! argocd): its directory in a temporary directory, run by the `ggplan` binary with nothing of
//! whoever runs the tests, and the checks those tests make of it (a clean re-plan, drift seen
//! and repaired, a destroy to nothing, located errors, secrets never printed); with the stack
//! texts the tests share. Several test binaries include this file; each uses a different part
//! of it.

#![allow(dead_code)]

use crate::binary::{BIN, Run};
use crate::kube::Cluster;
use base64::Engine as _;
use serde_json::Value as Json;
use std::path::PathBuf;
use std::process::Command;
use tempfile::TempDir;

/// A stack directory of its own (state in `state/stack.json` beside its files), run by the
/// ggplan binary with none of the KUBE* or HELM_* variables of whoever runs the tests: only
/// the stack's provider block says which cluster (and which helm) to use.
pub struct Stack {
    _tmp: TempDir,
    /// The stack's directory, also the HOME of its runs.
    pub dir: PathBuf,
    /// What main.tf starts with, before the text given to [`Stack::write`]: a provider block
    /// and whatever it reads, or nothing when that text is the whole of main.tf.
    pub provider: String,
}

impl Stack {
    /// A stack whose main.tf is `main_tf`.
    pub fn new(main_tf: &str) -> Stack {
        Stack::with_provider(String::new(), main_tf)
    }

    /// A stack whose main.tf is `provider` (the provider block and whatever it needs), then
    /// `resources`.
    pub fn with_provider(provider: String, resources: &str) -> Stack {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("stack");
        std::fs::create_dir(&dir).unwrap();
        let stack = Stack {
            _tmp: tmp,
            dir,
            provider,
        };
        stack.write(resources);
        stack
    }

    /// A stack whose kubernetes provider reads the admin kubeconfig, then `resources`.
    pub fn kubeconfig(cluster: &Cluster, resources: &str) -> Stack {
        Stack::with_provider(kubeconfig_provider(cluster), resources)
    }

    /// The main.tf: the provider block, then `resources`.
    pub fn main_tf(&self, resources: &str) -> String {
        format!("{}{resources}", self.provider)
    }

    /// Replaces main.tf: the provider block, then `resources`.
    pub fn write(&self, resources: &str) {
        self.write_file("main.tf", &self.main_tf(resources));
    }

    /// Writes another file of the stack (terraform.tfvars, a YAML file it reads).
    pub fn write_file(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env("HOME", &self.dir);
        for (name, _) in std::env::vars() {
            if name.starts_with("KUBE") || name.starts_with("HELM_") {
                command.env_remove(name);
            }
        }
        Run::of(command.output().expect("run ggplan"))
    }

    /// An apply that succeeds.
    pub fn apply(&self) -> Run {
        self.run(&["apply", "--auto-approve"]).expect(0)
    }

    /// An apply that succeeds, and says `summary` ("2 added, 0 changed, 0 destroyed").
    pub fn apply_says(&self, summary: &str) -> Run {
        let out = self.apply();
        assert!(out.stdout.contains(summary), "{summary:?}:\n{}", out.all());
        out
    }

    /// A plan that finds nothing to do.
    pub fn assert_clean(&self) -> Run {
        let plan = self.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "the re-plan is not clean:\n{}", plan.all());
        plan
    }

    /// A plan that finds changes (exit 2) and shows each of `shown`.
    pub fn assert_changes(&self, shown: &[&str]) -> Run {
        let plan = self.run(&["plan", "--detailed-exitcode"]).expect(2);
        for text in shown {
            assert!(plan.stdout.contains(text), "{text:?}:\n{}", plan.all());
        }
        plan
    }

    /// Drift seen by `plan --detailed-exitcode` (exit 2) and by `ggplan drift` (exit 2), both
    /// naming everything in `shown`; their outputs, plan first.
    pub fn assert_drift(&self, shown: &[&str]) -> [Run; 2] {
        let plan = self.assert_changes(shown);
        let drift = self.run(&["drift"]).expect(2);
        for text in shown {
            assert!(
                drift.stdout.contains(text),
                "{text:?} not shown:\n{}",
                drift.all()
            );
        }
        [plan, drift]
    }

    /// Applies the repair of drift, gives the live object (`kubectl get` of `object`) to
    /// `check`, and checks that a re-plan is clean.
    pub fn assert_repaired(&self, cluster: &Cluster, object: &[&str], check: impl FnOnce(&Json)) {
        self.apply();
        check(&cluster.json(&[&["get"][..], object].concat()));
        self.assert_clean();
    }

    /// Destroys everything: the state is empty, and kubectl finds none of `objects` (each
    /// the arguments of a `kubectl get`).
    pub fn destroy_to_nothing(&self, cluster: &Cluster, objects: &[&[&str]]) -> Run {
        let out = self.run(&["destroy", "--auto-approve"]).expect(0);
        assert_eq!(self.addresses(), Vec::<String>::new(), "{}", out.all());
        for object in objects {
            assert!(cluster.gone(object), "{object:?} is left after destroy");
        }
        out
    }

    /// The state file as JSON (no resources before the first apply).
    pub fn state(&self) -> Json {
        match std::fs::read_to_string(self.dir.join("state/stack.json")) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => serde_json::json!({ "resources": [] }),
        }
    }

    /// The state's attributes of the resource instance `address`.
    pub fn attributes(&self, address: &str) -> Json {
        let state = self.state();
        let resources = state["resources"].as_array().cloned().unwrap_or_default();
        let found = resources
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("no {address} in the state:\n{state:#}"));
        found["attributes"].clone()
    }

    /// The instance addresses in the state, sorted.
    pub fn addresses(&self) -> Vec<String> {
        let out = self.run(&["state", "list"]).expect(0);
        let mut addresses: Vec<String> = out.stdout.lines().map(str::to_string).collect();
        addresses.sort();
        addresses
    }

    /// The output `name` as JSON.
    pub fn output(&self, name: &str) -> Json {
        let out = self.run(&["output", "--json", name]).expect(0);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", out.all()))
    }

    /// The line of main.tf (as written) where `needle` is.
    pub fn line_of(&self, needle: &str) -> usize {
        line_of(
            &std::fs::read_to_string(self.dir.join("main.tf")).unwrap(),
            needle,
        )
    }

    /// A failed run whose errors say each `summary`, located at the line of main.tf holding
    /// its `needle`.
    pub fn refused(&self, args: &[&str], errors: &[(&str, &str)]) -> Run {
        let out = self.run(args);
        let text = out.all();
        assert_eq!(out.code, 1, "not refused:\n{text}");
        for (summary, needle) in errors {
            let at = format!("on ./main.tf line {}", self.line_of(needle));
            let located = text
                .split("Error: ")
                .any(|error| error.contains(summary) && error.contains(&at));
            assert!(located, "{summary:?} not {at}:\n{text}");
        }
        out
    }
}

/// The provider block most kubernetes stacks use: the admin kubeconfig (its current context,
/// the client certificate).
pub fn kubeconfig_provider(cluster: &Cluster) -> String {
    format!(
        "provider \"kubernetes\" {{\n  config_path = \"{}\"\n}}\n",
        cluster.kubeconfig
    )
}

/// The 1-based line of `text` where `needle` first appears, for located diagnostics.
pub fn line_of(text: &str, needle: &str) -> usize {
    let found = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the stack"));
    text[..found].matches('\n').count() + 1
}

/// Asserts that `run` failed with an error that names `summary` and is located at `line` of
/// main.tf.
pub fn assert_located(run: &Run, summary: &str, line: usize) {
    assert_eq!(run.code, 1, "expected a failure:\n{}", run.all());
    let text = run.all();
    assert!(text.contains(summary), "{summary:?} not reported:\n{text}");
    let location = format!("on ./main.tf line {line}");
    assert!(
        text.contains(&location),
        "not located at {location}:\n{text}"
    );
}

/// Asserts that `secret` (and its base64 form) appears in none of `runs`.
pub fn assert_hidden<'a>(secret: &str, runs: impl IntoIterator<Item = &'a Run>) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
    for run in runs {
        let text = run.all();
        assert!(!text.contains(secret), "the secret was printed:\n{text}");
        assert!(
            !text.contains(&encoded),
            "the secret was printed in base64:\n{text}"
        );
    }
}

/// The declaration of the sensitive variable `token` that the stacks below read.
pub const TOKEN_VARIABLE: &str =
    "variable \"token\" {\n  type      = string\n  sensitive = true\n}\n";

/// The terraform.tfvars that sets `token` to the admin token.
pub fn token_tfvars(cluster: &Cluster) -> String {
    format!("token = \"{}\"\n", cluster.token)
}

/// As a first layer fetches the cluster's CA from node1: the token variable, and the CA
/// written to `fetched/ca.pem` by the apply and read back by a data source during it
/// (`data.local_file.cluster_ca.content`), so that a provider configured from it is configured
/// only during apply. The provider block is the caller's, with [`fetched_ca_connection`].
pub fn ca_fetched_during_apply(cluster: &Cluster) -> String {
    format!(
        r#"{TOKEN_VARIABLE}
resource "local_file" "cluster_ca" {{
  filename = "${{path.module}}/fetched/ca.pem"
  content  = file("{ca}")
}}

data "local_file" "cluster_ca" {{
  filename   = local_file.cluster_ca.filename
  depends_on = [local_file.cluster_ca]
}}
"#,
        ca = cluster.ca,
    )
}

/// The connection settings of a provider (or its `kubernetes` block) configured from
/// [`ca_fetched_during_apply`]: the server's address, the token variable and the fetched CA,
/// each line indented by `indent`.
pub fn fetched_ca_connection(cluster: &Cluster, indent: &str) -> String {
    [
        format!("host                   = \"{}\"", cluster.host),
        "token                  = var.token".to_string(),
        "cluster_ca_certificate = data.local_file.cluster_ca.content".to_string(),
    ]
    .iter()
    .map(|line| format!("{indent}{line}\n"))
    .collect()
}

/// `kubernetes_namespace_v1.<resource>`: the namespace `ns`, labelled for the team.
pub fn team_namespace(resource: &str, ns: &str) -> String {
    format!(
        "resource \"kubernetes_namespace_v1\" \"{resource}\" {{\n  metadata {{\n    \
         name   = \"{ns}\"\n    labels = {{ team = \"gourmetgram\" }}\n  }}\n}}\n"
    )
}

/// `kubernetes_secret_v1.<service>`: the Secret `<service>-credentials` with `data` (HCL
/// lines) in the namespace of `kubernetes_namespace_v1.<namespace>`.
pub fn credentials(service: &str, namespace: &str, data: &str) -> String {
    format!(
        r#"
resource "kubernetes_secret_v1" "{service}" {{
  metadata {{
    name      = "{service}-credentials"
    namespace = kubernetes_namespace_v1.{namespace}.metadata[0].name
  }}
  data = {{
    {data}
  }}
}}
"#
    )
}
