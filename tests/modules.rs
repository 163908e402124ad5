//! Modules end to end: calls with count and for_each, inputs and outputs, module addresses in
//! plan and state, orphaned module instances, ordering across modules, and bad calls.

#[path = "support/binary.rs"]
mod binary;
#[path = "support/recording.rs"]
mod recording;
#[path = "support/stack_harness.rs"]
mod stack_harness;

use ggplan::address::InstanceAddr;
use ggplan::plan::{Action, ActionReason, Plan, ResourceChange};
use ggplan::run::RunOptions;
use recording::{Op, find, names, only};
use stack_harness::Harness;

const APP_MODULE: &str = r#"
variable "name" { type = string }
variable "replicas" {
  type    = number
  default = 1
}
resource "test_thing" "svc" {
  count = var.replicas
  name  = "${var.name}-${count.index}"
}
output "first_id" { value = test_thing.svc[0].id }
output "names" { value = test_thing.svc[*].name }
"#;

fn change<'a>(plan: &'a Plan, text: &str) -> &'a ResourceChange {
    let a = InstanceAddr::parse(text).unwrap();
    plan.resource_changes
        .iter()
        .find(|c| c.addr == a)
        .unwrap_or_else(|| panic!("{text} is not in the plan: {plan:#?}"))
}

fn stack(envs: &str) -> String {
    format!(
        r#"
module "app" {{
  source   = "./modules/app"
  for_each = {envs}
  name     = each.key
  replicas = each.value
}}
module "one" {{
  source = "./modules/app"
  name   = "solo"
}}
resource "test_thing" "front" {{
  name  = "front"
  value = {{ for k, m in module.app : k => m.first_id }}
}}
output "solo_names" {{ value = module.one.names }}
"#
    )
}

fn harness(envs: &str) -> Harness {
    let h = Harness::new(&stack(envs));
    h.write_file("modules/app/main.tf", APP_MODULE);
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_instances_are_planned_applied_and_addressed() {
    let h = harness(r#"{ staging = 1, canary = 2 }"#);
    let applied = h.apply_ok(&[]).await;
    let mut addrs: Vec<String> = h
        .state()
        .resources
        .keys()
        .map(ToString::to_string)
        .collect();
    addrs.sort();
    assert_eq!(
        addrs,
        [
            "module.app[\"canary\"].test_thing.svc[0]",
            "module.app[\"canary\"].test_thing.svc[1]",
            "module.app[\"staging\"].test_thing.svc[0]",
            "module.one.test_thing.svc[0]",
            "test_thing.front",
        ]
    );
    // The root resource saw the modules' outputs once they were known.
    let front = &h.state().resources[&InstanceAddr::parse("test_thing.front").unwrap()];
    assert_eq!(front.attributes["value"]["canary"], "canary-0-id1");
    assert_eq!(front.attributes["value"]["staging"], "staging-0-id1");
    assert!(
        only(&applied.calls, Op::Create, "canary-0").end
            < only(&applied.calls, Op::Create, "front").start
    );
    assert_eq!(
        h.state().outputs["solo_names"].value,
        serde_json::json!(["solo-0"])
    );

    // Nothing changed: a second plan is all no-ops.
    let planned = h.plan(&[], RunOptions::default()).await.unwrap();
    assert!(!planned.plan.has_changes(), "{:#?}", planned.plan);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_module_instance_is_destroyed_before_what_it_fed_is_updated() {
    let h = harness(r#"{ staging = 1, canary = 2 }"#);
    h.apply_ok(&[]).await;
    h.write(&stack(r#"{ staging = 1 }"#));
    let applied = h.apply_ok(&[]).await;
    for gone in [
        "module.app[\"canary\"].test_thing.svc[0]",
        "module.app[\"canary\"].test_thing.svc[1]",
    ] {
        let c = change(&applied.plan, gone);
        assert_eq!(c.action, Action::Delete);
        assert_eq!(c.reason, Some(ActionReason::NoModuleInstance));
    }
    assert_eq!(
        change(&applied.plan, "test_thing.front").action,
        Action::Update
    );
    let mut deleted = names(&applied.calls, Op::Delete);
    deleted.sort();
    assert_eq!(deleted, ["canary-0", "canary-1"]);
    assert!(find(&applied.calls, Op::Create, "staging-0").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_removes_dependents_across_modules_first() {
    let h = harness(r#"{ staging = 1 }"#);
    h.apply_ok(&[]).await;
    let applied = h
        .apply(
            &[],
            RunOptions {
                destroy: true,
                ..RunOptions::default()
            },
        )
        .await;
    assert!(
        applied.outcome.succeeded(),
        "{}",
        applied.outcome.diagnostics
    );
    assert!(
        only(&applied.calls, Op::Delete, "front").end
            < only(&applied.calls, Op::Delete, "staging-0").start
    );
    assert!(h.state().resources.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_inside_a_module_plans_only_that_instance_and_its_dependencies() {
    let h = harness(r#"{ staging = 1, canary = 1 }"#);
    let options = RunOptions {
        targets: vec![InstanceAddr::parse("module.app[\"canary\"].test_thing.svc[0]").unwrap()],
        ..RunOptions::default()
    };
    let planned = h.plan(&[], options).await.unwrap();
    let planned: Vec<String> = planned
        .plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| c.addr.to_string())
        .collect();
    assert_eq!(planned, ["module.app[\"canary\"].test_thing.svc[0]"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_module_calls_are_reported_together() {
    let h = Harness::new(
        r#"
module "app" {
  source   = "./modules/app"
  nmae     = "x"
  replicas = "many"
}
output "o" { value = module.app.fist_id }
"#,
    );
    h.write_file("modules/app/main.tf", APP_MODULE);
    let err = match h.plan(&[], RunOptions::default()).await {
        Ok(_) => panic!("a bad module call planned"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("Did you mean \"name\"?"), "{err}");
    assert!(err.contains("The argument \"name\" is required"), "{err}");
    assert!(err.contains("Did you mean \"first_id\"?"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_module_directory_is_named() {
    let h = Harness::new("module \"gone\" {\n  source = \"./modules/nowhere\"\n}\n");
    let err = match h.plan(&[], RunOptions::default()).await {
        Ok(_) => panic!("a missing module planned"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("Module not found"), "{err}");
    assert!(
        err.contains("stack/modules/nowhere is not a directory"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_argument_of_the_wrong_type_is_an_error_at_the_call() {
    let h = Harness::new(
        r#"
module "app" {
  source   = "./modules/app"
  name     = "x"
  replicas = "many"
}
"#,
    );
    h.write_file("modules/app/main.tf", APP_MODULE);
    let err = match h.plan(&[], RunOptions::default()).await {
        Ok(_) => panic!("a bad module argument planned"),
        Err(e) => e,
    };
    let d = &err.0[0];
    assert_eq!(d.summary, "Invalid value for module argument", "{err}");
    assert_eq!(d.range.as_ref().map(|r| r.start.line), Some(5), "{err}");
    assert!(h.recording.take().iter().all(|c| c.op != Op::Create));
}

/// Runs the `ggplan` binary in `cwd`.
fn ggplan(cwd: &std::path::Path, args: &[&str]) -> binary::Run {
    let output = std::process::Command::new(binary::BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    binary::Run::of(output)
}

fn listed(cwd: &std::path::Path) -> Vec<String> {
    let out = ggplan(cwd, &["state", "list", "--stack", "stack"]);
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn state_mv_moves_instances_and_whole_modules_across_module_addresses() {
    let work = tempfile::tempdir().unwrap();
    let stack = work.path().join("stack");
    std::fs::create_dir_all(stack.join("modules/app")).unwrap();
    std::fs::write(
        stack.join("modules/app/main.tf"),
        APP_MODULE
            .replace("test_thing", "terraform_data")
            .replace("name  =", "input =")
            .replace("[*].name", "[*].output"),
    )
    .unwrap();
    std::fs::write(
        stack.join("main.tf"),
        r#"
module "app" {
  source   = "./modules/app"
  for_each = { staging = 1 }
  name     = each.key
}
module "one" {
  source   = "./modules/app"
  name     = "solo"
  replicas = 2
}
"#,
    )
    .unwrap();
    let out = ggplan(work.path(), &["apply", "stack", "--auto-approve"]);
    assert!(out.code == 0, "{}", out.stderr);

    // A whole module instance moves, with everything in it.
    let out = ggplan(
        work.path(),
        &[
            "state",
            "mv",
            "--stack",
            "stack",
            "module.app[\"staging\"]",
            "module.app[\"blue\"]",
        ],
    );
    assert!(out.code == 0, "{}", out.stderr);
    assert!(
        listed(work.path()).contains(&"module.app[\"blue\"].terraform_data.svc[0]".to_string())
    );

    // Two objects onto one address is refused, and nothing changes.
    let before = listed(work.path());
    let out = ggplan(
        work.path(),
        &[
            "state",
            "mv",
            "--stack",
            "stack",
            "module.one.terraform_data.svc",
            "terraform_data.x[0]",
        ],
    );
    assert_eq!(Some(out.code), Some(1));
    assert!(out.stderr.contains("More than one object would move"));
    assert_eq!(listed(work.path()), before);

    // A resource's instances move into another module, keeping their keys.
    let out = ggplan(
        work.path(),
        &[
            "state",
            "mv",
            "--stack",
            "stack",
            "module.one.terraform_data.svc",
            "module.app[\"green\"].terraform_data.svc",
        ],
    );
    assert!(out.code == 0, "{}", out.stderr);
    assert_eq!(
        listed(work.path()),
        [
            "module.app[\"blue\"].terraform_data.svc[0]",
            "module.app[\"green\"].terraform_data.svc[0]",
            "module.app[\"green\"].terraform_data.svc[1]",
        ]
    );

    // Moving blue back to staging is what the configuration wants: no changes for it.
    let out = ggplan(
        work.path(),
        &[
            "state",
            "mv",
            "--stack",
            "stack",
            "module.app[\"blue\"]",
            "module.app[\"staging\"]",
        ],
    );
    assert!(out.code == 0);
    let out = ggplan(work.path(), &["plan", "stack"]);
    let plan = out.stdout;
    assert!(
        !plan.contains("module.app[\"staging\"].terraform_data.svc[0] will be"),
        "{plan}"
    );
    assert!(
        plan.contains("# (because module.app[\"green\"] is not in configuration)"),
        "{plan}"
    );
}

#[test]
fn validate_checks_resources_inside_modules_and_reports_a_problem_once() {
    let work = tempfile::tempdir().unwrap();
    let stack = work.path().join("stack");
    std::fs::create_dir_all(stack.join("modules/app")).unwrap();
    std::fs::write(
        stack.join("modules/app/main.tf"),
        "resource \"terraform_data\" \"x\" {\n  inptu = 1\n}\n",
    )
    .unwrap();
    std::fs::write(
        stack.join("main.tf"),
        "module \"a\" {\n  source = \"./modules/app\"\n}\nmodule \"b\" {\n  source = \"./modules/app\"\n}\n",
    )
    .unwrap();
    let out = ggplan(work.path(), &["validate", "stack"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        out.stderr.matches("Unsupported argument").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Did you mean \"input\"?"),
        "{}",
        out.stderr
    );
}

/// `depends_on = [module.x]` waits for everything in the module (and the modules it calls),
/// not only for its outputs: a module without outputs is finished before what depends on it
/// starts, as in Terraform.
#[test]
fn depending_on_a_module_waits_for_every_resource_in_it() {
    let stack = binary::StackDir::new(
        r#"
module "prep" {
  source = "./prep"
}

resource "terraform_data" "after" {
  provisioner "local-exec" {
    command = "echo after >> log/order"
  }
  depends_on = [module.prep]
}
"#,
    );
    let prep = stack.dir().join("prep");
    std::fs::create_dir_all(prep.join("inner")).unwrap();
    std::fs::write(
        prep.join("main.tf"),
        "module \"inner\" {\n  source = \"./inner\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        prep.join("inner/main.tf"),
        "resource \"terraform_data\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 0.5; echo inner >> log/order\"\n  }\n}\n",
    )
    .unwrap();
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(stack.log("order"), "inner\nafter\n");
}

/// A chain of modules that each call the next through `../`: the paths are cleaned as
/// Terraform cleans them, so a long chain does not grow a path longer than the system allows
/// (800 calls once made a 5,600-character path that no directory could be read at).
#[test]
fn a_long_chain_of_sibling_modules_loads() {
    let stack = binary::StackDir::new("module \"m\" {\n  source = \"./m0\"\n}\n");
    let depth = 800;
    for i in 0..depth {
        let dir = stack.dir().join(format!("m{i}"));
        std::fs::create_dir(&dir).unwrap();
        let call = if i + 1 < depth {
            format!("module \"m\" {{\n  source = \"../m{}\"\n}}\n", i + 1)
        } else {
            String::new()
        };
        std::fs::write(
            dir.join("main.tf"),
            format!("{call}resource \"terraform_data\" \"r\" {{}}\n"),
        )
        .unwrap();
    }
    let run = stack.ggplan(&["validate"]).expect(0);
    assert!(run.stdout.contains("Success!"), "{}", run.all());
}
