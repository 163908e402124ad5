//! Terraform's workspaces through the CLI, local backend: `workspace new|select|list|show|
//! delete`, the selection in `.terraform/environment` and its `TF_WORKSPACE` override,
//! `TF_DATA_DIR`, `terraform.workspace` in plan, apply, console and validate, separate states per workspace in
//! `terraform.tfstate.d/NAME/terraform.tfstate` (or the local backend's `workspace_dir`), and a
//! saved plan refused in another workspace. The pg backend's workspaces are in `pg_backend`.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run, StackDir};
use std::path::PathBuf;

/// One object per workspace, named after it (as the seed's students suffix theirs).
const STACK: &str = r#"
resource "terraform_data" "net" {
  input = "sharednet-${terraform.workspace}"
}

output "name" {
  value = terraform_data.net.output
}
"#;

fn default_state(stack: &StackDir) -> PathBuf {
    let name = stack.dir().file_name().unwrap().to_str().unwrap();
    stack.dir().join(format!("state/{name}.json"))
}

fn workspace_state(stack: &StackDir, name: &str) -> PathBuf {
    stack
        .dir()
        .join(format!("terraform.tfstate.d/{name}/terraform.tfstate"))
}

/// The `input` of `terraform_data.net` in the state file at `path`.
fn recorded_input(path: &PathBuf) -> String {
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    state["resources"][0]["attributes"]["input"]
        .as_str()
        .unwrap()
        .to_string()
}

fn outputs(run: &Run) -> &str {
    // The last one: "Changes to Outputs:" of the plan comes first.
    run.stdout.rsplit("Outputs:").next().unwrap_or("")
}

#[test]
fn two_workspaces_keep_separate_states_and_plan_independently() {
    let stack = StackDir::new(STACK);
    let applied = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(
        outputs(&applied).contains("name = \"sharednet-default\""),
        "{}",
        applied.stdout
    );

    let created = stack.ggplan(&["workspace", "new", "dev"]).expect(0);
    assert!(
        created
            .stdout
            .contains("Created and switched to workspace \"dev\"!"),
        "{}",
        created.stdout
    );
    let environment = stack.dir().join(".terraform/environment");
    assert_eq!(std::fs::read_to_string(&environment).unwrap(), "dev");

    // A new workspace sees none of default's objects: everything is created again.
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains("+ input  = \"sharednet-dev\"")
            && plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    let applied = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(outputs(&applied).contains("name = \"sharednet-dev\""));
    assert_eq!(
        recorded_input(&workspace_state(&stack, "dev")),
        "sharednet-dev"
    );
    assert_eq!(recorded_input(&default_state(&stack)), "sharednet-default");
    assert!(
        workspace_state(&stack, "dev")
            .with_extension("tfstate.backup")
            .exists()
    );

    // Each plans clean against its own state.
    stack.ggplan(&["plan", "-detailed-exitcode"]).expect(0);
    let switched = stack.ggplan(&["workspace", "select", "default"]).expect(0);
    assert!(
        switched
            .stdout
            .contains("Switched to workspace \"default\".")
    );
    stack.ggplan(&["plan", "-detailed-exitcode"]).expect(0);
    let output = stack.ggplan(&["output", "-raw", "name"]).expect(0);
    assert_eq!(output.stdout.trim_end(), "sharednet-default");

    // Destroying one leaves the other.
    stack.ggplan(&["destroy", "-auto-approve"]).expect(0);
    stack.ggplan(&["workspace", "select", "dev"]).expect(0);
    stack.ggplan(&["plan", "-detailed-exitcode"]).expect(0);
    assert_eq!(
        recorded_input(&workspace_state(&stack, "dev")),
        "sharednet-dev"
    );
}

#[test]
fn list_show_and_the_tf_workspace_override() {
    let stack = StackDir::new(STACK);
    assert_eq!(
        stack.ggplan(&["workspace", "show"]).expect(0).stdout,
        "default\n"
    );
    stack.ggplan(&["workspace", "new", "zeta"]).expect(0);
    stack
        .ggplan(&["workspace", "select", "-or-create", "alpha"])
        .expect(0);
    let list = stack.ggplan(&["workspace", "list"]).expect(0);
    assert_eq!(list.stdout, "  default\n* alpha\n  zeta\n\n");

    let env = [("TF_WORKSPACE", "zeta")];
    assert_eq!(
        stack
            .ggplan_with(&env, &["workspace", "show"])
            .expect(0)
            .stdout,
        "zeta\n"
    );
    let list = stack.ggplan_with(&env, &["workspace", "list"]).expect(0);
    assert!(
        list.stdout.starts_with("  default\n  alpha\n* zeta\n")
            && list
                .stdout
                .contains("overridden using the TF_WORKSPACE environment"),
        "{}",
        list.stdout
    );
    let plan = stack.ggplan_with(&env, &["plan"]).expect(0);
    assert!(
        plan.stdout.contains("\"sharednet-zeta\""),
        "{}",
        plan.stdout
    );
    std::fs::write(stack.dir().join("log/expr"), "terraform.workspace\n").unwrap();
    let console = Run::of(
        std::process::Command::new(BIN)
            .args(["console"])
            .current_dir(stack.dir())
            .env("NO_COLOR", "1")
            .env("GGPLAN_WORKSPACE", "zeta")
            .env("TF_WORKSPACE", "alpha")
            .stdin(std::fs::File::open(stack.dir().join("log/expr")).unwrap())
            .output()
            .unwrap(),
    )
    .expect(0);
    assert_eq!(console.stdout, "\"zeta\"\n");

    let refused = stack
        .ggplan_with(&env, &["workspace", "select", "alpha"])
        .expect(1);
    assert!(
        refused.stderr.contains("overridden using the TF_WORKSPACE"),
        "{}",
        refused.stderr
    );
    let refused = stack
        .ggplan_with(&env, &["workspace", "new", "other"])
        .expect(1);
    assert!(refused.stderr.contains("You cannot create a new workspace"));

    // A selection that names no workspace is an error that says what to do, and writes nothing.
    let unknown = stack
        .ggplan_with(&[("TF_WORKSPACE", "stagingg")], &["apply", "-auto-approve"])
        .expect(1);
    assert!(
        unknown
            .stderr
            .contains("The selected workspace \"stagingg\"")
            && unknown.stderr.contains("ggplan workspace new stagingg"),
        "{}",
        unknown.stderr
    );
    assert!(!stack.dir().join("terraform.tfstate.d/stagingg").exists());
    let invalid = stack
        .ggplan_with(&[("TF_WORKSPACE", "a/b")], &["plan"])
        .expect(1);
    assert!(
        invalid
            .stderr
            .contains("The workspace name \"a/b\" is not allowed")
    );
    for bad in ["a/b", "two words", "ünï"] {
        let refused = stack.ggplan(&["workspace", "new", bad]).expect(1);
        assert!(
            refused.stderr.contains("is not allowed"),
            "{bad}: {}",
            refused.stderr
        );
    }
    let again = stack.ggplan(&["workspace", "new", "zeta"]).expect(1);
    assert!(again.stderr.contains("Workspace \"zeta\" already exists"));
    let missing = stack.ggplan(&["workspace", "select", "nope"]).expect(1);
    assert!(missing.stderr.contains("Workspace \"nope\" doesn't exist."));

    // TF_DATA_DIR moves the file that remembers the selection, as Terraform's data directory.
    let data = [("TF_DATA_DIR", "data")];
    stack
        .ggplan_with(&data, &["workspace", "select", "zeta"])
        .expect(0);
    assert_eq!(
        std::fs::read_to_string(stack.dir().join("data/environment")).unwrap(),
        "zeta"
    );
    assert_eq!(
        stack
            .ggplan_with(&data, &["workspace", "show"])
            .expect(0)
            .stdout,
        "zeta\n"
    );
    assert_eq!(
        stack.ggplan(&["workspace", "show"]).expect(0).stdout,
        "alpha\n"
    );
}

#[test]
fn delete_refuses_the_selected_the_default_and_a_non_empty_workspace_without_force() {
    let stack = StackDir::new(STACK);
    stack.ggplan(&["workspace", "new", "dev"]).expect(0);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    stack.ggplan(&["workspace", "new", "empty"]).expect(0);

    let current = stack.ggplan(&["workspace", "delete", "empty"]).expect(1);
    assert!(
        current
            .stderr
            .contains("\"empty\" is your active workspace")
    );
    stack.ggplan(&["workspace", "select", "default"]).expect(0);
    let default = stack.ggplan(&["workspace", "delete", "default"]).expect(1);
    assert!(
        default
            .stderr
            .contains("Cannot delete the default workspace")
    );
    let missing = stack.ggplan(&["workspace", "delete", "nope"]).expect(1);
    assert!(missing.stderr.contains("\"nope\" doesn't exist"));

    let before = std::fs::read(workspace_state(&stack, "dev")).unwrap();
    let tracked = stack.ggplan(&["workspace", "delete", "dev"]).expect(1);
    assert!(
        tracked
            .stderr
            .contains("\"dev\" is currently tracking the following resource instances:\n  - terraform_data.net"),
        "{}",
        tracked.stderr
    );
    assert_eq!(
        std::fs::read(workspace_state(&stack, "dev")).unwrap(),
        before
    );

    let deleted = stack.ggplan(&["workspace", "delete", "empty"]).expect(0);
    assert_eq!(deleted.stdout, "Deleted workspace \"empty\"!\n");
    assert!(!stack.dir().join("terraform.tfstate.d/empty").exists());
    let forced = stack
        .ggplan(&["workspace", "delete", "-force", "dev"])
        .expect(0);
    assert!(forced.stdout.contains("WARNING: \"dev\" was non-empty"));
    assert!(!stack.dir().join("terraform.tfstate.d/dev").exists());
    let list = stack.ggplan(&["workspace", "list"]).expect(0);
    assert_eq!(list.stdout, "* default\n\n");
}

#[test]
fn a_saved_plan_is_refused_in_another_workspace() {
    let stack = StackDir::new(STACK);
    stack.ggplan(&["workspace", "new", "dev"]).expect(0);
    stack.ggplan(&["plan", "-out=dev.plan"]).expect(0);
    stack.ggplan(&["workspace", "select", "default"]).expect(0);
    let refused = stack.ggplan(&["apply", "dev.plan"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("describes changes to the \"dev\" workspace, but the \"default\"")
            && refused.stderr.contains("ggplan workspace select dev"),
        "{}",
        refused.stderr
    );
    assert!(!default_state(&stack).exists());
    stack.ggplan(&["workspace", "select", "dev"]).expect(0);
    stack.ggplan(&["apply", "dev.plan"]).expect(0);
    assert_eq!(
        recorded_input(&workspace_state(&stack, "dev")),
        "sharednet-dev"
    );
}

#[test]
fn the_local_backends_workspace_dir_and_new_with_a_copied_state() {
    let stack = StackDir::new(&format!(
        "terraform {{\n  backend \"local\" {{\n    path          = \"main.tfstate\"\n    \
         workspace_dir = \"envs\"\n  }}\n}}\n{STACK}"
    ));
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    stack
        .ggplan(&["workspace", "new", "-state=main.tfstate", "copy"])
        .expect(0);
    let copied = stack.dir().join("envs/copy/terraform.tfstate");
    assert_eq!(recorded_input(&copied), "sharednet-default");
    // The copy is planned in its own workspace: its object is renamed after it.
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("~ input  = \"sharednet-default\" -> \"sharednet-copy\""),
        "{}",
        plan.stdout
    );
    // validate knows the workspace too.
    std::fs::write(
        stack.dir().join("check.tf"),
        "resource \"terraform_data\" \"only_in_copy\" {\n  input = terraform.workspace == \
         \"copy\" ? \"ok\" : file(\"/nonexistent/ggplan-test\")\n}\n",
    )
    .unwrap();
    stack.ggplan(&["validate"]).expect(0);
    let invalid = stack
        .ggplan_with(&[("TF_WORKSPACE", "default")], &["validate"])
        .expect(1);
    assert!(invalid.all().contains("check.tf"), "{}", invalid.all());
}
