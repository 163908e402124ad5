//! `plan -generate-config-out=FILE`, as Terraform 1.15 does it: for `import` blocks whose
//! resource the stack does not declare, the configuration of the imported object is written
//! to FILE (Terraform's header and layout, byte for byte what Terraform wrote for the same
//! stack), the plan shows those imports as `(config will be generated)`, and the next plan of
//! the stack with FILE in it is clean. What Terraform refuses (an existing FILE, a `for_each`
//! or keyed import, a module's undeclared resource) is refused with nothing written. The
//! MLflow test generates a registered model's configuration from the real MLflow service.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/mlflow_server.rs"]
mod mlflow_server;

use binary::{BIN, Run, StackDir};
use std::path::Path;

const STACK: &str = r#"
import {
  to = terraform_data.gen
  id = "gen-id"
}
import {
  to = terraform_data.other
  id = "other-id"
}
resource "terraform_data" "have" {
  input = "x"
}
import {
  to = terraform_data.have
  id = "have-id"
}
"#;

/// What Terraform 1.15.5 wrote for `STACK` (its blocks in walk order; ggplan's in the
/// order of the import blocks).
const TERRAFORM_GENERATED: &str = r#"# __generated__ by Terraform
# Please review these resources and move them into your main configuration files.

# __generated__ by Terraform from "gen-id"
resource "terraform_data" "gen" {
  input            = null
  triggers_replace = null
}

# __generated__ by Terraform from "other-id"
resource "terraform_data" "other" {
  input            = null
  triggers_replace = null
}
"#;

#[test]
fn generated_configuration_is_written_as_terraform_writes_it_and_planned_with() {
    let stack = StackDir::new(STACK);
    let plan = stack
        .ggplan(&["plan", "-generate-config-out=generated.tf"])
        .expect(0);
    let written = std::fs::read_to_string(stack.dir().join("generated.tf")).unwrap();
    assert_eq!(written, TERRAFORM_GENERATED);
    for text in [
        "  # terraform_data.gen will be imported\n  # (config will be generated)\n    resource \"terraform_data\" \"gen\" {\n        id = \"gen-id\"\n    }\n",
        "  # terraform_data.other will be imported\n  # (config will be generated)\n",
        "  # terraform_data.have will be updated in-place\n  # (imported from \"have-id\")\n",
        "Plan: 3 to import, 0 to add, 1 to change, 0 to destroy.",
        "ggplan has generated configuration and written it to generated.tf.",
    ] {
        assert!(plan.stdout.contains(text), "{text}: {}", plan.all());
    }
    assert!(
        !stack.dir().join("state").exists(),
        "a plan records nothing"
    );

    // FILE is now part of the stack: a second generation is refused, FILE untouched.
    let again = stack
        .ggplan(&["plan", "-generate-config-out=generated.tf"])
        .expect(1);
    assert!(
        again.all().contains("Target generated file already exists"),
        "{}",
        again.all()
    );
    let kept = std::fs::read_to_string(stack.dir().join("generated.tf")).unwrap();
    assert_eq!(kept, TERRAFORM_GENERATED);

    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(
        apply
            .stdout
            .contains("Resources: 3 imported, 0 added, 1 changed"),
        "{}",
        apply.all()
    );
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.all());
}

#[test]
fn nothing_to_generate_writes_no_file() {
    let stack = StackDir::new("resource \"terraform_data\" \"have\" {\n  input = \"x\"\n}\n");
    let plan = stack
        .ggplan(&["plan", "-generate-config-out=generated.tf"])
        .expect(0);
    assert!(!stack.dir().join("generated.tf").exists(), "{}", plan.all());
    assert!(!plan.stdout.contains("has generated configuration"));
}

#[test]
fn what_terraform_cannot_generate_is_refused_and_nothing_is_written() {
    let module_target = "module \"net\" {\n  source = \"./mod\"\n}\nimport {\n  to = module.net.terraform_data.y\n  id = \"y\"\n}\n";
    let cases = [
        (
            "import {\n  for_each = toset([\"p\"])\n  to = terraform_data.many[each.key]\n  id = each.key\n}\n",
            "generated.tf",
            "The given import block is not compatible with config generation.",
        ),
        (
            "import {\n  to = terraform_data.k[0]\n  id = \"k0\"\n}\n",
            "generated.tf",
            "-generate-config-out option cannot be used with import blocks which use for_each, \
             or resources which use for_each or count.",
        ),
        (
            module_target,
            "generated.tf",
            "Resource module.net.terraform_data.y not found. Only resources within the root \
             module are eligible for config generation.",
        ),
        (
            "import {\n  to = terraform_data.a\n  id = \"a\"\n}\n",
            "generated.txt",
            "FILE must be a .tf file directly in the stack directory",
        ),
        (
            "import {\n  to = terraform_data.a\n  id = \"a\"\n}\n",
            "mod/generated.tf",
            "FILE must be a .tf file directly in the stack directory",
        ),
    ];
    for (source, file, expected) in cases {
        let stack = StackDir::new(source);
        std::fs::create_dir(stack.dir().join("mod")).unwrap();
        let module = "resource \"terraform_data\" \"x\" {}\n";
        std::fs::write(stack.dir().join("mod/main.tf"), module).unwrap();
        let flag = format!("-generate-config-out={file}");
        let run = stack.ggplan(&["plan", &flag]).expect(1);
        let all = run.all().replace('\n', " ");
        assert!(all.contains(expected), "{expected}: {all}");
        assert!(!stack.dir().join(file).exists(), "{file} written: {all}");
        assert!(!stack.dir().join("state").exists());
    }
}

/// `ggplan ARGS` in `dir` against the test MLflow server.
fn mlflow(dir: &Path, args: &[&str]) -> Run {
    let output = std::process::Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("MLFLOW_TRACKING_URI", mlflow_server::server_url())
        .output()
        .unwrap();
    Run::of(output)
}

#[test]
fn an_mlflow_models_configuration_is_generated_from_the_real_service() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("GeneratedModel-{}-{nanos}", std::process::id());
    // The model exists already: another stack made it, as a training pipeline would.
    let made = StackDir::new(&format!(
        "resource \"mlflow_registered_model\" \"m\" {{\n  name        = \"{name}\"\n  \
         description = \"Food-11 \\\"v2\\\"\\nsecond line\"\n  tags = {{\n    team = \"ml\"\n    \
         \"owner id\" = \"42\"\n  }}\n}}\n"
    ));
    mlflow(made.dir(), &["apply", "-auto-approve"]).expect(0);

    let adopting = StackDir::new(&format!(
        "import {{\n  to = mlflow_registered_model.food11\n  id = \"{name}\"\n}}\n"
    ));
    let plan = mlflow(
        adopting.dir(),
        &["plan", "-generate-config-out=registry.tf"],
    )
    .expect(0);
    assert!(
        plan.stdout.contains(
            "  # mlflow_registered_model.food11 will be imported\n  # (config will be generated)\n"
        ),
        "{}",
        plan.all()
    );
    let written = std::fs::read_to_string(adopting.dir().join("registry.tf")).unwrap();
    let expected = format!(
        "# __generated__ by Terraform from \"{name}\"\nresource \"mlflow_registered_model\" \
         \"food11\" {{\n  description = \"Food-11 \\\"v2\\\"\\nsecond line\"\n  name        = \
         \"{name}\"\n  tags = {{\n    \"owner id\" = \"42\"\n    team       = \"ml\"\n  }}\n}}\n"
    );
    assert!(written.ends_with(&expected), "{written}");

    mlflow(adopting.dir(), &["apply", "-auto-approve"]).expect(0);
    let clean = mlflow(adopting.dir(), &["plan", "-detailed-exitcode"]).expect(0);
    assert!(clean.stdout.contains("No changes."), "{}", clean.all());
    mlflow(adopting.dir(), &["destroy", "-auto-approve"]).expect(0);
}
