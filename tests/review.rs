//! End-to-end tests of review and drift: saved plans applied exactly or refused when stale,
//! `show --json` of plans and states, Markdown plans, `drift` and `apply --refresh-only`, JSON
//! event lines, and no secret in any of those outputs.
//!
//! Each test runs the binary in its own temporary copy of a stack of `terraform_data`,
//! `local_file` and `random_password`. Golden outputs are insta snapshots, with the random
//! parts (ids, lineages, timestamps) replaced by placeholders.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run};
use regex::Regex;
use serde_json::Value as Json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The sensitive variable's value.
const VAR_SECRET: &str = "s3cr3t-variable-value";

/// The stack as first applied.
const V1: &str = r#"
variable "secret" {
  type      = string
  sensitive = true
  default   = "s3cr3t-variable-value"
}

resource "random_password" "db" {
  length  = 24
  special = false
}

resource "terraform_data" "app" {
  input = { name = "app", replicas = 1, secret = var.secret }
}

resource "terraform_data" "old" {
  input = "old"
}

resource "terraform_data" "pinned" {
  input            = "v1"
  triggers_replace = ["v1"]
}

resource "local_file" "config" {
  filename = "${path.module}/out/config.txt"
  content  = "replicas=1\n"
}

resource "local_file" "inventory" {
  filename = "${path.module}/out/inventory.txt"
  content  = "node1\nnode2\n"
}

output "app_name" {
  value = terraform_data.app.output.name
}

output "db_password" {
  value     = random_password.db.result
  sensitive = true
}
"#;

/// The changes a pull request makes to [`V1`]: one update, two replacements, one destroy,
/// one create and a new output.
fn v2() -> String {
    V1.replace("replicas = 1, secret", "replicas = 2, secret")
        .replace("triggers_replace = [\"v1\"]", "triggers_replace = [\"v2\"]")
        .replace(
            "content  = \"replicas=1\\n\"",
            "content  = \"replicas=2\\n\"",
        )
        .replace(
            "resource \"terraform_data\" \"old\" {\n  input = \"old\"\n}\n",
            "resource \"terraform_data\" \"extra\" {\n  input = \"extra\"\n}\n\n\
             output \"replicas\" {\n  value = terraform_data.app.input.replicas\n}\n",
        )
}

/// A stack in its own temporary directory.
struct Sandbox {
    _tmp: TempDir,
    dir: PathBuf,
}

impl Sandbox {
    fn new(main: &str) -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("stack");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), main).unwrap();
        Sandbox { _tmp: tmp, dir }
    }

    /// [`V1`], applied.
    fn applied() -> Sandbox {
        let sb = Sandbox::new(V1);
        sb.run(&["apply", "--auto-approve"]).expect(0);
        sb
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env_remove("TF_VAR_secret")
            .env_remove("GGPLAN_VAR_secret")
            .output()
            .unwrap();
        Run::of(out)
    }

    fn state(&self) -> Json {
        serde_json::from_slice(&std::fs::read(self.path("state/stack.json")).unwrap()).unwrap()
    }

    /// The generated password, from the state.
    fn password(&self) -> String {
        let state = self.state();
        let db = state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == "random_password.db")
            .unwrap();
        db["attributes"]["result"].as_str().unwrap().to_string()
    }
}

/// Output with its random parts replaced: UUIDs, timestamps, lineages.
fn normalize(text: &str) -> String {
    let uuid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let time = Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    let text = uuid.replace_all(text, "<uuid>");
    time.replace_all(&text, "<time>").into_owned()
}

#[test]
fn golden_plan_in_every_format() {
    let sb = Sandbox::applied();
    sb.write("main.tf", &v2());
    let json = sb.run(&["plan", "--format", "json"]).expect(0);
    let doc: Json = serde_json::from_str(&json.stdout).unwrap();
    let actions: Vec<(String, Json)> = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["change"]["actions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            (
                "local_file.config".to_string(),
                serde_json::json!(["delete", "create"])
            ),
            (
                "local_file.inventory".to_string(),
                serde_json::json!(["no-op"])
            ),
            (
                "random_password.db".to_string(),
                serde_json::json!(["no-op"])
            ),
            (
                "terraform_data.app".to_string(),
                serde_json::json!(["update"])
            ),
            (
                "terraform_data.extra".to_string(),
                serde_json::json!(["create"])
            ),
            (
                "terraform_data.old".to_string(),
                serde_json::json!(["delete"])
            ),
            (
                "terraform_data.pinned".to_string(),
                serde_json::json!(["delete", "create"])
            ),
        ]
    );
    insta::assert_snapshot!("plan_json", normalize(&json.stdout));
    let markdown = sb.run(&["plan", "--format", "markdown"]).expect(0);
    insta::assert_snapshot!("plan_markdown", normalize(&markdown.stdout));
    let events = sb.run(&["plan", "--json"]).expect(0);
    for line in events.stdout.lines() {
        let event: Json = serde_json::from_str(line).unwrap();
        assert!(
            event["type"].is_string() && event["@message"].is_string(),
            "{line}"
        );
    }
    // Refreshes run concurrently, so their order varies: check that each one that starts
    // completes (Terraform's `refresh_start` and `refresh_complete`), snapshot the rest.
    let (refreshes, rest): (Vec<&str>, Vec<&str>) = events
        .stdout
        .lines()
        .partition(|l| l.contains("\"type\":\"refresh_"));
    let mut started = std::collections::BTreeSet::new();
    let mut completed = std::collections::BTreeSet::new();
    for line in refreshes {
        let event: Json = serde_json::from_str(line).unwrap();
        let addr = event["hook"]["resource"]["addr"]
            .as_str()
            .unwrap()
            .to_string();
        if event["type"] == "refresh_start" {
            started.insert(addr);
        } else {
            assert!(
                started.contains(&addr),
                "completed before it started: {line}"
            );
            assert!(
                event["@message"]
                    .as_str()
                    .unwrap()
                    .contains("Refresh complete")
            );
            completed.insert(addr);
        }
    }
    assert_eq!(started.len(), 6);
    assert_eq!(completed, started);
    insta::assert_snapshot!("plan_events", normalize(&rest.join("\n")));
    insta::assert_snapshot!(
        "state_json",
        normalize(&sb.run(&["show", "--json"]).expect(0).stdout)
    );
}

#[test]
fn drift_names_edited_and_deleted_files_until_accepted() {
    let sb = Sandbox::applied();
    sb.run(&["drift"]).expect(0);
    std::fs::write(sb.path("out/config.txt"), "replicas=9\n").unwrap();
    std::fs::remove_file(sb.path("out/inventory.txt")).unwrap();

    let human = sb.run(&["drift"]).expect(2);
    assert!(
        human.stdout.contains("# local_file.config has changed"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("# local_file.inventory has been deleted")
    );
    assert!(
        human.stdout.contains("-         replicas=1\n") || human.stdout.contains("- replicas=1")
    );
    insta::assert_snapshot!(
        "drift_markdown",
        normalize(&sb.run(&["drift", "--format", "markdown"]).expect(2).stdout)
    );
    let json: Json =
        serde_json::from_str(&sb.run(&["drift", "--format", "json"]).expect(2).stdout).unwrap();
    let drifted: Vec<(&str, &Json)> = json["resource_drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["address"].as_str().unwrap(), &c["change"]["actions"]))
        .collect();
    assert_eq!(
        drifted,
        [
            ("local_file.config", &serde_json::json!(["update"])),
            ("local_file.inventory", &serde_json::json!(["delete"])),
        ]
    );
    let events = sb.run(&["drift", "--json"]).expect(2);
    assert_eq!(
        events.stdout.matches("\"type\":\"resource_drift\"").count(),
        2
    );

    // Nothing changed yet: the state still has the old values. `plan --refresh-only` shows
    // what the refresh-only apply would record, and records nothing itself.
    let before = sb.state();
    let plan = sb.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    let plan = plan.expect(2);
    assert!(
        plan.stdout.contains("local_file.config") && plan.stdout.contains("refresh-only plan"),
        "{}",
        plan.stdout
    );
    assert_eq!(sb.state(), before);
    let refused = sb
        .run(&["plan", "--refresh-only", "--refresh=false"])
        .expect(1);
    assert!(
        refused.stderr.contains("-refresh=false"),
        "{}",
        refused.stderr
    );
    sb.run(&["apply", "--refresh-only", "--auto-approve"])
        .expect(0);
    let after = sb.state();
    assert_ne!(before["serial"], after["serial"]);
    let addresses: Vec<&str> = after["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert!(!addresses.contains(&"local_file.inventory"));
    assert_eq!(
        std::fs::read_to_string(sb.path("out/config.txt")).unwrap(),
        "replicas=9\n"
    );
    assert!(
        !sb.path("out/inventory.txt").exists(),
        "refresh-only must not create objects"
    );
    sb.run(&["drift"]).expect(0);
    sb.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(0);
}

#[test]
fn saved_plan_applies_exactly_what_it_shows() {
    let sb = Sandbox::applied();
    sb.write("main.tf", &v2());
    let plan = sb.run(&["plan", "--out", "pr.plan"]).expect(0);
    assert!(plan.stdout.contains("ggplan apply pr.plan"));
    let mode = std::fs::metadata(sb.path("pr.plan"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let file: Json = serde_json::from_slice(&std::fs::read(sb.path("pr.plan")).unwrap()).unwrap();
    assert_eq!(file["format"], "ggplan-plan");
    assert_eq!(file["format_version"], 2);
    // Secrets are kept in plain text, with their paths, as the state keeps them.
    assert_eq!(file["variables"]["secret"]["value"], VAR_SECRET);
    assert_eq!(
        file["variables"]["secret"]["sensitive_paths"],
        serde_json::json!([[]])
    );

    // The human and Markdown views of the file are those of the plan.
    let shown = sb.run(&["show", "pr.plan"]).expect(0);
    assert!(
        shown
            .stdout
            .contains("Plan: 3 to add, 1 to change, 3 to destroy."),
        "{}",
        shown.stdout
    );
    let from_file = sb
        .run(&["show", "--format", "markdown", "pr.plan"])
        .expect(0);
    let fresh = sb.run(&["plan", "--format", "markdown"]).expect(0);
    assert_eq!(from_file.stdout, fresh.stdout);

    let applied = sb.run(&["apply", "pr.plan"]).expect(0);
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 3 added, 1 changed, 3 destroyed."),
        "{}",
        applied.all()
    );
    assert!(!applied.stdout.contains("Enter a value"));
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn saved_plan_is_refused_after_the_state_changed() {
    let sb = Sandbox::applied();
    sb.write("main.tf", &v2());
    sb.run(&["plan", "--out", "pr.plan"]).expect(0);
    // Another run applies first.
    sb.run(&[
        "apply",
        "--auto-approve",
        "--target",
        "terraform_data.extra",
    ])
    .expect(0);
    let state = std::fs::read(sb.path("state/stack.json")).unwrap();
    let refused = sb.run(&["apply", "pr.plan"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("The state changed since the plan was made"),
        "{}",
        refused.all()
    );
    assert!(refused.stderr.contains("its serial is"));
    assert_eq!(std::fs::read(sb.path("state/stack.json")).unwrap(), state);
}

/// Every field of a saved plan is part of what was reviewed: a file edited by hand (where its
/// apply writes the state, its options) is refused by apply and show, and nothing is written.
#[test]
fn a_saved_plan_edited_by_hand_is_refused() {
    let sb = Sandbox::applied();
    sb.write("main.tf", &v2());
    sb.run(&["plan", "--out", "pr.plan"]).expect(0);
    let shown = sb.run(&["show", "pr.plan"]).expect(0);
    assert!(
        shown.stdout.contains("to apply to the state"),
        "{}",
        shown.stdout
    );
    let original: Json =
        serde_json::from_slice(&std::fs::read(sb.path("pr.plan")).unwrap()).unwrap();
    let elsewhere = sb.path("elsewhere/state.json");
    let edits: [(&str, Json); 3] = [
        ("state_path", Json::String(elsewhere.display().to_string())),
        (
            "options",
            serde_json::json!({"destroy": false, "refresh": false, "targets": [], "replace": []}),
        ),
        ("created", Json::String("2020-01-01T00:00:00Z".into())),
    ];
    let state = std::fs::read(sb.path("state/stack.json")).unwrap();
    for (field, value) in edits {
        let mut edited = original.clone();
        edited[field] = value;
        std::fs::write(
            sb.path("pr.plan"),
            serde_json::to_vec_pretty(&edited).unwrap(),
        )
        .unwrap();
        for command in ["apply", "show"] {
            let refused = sb.run(&[command, "pr.plan"]).expect(1);
            assert!(
                refused.stderr.contains("was changed after ggplan wrote it"),
                "{command} with {field} edited:\n{}",
                refused.all()
            );
        }
    }
    assert!(!elsewhere.exists());
    assert_eq!(std::fs::read(sb.path("state/stack.json")).unwrap(), state);
}

#[test]
fn saved_plan_is_refused_after_the_configuration_changed() {
    let sb = Sandbox::applied();
    sb.write("main.tf", &v2());
    sb.run(&["plan", "--out", "pr.plan"]).expect(0);
    sb.write("main.tf", &v2().replace("\"extra\"\n}", "\"extra2\"\n}"));
    let state = std::fs::read(sb.path("state/stack.json")).unwrap();
    let refused = sb.run(&["apply", "pr.plan"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("The configuration changed since the plan was made (main.tf changed)"),
        "{}",
        refused.all()
    );
    assert_eq!(std::fs::read(sb.path("state/stack.json")).unwrap(), state);

    // Reality changing after the plan is refused too: the fresh plan differs.
    sb.write("main.tf", &v2());
    sb.run(&["plan", "--out", "pr.plan"]).expect(0);
    std::fs::write(sb.path("out/inventory.txt"), "node9\n").unwrap();
    let refused = sb.run(&["apply", "pr.plan"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("The plan is no longer what it was when saved: local_file.inventory"),
        "{}",
        refused.all()
    );
}

#[test]
fn no_output_format_shows_a_secret() {
    let sb = Sandbox::applied();
    let password = sb.password();
    assert_eq!(password.len(), 24);
    let secrets = [VAR_SECRET, password.as_str()];
    let check = |what: &str, run: &Run| {
        for secret in secrets {
            assert!(
                !run.all().contains(secret),
                "{what} shows a secret:\n{}",
                run.all()
            );
        }
    };
    sb.write("main.tf", &v2());
    let mut runs: Vec<(String, Vec<&str>, i32)> = vec![
        ("plan".into(), vec!["plan"], 0),
        ("plan json".into(), vec!["plan", "--format", "json"], 0),
        (
            "plan markdown".into(),
            vec!["plan", "--format", "markdown"],
            0,
        ),
        ("plan events".into(), vec!["plan", "--json"], 0),
        ("plan --out".into(), vec!["plan", "--out", "pr.plan"], 0),
        ("show plan".into(), vec!["show", "pr.plan"], 0),
        (
            "show plan json".into(),
            vec!["show", "--json", "pr.plan"],
            0,
        ),
        (
            "show plan markdown".into(),
            vec!["show", "--format", "markdown", "pr.plan"],
            0,
        ),
        ("show state json".into(), vec!["show", "--json"], 0),
        ("show state".into(), vec!["show"], 0),
    ];
    for (what, args, code) in runs.drain(..) {
        check(&what, &sb.run(&args).expect(code));
    }
    let plan_file = std::fs::read_to_string(sb.path("pr.plan")).unwrap();
    assert!(
        plan_file.contains(VAR_SECRET),
        "the plan file keeps secrets, as state does"
    );

    std::fs::write(sb.path("out/config.txt"), "replicas=9\n").unwrap();
    for (what, args) in [
        ("drift", vec!["drift"]),
        ("drift json", vec!["drift", "--format", "json"]),
        ("drift markdown", vec!["drift", "--format", "markdown"]),
        ("drift events", vec!["drift", "--json"]),
    ] {
        check(what, &sb.run(&args).expect(2));
    }
    check(
        "apply events",
        &sb.run(&["apply", "--json", "--auto-approve"]).expect(0),
    );
    check(
        "show state json after apply",
        &sb.run(&["show", "--json"]).expect(0),
    );
}

/// The JSON lines of a `--json` run.
fn json_lines(run: &Run) -> Vec<Json> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_runs_report_diagnostics_as_json_lines_and_destroy_has_json_too() {
    let sb = Sandbox::new(V1);
    // Nothing for people on stderr: a CI job reads one stream of lines.
    let refused = sb.run(&["destroy", "--json"]).expect(1);
    assert_eq!(refused.stderr, "");
    let last = json_lines(&refused).pop().unwrap();
    assert_eq!(last["type"], "diagnostic");
    assert_eq!(last["@level"], "error");
    assert_eq!(last["diagnostic"]["summary"], "Missing --auto-approve");

    sb.write(
        "broken.tf",
        "resource \"terraform_data\" \"b\" {\n  input = terraform_data.nope.id\n}\n",
    );
    let broken = sb.run(&["plan", "--json"]).expect(1);
    assert_eq!(broken.stderr, "");
    let diagnostic = json_lines(&broken)
        .into_iter()
        .find(|l| l["type"] == "diagnostic")
        .unwrap_or_else(|| panic!("{}", broken.all()));
    let body = &diagnostic["diagnostic"];
    assert_eq!(body["severity"], "error");
    assert!(
        body["range"]["filename"]
            .as_str()
            .unwrap()
            .ends_with("broken.tf"),
        "{body}"
    );
    assert_eq!(body["range"]["start"]["line"], 2);
    assert_eq!(body["snippet"]["code"], "  input = terraform_data.nope.id");
    std::fs::remove_file(sb.path("broken.tf")).unwrap();

    sb.run(&["apply", "--json", "--auto-approve"]).expect(0);
    // destroy takes a directory, never a saved plan (which may not be a destroy).
    sb.run(&["plan", "--out", "saved.plan"]).expect(0);
    let refused = sb
        .run(&["destroy", "saved.plan", "--json", "--auto-approve"])
        .expect(1);
    assert!(
        refused.stdout.contains("destroy takes a stack directory"),
        "{}",
        refused.all()
    );
    let destroyed = sb.run(&["destroy", "--json", "--auto-approve"]).expect(0);
    let summary = json_lines(&destroyed)
        .into_iter()
        .rfind(|l| l["type"] == "change_summary")
        .unwrap();
    assert_eq!(summary["changes"]["operation"], "destroy");
    assert_eq!(summary["changes"]["remove"], 6);
    assert_eq!(
        summary["@message"],
        "Destroy complete! Resources: 6 destroyed."
    );
    assert!(!destroyed.stdout.contains("s3cr3t-variable-value"));
}

#[test]
fn json_apply_needs_auto_approve_and_plan_files_take_no_variables() {
    let sb = Sandbox::new(V1);
    let refused = sb.run(&["apply", "--json"]).expect(1);
    assert!(
        refused.stdout.contains("--auto-approve"),
        "{}",
        refused.all()
    );
    sb.run(&["plan", "--out", "p.plan"]).expect(0);
    let refused = sb.run(&["apply", "p.plan", "--var", "secret=x"]).expect(1);
    assert!(refused.stderr.contains("Cannot change a saved plan"));
    let not_a_plan = Path::new("main.tf");
    let refused = sb.run(&["apply", not_a_plan.to_str().unwrap()]).expect(1);
    assert!(
        refused.stderr.contains("is not a ggplan plan file"),
        "{}",
        refused.all()
    );
}
