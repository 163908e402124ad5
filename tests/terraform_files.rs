//! What ggplan reads of a Terraform working directory, as Terraform reads it: `*.tf` files,
//! not the lock file, test files or editor backups; and what it refuses rather than skip: a
//! backend that keeps the state elsewhere and HCP Terraform's `cloud` block. `*.tf.json` files
//! (Terraform's JSON syntax) plan exactly as the same stack in HCL, alone or mixed. And a plan
//! of a stack written a layer per file, shown file by file in dependency order.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;

const RESOURCE: &str = "resource \"terraform_data\" \"a\" {\n  input = \"x\"\n}\n";

#[test]
fn the_lock_file_test_files_and_backups_are_not_configuration() {
    let stack = StackDir::new(RESOURCE);
    let files = [
        (
            ".terraform.lock.hcl",
            "provider \"registry.terraform.io/hashicorp/random\" {\n  version = \"3.6.0\"\n}\n",
        ),
        ("main.tftest.hcl", "run \"plans\" {\n  command = plan\n}\n"),
        ("mocks.tfmock.hcl", "mock_resource \"terraform_data\" {}\n"),
        ("main.tf~", "this is not HCL {"),
    ];
    for (name, text) in files {
        std::fs::write(stack.dir().join(name), text).unwrap();
    }
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("Plan: 1 to add"), "{}", plan.all());
}

#[test]
fn a_backend_that_keeps_the_state_elsewhere_is_refused_before_anything_runs() {
    for (block, expected) in [
        (
            "terraform {\n  backend \"gcs\" {\n    bucket = \"tfstate\"\n    prefix = \"gourmetgram\"\n  }\n}\n",
            "not in backend \"gcs\"",
        ),
        (
            "terraform {\n  cloud {\n    organization = \"gourmetgram\"\n  }\n}\n",
            "Unsupported cloud block",
        ),
        (
            "terraform {\n  backend \"local\" {\n    paths = \"w\"\n  }\n}\n",
            "An argument named \"paths\" is not expected in the local backend",
        ),
    ] {
        let stack = StackDir::new(&format!("{block}\n{RESOURCE}"));
        let plan = stack.ggplan(&["plan"]).expect(1);
        assert!(plan.all().contains(expected), "{block}: {}", plan.all());
        assert!(
            plan.all().contains("main.tf line"),
            "{block}: {}",
            plan.all()
        );
        assert!(
            !stack.dir().join("state").exists(),
            "{block}: nothing written"
        );
    }
}

#[test]
fn a_local_backend_path_is_where_the_state_goes() {
    let stack = StackDir::new(&format!(
        "terraform {{\n  backend \"local\" {{\n    path = \"elsewhere/team.tfstate.json\"\n  }}\n}}\n\n{RESOURCE}"
    ));
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(stack.dir().join("elsewhere/team.tfstate.json").is_file());
}

/// A stack using count, for_each, variables (typed, validated), locals, a module called with
/// count, a provider with an alias, lifecycle and templates: in HCL...
const STACK_TF: &str = r#"variable "names" {
  type    = list(string)
  default = ["a", "b"]
}

variable "env" {
  type        = string
  default     = "dev"
  description = "The environment"
  validation {
    condition     = length(var.env) > 1
    error_message = "Too short."
  }
}

locals {
  prefix = "gg-${var.env}"
  tags   = { team = "ml", env = var.env }
}

provider "random" {
  alias = "second"
}

resource "terraform_data" "counted" {
  count = length(var.names)
  input = "${local.prefix}-${var.names[count.index]}"
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [triggers_replace]
  }
}

resource "terraform_data" "each" {
  for_each   = toset(var.names)
  input      = { name = each.key, tags = local.tags, quoted = "say \"${each.value}\"" }
  depends_on = [terraform_data.counted]
}

resource "random_id" "p" {
  provider    = random.second
  byte_length = 2
}

module "child" {
  source = "./child"
  count  = 2
  label  = "m${count.index}"
}

output "names" {
  value       = [for t in terraform_data.counted : t.input]
  description = "counted inputs"
}

output "first" {
  value     = "${terraform_data.counted[0].input}!"
  sensitive = true
}
"#;

/// ... and the same stack as a generator writes it in Terraform's JSON syntax.
const STACK_TF_JSON: &str = r#"{
  "//": "The same stack as STACK_TF.",
  "variable": {
    "names": {"type": "list(string)", "default": ["a", "b"]},
    "env": {
      "type": "string",
      "default": "dev",
      "description": "The environment",
      "validation": {"condition": "${length(var.env) > 1}", "error_message": "Too short."}
    }
  },
  "locals": {
    "prefix": "gg-${var.env}",
    "tags": {"team": "ml", "env": "${var.env}"}
  },
  "provider": {"random": [{"alias": "second"}]},
  "resource": {
    "terraform_data": {
      "counted": {
        "count": "${length(var.names)}",
        "input": "${local.prefix}-${var.names[count.index]}",
        "lifecycle": {"create_before_destroy": true, "ignore_changes": ["triggers_replace"]}
      },
      "each": {
        "for_each": "${toset(var.names)}",
        "input": {"name": "${each.key}", "tags": "${local.tags}", "quoted": "say \"${each.value}\""},
        "depends_on": ["terraform_data.counted"]
      }
    },
    "random_id": {"p": {"provider": "random.second", "byte_length": 2}}
  },
  "module": {"child": {"source": "./child", "count": 2, "label": "m${count.index}"}},
  "output": {
    "names": {"value": "${[for t in terraform_data.counted : t.input]}", "description": "counted inputs"},
    "first": {"value": "${terraform_data.counted[0].input}!", "sensitive": true}
  }
}
"#;

const CHILD_TF_JSON: &str = r#"{
  "variable": {"label": {"type": "string"}},
  "resource": {"terraform_data": {"m": {"input": "${upper(var.label)}"}}},
  "output": {"label": {"value": "${terraform_data.m.input}"}}
}"#;

/// A stack whose files are `files` (no main.tf unless given).
fn stack_of(files: &[(&str, &str)]) -> StackDir {
    let stack = StackDir::new("");
    std::fs::remove_file(stack.dir().join("main.tf")).unwrap();
    for (name, text) in files {
        let path = stack.dir().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    stack
}

#[test]
fn a_stack_in_json_plans_exactly_as_the_same_stack_in_hcl() {
    let hcl = stack_of(&[
        ("main.tf", STACK_TF),
        (
            "child/main.tf",
            "variable \"label\" {\n  type = string\n}\nresource \"terraform_data\" \"m\" {\n  input = upper(var.label)\n}\noutput \"label\" {\n  value = terraform_data.m.input\n}\n",
        ),
    ]);
    let json = stack_of(&[
        ("main.tf.json", STACK_TF_JSON),
        ("child/main.tf.json", CHILD_TF_JSON),
    ]);
    for args in [
        &["plan"][..],
        &["plan", "-var", "names=[\"x\",\"y\",\"z\"]"],
    ] {
        let native = hcl.ggplan(args).expect(0);
        let generated = json.ggplan(args).expect(0);
        assert_eq!(generated.stdout, native.stdout, "{args:?}");
        assert!(
            native.stdout.contains(" to add, 0 to change"),
            "{}",
            native.all()
        );
    }
    let json_plan = json.ggplan(&["plan"]).expect(0).stdout;
    assert!(json_plan.contains("Plan: 7 to add"), "{json_plan}");
    for shown in [
        "+ input  = \"gg-dev-b\"",
        "+ quoted = \"say \\\"a\\\"\"",
        "module.child[1].terraform_data.m will be created",
        "+ input  = \"M1\"",
        "+ first = (sensitive value)",
    ] {
        assert!(json_plan.contains(shown), "{shown}: {json_plan}");
    }
    json.ggplan(&["apply", "-auto-approve"]).expect(0);
    let outputs = json.ggplan(&["output", "-json"]).expect(0).stdout;
    assert!(outputs.contains("gg-dev-a"), "{outputs}");
    let again = json.ggplan(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(again.stdout.contains("No changes"), "{}", again.all());
    let refused = json.ggplan(&["plan", "-var", "env=x"]).expect(1);
    assert!(refused.all().contains("Too short."), "{}", refused.all());
    assert!(
        refused.all().contains("main.tf.json line 5"),
        "{}",
        refused.all()
    );
}

#[test]
fn json_and_hcl_files_of_one_directory_make_one_stack() {
    let stack = stack_of(&[
        (
            "main.tf",
            "locals {\n  base = \"from-hcl\"\n}\nresource \"terraform_data\" \"a\" {\n  input = terraform_data.b.input\n}\n",
        ),
        (
            "generated.tf.json",
            r#"{"resource": {"terraform_data": {"b": {"input": "${local.base}-and-json"}}},
                "output": {"a": {"value": "${terraform_data.a.input}"}}}"#,
        ),
        ("terraform.tfvars.json", r#"{"unused": 1}"#),
    ]);
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(
        plan.all().contains("on terraform.tfvars.json line 1"),
        "a tfvars file is read as values (here one no variable takes), not configuration: {}",
        plan.all()
    );
    assert!(plan.stdout.contains("Plan: 2 to add"), "{}", plan.all());
    assert_eq!(
        plan.stdout.matches("\"from-hcl-and-json\"").count(),
        3,
        "{}",
        plan.stdout
    );
}

#[test]
fn a_json_stack_reads_its_values_from_terraform_tfvars_json() {
    let stack = stack_of(&[
        (
            "main.tf.json",
            r#"{"variable": {"who": {"type": "string"}},
                "resource": {"terraform_data": {"a": {"input": "hello ${var.who}"}}}}"#,
        ),
        ("terraform.tfvars.json", r#"{"who": "json"}"#),
    ]);
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("\"hello json\""), "{}", plan.all());
}

#[test]
fn bad_json_configuration_is_reported_with_file_and_line_and_nothing_runs() {
    for (text, expected, line) in [
        (
            "{\n  \"resource\": {\n    \"terraform_data\": {\"a\": {}},\n  }\n}\n",
            "Invalid JSON",
            "generated.tf.json line 4",
        ),
        (
            "{\n  \"resource\": {\n    \"terraform_data\": [\"a\"]\n  }\n}\n",
            "A resource block is written in JSON as",
            "generated.tf.json line 3",
        ),
        (
            "{\n  \"variable\": {\n    \"v\": {\"type\": \"strin\"}\n  }\n}\n",
            "Invalid type constraint",
            "generated.tf.json line 3",
        ),
        (
            "{\"resource\": {\"terraform_data\": {\"a\": {\n  \"input\": \"${var.x\"\n}}}}\n",
            "Invalid template",
            "generated.tf.json line 2",
        ),
        (
            "{\"resource\": {\"terraform_data\": {\"a\": {\n  \"input\": \"x\",\n  \"input\": \"y\"\n}}}}\n",
            "Duplicate argument",
            "generated.tf.json line 3",
        ),
        (
            "{\"resource\": {\"terraform_data\": {\"a\": {\n  \"input\": \"${var.nope}\"\n}}}}\n",
            "Reference to undeclared input variable",
            "generated.tf.json line 2",
        ),
    ] {
        let stack = stack_of(&[("generated.tf.json", text)]);
        let plan = stack.ggplan(&["apply", "-auto-approve"]).expect(1);
        assert!(plan.all().contains(expected), "{text}: {}", plan.all());
        assert!(plan.all().contains(line), "{text}: {}", plan.all());
        assert!(
            !stack.dir().join("state").exists(),
            "{text}: nothing written"
        );
        // Tools reading `validate -json` get the line quoted, as for a *.tf file.
        let validate = stack.ggplan(&["validate", "-json"]);
        let document: serde_json::Value = serde_json::from_str(&validate.stdout).unwrap();
        let snippet = &document["diagnostics"][0]["snippet"]["code"];
        let quoted = snippet.as_str().unwrap_or_default();
        assert!(
            !quoted.is_empty() && text.contains(quoted),
            "{text}: {document}"
        );
    }
}

#[test]
fn a_plan_of_several_files_is_shown_file_by_file_in_dependency_order() {
    let stack = StackDir::new("resource \"terraform_data\" \"network\" {}\n");
    let files = [
        (
            "hosts.tf",
            "module \"host\" {\n  source   = \"./modules/host\"\n  for_each = toset([\"n1\", \"n2\"])\n  network  = terraform_data.network.id\n}\n",
        ),
        (
            "modules/host/main.tf",
            "variable \"network\" {}\nresource \"terraform_data\" \"prep\" {\n  input = var.network\n}\noutput \"id\" {\n  value = terraform_data.prep.id\n}\n",
        ),
        (
            "apps.tf",
            "resource \"terraform_data\" \"app\" {\n  input = module.host[\"n1\"].id\n}\n",
        ),
    ];
    for (name, text) in files {
        let path = stack.dir().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let plan = stack.ggplan(&["plan"]).expect(0).stdout;
    let at = |text: &str| {
        plan.find(text)
            .unwrap_or_else(|| panic!("{text} is not in the plan:\n{plan}"))
    };
    let order = [
        at("# ── main.tf ──"),
        at("# terraform_data.network will be created"),
        at("# ── hosts.tf ──"),
        at("# module.host[\"n1\"].terraform_data.prep will be created"),
        at("# module.host[\"n2\"].terraform_data.prep will be created"),
        at("# ── apps.tf ──"),
        at("# terraform_data.app will be created"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{plan}");

    // One file: no headings, as Terraform prints it.
    let single = StackDir::new(RESOURCE);
    let plan = single.ggplan(&["plan"]).expect(0).stdout;
    assert!(!plan.contains("# ──"), "{plan}");
}

#[test]
fn nested_blocks_in_json_are_read_by_the_resource_schema() {
    let vm = |networks: &str| {
        format!(
            r#"{{"resource": {{"openstack_compute_instance_v2": {{"vm": {{
  "name": "vm", "flavor_name": "m1.small", "image_name": "ubuntu",
  "network": {networks},
  "dynamic": {{"network": {{"for_each": ["extra"], "iterator": "n", "content": {{"name": "${{n.value}}"}}}}}}
}}}}}}}}"#
        )
    };
    let stack = stack_of(&[(
        "main.tf.json",
        &vm(r#"[{"name": "private"}, {"name": "public"}]"#),
    )]);
    stack.ggplan(&["validate"]).expect(0);
    let stack = stack_of(&[(
        "main.tf.json",
        &vm(r#"[{"name": "private"}, {"nmae": "public"}]"#),
    )]);
    let validate = stack.ggplan(&["validate"]).expect(1);
    for said in [
        "An argument named \"nmae\" is not expected in a network block. Did you mean \"name\"?",
        "main.tf.json line 3",
    ] {
        assert!(validate.all().contains(said), "{said}: {}", validate.all());
    }
    let stack = stack_of(&[("main.tf.json", &vm(r#""private""#))]);
    let validate = stack.ggplan(&["validate"]).expect(1);
    assert!(
        validate
            .all()
            .contains("\"network\" is a block: in JSON it is written as an object"),
        "{}",
        validate.all()
    );
}
