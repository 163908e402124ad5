//! `show -json` of saved plans and of the state in the shapes tools written for Terraform read
//! (tfcmt, Infracost, conftest/OPA, checkov): `planned_values` and `prior_state` with module
//! resources in `child_modules`, providers named by source address, `module_address`,
//! `previous_address`, `action_reason` and the sensitive trees. The expected shapes are what
//! Terraform 1.15.5 printed for the same stack (`terraform_data` only), except that ggplan
//! writes secrets as `null`.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;
use serde_json::{Value as Json, json};

/// The sensitive variable's value, which no document may hold.
const SECRET: &str = "hunter2-variable";

/// A stack with `count`, `for_each`, a module, a sensitive variable and a sensitive output.
const STACK: &str = r#"
variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2-variable"
}

variable "names" {
  type    = set(string)
  default = ["a", "b"]
}

resource "terraform_data" "counted" {
  count = 2
  input = "c${count.index}"
}

resource "terraform_data" "each" {
  for_each         = var.names
  input            = each.key
  triggers_replace = [terraform_data.counted[0].id]
}

resource "terraform_data" "secret" {
  input      = var.secret
  depends_on = [terraform_data.counted]
}

resource "random_string" "suffix" {
  length  = 6
  special = false
}

module "child" {
  source = "./mod"
  prefix = "p"
}

output "child_out" {
  value = module.child.name
}

output "secret_out" {
  value     = terraform_data.secret.output
  sensitive = true
}
"#;

const MODULE: &str = r#"
variable "prefix" {
  type = string
}

resource "terraform_data" "inner" {
  count = 1
  input = "${var.prefix}-inner"
}

output "name" {
  value = terraform_data.inner[0].output
}
"#;

const TERRAFORM: &str = "terraform.io/builtin/terraform";

fn stack() -> StackDir {
    let sd = StackDir::new(STACK);
    std::fs::create_dir(sd.dir().join("mod")).unwrap();
    std::fs::write(sd.dir().join("mod/main.tf"), MODULE).unwrap();
    sd
}

/// `show -json` of the plan `plan ARGS --out FILE` saves.
fn saved_plan_json(sd: &StackDir, args: &[&str]) -> Json {
    let mut plan = vec!["plan", "--out", "saved.plan"];
    plan.extend_from_slice(args);
    sd.ggplan(&plan).expect(0);
    let shown = sd.ggplan(&["show", "-json", "saved.plan"]).expect(0);
    assert!(!shown.stdout.contains(SECRET), "{}", shown.stdout);
    serde_json::from_str(&shown.stdout).unwrap()
}

/// The addresses of a module's `resources`.
fn addresses(module: &Json) -> Vec<&str> {
    module["resources"]
        .as_array()
        .map(|rs| rs.iter().map(|r| r["address"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// The entry of `resource_changes` at `address`.
fn change<'a>(doc: &'a Json, address: &str) -> &'a Json {
    doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change of {address}"))
}

#[test]
fn planned_values_hold_every_resource_in_its_module() {
    let sd = stack();
    let doc = saved_plan_json(&sd, &[]);
    let root = &doc["planned_values"]["root_module"];
    assert_eq!(
        addresses(root),
        [
            "random_string.suffix",
            "terraform_data.counted[0]",
            "terraform_data.counted[1]",
            "terraform_data.each[\"a\"]",
            "terraform_data.each[\"b\"]",
            "terraform_data.secret",
        ]
    );
    let child = &root["child_modules"][0];
    assert_eq!(child["address"], "module.child");
    assert_eq!(
        child["resources"][0],
        json!({
            "address": "module.child.terraform_data.inner[0]", "mode": "managed",
            "type": "terraform_data", "name": "inner", "index": 0, "provider_name": TERRAFORM,
            "schema_version": 0, "values": {"input": "p-inner", "triggers_replace": null},
            "sensitive_values": {}
        })
    );
    let each = &root["resources"][3];
    assert_eq!(each["index"], "a");
    // Unknown attributes are left out, unknown elements are null: as Terraform writes them.
    assert_eq!(
        each["values"],
        json!({"input": "a", "triggers_replace": [null]})
    );
    assert_eq!(
        each["sensitive_values"],
        json!({"triggers_replace": [false]})
    );
    let secret = &root["resources"][5];
    assert_eq!(
        secret["values"],
        json!({"input": null, "triggers_replace": null})
    );
    assert_eq!(secret["sensitive_values"], json!({"input": true}));
    assert_eq!(
        root["resources"][0]["provider_name"],
        "registry.terraform.io/hashicorp/random"
    );
    // Outputs known only after apply say only whether they are secret.
    assert_eq!(
        doc["planned_values"]["outputs"],
        json!({"child_out": {"sensitive": false}, "secret_out": {"sensitive": true}})
    );
}

#[test]
fn resource_changes_name_providers_modules_and_secrets_as_terraform() {
    let sd = stack();
    let doc = saved_plan_json(&sd, &[]);
    let inner = change(&doc, "module.child.terraform_data.inner[0]");
    assert_eq!(inner["module_address"], "module.child");
    assert_eq!(inner["provider_name"], TERRAFORM);
    let counted = change(&doc, "terraform_data.counted[0]");
    assert!(counted.get("module_address").is_none(), "{counted}");
    assert_eq!(counted["change"]["before_sensitive"], false);
    assert_eq!(
        counted["change"]["after_unknown"],
        json!({"id": true, "output": true})
    );
    let secret = change(&doc, "terraform_data.secret");
    assert_eq!(secret["change"]["after_sensitive"], json!({"input": true}));
    // A sensitive output is secret on both sides, even the missing `before` of a create.
    assert_eq!(
        doc["output_changes"]["secret_out"],
        json!({"actions": ["create"], "before": null, "after_unknown": true,
               "before_sensitive": true, "after_sensitive": true})
    );
}

#[test]
fn configuration_is_the_stack_as_written_without_its_secrets() {
    let sd = stack();
    let doc = saved_plan_json(&sd, &[]);
    let config = &doc["configuration"];
    assert_eq!(
        config["provider_config"]["terraform"],
        json!({"name": "terraform", "full_name": TERRAFORM})
    );
    assert_eq!(
        config["provider_config"]["random"]["full_name"],
        "registry.terraform.io/hashicorp/random"
    );
    let root = &config["root_module"];
    let resource = |name: &str| {
        root["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == name)
            .unwrap_or_else(|| panic!("no {name} in {root}"))
            .clone()
    };
    assert_eq!(
        resource("terraform_data.counted")["count_expression"],
        json!({"constant_value": 2})
    );
    let each = resource("terraform_data.each");
    assert_eq!(each["provider_config_key"], "terraform");
    assert_eq!(
        each["for_each_expression"],
        json!({"references": ["var.names"]})
    );
    assert_eq!(
        each["expressions"],
        json!({
            "input": {"references": ["each.key"]},
            "triggers_replace": {"references": [
                "terraform_data.counted[0].id", "terraform_data.counted[0]", "terraform_data.counted"
            ]}
        })
    );
    assert_eq!(
        resource("terraform_data.secret")["depends_on"],
        json!(["terraform_data.counted"])
    );
    assert_eq!(
        resource("random_string.suffix")["expressions"]["length"],
        json!({"constant_value": 6})
    );
    let child = &root["module_calls"]["child"];
    assert_eq!(child["source"], "./mod");
    assert_eq!(
        child["expressions"],
        json!({"prefix": {"constant_value": "p"}})
    );
    assert_eq!(
        child["module"]["resources"][0]["address"],
        "terraform_data.inner"
    );
    assert_eq!(child["module"]["variables"], json!({"prefix": {}}));
    // Terraform prints a sensitive variable's default; ggplan leaves it out.
    assert_eq!(root["variables"]["secret"], json!({"sensitive": true}));
    assert_eq!(root["variables"]["names"], json!({"default": ["a", "b"]}));
    assert_eq!(
        root["outputs"]["secret_out"],
        json!({"sensitive": true, "expression": {"references": [
            "terraform_data.secret.output", "terraform_data.secret"
        ]}})
    );
    assert_eq!(
        doc["relevant_attributes"],
        json!([
            {"resource": "terraform_data.counted[0]", "attribute": ["id"]},
            {"resource": "terraform_data.secret", "attribute": ["output"]},
            {"resource": "module.child.terraform_data.inner[0]", "attribute": ["output"]}
        ])
    );
}

#[test]
fn the_state_puts_module_resources_in_child_modules() {
    let sd = stack();
    sd.ggplan(&["apply", "-auto-approve"]).expect(0);
    let shown = sd.ggplan(&["show", "-json"]).expect(0);
    assert!(!shown.stdout.contains(SECRET), "{}", shown.stdout);
    let doc: Json = serde_json::from_str(&shown.stdout).unwrap();
    let root = &doc["values"]["root_module"];
    assert!(
        addresses(root).iter().all(|a| !a.starts_with("module.")),
        "{root}"
    );
    let child = &root["child_modules"][0];
    assert_eq!(child["address"], "module.child");
    assert_eq!(addresses(child), ["module.child.terraform_data.inner[0]"]);
    assert_eq!(child["resources"][0]["values"]["output"], "p-inner");
    assert_eq!(child["resources"][0]["provider_name"], TERRAFORM);
    assert_eq!(
        root["resources"][3]["depends_on"],
        json!(["terraform_data.counted"])
    );
    assert_eq!(
        doc["values"]["outputs"]["secret_out"],
        json!({"sensitive": true, "value": null, "type": "string"})
    );
}

/// The second plan: the state is in `prior_state` (modules in `child_modules`), a renamed
/// resource carries `previous_address`, a triggered replacement its reason.
#[test]
fn a_plan_over_a_state_has_prior_state_moves_and_reasons() {
    let sd = stack();
    sd.ggplan(&["apply", "-auto-approve"]).expect(0);
    let changed = STACK
        .replace(
            "resource \"terraform_data\" \"secret\" {",
            "moved {\n  from = terraform_data.secret\n  to   = terraform_data.hidden\n}\n\n\
             resource \"terraform_data\" \"hidden\" {",
        )
        .replace(
            "terraform_data.secret.output",
            "terraform_data.hidden.output",
        )
        .replace(
            "  special = false\n",
            "  special = false\n  lifecycle {\n    \
             replace_triggered_by = [terraform_data.hidden]\n  }\n",
        )
        .replace("input      = var.secret", "input      = \"${var.secret}!\"");
    std::fs::write(sd.dir().join("main.tf"), changed).unwrap();
    let doc = saved_plan_json(&sd, &[]);
    let prior = &doc["prior_state"]["values"]["root_module"];
    assert_eq!(prior["child_modules"][0]["address"], "module.child");
    // Moves are applied to the prior state before it is refreshed, as in Terraform.
    assert!(
        addresses(prior).contains(&"terraform_data.hidden"),
        "{prior}"
    );
    let hidden = change(&doc, "terraform_data.hidden");
    assert_eq!(hidden["previous_address"], "terraform_data.secret");
    assert_eq!(hidden["change"]["actions"], json!(["update"]));
    assert_eq!(hidden["change"]["before_sensitive"]["input"], true);
    // A no-op has nothing unknown; its references are no longer relevant.
    let each = change(&doc, "terraform_data.each[\"a\"]");
    assert_eq!(each["change"]["actions"], json!(["no-op"]));
    assert_eq!(each["change"]["after_unknown"], json!({}));
    assert_eq!(
        doc["relevant_attributes"],
        json!([
            {"resource": "terraform_data.hidden", "attribute": ["output"]},
            {"resource": "module.child.terraform_data.inner[0]", "attribute": ["output"]}
        ])
    );
    let suffix = change(&doc, "random_string.suffix");
    assert_eq!(suffix["action_reason"], "replace_by_triggers");
    assert_eq!(suffix["change"]["actions"], json!(["delete", "create"]));
    let planned = &doc["planned_values"]["root_module"];
    assert!(
        addresses(planned).contains(&"terraform_data.hidden"),
        "{planned}"
    );
    assert!(!addresses(planned).contains(&"terraform_data.secret"));
}

#[test]
fn a_saved_plan_whose_stack_changed_is_shown_without_its_configuration() {
    let sd = stack();
    sd.ggplan(&["plan", "--out", "saved.plan"]).expect(0);
    let edited = MODULE.replace("-inner", "-other");
    std::fs::write(sd.dir().join("mod/main.tf"), edited).unwrap();
    let shown = sd.ggplan(&["show", "-json", "saved.plan"]).expect(0);
    let doc: Json = serde_json::from_str(&shown.stdout).unwrap();
    assert!(doc.get("configuration").is_none(), "{doc}");
    assert!(doc.get("relevant_attributes").is_none(), "{doc}");
    assert_eq!(
        doc["planned_values"]["root_module"]["child_modules"][0]["resources"][0]["values"]["input"],
        "p-inner"
    );
    assert!(
        shown.stderr.contains("without its \"configuration\"")
            && shown.stderr.contains("mod/main.tf"),
        "{}",
        shown.stderr
    );
}
