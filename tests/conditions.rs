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
