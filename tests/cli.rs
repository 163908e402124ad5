//! End-to-end tests of the `ggplan` binary: the quickstart example from plan to destroy, drift
//! repaired by apply, the golden first plan, bad input refused with a clear error and the state
//! left as it was, and the quickstart's generated secrets kept out of every output but the one
//! that asks for them by name.
//!
//! Each test works in its own temporary directory: the stack is copied into
//! `<tmp>/<stack name>/` and the binary runs there, so `generated/` and `state/` land in the
//! temporary directory and the stack is named by a relative path (`.`), as a user runs it.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run};
use serde_json::Value as Json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;

/// Environment variables added to a run.
type Env<'a> = &'a [(&'a str, &'a str)];

/// A stack copied into its own temporary directory.
struct Sandbox {
    _tmp: TempDir,
    dir: PathBuf,
}

impl Sandbox {
    /// The quickstart example (its `.tf` files only: nothing it generated).
    fn quickstart() -> Sandbox {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
        let sb = Sandbox::empty("quickstart");
        for entry in std::fs::read_dir(&example).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf") {
                std::fs::copy(&path, sb.dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        sb
    }

    /// A stack named `stack` whose only file is `main.tf`.
    fn with_main(text: &str) -> Sandbox {
        let sb = Sandbox::empty("stack");
        sb.write("main.tf", text);
        sb
    }

    fn empty(name: &str) -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        Sandbox { _tmp: tmp, dir }
    }

    /// The quickstart, applied.
    fn applied_quickstart() -> Sandbox {
        let sb = Sandbox::quickstart();
        sb.run(&["apply", "--auto-approve"]).expect(0);
        sb
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The default state file: `state/<stack directory name>.json`.
    fn state_path(&self) -> PathBuf {
        let name = self.dir.file_name().unwrap().to_string_lossy();
        self.dir.join("state").join(format!("{name}.json"))
    }

    fn state_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.state_path()).ok()
    }

    fn state_json(&self) -> Json {
        serde_json::from_slice(&self.state_bytes().expect("a state file")).unwrap()
    }

    /// The `result` of a `random_password` in the state.
    fn password(&self, name: &str) -> String {
        let address = format!("random_password.{name}");
        let state = self.state_json();
        let resource = state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address.as_str())
            .unwrap_or_else(|| panic!("{address} is not in the state"));
        resource["attributes"]["result"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs `ggplan ARGS` in the stack directory with `env` added, without colours, with no
    /// terminal on standard input and no variables from the environment of the test.
    fn run_with(&self, args: &[&str], env: Env) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .env("NO_COLOR", "1");
        for (name, _) in std::env::vars() {
            if name.starts_with("GGPLAN_VAR_") || name.starts_with("TF_VAR_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(env.iter().copied());
        let out = cmd.output().unwrap();
        Run::of(out)
    }

    /// Runs a command that must fail: exit 1, every one of `messages` in standard error, the
    /// state file byte-identical (or still absent), and no lock or journal left behind.
    fn refused(&self, args: &[&str], env: Env, messages: &[&str]) -> Run {
        let before = self.state_bytes();
        let run = self.run_with(args, env).expect(1);
        for m in messages {
            assert!(
                run.stderr.contains(m),
                "{args:?}: {m:?} not in stderr:\n{}",
                run.stderr
            );
        }
        assert!(
            self.state_bytes() == before,
            "{args:?} changed the state file"
        );
        let state = self.state_path();
        for suffix in [".lock", ".journal"] {
            let side = PathBuf::from(format!("{}{suffix}", state.display()));
            assert!(!side.exists(), "{args:?} left {}", side.display());
        }
        run
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. The quickstart, command by command.

#[test]
fn apply_writes_the_files_and_a_private_state_and_then_has_nothing_to_do() {
    let sb = Sandbox::quickstart();
    let run = sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("mlflow_url = \"http://129.114.25.10:8000\"")
    );
    assert!(run.stdout.contains("postgres_password = (sensitive value)"));

    assert_eq!(mode(&sb.state_path()), 0o600);
    let state = sb.state_json();
    assert_eq!(state["resources"].as_array().unwrap().len(), 7);

    assert_eq!(
        read(&sb.path("generated/nodes/node2.env")),
        "NODE_NAME=node2\nNODE_IP=192.168.1.12\nEXTERNAL_IP=129.114.25.10\n"
    );
    assert_eq!(mode(&sb.path("generated/nodes/node2.env")), 0o644);
    assert_eq!(
        read(&sb.path("generated/inventory.yml")),
        "all:\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n    \
         node1:\n      ansible_host: 192.168.1.11\n      ansible_user: cc\n    \
         node2:\n      ansible_host: 192.168.1.12\n      ansible_user: cc\n    \
         node3:\n      ansible_host: 192.168.1.13\n      ansible_user: cc\n"
    );
    let values = read(&sb.path("generated/platform-values.yaml"));
    assert!(values.starts_with("# Values for the GourmetGram platform chart"));
    assert!(values.contains(&format!(
        "  secretKey: {}\n",
        sb.password("minio_secret_key")
    )));
    assert!(values.contains(&format!("  password: {}\n", sb.password("postgres"))));
    assert_eq!(mode(&sb.path("generated/platform-values.yaml")), 0o700);

    let run = sb.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    let run = sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(run.stdout.contains("0 added, 0 changed, 0 destroyed"));
}

#[test]
fn variables_from_flags_and_the_environment_change_the_plan() {
    let sb = Sandbox::applied_quickstart();
    let state = sb.state_bytes();
    let ways: [(&[&str], Env); 5] = [
        (&["--var", "external_ip=10.9.8.7"], &[]),
        (&["--var=external_ip=10.9.8.7"], &[]),
        (&["-var=external_ip=10.9.8.7"], &[]),
        (&[], &[("GGPLAN_VAR_external_ip", "10.9.8.7")]),
        (&[], &[("TF_VAR_external_ip", "10.9.8.7")]),
    ];
    for (flags, env) in ways {
        let args: Vec<&str> = ["plan", "-detailed-exitcode"]
            .iter()
            .chain(flags)
            .copied()
            .collect();
        let run = sb.run_with(&args, env).expect(2);
        for wanted in [
            "-/+ resource \"local_file\" \"node_env\"",
            "- EXTERNAL_IP=129.114.25.10",
            "+ EXTERNAL_IP=10.9.8.7",
            "~ mlflow_url = \"http://129.114.25.10:8000\" -> \"http://10.9.8.7:8000\"",
            "Plan: 4 to add, 0 to change, 4 to destroy.",
        ] {
            assert!(
                run.stdout.contains(wanted),
                "{flags:?} {env:?}: {wanted:?} not in\n{}",
                run.stdout
            );
        }
    }
    // A flag beats the environment, as in Terraform.
    let run = sb
        .run_with(
            &["plan", "-var", "external_ip=10.0.0.1"],
            &[("GGPLAN_VAR_external_ip", "10.9.8.7")],
        )
        .expect(0);
    assert!(run.stdout.contains("+ EXTERNAL_IP=10.0.0.1"));
    assert!(!run.stdout.contains("10.9.8.7"));
    assert!(sb.state_bytes() == state, "plan wrote the state");
}

#[test]
fn output_prints_values_and_a_sensitive_one_only_by_name() {
    let sb = Sandbox::applied_quickstart();
    let password = sb.password("postgres");

    let run = sb.run(&["output"]).expect(0);
    assert_eq!(
        run.stdout,
        "inventory_file = \"./generated/inventory.yml\"\n\
         mlflow_url = \"http://129.114.25.10:8000\"\n\
         node_env_files = {\n  \
           \"node1\" = \"./generated/nodes/node1.env\"\n  \
           \"node2\" = \"./generated/nodes/node2.env\"\n  \
           \"node3\" = \"./generated/nodes/node3.env\"\n\
         }\n\
         postgres_password = (sensitive value)\n"
    );

    let run = sb.run(&["output", "--json"]).expect(0);
    let all: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        all["inventory_file"],
        serde_json::json!({"sensitive": false, "type": "string", "value": "./generated/inventory.yml"})
    );
    assert_eq!(
        all["node_env_files"]["type"],
        serde_json::json!(["object", {"node1": "string", "node2": "string", "node3": "string"}])
    );
    assert_eq!(
        all["node_env_files"]["value"]["node3"],
        "./generated/nodes/node3.env"
    );
    assert_eq!(
        all["postgres_password"],
        serde_json::json!({"sensitive": true, "type": "string", "value": null})
    );

    let run = sb.run(&["output", "postgres_password"]).expect(0);
    assert_eq!(run.stdout, format!("\"{password}\"\n"));
    let run = sb.run(&["output", "--raw", "postgres_password"]).expect(0);
    assert_eq!(run.stdout, format!("{password}\n"));
    let run = sb.run(&["output", "--json", "postgres_password"]).expect(0);
    assert_eq!(run.stdout, format!("\"{password}\"\n"));
    let run = sb.run(&["output", "-raw", "mlflow_url"]).expect(0);
    assert_eq!(run.stdout, "http://129.114.25.10:8000\n");

    let run = sb.run(&["output", "mlflow_ur"]).expect(1);
    assert!(
        run.stderr.contains("Did you mean \"mlflow_url\"?"),
        "{}",
        run.stderr
    );
}

#[test]
fn show_and_state_list_and_state_show_describe_the_state() {
    let sb = Sandbox::applied_quickstart();

    let run = sb.run(&["show"]).expect(0);
    for wanted in [
        "# random_password.postgres:\nresource \"random_password\" \"postgres\" {\n",
        "    result           = (sensitive value)\n",
        "# local_sensitive_file.platform_values:",
        "    content              = (sensitive value)\n",
        "# local_file.node_env[\"node3\"]:",
        "\nOutputs:\n\n",
        "postgres_password = (sensitive value)\n",
    ] {
        assert!(
            run.stdout.contains(wanted),
            "{wanted:?} not in\n{}",
            run.stdout
        );
    }

    let run = sb.run(&["state", "list"]).expect(0);
    assert_eq!(
        run.stdout,
        "local_file.inventory\n\
         local_file.node_env[\"node1\"]\n\
         local_file.node_env[\"node2\"]\n\
         local_file.node_env[\"node3\"]\n\
         local_sensitive_file.platform_values\n\
         random_password.minio_secret_key\n\
         random_password.postgres\n"
    );
    let run = sb.run(&["state", "list", "random_password"]).expect(0);
    assert_eq!(
        run.stdout,
        "random_password.minio_secret_key\nrandom_password.postgres\n"
    );

    let run = sb
        .run(&["state", "show", "local_file.node_env[\"node1\"]"])
        .expect(0);
    assert!(run.stdout.starts_with(
        "# local_file.node_env[\"node1\"]:\nresource \"local_file\" \"node_env\" {\n"
    ));
    assert!(
        run.stdout
            .contains("    filename             = \"./generated/nodes/node1.env\"\n")
    );
    let run = sb
        .run(&["state", "show", "random_password.postgres"])
        .expect(0);
    assert!(run.stdout.contains("    length           = 24\n"));

    let run = sb.run(&["state", "show", "random_password.nope"]).expect(1);
    assert!(
        run.stderr
            .contains("random_password.nope is not in the state")
    );
}

#[test]
fn state_mv_and_rm_edit_the_state_and_plan_follows() {
    let sb = Sandbox::applied_quickstart();

    let run = sb
        .run(&[
            "state",
            "mv",
            "random_password.postgres",
            "random_password.pg",
        ])
        .expect(0);
    assert!(run.stdout.contains("Successfully moved 1 object(s)."));
    let run = sb.run(&["state", "list", "random_password"]).expect(0);
    assert_eq!(
        run.stdout,
        "random_password.minio_secret_key\nrandom_password.pg\n"
    );
    let run = sb.run(&["plan"]).expect(0);
    assert!(
        run.stdout
            .contains("# random_password.pg will be destroyed")
    );
    assert!(
        run.stdout
            .contains("# random_password.postgres will be created")
    );
    sb.run(&[
        "state",
        "mv",
        "random_password.pg",
        "random_password.postgres",
    ])
    .expect(0);

    // A whole resource moves with all its instances.
    let run = sb
        .run(&["state", "mv", "local_file.node_env", "local_file.env"])
        .expect(0);
    assert!(run.stdout.contains("Successfully moved 3 object(s)."));
    let run = sb.run(&["state", "list", "local_file.env"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 3);
    sb.run(&["state", "mv", "local_file.env", "local_file.node_env"])
        .expect(0);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    let run = sb
        .run(&["state", "rm", "local_file.node_env[\"node3\"]"])
        .expect(0);
    assert!(
        run.stdout
            .contains("Removed local_file.node_env[\"node3\"]")
    );
    let run = sb.run(&["state", "list", "local_file.node_env"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 2);
    assert!(
        sb.path("generated/nodes/node3.env").exists(),
        "state rm must leave the object alone"
    );
    let run = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        run.stdout
            .contains("# local_file.node_env[\"node3\"] will be created")
    );
    assert!(
        run.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy.")
    );
}

#[test]
fn a_deposed_object_is_planned_destroyed_and_moves_with_its_instance() {
    let sb = Sandbox::applied_quickstart();
    // What a create-before-destroy leaves when the old object's destroy failed.
    let mut state = sb.state_json();
    let current = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "random_password.postgres")
        .unwrap()
        .clone();
    let mut old = current.clone();
    old["attributes"]["id"] = Json::from("old");
    state["deposed"] = serde_json::json!([{ "key": "0a1b2c3d", "object": old }]);
    std::fs::write(sb.state_path(), serde_json::to_vec_pretty(&state).unwrap()).unwrap();

    let run = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        run.stdout
            .contains("# random_password.postgres (deposed object 0a1b2c3d) will be destroyed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy.")
    );

    sb.run(&[
        "state",
        "mv",
        "random_password.postgres",
        "random_password.pg",
    ])
    .expect(0);
    assert_eq!(
        sb.state_json()["deposed"][0]["object"]["address"],
        "random_password.pg"
    );
    sb.run(&[
        "state",
        "mv",
        "random_password.pg",
        "random_password.postgres",
    ])
    .expect(0);

    let run = sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(
        run.stdout.contains("0 added, 0 changed, 1 destroyed"),
        "{}",
        run.stdout
    );
    assert!(sb.state_json().get("deposed").is_none());
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    state["deposed"][0]["key"] = Json::from("4e5f6a7b");
    std::fs::write(sb.state_path(), serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    sb.run(&["state", "rm", "random_password.postgres"])
        .expect(0);
    assert!(sb.state_json().get("deposed").is_none());
}

#[test]
fn a_saved_plan_with_a_deposed_object_still_refuses_an_unreviewed_change() {
    let sb = Sandbox::applied_quickstart();
    let mut state = sb.state_json();
    let current = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "local_file.inventory")
        .unwrap()
        .clone();
    let inventory = sb.path(current["attributes"]["filename"].as_str().unwrap());
    let mut old = current.clone();
    let old_file = inventory.with_file_name("old-inventory.yml");
    std::fs::copy(&inventory, &old_file).unwrap();
    old["attributes"]["filename"] = Json::from(old_file.to_str().unwrap());
    state["deposed"] = serde_json::json!([{ "key": "0a1b2c3d", "object": old }]);
    std::fs::write(sb.state_path(), serde_json::to_vec_pretty(&state).unwrap()).unwrap();

    sb.run(&["plan", "--out", "p.plan"]).expect(0);
    // The inventory is edited after the plan was reviewed: applying the file must not
    // repair it unseen, although its deposed object shares its address.
    std::fs::write(&inventory, "edited\n").unwrap();
    let refused = sb.run(&["apply", "p.plan"]).expect(1);
    assert!(
        refused.stderr.contains("Saved plan is stale"),
        "{}",
        refused.all()
    );
    assert!(
        refused.stderr.contains("local_file.inventory"),
        "{}",
        refused.all()
    );
    assert_eq!(std::fs::read_to_string(&inventory).unwrap(), "edited\n");
    assert!(old_file.exists());
}

#[test]
fn graph_providers_version_and_validate_need_no_state() {
    let sb = Sandbox::quickstart();

    let run = sb.run(&["graph"]).expect(0);
    assert!(run.stdout.starts_with("digraph ggplan {\n"));
    assert!(run.stdout.trim_end().ends_with('}'));
    for edge in [
        "\"local_sensitive_file.platform_values\" -> \"random_password.postgres\";",
        "\"local_file.node_env\" -> \"var.nodes\";",
        "\"output.postgres_password\" -> \"random_password.postgres\";",
        "\"random_password.postgres\" -> \"provider[\\\"random\\\"]\";",
    ] {
        assert!(run.stdout.contains(edge), "{edge} not in\n{}", run.stdout);
    }

    let run = sb.run(&["providers"]).expect(0);
    for wanted in [
        "provider local\n",
        "  resource    local_sensitive_file\n",
        "provider random\n",
        "  resource    random_password\n",
    ] {
        assert!(
            run.stdout.contains(wanted),
            "{wanted:?} not in\n{}",
            run.stdout
        );
    }
    let run = sb.run(&["providers", "--json"]).expect(0);
    let schemas: Json = serde_json::from_str(&run.stdout).unwrap();
    assert!(schemas["random"]["resources"]["random_password"].is_object());

    let run = sb.run(&["version"]).expect(0);
    assert_eq!(
        run.stdout,
        format!("ggplan v{}\n", env!("CARGO_PKG_VERSION"))
    );

    let run = sb.run(&["validate"]).expect(0);
    assert_eq!(run.stdout, "Success! The configuration is valid.\n");

    assert!(
        sb.state_bytes().is_none(),
        "a read-only command wrote a state"
    );
}

#[test]
fn destroy_removes_the_files_and_empties_the_state() {
    let sb = Sandbox::applied_quickstart();
    let run = sb.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 7 destroyed."),
        "{}",
        run.stdout
    );
    for file in [
        "generated/inventory.yml",
        "generated/platform-values.yaml",
        "generated/nodes/node1.env",
        "generated/nodes/node2.env",
        "generated/nodes/node3.env",
    ] {
        assert!(!sb.path(file).exists(), "{file} is still there");
    }
    let state = sb.state_json();
    assert_eq!(state["resources"], serde_json::json!([]));
    assert_eq!(state["outputs"], serde_json::json!({}));
    assert_eq!(mode(&sb.state_path()), 0o600);
    // The backup holds the passwords of the state before: as private as the state.
    let backup = PathBuf::from(format!("{}.backup", sb.state_path().display()));
    assert_eq!(mode(&backup), 0o600);

    assert_eq!(sb.run(&["state", "list"]).expect(0).stdout, "");
    assert_eq!(
        sb.run(&["show"]).expect(0).stdout,
        "The state file is empty. No resources are represented.\n"
    );
    let run = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        run.stdout
            .contains("Plan: 7 to add, 0 to change, 0 to destroy.")
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Drift: files changed behind ggplan's back.

#[test]
fn drift_is_planned_and_repaired_by_apply() {
    let sb = Sandbox::applied_quickstart();
    let inventory = sb.path("generated/inventory.yml");
    let original = read(&inventory);
    std::fs::write(&inventory, format!("{original}  tampered: true\n")).unwrap();
    std::fs::remove_file(sb.path("generated/nodes/node2.env")).unwrap();

    let run = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    for wanted in [
        "# local_file.inventory must be replaced",
        "~ content              = <<-EOT # forces replacement",
        "          -   tampered: true\n",
        "# local_file.node_env[\"node2\"] will be created",
        "Plan: 2 to add, 0 to change, 1 to destroy.",
    ] {
        assert!(
            run.stdout.contains(wanted),
            "{wanted:?} not in\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("node_env[\"node1\"] will"));

    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(read(&inventory), original);
    assert_eq!(
        read(&sb.path("generated/nodes/node2.env")),
        "NODE_NAME=node2\nNODE_IP=192.168.1.12\nEXTERNAL_IP=129.114.25.10\n"
    );
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

// ---------------------------------------------------------------------------------------------
// 3. The golden first plan.

#[test]
fn first_plan_of_the_quickstart() {
    let sb = Sandbox::quickstart();
    let run = sb.run(&["plan"]).expect(0);
    assert_eq!(run.stderr, "");
    // Nothing random is known before apply (passwords are `(sensitive value)`, ids of what
    // depends on them `(known after apply)`), and every path is relative: the text is fixed.
    insta::with_settings!({
        snapshot_path => "cli/snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("quickstart_first_plan", run.stdout);
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Bad input: a clear error, exit 1, and the state as it was.

#[test]
fn malformed_hcl_is_located_with_a_snippet() {
    let sb = Sandbox::applied_quickstart();
    sb.write(
        "broken.tf",
        "resource \"terraform_data\" \"extra\" {\n  input = \"unterminated\n}\n",
    );
    for command in [&["plan"][..], &["apply", "--auto-approve"], &["validate"]] {
        let run = sb.refused(command, &[], &["Error: Invalid HCL syntax"]);
        // Terraform's layout: the file and line, then the line itself with a caret under the
        // column where the parser stopped.
        assert!(
            run.stderr.contains(
                "  on ./broken.tf line 2, in resource \"terraform_data\" \"extra\":\n   \
                 2:   input = \"unterminated\n        ^\n"
            ),
            "{}",
            run.stderr
        );
    }
    // A new stack gets no state from a failed run; the parser may stop at a line's end or at
    // the end of the file, and the caret is still there, just past the last character.
    let fresh = Sandbox::with_main("resource \"terraform_data\" \"a\" {\n  input \"x\"\n}\n");
    fresh.refused(
        &["plan"],
        &[],
        &["  on ./main.tf line 2, in resource \"terraform_data\" \"a\":\n   2:   input \"x\"\n                 ^\n"],
    );
    fresh.write("main.tf", "locals {\n  a = 1\n");
    fresh.refused(
        &["apply", "--auto-approve"],
        &[],
        &["  on ./main.tf line 3, in locals:\n   3: \n      ^\n"],
    );
    assert!(fresh.state_bytes().is_none());
}

#[test]
fn a_providers_own_check_stops_plan_and_apply_at_the_attribute() {
    let sb = Sandbox::applied_quickstart();
    let main = read(&sb.dir.join("main.tf"));
    sb.write("main.tf", &main.replacen("length  = 20", "length  = 0", 1));
    let messages = [
        "  on ./main.tf line 35, in resource \"random_password\" \"minio_secret_key\":\n  35:   length  = 0\n",
        "length",
    ];
    sb.refused(&["plan"], &[], &messages);
    sb.refused(&["apply", "--auto-approve"], &[], &messages);
}

#[test]
fn a_value_of_the_wrong_type_is_refused() {
    let sb = Sandbox::applied_quickstart();
    let messages = [
        "Error: Invalid value for input variable",
        "  on ./main.tf line 5, in variable \"nodes\":\n   5: variable \"nodes\" {\n",
        "var.nodes set using",
        "map(string) required, but got",
    ];
    sb.refused(&["plan", "--var", "nodes=5"], &[], &messages);
    sb.refused(
        &["apply", "--auto-approve"],
        &[("GGPLAN_VAR_nodes", "[\"a\", \"b\"]")],
        &messages,
    );
    // From a file, the snippet is the value in that file.
    sb.write("bad.tfvars", "nodes = \"node1\"\n");
    sb.refused(
        &["plan", "--var-file", "bad.tfvars"],
        &[],
        &[
            "Error: Invalid value for input variable",
            "  on bad.tfvars line 1:\n   1: nodes = \"node1\"\n              ^^^^^^^",
            "var.nodes declared at ./main.tf:5:1: map(string) required, but got string.",
        ],
    );
}

#[test]
fn a_missing_required_variable_is_named() {
    let sb = Sandbox::applied_quickstart();
    sb.write(
        "extra.tf",
        "variable \"admin_email\" {\n  type = string\n}\n",
    );
    sb.refused(
        &["apply", "--auto-approve"],
        &[],
        &[
            "Error: No value for required variable",
            "  on ./extra.tf line 1, in variable \"admin_email\":",
            "\"admin_email\" is not set",
            "GGPLAN_VAR_admin_email",
        ],
    );
    let run = sb
        .run_with(&["plan"], &[("TF_VAR_admin_email", "ops@example.org")])
        .expect(0);
    assert!(run.stdout.contains("No changes."));
}

#[test]
fn an_unknown_attribute_gets_a_did_you_mean() {
    let sb = Sandbox::applied_quickstart();
    sb.write(
        "extra.tf",
        "resource \"local_file\" \"extra\" {\n  filename       = \"x.txt\"\n  content        = \"x\"\n  file_permision = \"0600\"\n}\n",
    );
    for command in [&["plan"][..], &["validate"]] {
        sb.refused(
            command,
            &[],
            &[
                "Error: Unsupported argument",
                "  on ./extra.tf line 4, in resource \"local_file\" \"extra\":",
                "   4:   file_permision = \"0600\"",
                "Did you mean \"file_permission\"?",
            ],
        );
    }
    assert!(!sb.path("x.txt").exists());
}

#[test]
fn a_reference_to_an_undeclared_resource_gets_a_did_you_mean() {
    let sb = Sandbox::applied_quickstart();
    sb.write(
        "extra.tf",
        "output \"pw\" {\n  value     = random_pasword.postgres.result\n  sensitive = true\n}\n",
    );
    for command in [&["plan"][..], &["apply", "--auto-approve"], &["graph"]] {
        sb.refused(
            command,
            &[],
            &[
                "Error: Reference to undeclared resource",
                "  on ./extra.tf line 2, in output \"pw\":",
                "Did you mean \"random_password.postgres\"?",
            ],
        );
    }
}

#[test]
fn a_cycle_is_named_in_full() {
    let sb = Sandbox::applied_quickstart();
    sb.write(
        "extra.tf",
        "resource \"terraform_data\" \"a\" { input = terraform_data.b.output }\n\
         resource \"terraform_data\" \"b\" { input = terraform_data.c.output }\n\
         resource \"terraform_data\" \"c\" { input = terraform_data.a.output }\n",
    );
    for command in [&["plan"][..], &["apply", "--auto-approve"], &["graph"]] {
        sb.refused(
            command,
            &[],
            &[
                "Error: Cycle in the graph",
                "terraform_data.a -> terraform_data.b -> terraform_data.c -> terraform_data.a",
            ],
        );
    }
}

#[test]
fn a_corrupted_state_is_refused_and_left_untouched() {
    let sb = Sandbox::applied_quickstart();
    let good = sb.state_bytes().unwrap();
    std::fs::write(sb.state_path(), &good[..good.len() / 2]).unwrap();
    let commands: [&[&str]; 9] = [
        &["plan"],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
        &["show"],
        &["output"],
        &["state", "list"],
        &["state", "rm", "random_password.postgres"],
        &[
            "state",
            "mv",
            "random_password.postgres",
            "random_password.pg",
        ],
        &["import", "random_password.postgres", "secret"],
    ];
    for command in commands {
        sb.refused(
            command,
            &[],
            &[
                "Error: Cannot read the state",
                "is not a valid ggplan state",
                "left untouched",
            ],
        );
    }
    assert!(sb.path("generated/inventory.yml").exists());
}

#[test]
fn a_state_from_a_newer_ggplan_is_refused() {
    let sb = Sandbox::applied_quickstart();
    let mut state = sb.state_json();
    let newer = state["version"].as_u64().unwrap() + 1;
    state["version"] = newer.into();
    state["ggplan_version"] = "99.0.0".into();
    std::fs::write(sb.state_path(), serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    for command in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["show"],
        &["state", "rm", "random_password.postgres"],
    ] {
        sb.refused(
            command,
            &[],
            &[
                &format!("has format version {newer}, written by ggplan 99.0.0"),
                "Upgrade ggplan",
            ],
        );
    }
}

#[test]
fn a_locked_state_names_the_run_that_holds_it() {
    let sb = Sandbox::applied_quickstart();
    let store = ggplan::state::StateStore::new(sb.state_path());
    let guard = store.lock("apply").unwrap();
    let holder = guard.info().clone();
    let before = sb.state_bytes();
    for command in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["state", "rm", "random_password.postgres"],
    ] {
        let run = sb.run(command).expect(1);
        for wanted in [
            "Error: Error acquiring the state lock".to_string(),
            "is locked by another ggplan run".to_string(),
            format!("ID:        {}", holder.id),
            "Operation: apply".to_string(),
            format!("PID:       {}", std::process::id()),
            format!("ggplan force-unlock {}", holder.id),
        ] {
            assert!(
                run.stderr.contains(&wanted),
                "{wanted:?} not in\n{}",
                run.stderr
            );
        }
        assert!(sb.state_bytes() == before);
    }
    drop(guard);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_lock_left_by_a_dead_run_can_be_forced_open() {
    let sb = Sandbox::applied_quickstart();
    let id = {
        let store = ggplan::state::StateStore::new(sb.state_path());
        let guard = store.lock("apply").unwrap();
        let id = guard.info().id.clone();
        // The guard would remove the lock: keep the file, as a killed run leaves it.
        std::mem::forget(guard);
        id
    };
    sb.run(&["plan"]).expect(1);
    let run = sb.run(&["force-unlock", "not-the-id"]).expect(1);
    assert!(run.stderr.contains("does not match"), "{}", run.stderr);
    sb.run(&["force-unlock", &id]).expect(0);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn apply_without_a_terminal_asks_for_auto_approve() {
    let sb = Sandbox::quickstart();
    let messages = ["Error: No confirmation", "--auto-approve"];
    sb.refused(&["apply"], &[], &messages);
    assert!(sb.state_bytes().is_none());
    assert!(!sb.path("generated").exists(), "files were written");

    sb.run(&["apply", "-auto-approve"]).expect(0);
    sb.refused(&["destroy"], &[], &messages);
    sb.refused(&["apply", "--var", "external_ip=10.0.0.9"], &[], &messages);
    assert!(sb.path("generated/inventory.yml").exists());
    // Nothing to change: nothing to confirm.
    sb.run(&["apply"]).expect(0);
}

#[test]
fn moving_onto_a_taken_address_is_refused() {
    let sb = Sandbox::applied_quickstart();
    sb.refused(
        &[
            "state",
            "mv",
            "random_password.postgres",
            "random_password.minio_secret_key",
        ],
        &[],
        &["random_password.minio_secret_key is already in the state"],
    );
    sb.refused(
        &[
            "state",
            "mv",
            "random_password.postgres",
            "local_file.postgres",
        ],
        &[],
        &["different types"],
    );
    sb.refused(
        &["state", "rm", "random_password.nope"],
        &[],
        &["random_password.nope is not in the state"],
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Secrets.

#[test]
fn generated_passwords_appear_only_in_output_by_name() {
    let sb = Sandbox::quickstart();
    let mut runs = vec![
        ("plan".to_string(), sb.run(&["plan"]).expect(0)),
        (
            "apply".to_string(),
            sb.run(&["apply", "--auto-approve"]).expect(0),
        ),
    ];
    let secrets = [sb.password("postgres"), sb.password("minio_secret_key")];
    let commands: [&[&str]; 10] = [
        &["plan"],
        &["plan", "--var", "external_ip=10.1.1.1"],
        &["show"],
        &["output"],
        &["output", "--json"],
        &["state", "show", "random_password.postgres"],
        &["state", "show", "random_password.minio_secret_key"],
        &["state", "show", "local_sensitive_file.platform_values"],
        // Replaces the file whose content holds both passwords, then removes everything.
        &["apply", "--auto-approve", "--var", "external_ip=10.1.1.1"],
        &["destroy", "--auto-approve"],
    ];
    for command in commands {
        runs.push((command.join(" "), sb.run(command).expect(0)));
    }
    for (command, run) in &runs {
        for secret in &secrets {
            assert!(
                !run.all().contains(secret.as_str()),
                "`ggplan {command}` printed a password:\n{}",
                run.all()
            );
        }
    }

    // The one way to read it: asking for the output by name.
    let sb = Sandbox::applied_quickstart();
    let run = sb.run(&["output", "postgres_password"]).expect(0);
    assert!(run.stdout.contains(&sb.password("postgres")));
}

// ---------------------------------------------------------------------------------------------
// Provider-defined functions (Terraform 1.8's provider::NAME::FUNC).

/// A stack whose file content, variable check and outputs come from the terraform provider's
/// functions, one of them on a value known only after apply.
const PROVIDER_FUNCTIONS_STACK: &str = r#"
variable "site" {
  type    = string
  default = "kvm"
  validation {
    condition     = provider::terraform::encode_expr(var.site) == "\"kvm\""
    error_message = "Only the kvm site exists."
  }
}

resource "terraform_data" "node" {
  input = { name = "node1", cores = 2 }
}

resource "local_file" "tfvars" {
  filename = "${path.module}/generated/site.tfvars"
  content = provider::terraform::encode_tfvars({
    site  = var.site
    node  = terraform_data.node.output
    ports = [80, 443]
  })
}

output "decoded" {
  value = provider::terraform::decode_tfvars(local_file.tfvars.content)
}

output "secret_expr" {
  value     = provider::terraform::encode_expr(sensitive("pw"))
  sensitive = true
}
"#;

#[test]
fn provider_functions_plan_apply_and_validate_through_the_cli() {
    let sb = Sandbox::with_main(PROVIDER_FUNCTIONS_STACK);
    sb.run(&["validate"]).expect(0);
    let plan = sb.run(&["plan"]).expect(0);
    // The content depends on terraform_data's output: unknown until apply.
    assert!(
        plan.stdout
            .contains("+ content              = (known after apply)"),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        read(&sb.path("generated/site.tfvars")),
        "node = {\n  cores = 2\n  name  = \"node1\"\n}\nports = [80, 443]\nsite  = \"kvm\"\n"
    );
    let run = sb.run(&["output", "--json"]).expect(0);
    let outputs: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        outputs["decoded"]["value"],
        serde_json::json!({"node": {"cores": 2, "name": "node1"}, "ports": [80, 443], "site": "kvm"})
    );
    assert_eq!(outputs["secret_expr"]["value"], serde_json::Value::Null);
    let run = sb.run(&["plan"]).expect(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);

    sb.refused(
        &["plan", "--var", "site=bm"],
        &[],
        &["Only the kvm site exists."],
    );
}

#[test]
fn a_misspelt_provider_function_is_located_with_what_the_provider_offers() {
    let sb = Sandbox::with_main(
        "resource \"terraform_data\" \"x\" {\n  input = provider::terraform::encode_tfvar({ a = 1 })\n}\n",
    );
    for command in [&["plan"][..], &["validate"]] {
        sb.refused(
            command,
            &[],
            &[
                "Error: Call to unknown function",
                "  on ./main.tf line 2, in resource \"terraform_data\" \"x\":",
                "There is no function named \"provider::terraform::encode_tfvar\". Did you mean \
                 \"encode_tfvars\"? The terraform provider offers: decode_tfvars, encode_expr, \
                 encode_tfvars.",
            ],
        );
    }
    let run = sb.run(&["providers"]).expect(0);
    assert!(
        run.stdout
            .contains("provider terraform\n  resource    terraform_data\n  data source terraform_remote_state\n  function    provider::terraform::decode_tfvars\n"),
        "{}",
        run.stdout
    );
    let run = sb.run(&["providers", "--json"]).expect(0);
    let schemas: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        schemas["terraform"]["functions"]["encode_expr"]["return_type"],
        "string"
    );
    assert!(schemas["random"].get("functions").is_none());
}

/// As in Terraform, relative paths are read from the working directory and path.module is
/// the module's directory seen from there, so `file("${path.module}/t.txt")` reads the stack's
/// own file however the stack is named (`ggplan plan site`, not `site/site/t.txt`).
#[test]
fn files_named_from_path_module_are_read_when_the_stack_is_a_relative_path() {
    let sb = Sandbox::with_main(
        r#"
        output "greeting" {
          value = file("${path.module}/greeting.txt")
        }
        output "page" {
          value = templatefile("${path.module}/page.tpl", { name = "GourmetGram" })
        }
        "#,
    );
    sb.write("greeting.txt", "hello");
    sb.write("page.tpl", "welcome to ${name}");
    let parent = sb.dir.parent().unwrap();
    let out = Command::new(BIN)
        .args(["plan", "stack"])
        .current_dir(parent)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let run = Run::of(out).expect(0);
    assert!(
        run.stdout.contains(r#"greeting = "hello""#),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(r#"page     = "welcome to GourmetGram""#),
        "{}",
        run.stdout
    );
}

/// What `fmt` and Terraform refuse, `validate` and `plan` refuse too, at the string's line.
#[test]
fn a_quoted_string_split_over_lines_is_refused_by_validate_as_by_fmt() {
    let sb = Sandbox::with_main("output \"x\" {\n  value = \"a\nb\"\n}\n");
    for command in ["validate", "plan"] {
        let run = sb.run(&[command]).expect(1);
        assert!(
            run.stderr.contains("Invalid multi-line string") && run.stderr.contains("line 2"),
            "{command}: {}",
            run.stderr
        );
    }
    let run = sb.run(&["fmt", "-check"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
}

/// A function that fails on a sensitive value never quotes it (Terraform's messages would:
/// `cannot convert "..." to number`), in text or in JSON.
#[test]
fn a_function_failing_on_a_sensitive_value_does_not_quote_it() {
    let secret = "hunter2-not-a-number";
    let calls = [
        "tonumber(var.secret)",
        "tobool(var.secret)",
        "parseint(var.secret, 10)",
        "file(var.secret)",
        "base64decode(var.secret)",
        "cidrhost(var.secret, 1)",
        "lookup({}, var.secret)",
    ];
    let outputs: String = calls
        .iter()
        .enumerate()
        .map(|(i, call)| format!("output \"o{i}\" {{\n  value = {call}\n  sensitive = true\n}}\n"))
        .collect();
    let sb = Sandbox::with_main(&format!(
        "variable \"secret\" {{\n  type      = string\n  sensitive = true\n}}\n{outputs}"
    ));
    let var = format!("secret={secret}");
    for args in [
        vec!["plan", "--var", &var],
        vec!["plan", "--json", "--var", &var],
    ] {
        let run = sb.run(&args).expect(1);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains(secret), "{args:?} printed the secret:\n{all}");
        assert!(all.contains("sensitive"), "{args:?}:\n{all}");
    }
}

/// A sensitive variable's value of the wrong type is refused without being quoted; an
/// environment variable that is not UTF-8 is ignored, or refused by name when it sets a
/// variable, never a crash that prints it.
#[test]
fn bad_variable_values_are_refused_without_printing_them() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::with_main(
        "variable \"secret\" {\n  type      = number\n  sensitive = true\n}\n\
         output \"n\" {\n  value     = var.secret\n  sensitive = true\n}\n",
    );
    let run = sb.run(&["plan", "--var", "secret=hunter2"]).expect(1);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(
        run.stderr.contains("type number is required"),
        "{}",
        run.stderr
    );

    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let plan = |name: &str| {
        let out = Command::new(BIN)
            .args(["plan", "--var", "secret=1"])
            .current_dir(&sb.dir)
            .env("NO_COLOR", "1")
            .env(name, latin1)
            .output()
            .unwrap();
        Run::of(out)
    };
    plan("UNRELATED").expect(0);
    let refused = plan("GGPLAN_VAR_secret").expect(1);
    assert!(
        refused
            .stderr
            .contains("GGPLAN_VAR_secret is not valid UTF-8"),
        "{}",
        refused.stderr
    );
}

/// A provider that refuses its configuration is shown at the attribute it names (or its
/// block), as Terraform shows it.
#[test]
fn a_refused_provider_configuration_is_placed_at_its_attribute() {
    let sb = Sandbox::with_main(
        "provider \"kubernetes\" {\n  config_path = \"/nonexistent/kubeconfig\"\n}\n\
         resource \"kubernetes_namespace_v1\" \"ns\" {\n  metadata {\n    name = \"a\"\n  }\n}\n",
    );
    let run = sb.run(&["plan"]).expect(1);
    assert!(
        run.stderr.contains("Cannot read the kubeconfig") && run.stderr.contains("line 2"),
        "{}",
        run.stderr
    );
}

/// Configuration that crashed ggplan (a stack overflow, an overflowing division, a format
/// asking for gigabytes, a count of ten billion) is refused with a diagnostic instead.
#[test]
fn hostile_configuration_is_refused_without_crashing() {
    let deep_splat = format!("[[1]]{}", "[*]".repeat(2000));
    let cases: [(&str, &str); 7] = [
        (&deep_splat, "Expression too deeply nested"),
        ("format(\"%.999999999f\", 1.5)", "is above 1000000"),
        (
            "format(\"%-99999999999999999999s\", \"a\")",
            "is above 1000000",
        ),
        (
            "indent(9223372036854775807, \"a\\nb\")",
            "at most 1000000 spaces",
        ),
        (
            "templatefile(\"${path.module}/self.tpl\", {})",
            "cannot call templatefile from inside a template",
        ),
        ("length(terraform_data.many)", "count is above 1,000,000"),
        ("length(terraform_data.most)", "count is above 1,000,000"),
    ];
    for (expr, message) in cases {
        let sb = Sandbox::with_main(&format!(
            "output \"x\" {{\n  value = {expr}\n}}\n\
             resource \"terraform_data\" \"many\" {{\n  count = {}\n}}\n\
             resource \"terraform_data\" \"most\" {{\n  count = {}\n}}\n",
            if expr.contains("many") { "1e10" } else { "0" },
            if expr.contains("most") {
                "9223372036854775807"
            } else {
                "0"
            },
        ));
        sb.write("self.tpl", "${templatefile(\"self.tpl\", {})}");
        let run = sb.run(&["plan"]);
        assert_eq!(run.code, 1, "{expr}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{expr}: {}", run.stderr);
    }
    let sb = Sandbox::with_main("output \"x\" {\n  value = (-9223372036854775808) / -1\n}\n");
    let run = sb.run(&["plan"]).expect(0);
    // Past the largest whole number: a double, as Terraform's big numbers print.
    assert!(
        run.stdout.contains("x = 9223372036854780000"),
        "{}",
        run.stdout
    );
    let long = "n".repeat(100_000);
    let sb = Sandbox::with_main(&format!("output \"{long}\" {{\n  value = 1\n}}\n"));
    sb.run(&["plan"]).expect(0);
}

/// A 100,000-key object literal, which the parser would take minutes over (it checks each
/// key against every one before it), is refused at once, in a stack file and in a variables
/// file, naming where it opens.
#[test]
fn an_object_literal_too_large_to_parse_is_refused_where_it_opens() {
    let keys: String = (0..100_000).map(|i| format!("    k{i} = {i}\n")).collect();
    let sb = Sandbox::with_main(&format!(
        "variable \"m\" {{\n  type    = map(number)\n  default = {{}}\n}}\n\
         locals {{\n  big = {{\n{keys}  }}\n}}\n"
    ));
    let run = sb.run(&["validate"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("Object literal too large") && run.stderr.contains("line 6"),
        "{}",
        run.stderr
    );
    sb.write("main.tf", "variable \"m\" {\n  type = map(number)\n}\n");
    sb.write("terraform.tfvars", &format!("m = {{\n{keys}}}\n"));
    let run = sb.run(&["plan"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("Object literal too large") && run.stderr.contains("terraform.tfvars"),
        "{}",
        run.stderr
    );
}
