//! `provisioner "local-exec"`, as Terraform users write it on `terraform_data`: run once after
//! the object is created (with `self`, `each`, its environment and working directory), a
//! failure that taints the object so the next plan replaces it, `on_failure = continue`,
//! destroy-time provisioners, sensitive commands kept out of every output, and the
//! provisioner blocks ggplan refuses with a located diagnostic.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;

/// Whether the state has `address` as tainted.
fn tainted(stack: &StackDir, address: &str) -> bool {
    let state = stack.state();
    let instance = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} is not in state: {state:#}"));
    instance["tainted"] == true
}
#[test]
fn a_creation_time_command_runs_once_with_self_and_each_and_its_environment() {
    let stack = StackDir::new(
        r#"
resource "terraform_data" "node" {
  for_each = toset(["node1", "node2"])
  input    = "v1"
  provisioner "local-exec" {
    command     = "echo \"$GREETING ${each.key} ${self.output}\" >> ${each.key}.log; echo ran ${each.key}"
    working_dir = "log"
    environment = { GREETING = "hello" }
  }
}
"#,
    );
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(
        apply
            .stdout
            .contains("terraform_data.node[\"node1\"]: Provisioning with 'local-exec'..."),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("terraform_data.node[\"node2\"] (local-exec): ran node2"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("(local-exec): Executing: [\"/bin/sh\" \"-c\"")
    );
    assert_eq!(stack.log("node1.log"), "hello node1 v1\n");
    assert_eq!(stack.log("node2.log"), "hello node2 v1\n");
    assert!(!tainted(&stack, "terraform_data.node[\"node1\"]"));

    // Nothing to do, and nothing run again.
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(stack.log("node1.log"), "hello node1 v1\n");
}

#[test]
fn a_failed_command_fails_the_apply_and_taints_the_object_which_the_next_plan_replaces() {
    let stack = StackDir::new(
        r#"
variable "ok" {
  type    = bool
  default = false
}

resource "terraform_data" "kubespray" {
  input = "inventory-1"
  provisioner "local-exec" {
    command = "echo attempt >> log/attempts; echo 'playbook failed' >&2; ${var.ok ? "true" : "false"}"
  }
}

resource "terraform_data" "after" {
  input = terraform_data.kubespray.id
}
"#,
    );
    let failed = stack.ggplan(&["apply", "-auto-approve"]).expect(1);
    assert!(
        failed
            .all()
            .contains("terraform_data.kubespray: local-exec provisioner error"),
        "{}",
        failed.all()
    );
    assert!(failed.all().contains("playbook failed"), "{}", failed.all());
    assert!(failed.all().contains("main.tf line 9"), "{}", failed.all());
    assert!(tainted(&stack, "terraform_data.kubespray"));
    let shown = stack
        .ggplan(&["state", "show", "terraform_data.kubespray"])
        .expect(0);
    assert!(
        shown
            .stdout
            .contains("# terraform_data.kubespray (tainted):"),
        "{}",
        shown.stdout
    );
    assert!(
        !stack.state()["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["address"] == "terraform_data.after"),
        "a dependent of a failed provisioner is not created"
    );

    let plan = stack.ggplan(&["plan", "-var", "ok=true"]).expect(0);
    assert!(
        plan.stdout
            .contains("# terraform_data.kubespray is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 2 to add, 0 to change, 1 to destroy.")
    );

    stack
        .ggplan(&["apply", "-auto-approve", "-var", "ok=true"])
        .expect(0);
    assert_eq!(stack.log("attempts"), "attempt\nattempt\n");
    assert!(!tainted(&stack, "terraform_data.kubespray"));
    let plan = stack.ggplan(&["plan", "-var", "ok=true"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn on_failure_continue_warns_and_keeps_the_object() {
    let stack = StackDir::new(
        r#"
resource "terraform_data" "a" {
  provisioner "local-exec" {
    command    = "exit 3"
    on_failure = continue
  }
  provisioner "local-exec" {
    command = "echo second >> log/second"
  }
}
"#,
    );
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(
        apply
            .all()
            .contains("Warning: terraform_data.a: local-exec provisioner error"),
        "{}",
        apply.all()
    );
    assert!(apply.all().contains("exit status: 3"), "{}", apply.all());
    assert_eq!(stack.log("second"), "second\n");
    assert!(!tainted(&stack, "terraform_data.a"));
}

#[test]
fn a_destroy_time_command_runs_before_the_object_goes_and_its_failure_keeps_it() {
    let stack = StackDir::new(
        r#"
variable "fail" {
  type    = bool
  default = true
}

resource "terraform_data" "drain" {
  count = 2
  input = { fail = var.fail }
  provisioner "local-exec" {
    when    = destroy
    command = "echo drained ${count.index} ${self.id} >> log/drained; ${self.input.fail ? "exit 1" : "true"}"
  }
}
"#,
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(stack.log("drained"), "", "nothing runs at create time");

    let failed = stack.ggplan(&["destroy", "-auto-approve"]).expect(1);
    assert!(
        failed.all().contains("local-exec provisioner error"),
        "{}",
        failed.all()
    );
    assert_eq!(stack.state()["resources"].as_array().unwrap().len(), 2);

    stack
        .ggplan(&["apply", "-auto-approve", "-var", "fail=false"])
        .expect(0);
    stack
        .ggplan(&["destroy", "-auto-approve", "-var", "fail=false"])
        .expect(0);
    let drained = stack.log("drained");
    assert_eq!(drained.matches("drained 0 ").count(), 2, "{drained}");
    assert_eq!(drained.matches("drained 1 ").count(), 2, "{drained}");
    assert!(stack.state()["resources"].as_array().unwrap().is_empty());
}

#[test]
fn a_command_with_a_secret_is_never_shown_nor_its_output() {
    let stack = StackDir::new(
        r#"
resource "random_password" "db" {
  length  = 16
  special = false
}

resource "terraform_data" "seed" {
  provisioner "local-exec" {
    command = "echo ${random_password.db.result}; exit 1"
  }
}
"#,
    );
    let failed = stack.ggplan(&["apply", "-auto-approve"]).expect(1);
    let state = stack.state();
    let secret = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "random_password.db")
        .unwrap()["attributes"]["result"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!failed.all().contains(&secret), "{}", failed.all());
    assert!(
        failed
            .all()
            .contains("output suppressed due to sensitive value in config")
    );
    assert!(
        failed
            .all()
            .contains("hold a sensitive value and are not shown")
    );
    let json = stack.ggplan(&["apply", "-auto-approve", "-json"]);
    assert!(!json.all().contains(&secret), "{}", json.all());
}

#[test]
fn provisioners_ggplan_does_not_run_are_refused_where_they_are_written() {
    let cases = [
        (
            "provisioner \"remote-exec\" {\n    inline = [\"true\"]\n  }",
            "The remote-exec provisioner is not run by ggplan",
        ),
        (
            "connection {\n    host = \"x\"\n  }",
            "Connection blocks are not supported",
        ),
        (
            "provisioner \"local-exec\" {\n    command = \"true\"\n    when    = \"destroy\"\n  }",
            "when is one of create, destroy, written without quotes",
        ),
        (
            "provisioner \"local-exec\" {\n    when    = destroy\n    command = \"echo ${var.v}\"\n  }",
            "Invalid reference from destroy provisioner",
        ),
        (
            "provisioner \"local-exec\" {\n    commnd = \"true\"\n  }",
            "Did you mean \"command\"?",
        ),
    ];
    for (block, expected) in cases {
        let stack = StackDir::new(&format!(
            "variable \"v\" {{\n  default = \"x\"\n}}\n\nresource \"terraform_data\" \"a\" {{\n  {block}\n}}\n"
        ));
        let run = stack.ggplan(&["plan"]).expect(1);
        assert!(run.all().contains(expected), "{block}: {}", run.all());
        assert!(run.all().contains("main.tf line"), "{block}: {}", run.all());
        assert!(
            !stack.dir().join("state").exists(),
            "{block}: nothing written"
        );
    }
}
