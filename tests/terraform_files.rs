//! What ggplan reads of a Terraform working directory, as Terraform reads it: `*.tf` files,
//! not the lock file, test files or editor backups; and what it refuses rather than skip: a
//! backend that keeps the state elsewhere, HCP Terraform's `cloud` block, and `*.tf.json`
//! files it cannot read yet. And a plan of a stack written a layer per file, shown file by
//! file in dependency order.

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
            "terraform {\n  backend \"s3\" {\n    bucket = \"tfstate\"\n    key    = \"gourmetgram.tfstate\"\n  }\n}\n",
            "not in backend \"s3\"",
        ),
        (
            "terraform {\n  cloud {\n    organization = \"gourmetgram\"\n  }\n}\n",
            "Unsupported cloud block",
        ),
        (
            "terraform {\n  backend \"local\" {\n    workspace_dir = \"w\"\n  }\n}\n",
            "An argument named \"workspace_dir\" is not expected in the local backend",
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

#[test]
fn terraform_json_files_are_refused_by_name_not_skipped() {
    let stack = StackDir::new(RESOURCE);
    std::fs::write(
        stack.dir().join("generated.tf.json"),
        r#"{"resource": {"terraform_data": {"b": {}}}}"#,
    )
    .unwrap();
    let plan = stack.ggplan(&["plan"]).expect(1);
    assert!(
        plan.all()
            .contains("generated.tf.json is in Terraform's JSON syntax"),
        "{}",
        plan.all()
    );
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
