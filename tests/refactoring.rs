//! Refactoring blocks, as Terraform applies them: `moved` gives objects in state new
//! addresses (resources, instances, whole modules, chains, across modules), shown in the
//! plan as `# a has moved to b` and recorded by the apply (only by the apply); statements
//! that are ambiguous, loop or move something still declared are refused with Terraform's
//! diagnostics. `removed` forgets objects (`destroy = false`: no longer managed, left as
//! they are) or destroys them. `import` blocks (with `for_each`) import while planning and
//! record on apply.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;
use serde_json::Value as Json;

/// Each address in state with its object's id.
fn ids(stack: &StackDir) -> Vec<(String, String)> {
    stack.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["attributes"]["id"].as_str().unwrap_or_default();
            (r["address"].as_str().unwrap().to_string(), id.to_string())
        })
        .collect()
}

fn id_at(ids: &[(String, String)], addr: &str) -> String {
    let found = ids.iter().find(|(a, _)| a == addr);
    found
        .unwrap_or_else(|| panic!("{addr} in {ids:?}"))
        .1
        .clone()
}

/// The change of `addr` in `show -json` of a plan saved now.
fn saved_change(stack: &StackDir, addr: &str) -> Json {
    stack.ggplan(&["plan", "-out", "saved.plan"]).expect(0);
    let shown = stack.ggplan(&["show", "-json", "saved.plan"]).expect(0);
    let document: Json = serde_json::from_str(&shown.stdout).unwrap();
    let changes = document["resource_changes"].as_array().unwrap();
    let found = changes.iter().find(|c| c["address"] == addr);
    found
        .unwrap_or_else(|| panic!("{addr}: {document}"))
        .clone()
}

fn write(stack: &StackDir, main_tf: &str) {
    std::fs::write(stack.dir().join("main.tf"), main_tf).unwrap();
}

const BEFORE: &str = r#"
resource "terraform_data" "a" {
  input = "x"
}
resource "terraform_data" "c" {
  count = 2
  input = "c"
}
resource "terraform_data" "e" {
  input = "e"
}
"#;

const AFTER: &str = r#"
resource "terraform_data" "b" {
  input = "x"
}
moved {
  from = terraform_data.a
  to   = terraform_data.b
}
resource "terraform_data" "d" {
  for_each = toset(["k"])
  input    = "c"
}
moved {
  from = terraform_data.c[0]
  to   = terraform_data.d["k"]
}
resource "terraform_data" "f" {
  input = "e2"
}
moved {
  from = terraform_data.e
  to   = terraform_data.f
}
"#;

#[test]
fn moved_resources_and_instances_keep_their_objects_and_only_the_apply_records_it() {
    let stack = StackDir::new(BEFORE);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let before = ids(&stack);
    write(&stack, AFTER);

    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    let out = &plan.stdout;
    assert!(
        out.contains("  # terraform_data.a has moved to terraform_data.b\n    resource \"terraform_data\" \"b\" {"),
        "{out}"
    );
    assert!(
        out.contains("# terraform_data.c[0] has moved to terraform_data.d[\"k\"]"),
        "{out}"
    );
    assert!(
        out.contains(
            "  # terraform_data.f will be updated in-place\n  # (moved from terraform_data.e)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("# terraform_data.c[1] will be destroyed"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 1 to destroy."),
        "{out}"
    );
    assert_eq!(ids(&stack), before, "a plan records nothing");

    let b = saved_change(&stack, "terraform_data.b");
    assert_eq!(b["previous_address"], "terraform_data.a");
    assert_eq!(b["change"]["actions"], serde_json::json!(["no-op"]));

    stack.ggplan(&["apply", "saved.plan"]).expect(0);
    let after = ids(&stack);
    assert_eq!(
        id_at(&after, "terraform_data.b"),
        id_at(&before, "terraform_data.a")
    );
    assert_eq!(
        id_at(&after, "terraform_data.d[\"k\"]"),
        id_at(&before, "terraform_data.c[0]")
    );
    assert_eq!(
        id_at(&after, "terraform_data.f"),
        id_at(&before, "terraform_data.e")
    );
    assert_eq!(after.len(), 3, "{after:?}");
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.all());
}

#[test]
fn chains_whole_modules_and_moves_across_modules() {
    let stack = StackDir::new(
        r#"
module "a" {
  source = "./mod"
  count  = 2
}
resource "terraform_data" "top" {
  input = "m"
}
resource "terraform_data" "first" {}
"#,
    );
    std::fs::create_dir(stack.dir().join("mod")).unwrap();
    std::fs::write(
        stack.dir().join("mod/main.tf"),
        "resource \"terraform_data\" \"x\" {\n  input = \"m\"\n}\n",
    )
    .unwrap();
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let before = ids(&stack);
    write(
        &stack,
        r#"
module "b" {
  source = "./mod"
  count  = 2
}
moved {
  from = module.a
  to   = module.b
}
module "one" {
  source = "./mod"
}
moved {
  from = terraform_data.top
  to   = module.one.terraform_data.x
}
resource "terraform_data" "third" {}
moved {
  from = terraform_data.first
  to   = terraform_data.second
}
moved {
  from = terraform_data.second
  to   = terraform_data.third
}
"#,
    );
    // Moves alone: no symbols to explain, and still something to apply.
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    let out = &plan.stdout;
    for line in [
        "# module.a[0].terraform_data.x has moved to module.b[0].terraform_data.x",
        "# module.a[1].terraform_data.x has moved to module.b[1].terraform_data.x",
        "# terraform_data.top has moved to module.one.terraform_data.x",
        "# terraform_data.first has moved to terraform_data.third",
        "Plan: 0 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    assert!(!out.contains("Resource actions are indicated"), "{out}");
    let events = stack.ggplan(&["plan", "-json"]).expect(0).stdout;
    let moved = events
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|e| e["change"]["resource"]["addr"] == "terraform_data.third")
        .unwrap_or_else(|| panic!("{events}"));
    assert_eq!(moved["change"]["action"], "move");
    let comment = stack
        .ggplan(&["plan", "--format", "markdown"])
        .expect(0)
        .stdout;
    assert!(
        comment.contains(
            "| move from <code>terraform_data.first</code> | <code>terraform_data.third</code> |"
        ),
        "{comment}"
    );
    assert_eq!(
        moved["change"]["previous_resource"]["addr"],
        "terraform_data.first"
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let after = ids(&stack);
    for (from, to) in [
        (
            "module.a[1].terraform_data.x",
            "module.b[1].terraform_data.x",
        ),
        ("terraform_data.top", "module.one.terraform_data.x"),
        ("terraform_data.first", "terraform_data.third"),
    ] {
        assert_eq!(id_at(&after, to), id_at(&before, from), "{from} -> {to}");
    }
    assert_eq!(after.len(), 4, "{after:?}");
}

#[test]
fn adding_or_removing_count_moves_the_object_as_terraform_implies() {
    let stack = StackDir::new(
        "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {\n  count = 1\n}\n",
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let before = ids(&stack);
    write(
        &stack,
        "resource \"terraform_data\" \"a\" {\n  count = 1\n}\nresource \"terraform_data\" \"b\" {}\n",
    );
    let plan = stack.ggplan(&["plan"]).expect(0);
    let out = &plan.stdout;
    assert!(
        out.contains("# terraform_data.a has moved to terraform_data.a[0]"),
        "{out}"
    );
    assert!(
        out.contains("# terraform_data.b[0] has moved to terraform_data.b"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let after = ids(&stack);
    assert_eq!(
        id_at(&after, "terraform_data.a[0]"),
        id_at(&before, "terraform_data.a")
    );
    assert_eq!(
        id_at(&after, "terraform_data.b"),
        id_at(&before, "terraform_data.b[0]")
    );
}

#[test]
fn a_move_onto_an_object_state_already_has_is_not_made_and_is_named() {
    let stack = StackDir::new(
        "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {}\n",
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    write(
        &stack,
        "resource \"terraform_data\" \"b\" {}\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n",
    );
    let plan = stack.ggplan(&["plan"]).expect(0);
    let all = plan.all();
    assert!(
        all.contains("Warning: Unresolved resource instance address changes"),
        "{all}"
    );
    assert!(
        all.contains("  - terraform_data.a could not move to terraform_data.b"),
        "{all}"
    );
    assert!(
        all.contains("# terraform_data.a will be destroyed"),
        "{all}"
    );
}

#[test]
fn ambiguous_looping_or_still_declared_moves_are_refused() {
    let r = |name: &str| format!("resource \"terraform_data\" \"{name}\" {{}}\n");
    let moved = |from: &str, to: &str| format!("moved {{\n  from = {from}\n  to   = {to}\n}}\n");
    let cases = [
        (
            format!(
                "{}{}",
                r("a"),
                moved("terraform_data.a", "terraform_data.b")
            ),
            "but that resource is still declared at",
        ),
        (
            format!(
                "{}{}{}",
                r("g"),
                moved("terraform_data.x", "terraform_data.g"),
                moved("terraform_data.y", "terraform_data.g")
            ),
            "Each resource can have moved from only one source resource.",
        ),
        (
            format!(
                "{}{}",
                moved("terraform_data.p", "terraform_data.q"),
                moved("terraform_data.q", "terraform_data.p")
            ),
            "Cyclic dependency in move statements",
        ),
        (
            moved("terraform_data.p", "terraform_data.p"),
            "Redundant move statement",
        ),
        (
            moved("terraform_data.p", "module.p"),
            "must either both refer to resources or both refer to modules",
        ),
        (
            moved("terraform_data.p", "random_id.p"),
            "which is a resource of a different type",
        ),
        (
            format!(
                "{}{}",
                r("m"),
                moved("terraform_data.n[1]", "terraform_data.m")
            ),
            "but that resource instance is still declared at",
        ),
    ];
    let seed = "resource \"terraform_data\" \"n\" {\n  count = 2\n}\n";
    // What needs no state is refused by validate too.
    let looping = StackDir::new(&cases[2].0);
    let validate = looping.ggplan(&["validate"]).expect(1);
    assert!(validate.all().contains(cases[2].1), "{}", validate.all());
    for (source, expected) in cases {
        let stack = StackDir::new(seed);
        stack.ggplan(&["apply", "-auto-approve"]).expect(0);
        write(&stack, &format!("{seed}{source}"));
        stack.plan_is_refused(expected);
    }
}

#[test]
fn a_removed_block_forgets_without_destroying_or_destroys() {
    let file = |name: &str| {
        format!(
            "resource \"local_file\" \"{name}\" {{\n  filename = \"${{path.module}}/log/{name}.txt\"\n  content  = \"{name}\"\n}}\n"
        )
    };
    let stack = StackDir::new(&format!("{}{}", file("kept"), file("gone")));
    std::fs::create_dir(stack.dir().join("mod")).unwrap();
    std::fs::write(
        stack.dir().join("mod/main.tf"),
        file("inner").replace("log/", "../log/"),
    )
    .unwrap();
    let with_module = format!(
        "{}{}module \"m\" {{\n  source = \"./mod\"\n}}\n",
        file("kept"),
        file("gone")
    );
    write(&stack, &with_module);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    write(
        &stack,
        r#"
removed {
  from = local_file.kept
  lifecycle {
    destroy = false
  }
}
removed {
  from = module.m
  lifecycle {
    destroy = false
  }
}
removed {
  from = local_file.gone
}
"#,
    );
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    let all = plan.all();
    for line in [
        "  # local_file.kept will no longer be managed by ggplan, but will not be destroyed\n  # (destroy = false is set in the configuration)\n  . resource \"local_file\" \"kept\" {",
        "# module.m.local_file.inner will no longer be managed by ggplan",
        "# local_file.gone will be destroyed",
        "Plan: 0 to add, 0 to change, 1 to destroy.",
        "Warning: Some objects will no longer be managed by ggplan",
        " - local_file.kept\n - module.m.local_file.inner\n",
    ] {
        assert!(all.contains(line), "{line}: {all}");
    }
    let kept = saved_change(&stack, "local_file.kept");
    assert_eq!(kept["change"]["actions"], serde_json::json!(["forget"]));

    stack.ggplan(&["apply", "saved.plan"]).expect(0);
    assert!(ids(&stack).is_empty(), "{:?}", ids(&stack));
    assert!(
        stack.dir().join("log/kept.txt").exists(),
        "forgotten, not destroyed"
    );
    assert!(
        stack.dir().join("log/inner.txt").exists(),
        "forgotten, not destroyed"
    );
    assert!(!stack.dir().join("log/gone.txt").exists(), "destroyed");
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.all());
}

#[test]
fn a_removed_block_naming_what_is_still_declared_or_one_instance_is_refused() {
    let cases = [
        (
            "resource \"terraform_data\" \"a\" {}\nremoved {\n  from = terraform_data.a\n}\n",
            "This statement declares that terraform_data.a was removed, but it is still declared in configuration.",
        ),
        (
            "module \"m\" {\n  source = \"./mod\"\n}\nremoved {\n  from = module.m\n}\n",
            "Removed module still exists",
        ),
        (
            "removed {\n  from = terraform_data.a[0]\n}\n",
            "Resource instance keys not allowed",
        ),
        (
            "removed {\n  from = terraform_data.a\n  lifecycle {\n    destroy = \"no\"\n  }\n}\n",
            "main.tf line 4",
        ),
    ];
    for (source, expected) in cases {
        let stack = StackDir::new(source);
        std::fs::create_dir(stack.dir().join("mod")).unwrap();
        std::fs::write(stack.dir().join("mod/main.tf"), "").unwrap();
        stack.plan_is_refused(expected);
    }
}

const IMPORTS: &str = r#"
resource "terraform_data" "a" {
}
resource "terraform_data" "b" {
  input = "x"
}
import {
  to = terraform_data.a
  id = "abc"
}
import {
  to = terraform_data.b
  id = "def"
}
variable "names" {
  default = ["p", "q"]
}
resource "terraform_data" "m" {
  for_each = toset(var.names)
}
import {
  for_each = toset(var.names)
  to       = terraform_data.m[each.key]
  id       = "id-${each.key}"
}
"#;

#[test]
fn import_blocks_import_while_planning_and_the_apply_records_them() {
    let stack = StackDir::new(IMPORTS);
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    let out = &plan.stdout;
    for text in [
        "  # terraform_data.a will be imported\n    resource \"terraform_data\" \"a\" {\n        id = \"abc\"\n    }\n",
        "  # terraform_data.b will be updated in-place\n  # (imported from \"def\")\n",
        "# terraform_data.m[\"q\"] will be imported",
        "Plan: 4 to import, 0 to add, 1 to change, 0 to destroy.",
    ] {
        assert!(out.contains(text), "{text}: {out}");
    }
    assert!(
        !stack.dir().join("state").exists(),
        "a plan records nothing"
    );

    let a = saved_change(&stack, "terraform_data.a");
    assert_eq!(a["change"]["importing"]["id"], "abc");
    let comment = stack
        .ggplan(&["plan", "--format", "markdown"])
        .expect(0)
        .stdout;
    assert!(
        comment.contains("</code>: 4 to import, 0 to add, 1 to change"),
        "{comment}"
    );
    assert!(
        comment.contains("| import | <code>terraform_data.a</code> |"),
        "{comment}"
    );

    let apply = stack.ggplan(&["apply", "saved.plan"]).expect(0);
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 4 imported, 0 added, 1 changed, 0 destroyed."),
        "{}",
        apply.all()
    );
    let recorded = ids(&stack);
    assert_eq!(id_at(&recorded, "terraform_data.a"), "abc");
    assert_eq!(id_at(&recorded, "terraform_data.m[\"p\"]"), "id-p");
    assert_eq!(id_at(&recorded, "terraform_data.b"), "def");
    // Already managed: the blocks have nothing more to do.
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.all());
}

#[test]
fn import_blocks_that_name_nothing_or_cannot_be_planned_are_refused() {
    let cases = [
        (
            "import {\n  to = terraform_data.x\n  id = \"i\"\n}\n".to_string(),
            "Configuration for import target does not exist",
        ),
        (
            "resource \"terraform_data\" \"m\" {\n  for_each = toset([\"p\"])\n}\nimport {\n  for_each = toset([\"p\", \"z\"])\n  to = terraform_data.m[each.key]\n  id = each.key\n}\n".to_string(),
            "The configuration for the given import terraform_data.m[\"z\"] does not exist.",
        ),
        (
            "resource \"terraform_data\" \"new\" {}\nresource \"terraform_data\" \"t\" {}\nimport {\n  to = terraform_data.t\n  id = terraform_data.new.id\n}\n".to_string(),
            "Invalid import id argument",
        ),
        (
            "import {\n  to = data.terraform_data.x\n  id = \"i\"\n}\n".to_string(),
            "Invalid import address",
        ),
    ];
    for (source, expected) in cases {
        StackDir::new(&source).plan_is_refused(expected);
    }
    let stack = StackDir::new("module \"m\" {\n  source = \"./mod\"\n}\n");
    std::fs::create_dir(stack.dir().join("mod")).unwrap();
    std::fs::write(
        stack.dir().join("mod/main.tf"),
        "resource \"terraform_data\" \"x\" {}\nimport {\n  to = terraform_data.x\n  id = \"i\"\n}\n",
    )
    .unwrap();
    let run = stack.ggplan(&["plan"]).expect(1);
    assert!(
        run.all()
            .contains("Import blocks are only allowed in the root module."),
        "{}",
        run.all()
    );
}

/// Writes `module "NAME"` calls of `./mod`, a module declaring `terraform_data.x`.
fn stack_with_modules(main_tf: &str) -> StackDir {
    let stack = StackDir::new(main_tf);
    std::fs::create_dir(stack.dir().join("mod")).unwrap();
    let module = "resource \"terraform_data\" \"x\" {\n  input = \"hello\"\n}\n";
    std::fs::write(stack.dir().join("mod/main.tf"), module).unwrap();
    stack
}

const MODULE_CALLS: &str = r#"
module "net" {
  source = "./mod"
}
module "node" {
  source   = "./mod"
  for_each = toset(["node1", "node2"])
}
module "counted" {
  source = "./mod"
  count  = 2
}
"#;

#[test]
fn import_blocks_import_into_module_instances_as_terraform_does() {
    let blocks = r#"
import {
  to = module.net.terraform_data.x
  id = "net-x"
}
import {
  for_each = toset(["node1", "node2"])
  to       = module.node[each.key].terraform_data.x
  id       = "id-${each.key}"
}
import {
  to = module.counted[1].terraform_data.x
  id = "c1"
}
"#;
    let stack = stack_with_modules(&format!("{MODULE_CALLS}{blocks}"));
    let plan = stack.ggplan(&["plan"]).expect(0);
    // Terraform 1.15's plan of the same stack, block for block.
    for text in [
        "  # module.net.terraform_data.x will be updated in-place\n  # (imported from \"net-x\")\n  ~ resource \"terraform_data\" \"x\" {\n        id     = \"net-x\"\n      + input  = \"hello\"\n",
        "  # module.node[\"node2\"].terraform_data.x will be updated in-place\n  # (imported from \"id-node2\")\n",
        "  # module.counted[1].terraform_data.x will be updated in-place\n  # (imported from \"c1\")\n",
        "  # module.counted[0].terraform_data.x will be created\n",
        "Plan: 4 to import, 1 to add, 4 to change, 0 to destroy.",
    ] {
        assert!(plan.stdout.contains(text), "{text}: {}", plan.all());
    }
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let recorded = ids(&stack);
    assert_eq!(id_at(&recorded, "module.net.terraform_data.x"), "net-x");
    assert_eq!(
        id_at(&recorded, "module.node[\"node1\"].terraform_data.x"),
        "id-node1"
    );
    assert_eq!(id_at(&recorded, "module.counted[1].terraform_data.x"), "c1");
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.all());
}

#[test]
fn import_blocks_into_modules_that_name_nothing_are_refused_as_terraform_refuses_them() {
    let cases = [
        (
            "module.net.terraform_data.y",
            "Resource module.net.terraform_data.y not found. Only resources within the root \
             module are eligible for config generation.",
        ),
        (
            "module.nope.terraform_data.x",
            "The configuration for the given import target module.nope.terraform_data.x does \
             not exist.",
        ),
        (
            "module.node[\"node9\"].terraform_data.x",
            "The configuration for the given import module.node[\"node9\"].terraform_data.x \
             does not exist.",
        ),
        (
            "module.node.terraform_data.x",
            "The configuration for the given import module.node.terraform_data.x does not exist.",
        ),
        (
            "module.counted[\"a\"].terraform_data.x",
            "The configuration for the given import module.counted[\"a\"].terraform_data.x",
        ),
    ];
    for (i, (to, expected)) in cases.into_iter().enumerate() {
        let block = format!("import {{\n  to = {to}\n  id = \"i\"\n}}\n");
        let stack = stack_with_modules(&format!("{MODULE_CALLS}{block}"));
        let run = stack.ggplan(&["plan"]).expect(1);
        let all = run.all().replace('\n', " ");
        assert!(all.contains(expected), "{to}: {all}");
        assert!(all.contains("main.tf line"), "{to}: {all}");
        // An undeclared resource or module is shown at `to`, as Terraform shows it.
        if i < 2 {
            assert!(all.contains(&format!(":   to = {to}")), "{to}: {all}");
        }
    }
}

#[test]
fn the_import_command_imports_into_module_instances_and_refuses_what_is_not_declared() {
    let stack = stack_with_modules(MODULE_CALLS);
    for addr in [
        "module.net.terraform_data.x",
        "module.node[\"node1\"].terraform_data.x",
        "module.counted[1].terraform_data.x",
    ] {
        let run = stack.ggplan(&["import", addr, "abc"]).expect(0);
        assert!(run.stdout.contains("Import successful!"), "{}", run.all());
    }
    let refused = [
        (
            "module.net.terraform_data.y",
            "resource address \"module.net.terraform_data.y\" does not exist in the \
             configuration. Before importing this resource, create its configuration in \
             module.net.",
        ),
        (
            "module.node[\"node9\"].terraform_data.x",
            "The configuration for the given import module.node[\"node9\"].terraform_data.x \
             does not exist.",
        ),
        (
            "module.node.terraform_data.x",
            "The configuration for the given import module.node.terraform_data.x does not exist.",
        ),
        (
            "module.nope.terraform_data.x",
            "module.nope is not defined in the configuration.",
        ),
        (
            "module.net.terraform_data.x",
            "module.net.terraform_data.x is already in the state",
        ),
    ];
    for (addr, expected) in refused {
        let run = stack.ggplan(&["import", addr, "other"]).expect(1);
        let all = run.all().replace('\n', " ");
        assert!(all.contains(expected), "{addr}: {all}");
    }
    let recorded = ids(&stack);
    assert_eq!(recorded.len(), 3, "{recorded:?}");
    assert_eq!(
        id_at(&recorded, "module.node[\"node1\"].terraform_data.x"),
        "abc"
    );
    assert_eq!(
        id_at(&recorded, "module.counted[1].terraform_data.x"),
        "abc"
    );
}
