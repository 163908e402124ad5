//! Custom conditions, as Terraform checks them: `precondition` and `postcondition` in the
//! `lifecycle` of resources and data sources, and `precondition` in outputs. Checked while
//! planning where their values are known, during apply where they are not (before the
//! instance is changed for a precondition, after for a postcondition with `self` the new
//! object); a failure is an error with the condition's `error_message` at the condition, and
//! nothing that depends on it is done.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;

fn addresses(stack: &StackDir) -> Vec<String> {
    stack.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_failed_precondition_known_at_plan_stops_the_plan_at_the_condition() {
    let stack = StackDir::new(
        r#"
variable "replicas" {
  default = 0
}

resource "terraform_data" "app" {
  input = var.replicas
  lifecycle {
    precondition {
      condition     = var.replicas > 0
      error_message = "At least one replica, got ${var.replicas}."
    }
  }
}
"#,
    );
    let plan = stack.ggplan(&["plan"]).expect(1);
    let all = plan.all();
    assert!(all.contains("Error: Resource precondition failed"), "{all}");
    assert!(all.contains("At least one replica, got 0."), "{all}");
    assert!(all.contains("main.tf line 10"), "{all}");
    stack.ggplan(&["apply", "-auto-approve"]).expect(1);
    assert!(!stack.dir().join("state").exists(), "nothing applied");

    stack
        .ggplan(&["apply", "-auto-approve", "-var", "replicas=2"])
        .expect(0);
    let plan = stack.ggplan(&["plan", "-var", "replicas=2"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn a_postcondition_checks_the_planned_object_as_self() {
    let stack = StackDir::new(
        r#"
resource "local_file" "inventory" {
  filename = "${path.module}/log/hosts.yaml"
  content  = "all: {}\n"
}

data "local_file" "inventory" {
  filename = "${path.module}/log/hosts.yaml"
  lifecycle {
    postcondition {
      condition     = strcontains(self.content, "node1")
      error_message = "The inventory has no node1."
    }
  }
  depends_on = [local_file.inventory]
}
"#,
    );
    // The data source is read during apply (its depends_on has changes): checked then.
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(1);
    assert!(
        apply.all().contains("Error: Resource postcondition failed"),
        "{}",
        apply.all()
    );
    assert!(apply.all().contains("The inventory has no node1."));
    // Read at plan time now: the plan itself fails.
    let plan = stack.ggplan(&["plan"]).expect(1);
    assert!(
        plan.all().contains("The inventory has no node1."),
        "{}",
        plan.all()
    );
}

#[test]
fn conditions_on_values_known_only_after_apply_are_checked_during_apply() {
    let stack = StackDir::new(
        r#"
resource "random_string" "token" {
  length  = 8
  special = false
}

resource "terraform_data" "uses_token" {
  input = random_string.token.result
  lifecycle {
    precondition {
      condition     = length(random_string.token.result) == 5
      error_message = "The token must have 5 characters."
    }
  }
}

resource "terraform_data" "checked_after" {
  lifecycle {
    postcondition {
      condition     = self.id == "never"
      error_message = "The id is not what was expected."
    }
  }
}
"#,
    );
    stack.ggplan(&["plan"]).expect(0);
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(1);
    let all = apply.all();
    assert!(all.contains("The token must have 5 characters."), "{all}");
    assert!(all.contains("The id is not what was expected."), "{all}");
    let addresses = addresses(&stack);
    // Stopped before it was created; created, then found wrong (kept, as in Terraform).
    assert!(
        !addresses.contains(&"terraform_data.uses_token".to_string()),
        "{addresses:?}"
    );
    assert!(
        addresses.contains(&"terraform_data.checked_after".to_string()),
        "{addresses:?}"
    );
}

#[test]
fn an_output_precondition_is_checked_before_the_value_is_recorded() {
    let stack = StackDir::new(
        r#"
variable "external_ip" {
  default = ""
}

output "external_ip" {
  value = var.external_ip
  precondition {
    condition     = can(cidrhost("${var.external_ip}/32", 0))
    error_message = "external_ip must be an IPv4 address."
  }
}
"#,
    );
    let plan = stack.ggplan(&["plan"]).expect(1);
    assert!(
        plan.all()
            .contains("Error: Module output value precondition failed"),
        "{}",
        plan.all()
    );
    assert!(plan.all().contains("external_ip must be an IPv4 address."));
    stack
        .ggplan(&["apply", "-auto-approve", "-var", "external_ip=10.56.0.11"])
        .expect(0);
}

#[test]
fn conditions_written_wrongly_are_refused_where_they_are() {
    let cases = [
        (
            "lifecycle {\n    precondition {\n      condition = true\n    }\n  }",
            "Incomplete precondition block",
        ),
        (
            "lifecycle {\n    precondition {\n      condition = self.id != \"\"\n      error_message = \"x\"\n    }\n  }",
            "self is only available in provisioner blocks and postconditions",
        ),
        (
            "lifecycle {\n    check {\n      condition = true\n    }\n  }",
            "A lifecycle block holds precondition and postcondition blocks",
        ),
        (
            "lifecycle {\n    postcondition {\n      condition = \"yes\"\n      error_message = \"x\"\n    }\n  }",
            "A condition must be true or false, not string",
        ),
    ];
    for (block, expected) in cases {
        let stack = StackDir::new(&format!(
            "resource \"terraform_data\" \"a\" {{\n  {block}\n}}\n"
        ));
        let run = stack.ggplan(&["plan"]).expect(1);
        assert!(run.all().contains(expected), "{block}: {}", run.all());
        assert!(run.all().contains("main.tf line"), "{block}: {}", run.all());
    }
}

// `check` blocks (Terraform 1.5): assertions about the whole stack, checked while planning
// and again after apply; a failure is a warning and the run succeeds.

/// `check` in a saved plan's `show -json`.
fn checks_of_saved_plan(stack: &StackDir) -> serde_json::Value {
    stack.ggplan(&["plan", "-out", "saved.plan"]).expect(0);
    let shown = stack.ggplan(&["show", "-json", "saved.plan"]).expect(0);
    let document: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    document["checks"].clone()
}

#[test]
fn a_failed_check_assertion_is_a_warning_and_the_run_goes_on() {
    let stack = StackDir::new(
        r#"
variable "replicas" {
  default = 1
}

resource "terraform_data" "app" {
  input = var.replicas
}

check "capacity" {
  assert {
    condition     = var.replicas >= 2
    error_message = "Run at least two replicas, not ${var.replicas}."
  }
  assert {
    condition     = var.replicas < 10
    error_message = "Too many replicas."
  }
}

check "app_output" {
  assert {
    condition     = terraform_data.app.output == 2
    error_message = "The app's output is not 2."
  }
}
"#,
    );
    let plan = stack.ggplan(&["plan"]).expect(0);
    let all = plan.all();
    assert!(
        all.contains("Warning: Check block assertion failed"),
        "{all}"
    );
    assert!(all.contains("Run at least two replicas, not 1."), "{all}");
    assert!(all.contains("main.tf line 12"), "{all}");
    assert!(!all.contains("Too many replicas."), "{all}");
    // Known only after apply: not a failure yet.
    assert!(!all.contains("The app's output"), "{all}");

    let checks = checks_of_saved_plan(&stack);
    assert_eq!(checks[0]["address"]["to_display"], "check.app_output");
    assert_eq!(checks[0]["status"], "unknown");
    assert_eq!(checks[1]["address"]["kind"], "check");
    assert_eq!(checks[1]["status"], "fail");
    let problem = &checks[1]["instances"][0]["problems"][0]["message"];
    assert_eq!(problem, "Run at least two replicas, not 1.");

    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let all = apply.all();
    assert!(all.contains("Apply complete!"), "{all}");
    let shown = all.matches("Run at least two replicas").count();
    assert_eq!(shown, 1, "said once, with the plan: {all}");
    // Known now, and checked.
    assert!(all.contains("The app's output is not 2."), "{all}");
    assert_eq!(addresses(&stack), ["terraform_data.app"]);

    let plan = stack.ggplan(&["plan", "-var", "replicas=2"]).expect(0);
    assert!(!plan.all().contains("Warning"), "{}", plan.all());
}

#[test]
fn a_checks_data_source_failing_is_a_warning_and_it_is_read_again_after_apply() {
    let stack = StackDir::new(
        r#"
resource "local_file" "status" {
  filename = "${path.module}/log/status.txt"
  content  = "ok"
}

check "health" {
  data "local_file" "status" {
    filename = local_file.status.filename
  }
  assert {
    condition     = data.local_file.status.content == "ok"
    error_message = "The status is ${data.local_file.status.content}."
  }
}
"#,
    );
    // Not written yet: the read fails, as a warning, and the assertion is not evaluated.
    let plan = stack.ggplan(&["plan"]).expect(0);
    let all = plan.all();
    assert!(all.contains("Warning: data.local_file.status"), "{all}");
    assert!(all.contains("does not exist"), "{all}");
    assert!(!all.contains("Error"), "{all}");
    assert!(!all.contains("Check block assertion failed"), "{all}");
    assert!(
        all.contains("# (config will be reloaded to verify a check block)"),
        "{all}"
    );
    let checks = checks_of_saved_plan(&stack);
    assert_eq!(checks[0]["status"], "fail");
    let problem = checks[0]["instances"][0]["problems"][0]["message"]
        .as_str()
        .unwrap();
    assert!(problem.contains("does not exist"), "{problem}");

    // Read again once the file is written: the check passes, nothing to warn about.
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let after_apply = apply.stdout.split("Apply complete!").next().unwrap();
    assert!(
        after_apply.contains("data.local_file.status: Reading..."),
        "{}",
        apply.all()
    );
    assert!(!apply.all().contains("assertion failed"), "{}", apply.all());

    std::fs::write(stack.dir().join("log/status.txt"), "degraded").unwrap();
    let plan = stack.ggplan(&["plan"]).expect(0);
    let all = plan.all();
    assert!(
        all.contains("Warning: Check block assertion failed"),
        "{all}"
    );
    assert!(all.contains("The status is degraded."), "{all}");
}

#[test]
fn check_blocks_written_wrongly_are_refused_with_terraforms_diagnostics() {
    let data = "data \"local_file\" \"d\" {\n    filename = \"x\"\n  }";
    let assert_d = "assert {\n    condition = data.local_file.d.content != \"\"\n    error_message = \"x\"\n  }";
    let cases = [
        (
            format!("check \"c\" {{\n  {data}\n  {assert_d}\n}}\noutput \"o\" {{\n  value = data.local_file.d.content\n}}\n"),
            "The referenced data resource \"local_file\" \"d\" is not available from this context.",
        ),
        ("check \"c\" {\n}\n".to_string(), "Zero assert blocks"),
        (
            "check \"c\" {\n  assert {\n    condition = 1 == 2\n    error_message = \"x\"\n  }\n}\n"
                .to_string(),
            "Invalid assert expression",
        ),
        (
            format!("check \"c\" {{\n  {}\n  {assert_d}\n}}\n", data.replace("{", "{\n    count = 2")),
            "Invalid \"count\" attribute",
        ),
        (
            format!("check \"c\" {{\n  {data}\n  {}\n  {assert_d}\n}}\n", data.replace("\"d\"", "\"e\"")),
            "Multiple data resource blocks",
        ),
        (
            format!("check \"c\" {{\n  {assert_d}\n  resource \"terraform_data\" \"r\" {{}}\n}}\ncheck \"c\" {{\n  {assert_d}\n}}\n"),
            "Blocks of type \"resource\" are not expected here.",
        ),
        (
            format!("variable \"v\" {{}}\ncheck \"c\" {{\n  {}\n}}\ncheck \"c\" {{\n  {}\n}}\n", assert_d.replace("data.local_file.d.content", "var.v"), assert_d.replace("data.local_file.d.content", "var.v")),
            "Duplicate check \"c\" configuration",
        ),
    ];
    for (source, expected) in cases {
        let stack = StackDir::new(&source);
        stack.plan_is_refused(expected);
    }
}

#[test]
fn a_check_in_a_module_is_checked_in_each_of_its_instances() {
    let stack = StackDir::new(
        "module \"m\" {\n  source = \"./mod\"\n  count  = 2\n  n      = count.index\n}\n",
    );
    std::fs::create_dir(stack.dir().join("mod")).unwrap();
    std::fs::write(
        stack.dir().join("mod/main.tf"),
        "variable \"n\" {}\ncheck \"positive\" {\n  assert {\n    condition     = var.n > 0\n    error_message = \"n is ${var.n}.\"\n  }\n}\n",
    )
    .unwrap();
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.all().contains("n is 0."), "{}", plan.all());
    assert!(!plan.all().contains("n is 1."), "{}", plan.all());
    let checks = checks_of_saved_plan(&stack);
    assert_eq!(
        checks[0]["address"]["to_display"],
        "module.m.check.positive"
    );
    assert_eq!(checks[0]["status"], "fail");
    let instances = &checks[0]["instances"];
    assert_eq!(instances[0]["address"]["module"], "module.m[0]");
    assert_eq!(instances[0]["status"], "fail");
    assert_eq!(
        instances[1]["address"]["to_display"],
        "module.m[1].check.positive"
    );
    assert_eq!(instances[1]["status"], "pass");
}
