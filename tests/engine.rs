//! The engine end to end (load, plan, apply, state) with a provider that records its calls:
//! ordering, parallelism, failures, unknowns, orphans, lifecycle rules, data sources, targeting,
//! refresh and sensitive values.

#[path = "support/recording.rs"]
mod recording;
#[path = "support/stack_harness.rs"]
mod stack_harness;

use ggplan::address::InstanceAddr;
use ggplan::plan::{Action, ActionReason, Plan, ResourceChange};
use ggplan::render::{self, Style};
use ggplan::run::RunOptions;
use ggplan_sdk::{AttrPath, Value};
use recording::{Call, Op, find, names, only};
use stack_harness::Harness;

fn addr(text: &str) -> InstanceAddr {
    InstanceAddr::parse(text).unwrap()
}

fn change<'a>(plan: &'a Plan, text: &str) -> &'a ResourceChange {
    let a = addr(text);
    plan.resource_changes
        .iter()
        .find(|c| c.addr == a)
        .unwrap_or_else(|| panic!("{text} is not in the plan: {plan:#?}"))
}

/// The actions of the plan's instances, by address text.
fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.resource_changes
        .iter()
        .map(|c| (c.addr.to_string(), c.action))
        .collect()
}

/// Asserts that `first` ended before `then` started.
fn ended_before(calls: &[Call], first: (Op, &str), then: (Op, &str)) {
    let a = only(calls, first.0, first.1);
    let b = only(calls, then.0, then.1);
    assert!(
        a.end < b.start,
        "{first:?} (ticks {}..{}) should end before {then:?} (ticks {}..{}) starts",
        a.start,
        a.end,
        b.start,
        b.end
    );
}

fn attribute(h: &Harness, text: &str, name: &str) -> serde_json::Value {
    let state = h.state();
    let instance = state
        .resources
        .get(&addr(text))
        .unwrap_or_else(|| panic!("{text} is not in the state"));
    instance.attributes[name].clone()
}

fn in_state(h: &Harness) -> Vec<String> {
    h.state().resources.keys().map(|a| a.to_string()).collect()
}

fn plain() -> Style {
    Style { color: false }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_follow_dependencies() {
    let h = Harness::new(
        r#"
        resource "test_thing" "a" {
          name     = "a"
          delay_ms = 5
        }
        resource "test_thing" "b" {
          name  = "b"
          value = test_thing.a.id
        }
        resource "test_thing" "c" {
          name  = "c"
          value = test_thing.b.id
        }

        resource "test_thing" "top" {
          name     = "top"
          delay_ms = 5
        }
        resource "test_thing" "left" {
          name     = "left"
          value    = test_thing.top.id
          delay_ms = 5
        }
        resource "test_thing" "right" {
          name       = "right"
          depends_on = [test_thing.top]
        }
        resource "test_thing" "bottom" {
          name  = "bottom"
          value = [test_thing.left.id, test_thing.right.id]
        }
        "#,
    );
    let applied = h.apply_ok(&[]).await;
    let calls = &applied.calls;
    assert_eq!(names(calls, Op::Create).len(), 7);
    ended_before(calls, (Op::Create, "a"), (Op::Create, "b"));
    ended_before(calls, (Op::Create, "b"), (Op::Create, "c"));
    ended_before(calls, (Op::Create, "top"), (Op::Create, "left"));
    ended_before(calls, (Op::Create, "top"), (Op::Create, "right"));
    ended_before(calls, (Op::Create, "left"), (Op::Create, "bottom"));
    ended_before(calls, (Op::Create, "right"), (Op::Create, "bottom"));
    assert_eq!(
        attribute(&h, "test_thing.bottom", "value"),
        serde_json::json!(["left-id1", "right-id1"])
    );
    assert_eq!(attribute(&h, "test_thing.c", "value"), "b-id1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallelism_bounds_concurrent_applies() {
    let h = Harness::new(
        r#"
        resource "test_thing" "many" {
          count    = 20
          name     = "many-${count.index}"
          delay_ms = 20
        }
        "#,
    );
    h.recording.take_max_concurrent_applies();
    let options = RunOptions {
        parallelism: 3,
        ..RunOptions::default()
    };
    let applied = h.apply(&[], options).await;
    assert!(
        applied.outcome.succeeded(),
        "{}",
        applied.outcome.diagnostics
    );
    assert_eq!(names(&applied.calls, Op::Create).len(), 20);
    assert_eq!(h.recording.take_max_concurrent_applies(), 3);
    assert_eq!(applied.outcome.counts.added, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_stops_dependents_only() {
    let h = Harness::new(
        r#"
        variable "fail" {
          type    = bool
          default = false
        }
        resource "test_thing" "bad" {
          name = "bad"
          fail = var.fail
        }
        resource "test_thing" "after_bad" {
          name  = "after-bad"
          value = test_thing.bad.id
        }
        resource "test_thing" "last" {
          name  = "last"
          value = test_thing.after_bad.id
        }
        resource "test_thing" "free" {
          name     = "free"
          delay_ms = 20
        }
        resource "test_thing" "free_child" {
          name  = "free-child"
          value = test_thing.free.id
        }
        "#,
    );
    let first = h.apply(&["fail=true"], RunOptions::default()).await;
    assert!(!first.outcome.succeeded());
    let errors = first.outcome.diagnostics.to_string();
    assert!(
        errors.contains("test_thing.bad: bad failed as asked"),
        "{errors}"
    );
    assert_eq!(first.outcome.counts.added, 2);
    assert_eq!(
        names(&first.calls, Op::Create)
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        ["bad", "free", "free-child"].into()
    );
    assert_eq!(in_state(&h), ["test_thing.free", "test_thing.free_child"]);

    let second = h.apply_ok(&[]).await;
    assert_eq!(
        actions(&second.plan),
        [
            ("test_thing.after_bad".to_string(), Action::Create),
            ("test_thing.bad".to_string(), Action::Create),
            ("test_thing.free".to_string(), Action::NoOp),
            ("test_thing.free_child".to_string(), Action::NoOp),
            ("test_thing.last".to_string(), Action::Create),
        ]
    );
    assert_eq!(
        names(&second.calls, Op::Create),
        ["bad", "after-bad", "last"]
    );
    assert_eq!(in_state(&h).len(), 5);
    assert_eq!(attribute(&h, "test_thing.last", "value"), "after-bad-id1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_during_apply_fails_the_run_and_names_the_step() {
    let h = Harness::new(
        r#"
        resource "test_thing" "buggy" {
          name     = "buggy"
          delay_ms = -1
        }
        resource "test_thing" "after_buggy" {
          name  = "after-buggy"
          value = test_thing.buggy.id
        }
        resource "test_thing" "free" {
          name = "free"
        }
        "#,
    );
    let applied = h.apply(&[], RunOptions::default()).await;
    assert!(!applied.outcome.succeeded());
    let errors = applied.outcome.diagnostics.to_string();
    assert!(
        errors.contains("Internal error while working on test_thing.buggy"),
        "{errors}"
    );
    assert_eq!(in_state(&h), ["test_thing.free"]);
}

#[tokio::test]
async fn a_panic_refreshing_a_removed_resource_fails_the_plan_and_names_it() {
    let h = Harness::new(
        r#"
        resource "test_thing" "buggy" {
          name  = "buggy"
          value = "panic on read"
        }
        "#,
    );
    h.apply_ok(&[]).await;
    h.write("");
    let err = h.plan(&[], RunOptions::default()).await.err().unwrap();
    assert!(
        err.to_string()
            .contains("Internal error while working on test_thing.buggy"),
        "{err}"
    );
}

/// As Terraform places a provider's diagnostics: at the attribute they name, or else at the
/// block of the resource they are about (a refresh that fails, an apply that fails).
#[tokio::test]
async fn a_provider_error_that_names_no_attribute_is_placed_at_its_resource_block() {
    let h = Harness::new(
        r#"
        resource "test_thing" "unreadable" {
          name  = "unreadable"
          value = "fail on read"
        }

        resource "test_thing" "failing" {
          name = "failing"
          fail = true
        }
        "#,
    );
    let applied = h.apply(&[], RunOptions::default()).await;
    let failed = &applied.outcome.diagnostics.0[0];
    assert!(
        failed.summary.contains("failing failed as asked"),
        "{failed:?}"
    );
    assert_eq!(failed.range.as_ref().map(|r| r.start.line), Some(7));
    let err = h.plan(&[], RunOptions::default()).await.err().unwrap();
    let unreadable = &err.0[0];
    assert!(
        unreadable.summary.contains("unreadable cannot be read"),
        "{err}"
    );
    assert_eq!(unreadable.range.as_ref().map(|r| r.start.line), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknowns_propagate_in_plan_and_resolve_in_apply() {
    let h = Harness::new(
        r#"
        resource "test_thing" "a" {
          name  = "a"
          value = "x"
        }
        resource "test_thing" "b" {
          name  = "b"
          value = { from = test_thing.a.id, fixed = "k" }
        }
        "#,
    );
    let planned = h.plan(&[], RunOptions::default()).await.unwrap();
    let b = change(&planned.plan, "test_thing.b").after.clone().unwrap();
    assert_eq!(b.get("value").get("from"), &Value::Unknown);
    assert_eq!(b.get("value").get("fixed"), &Value::string("k"));
    assert_eq!(b.get("id"), &Value::Unknown);
    assert_eq!(b.get("name"), &Value::string("b"));
    let a = change(&planned.plan, "test_thing.a").after.clone().unwrap();
    assert_eq!(a.get("id"), &Value::Unknown);
    assert_eq!(a.get("value"), &Value::string("x"));
    h.apply_ok(&[]).await;
    assert_eq!(
        attribute(&h, "test_thing.b", "value"),
        serde_json::json!({"from": "a-id1", "fixed": "k"})
    );
    assert_eq!(attribute(&h, "test_thing.b", "out")["from"], "a-id1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_destroyed_dependents_first() {
    // `-var n=3` gives the untyped variable a string, which count accepts as Terraform does.
    let h = Harness::new(
        r#"
        variable "n" {}
        resource "test_thing" "counted" {
          count = var.n
          name  = "counted-${count.index}"
        }
        resource "test_thing" "each" {
          for_each = toset(["x", "y"])
          name     = "each-${each.key}"
        }
        resource "test_thing" "parent" {
          name = "parent"
        }
        resource "test_thing" "child" {
          name  = "child"
          value = test_thing.parent.id
        }
        resource "test_thing" "grandchild" {
          name  = "grandchild"
          value = test_thing.child.id
        }
        "#,
    );
    h.apply_ok(&["n=3"]).await;
    h.write(
        r#"
        variable "n" {}
        resource "test_thing" "counted" {
          count = var.n
          name  = "counted-${count.index}"
        }
        resource "test_thing" "each" {
          for_each = toset(["x"])
          name     = "each-${each.key}"
        }
        "#,
    );
    let applied = h.apply_ok(&["n=1"]).await;
    let reasons: Vec<(String, Action, Option<ActionReason>)> = applied
        .plan
        .resource_changes
        .iter()
        .map(|c| (c.addr.to_string(), c.action, c.reason.clone()))
        .collect();
    let gone = |a: &str, r| (a.to_string(), Action::Delete, Some(r));
    assert_eq!(
        reasons,
        [
            gone("test_thing.child", ActionReason::NoResourceConfig),
            ("test_thing.counted[0]".to_string(), Action::NoOp, None),
            gone("test_thing.counted[1]", ActionReason::CountIndexOutOfRange),
            gone("test_thing.counted[2]", ActionReason::CountIndexOutOfRange),
            ("test_thing.each[\"x\"]".to_string(), Action::NoOp, None),
            gone("test_thing.each[\"y\"]", ActionReason::EachKeyGone),
            gone("test_thing.grandchild", ActionReason::NoResourceConfig),
            gone("test_thing.parent", ActionReason::NoResourceConfig),
        ]
    );
    let mut deleted = names(&applied.calls, Op::Delete);
    deleted.sort();
    assert_eq!(
        deleted,
        [
            "child",
            "counted-1",
            "counted-2",
            "each-y",
            "grandchild",
            "parent"
        ]
    );
    ended_before(
        &applied.calls,
        (Op::Delete, "grandchild"),
        (Op::Delete, "child"),
    );
    ended_before(
        &applied.calls,
        (Op::Delete, "child"),
        (Op::Delete, "parent"),
    );
    assert_eq!(applied.outcome.counts.destroyed, 6);
    assert_eq!(
        in_state(&h),
        ["test_thing.counted[0]", "test_thing.each[\"x\"]"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_runs_in_reverse_dependency_order() {
    let h = Harness::new(
        r#"
        resource "test_thing" "a" {
          name = "a"
        }
        resource "test_thing" "b" {
          name  = "b"
          value = test_thing.a.id
        }
        resource "test_thing" "c" {
          name       = "c"
          depends_on = [test_thing.b]
        }
        "#,
    );
    h.apply_ok(&[]).await;
    let options = RunOptions {
        destroy: true,
        ..RunOptions::default()
    };
    let applied = h.apply(&[], options).await;
    assert!(
        applied.outcome.succeeded(),
        "{}",
        applied.outcome.diagnostics
    );
    assert!(
        applied
            .plan
            .resource_changes
            .iter()
            .all(|c| c.action == Action::Delete)
    );
    assert_eq!(names(&applied.calls, Op::Delete), ["c", "b", "a"]);
    ended_before(&applied.calls, (Op::Delete, "c"), (Op::Delete, "b"));
    ended_before(&applied.calls, (Op::Delete, "b"), (Op::Delete, "a"));
    assert!(in_state(&h).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_before_destroy_orders_the_replacement() {
    let stack = r#"
        variable "gen" {}
        resource "test_thing" "cbd" {
          name = "cbd-${var.gen}"
          lifecycle {
            create_before_destroy = true
          }
        }
        resource "test_thing" "user" {
          name  = "user"
          value = test_thing.cbd.id
        }
        resource "test_thing" "plain" {
          name = "plain-${var.gen}"
        }
        "#;
    let h = Harness::new(stack);
    h.apply_ok(&["gen=1"]).await;
    let applied = h.apply_ok(&["gen=2"]).await;
    let cbd = change(&applied.plan, "test_thing.cbd");
    assert_eq!(cbd.action, Action::CreateThenDelete);
    assert_eq!(cbd.reason, Some(ActionReason::ReplaceBecauseCannotUpdate));
    assert_eq!(cbd.replace_paths, [AttrPath::attr("name")]);
    assert_eq!(
        change(&applied.plan, "test_thing.plain").action,
        Action::DeleteThenCreate
    );
    assert_eq!(
        change(&applied.plan, "test_thing.user").action,
        Action::Update
    );

    let calls = &applied.calls;
    ended_before(calls, (Op::Create, "cbd-2"), (Op::Delete, "cbd-1"));
    // What uses it moves to the new object before the old one goes.
    ended_before(calls, (Op::Create, "cbd-2"), (Op::Update, "user"));
    ended_before(calls, (Op::Update, "user"), (Op::Delete, "cbd-1"));
    ended_before(calls, (Op::Delete, "plain-1"), (Op::Create, "plain-2"));
    assert_eq!(applied.outcome.counts.added, 2);
    assert_eq!(applied.outcome.counts.changed, 1);
    assert_eq!(applied.outcome.counts.destroyed, 2);
    assert_eq!(attribute(&h, "test_thing.cbd", "id"), "cbd-2-id1");
    assert_eq!(attribute(&h, "test_thing.user", "value"), "cbd-2-id1");
    assert_eq!(attribute(&h, "test_thing.plain", "name"), "plain-2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_object_whose_destroy_fails_stays_recorded_as_deposed_until_destroyed() {
    let stack = r#"
        variable "gen" {}
        resource "test_thing" "cbd" {
          name = "cbd-${var.gen}"
          lifecycle {
            create_before_destroy = true
          }
        }
        "#;
    let h = Harness::new(stack);
    h.apply_ok(&["gen=1"]).await;
    h.recording.refuse_delete("cbd-1", true);
    let failed = h.apply(&["gen=2"], RunOptions::default()).await;
    assert!(!failed.outcome.succeeded());
    // The replacement was made; the old object was not destroyed.
    assert_eq!(
        (failed.outcome.counts.added, failed.outcome.counts.destroyed),
        (1, 0)
    );
    let state = h.state();
    assert_eq!(attribute(&h, "test_thing.cbd", "id"), "cbd-2-id1");
    assert_eq!(state.deposed.len(), 1, "{state:#?}");
    let key = state.deposed[0].key.clone();
    assert_eq!(state.deposed[0].object.attributes["id"], "cbd-1-id1");

    // The next plan destroys the deposed object and nothing else.
    let planned = h.plan(&["gen=2"], RunOptions::default()).await.unwrap();
    let deposed: Vec<_> = planned
        .plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    assert_eq!(deposed.len(), 1);
    assert_eq!(deposed[0].action, Action::Delete);
    assert_eq!(deposed[0].deposed.as_deref(), Some(key.as_str()));
    let text = render::plan(&planned.plan, &plain());
    assert!(
        text.contains(&format!(
            "# test_thing.cbd (deposed object {key}) will be destroyed"
        )),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{text}"
    );

    h.recording.refuse_delete("cbd-1", false);
    let applied = h.apply_ok(&["gen=2"]).await;
    assert_eq!(names(&applied.calls, Op::Delete), ["cbd-1"]);
    assert_eq!(applied.outcome.counts.destroyed, 1);
    assert!(h.state().deposed.is_empty());
    assert_eq!(attribute(&h, "test_thing.cbd", "id"), "cbd-2-id1");
    let after = h.plan(&["gen=2"], RunOptions::default()).await.unwrap();
    assert!(
        after
            .plan
            .resource_changes
            .iter()
            .all(|c| c.action == Action::NoOp)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposed_object_is_destroyed_before_what_it_used() {
    let stack = r#"
        variable "gen" {}
        resource "test_thing" "net" {
          name = "net"
        }
        resource "test_thing" "port" {
          name  = "port-${var.gen}"
          value = test_thing.net.id
          lifecycle {
            create_before_destroy = true
          }
        }
        "#;
    let h = Harness::new(stack);
    h.apply_ok(&["gen=1"]).await;
    h.recording.refuse_delete("port-1", true);
    let failed = h.apply(&["gen=2"], RunOptions::default()).await;
    assert!(!failed.outcome.succeeded());
    assert_eq!(h.state().deposed.len(), 1);

    // Destroying everything: the deposed port goes before the network it is on, in one run.
    h.recording.refuse_delete("port-1", false);
    let destroy = RunOptions {
        destroy: true,
        ..RunOptions::default()
    };
    let destroyed = h.apply(&["gen=2"], destroy).await;
    assert!(
        destroyed.outcome.succeeded(),
        "{}",
        destroyed.outcome.diagnostics
    );
    let calls = &destroyed.calls;
    ended_before(calls, (Op::Delete, "port-1"), (Op::Delete, "net"));
    ended_before(calls, (Op::Delete, "port-2"), (Op::Delete, "net"));
    assert_eq!(destroyed.outcome.counts.destroyed, 3);
    let state = h.state();
    assert!(
        state.resources.is_empty() && state.deposed.is_empty(),
        "{state:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_configured_from_a_new_resource_is_configured_during_apply() {
    // As a Kubernetes provider configured from the cluster a first layer creates.
    let stack = r#"
        variable "gen" {}
        resource "test_thing" "cluster" {
          name = "cluster-${var.gen}"
        }
        provider "test" {
          alias    = "inside"
          endpoint = test_thing.cluster.id
        }
        resource "test_thing" "app" {
          provider = test.inside
          name     = "app"
          value    = test_thing.cluster.name
        }
        data "test_lookup" "inside" {
          provider = test.inside
          name     = "registry"
        }
        resource "test_thing" "uses_lookup" {
          provider = test.inside
          name     = data.test_lookup.inside.result
        }
        "#;
    let h = Harness::new(stack);
    let planned = h.plan(&["gen=1"], RunOptions::default()).await.unwrap();
    let app = change(&planned.plan, "test_thing.app");
    assert_eq!(app.action, Action::Create);
    let after = app.after.as_ref().unwrap();
    assert_eq!(after.get("name"), &Value::string("app"));
    assert!(after.get("id").is_unknown());
    let lookup = change(&planned.plan, "data.test_lookup.inside");
    assert_eq!(lookup.action, Action::Read);
    assert_eq!(lookup.reason, Some(ActionReason::ReadBecauseConfigUnknown));
    assert!(
        planned
            .warnings
            .to_string()
            .contains("Provider \"test.inside\" is configured during apply"),
        "{}",
        planned.warnings
    );
    let plan_calls = h.recording.take();
    assert_eq!(names(&plan_calls, Op::Configure), [""]);
    assert!(
        names(&plan_calls, Op::Plan)
            .iter()
            .all(|n| *n == "cluster-1")
    );

    let applied = h.apply_ok(&["gen=1"]).await;
    let calls = &applied.calls;
    // Configured once, with the id the apply just made, before anything it manages.
    assert_eq!(names(calls, Op::Configure), ["cluster-1-id1"]);
    ended_before(
        calls,
        (Op::Create, "cluster-1"),
        (Op::Configure, "cluster-1-id1"),
    );
    ended_before(calls, (Op::Configure, "cluster-1-id1"), (Op::Create, "app"));
    ended_before(
        calls,
        (Op::Configure, "cluster-1-id1"),
        (Op::ReadData, "registry"),
    );
    assert_eq!(attribute(&h, "test_thing.app", "value"), "cluster-1");
    assert_eq!(
        attribute(&h, "test_thing.uses_lookup", "name"),
        "found-registry"
    );

    // Known now: a second plan configures it at once and has nothing to do.
    let again = h.plan(&["gen=1"], RunOptions::default()).await.unwrap();
    assert!(again.warnings.is_empty(), "{}", again.warnings);
    assert!(
        again
            .plan
            .resource_changes
            .iter()
            .all(|c| c.action == Action::NoOp)
    );

    // Replacing the cluster makes the provider unknown again while its objects exist:
    // refused, with what to do, and nothing changed.
    h.recording.take();
    let refused = h
        .plan(&["gen=2"], RunOptions::default())
        .await
        .err()
        .unwrap();
    assert!(
        refused
            .to_string()
            .contains("is configured only during apply")
            && refused.to_string().contains("--target"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prevent_destroy_refuses_the_plan() {
    let stack = r#"
        variable "gen" {}
        variable "n" {
          default = 2
        }
        variable "v" {
          default = "one"
        }
        resource "test_thing" "guarded" {
          name  = "guarded-${var.gen}"
          value = var.v
          lifecycle {
            prevent_destroy = true
          }
        }
        resource "test_thing" "guarded_set" {
          count = var.n
          name  = "set-${count.index}"
          lifecycle {
            prevent_destroy = true
          }
        }
        "#;
    let h = Harness::new(stack);
    h.apply_ok(&["gen=1"]).await;
    let before = std::fs::read(h.store.path()).unwrap();
    h.recording.take();

    let replaced = h
        .plan(&["gen=2"], RunOptions::default())
        .await
        .err()
        .unwrap();
    let text = replaced.to_string();
    assert!(text.contains("Instance cannot be destroyed"), "{text}");
    assert!(
        text.contains("test_thing.guarded has lifecycle.prevent_destroy"),
        "{text}"
    );

    let shrunk = h
        .plan(&["gen=1", "n=1"], RunOptions::default())
        .await
        .err()
        .unwrap();
    assert!(
        shrunk
            .to_string()
            .contains("test_thing.guarded_set[1] has lifecycle.prevent_destroy"),
        "{shrunk}"
    );

    let calls = h.recording.take();
    assert!(
        calls
            .iter()
            .all(|c| matches!(c.op, Op::Configure | Op::Read | Op::Plan)),
        "{calls:#?}"
    );
    assert_eq!(std::fs::read(h.store.path()).unwrap(), before);

    // Changes in place remain allowed.
    let updated = h.apply_ok(&["gen=1", "v=two"]).await;
    assert_eq!(
        change(&updated.plan, "test_thing.guarded").action,
        Action::Update
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_sources_read_at_plan_unless_unknown() {
    let h = Harness::new(
        r#"
        resource "test_thing" "a" {
          name = "a"
        }
        data "test_lookup" "now" {
          name = "static"
        }
        data "test_lookup" "later" {
          name = test_thing.a.id
        }
        resource "test_thing" "uses" {
          name  = "uses"
          value = [data.test_lookup.now.result, data.test_lookup.later.result]
        }
        "#,
    );
    let applied = h.apply_ok(&[]).await;
    let now = change(&applied.plan, "data.test_lookup.now");
    assert_eq!(now.action, Action::NoOp);
    assert_eq!(
        now.after.as_ref().unwrap().get("result"),
        &Value::string("found-static")
    );
    let later = change(&applied.plan, "data.test_lookup.later");
    assert_eq!(later.action, Action::Read);
    assert_eq!(later.reason, Some(ActionReason::ReadBecauseConfigUnknown));
    assert_eq!(later.after.as_ref().unwrap().get("result"), &Value::Unknown);
    let uses = change(&applied.plan, "test_thing.uses")
        .after
        .clone()
        .unwrap();
    assert_eq!(
        uses.get("value"),
        &Value::List(vec![Value::string("found-static"), Value::Unknown])
    );
    assert_eq!(names(&applied.plan_calls, Op::ReadData), ["static"]);

    assert_eq!(names(&applied.calls, Op::ReadData), ["a-id1"]);
    ended_before(&applied.calls, (Op::Create, "a"), (Op::ReadData, "a-id1"));
    ended_before(
        &applied.calls,
        (Op::ReadData, "a-id1"),
        (Op::Create, "uses"),
    );
    assert_eq!(
        attribute(&h, "test_thing.uses", "value"),
        serde_json::json!(["found-static", "found-a-id1"])
    );
    assert_eq!(
        attribute(&h, "data.test_lookup.later", "result"),
        "found-a-id1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_depends_on_defers_a_known_data_source() {
    let stack = r#"
        variable "v" {}
        resource "test_thing" "a" {
          name  = "a"
          value = var.v
        }
        data "test_lookup" "by_reference" {
          name = test_thing.a.name
        }
        data "test_lookup" "by_depends_on" {
          name       = "explicit"
          depends_on = [test_thing.a]
        }
        "#;
    let h = Harness::new(stack);
    h.apply_ok(&["v=1"]).await;
    // `a` has an update pending; the name the first data source reads is known all the same.
    let planned = h.plan(&["v=2"], RunOptions::default()).await.unwrap();
    assert_eq!(change(&planned.plan, "test_thing.a").action, Action::Update);
    let by_reference = change(&planned.plan, "data.test_lookup.by_reference");
    assert_eq!(by_reference.action, Action::NoOp);
    assert_eq!(
        by_reference.after.as_ref().unwrap().get("result"),
        &Value::string("found-a")
    );
    let by_depends_on = change(&planned.plan, "data.test_lookup.by_depends_on");
    assert_eq!(by_depends_on.action, Action::Read);
    assert_eq!(
        by_depends_on.reason,
        Some(ActionReason::ReadBecauseDependencyPending)
    );
    assert_eq!(names(&h.recording.take(), Op::ReadData), ["a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_changes_keeps_the_prior_value() {
    let stack = r#"
        variable "v" {}
        resource "test_thing" "ig" {
          name  = "ig"
          value = var.v
          lifecycle {
            ignore_changes = [value]
          }
        }
        resource "test_thing" "watched" {
          name  = "watched"
          value = var.v
        }
        "#;
    let h = Harness::new(stack);
    h.apply_ok(&["v=1"]).await;
    let applied = h.apply_ok(&["v=2"]).await;
    assert_eq!(change(&applied.plan, "test_thing.ig").action, Action::NoOp);
    assert_eq!(
        change(&applied.plan, "test_thing.watched").action,
        Action::Update
    );
    assert_eq!(names(&applied.calls, Op::Update), ["watched"]);
    assert_eq!(attribute(&h, "test_thing.ig", "value"), "1");
    assert_eq!(attribute(&h, "test_thing.watched", "value"), "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_option_replaces_an_unchanged_instance() {
    let h = Harness::new(
        r#"
        resource "test_thing" "r" {
          name = "r"
        }
        resource "test_thing" "other" {
          name = "other"
        }
        "#,
    );
    h.apply_ok(&[]).await;
    let options = RunOptions {
        replace: vec![addr("test_thing.r")],
        ..RunOptions::default()
    };
    let applied = h.apply(&[], options).await;
    assert!(
        applied.outcome.succeeded(),
        "{}",
        applied.outcome.diagnostics
    );
    let r = change(&applied.plan, "test_thing.r");
    assert_eq!(r.action, Action::DeleteThenCreate);
    assert_eq!(r.reason, Some(ActionReason::ReplaceByRequest));
    assert_eq!(
        change(&applied.plan, "test_thing.other").action,
        Action::NoOp
    );
    ended_before(&applied.calls, (Op::Delete, "r"), (Op::Create, "r"));
    assert!(find(&applied.calls, Op::Create, "other").is_empty());
    assert_eq!(attribute(&h, "test_thing.r", "id"), "r-id2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_plans_the_target_and_its_dependencies() {
    let h = Harness::new(
        r#"
        resource "test_thing" "a" {
          name = "a"
        }
        resource "test_thing" "b" {
          name  = "b"
          value = test_thing.a.id
        }
        resource "test_thing" "c" {
          name  = "c"
          value = test_thing.b.id
        }
        resource "test_thing" "unrelated" {
          name = "unrelated"
        }
        "#,
    );
    let options = RunOptions {
        targets: vec![addr("test_thing.b")],
        ..RunOptions::default()
    };
    let applied = h.apply(&[], options).await;
    assert!(
        applied.outcome.succeeded(),
        "{}",
        applied.outcome.diagnostics
    );
    assert_eq!(
        actions(&applied.plan),
        [
            ("test_thing.a".to_string(), Action::Create),
            ("test_thing.b".to_string(), Action::Create),
        ]
    );
    assert_eq!(names(&applied.calls, Op::Create), ["a", "b"]);
    assert_eq!(in_state(&h), ["test_thing.a", "test_thing.b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_notices_a_deleted_object() {
    let h = Harness::new(
        r#"
        resource "test_thing" "a" {
          name = "a"
        }
        resource "test_thing" "b" {
          name = "b"
        }
        "#,
    );
    h.apply_ok(&[]).await;
    h.recording.vanish("a");

    let stale = RunOptions {
        refresh: false,
        ..RunOptions::default()
    };
    let planned = h.plan(&[], stale).await.unwrap();
    assert_eq!(change(&planned.plan, "test_thing.a").action, Action::NoOp);
    h.recording.take();

    let applied = h.apply_ok(&[]).await;
    let a = change(&applied.plan, "test_thing.a");
    assert_eq!(a.action, Action::Create);
    assert_eq!(a.before, None);
    assert_eq!(change(&applied.plan, "test_thing.b").action, Action::NoOp);
    let mut refreshed = names(&applied.plan_calls, Op::Read);
    refreshed.sort();
    assert_eq!(refreshed, ["a", "b"]);
    assert_eq!(names(&applied.calls, Op::Create), ["a"]);
    assert_eq!(attribute(&h, "test_thing.a", "id"), "a-id2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensitive_values_stay_hidden() {
    let h = Harness::new(
        r#"
        variable "secret" {
          type      = string
          sensitive = true
        }
        resource "test_thing" "s" {
          name  = "s"
          value = { user = "admin", password = var.secret }
        }
        "#,
    );
    let applied = h.apply_ok(&["secret=hunter2"]).await;
    let after = change(&applied.plan, "test_thing.s").after.clone().unwrap();
    let password = AttrPath::attr("value").key("password");
    assert!(after.at(&password).unwrap().is_sensitive());
    assert!(
        !after
            .at(&AttrPath::attr("value").key("user"))
            .unwrap()
            .is_sensitive()
    );
    let text = render::plan(&applied.plan, &plain());
    assert!(text.contains("password = (sensitive value)"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    let state = h.state();
    let s = &state.resources[&addr("test_thing.s")];
    // The provider copied the secret into the computed `out`: the copy is sensitive too.
    let out = AttrPath::attr("out").key("password");
    assert_eq!(s.sensitive_paths, [out, password.clone()]);
    assert_eq!(s.attributes["value"]["password"], "hunter2");

    // A changed secret is an update that shows neither the old value nor the new one.
    let planned = h
        .plan(&["secret=swordfish"], RunOptions::default())
        .await
        .unwrap();
    let s = change(&planned.plan, "test_thing.s");
    assert_eq!(s.action, Action::Update);
    assert!(
        s.before
            .as_ref()
            .unwrap()
            .at(&password)
            .unwrap()
            .is_sensitive()
    );
    let text = render::plan(&planned.plan, &plain());
    assert!(!text.contains("swordfish"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_plan_renders_like_terraform() {
    let h = Harness::new(
        r#"
        resource "test_thing" "kept" {
          name  = "kept"
          value = "one"
        }
        resource "test_thing" "renamed" {
          name  = "renamed-1"
          value = { size = 1, tags = ["a", "b"] }
        }
        resource "test_thing" "dropped" {
          name = "dropped"
        }
        "#,
    );
    h.apply_ok(&[]).await;
    h.write(
        r#"
        resource "test_thing" "kept" {
          name  = "kept"
          value = "two"
        }
        resource "test_thing" "renamed" {
          name  = "renamed-2"
          value = { size = 1, tags = ["a", "b"] }
        }
        resource "test_thing" "fresh" {
          name     = "fresh"
          value    = test_thing.kept.id
          delay_ms = 1
        }
        data "test_lookup" "fresh" {
          name = test_thing.fresh.id
        }
        "#,
    );
    let planned = h.plan(&[], RunOptions::default()).await.unwrap();
    insta::assert_snapshot!(render::plan(&planned.plan, &plain()));
}

/// Docker's daemon.json changed on node2: only node2's service is replaced (the index of
/// `replace_triggered_by` is the triggered instance's own key), a whole-resource trigger fires
/// on any instance, and an attribute trigger only when that attribute changes.
#[tokio::test]
async fn replace_triggered_by_an_instance_replaces_only_the_instance_of_the_same_key() {
    let stack = |node2: &str| {
        format!(
            r#"
            locals {{
              nodes = toset(["node1", "node2", "node3"])
            }}
            resource "test_thing" "daemon_json" {{
              for_each = local.nodes
              name     = "daemon-${{each.key}}"
              value    = each.key == "node2" ? "{node2}" : "v1"
            }}
            resource "test_thing" "docker" {{
              for_each = local.nodes
              name     = "docker-${{each.key}}"
              lifecycle {{
                replace_triggered_by = [test_thing.daemon_json[each.key]]
              }}
            }}
            resource "test_thing" "any_node" {{
              name = "any"
              lifecycle {{
                replace_triggered_by = [test_thing.daemon_json]
              }}
            }}
            resource "test_thing" "by_name" {{
              for_each = local.nodes
              name     = "by-name-${{each.key}}"
              lifecycle {{
                replace_triggered_by = [test_thing.daemon_json[each.key].name]
              }}
            }}
            "#
        )
    };
    let h = Harness::new(&stack("v1"));
    h.apply_ok(&[]).await;
    h.write(&stack("v2"));
    let planned = h.plan(&[], RunOptions::default()).await.unwrap();
    let changed: Vec<(String, Action)> = actions(&planned.plan)
        .into_iter()
        .filter(|(_, action)| *action != Action::NoOp)
        .collect();
    assert_eq!(
        changed,
        [
            ("test_thing.any_node".to_string(), Action::DeleteThenCreate),
            (
                "test_thing.daemon_json[\"node2\"]".to_string(),
                Action::Update
            ),
            (
                "test_thing.docker[\"node2\"]".to_string(),
                Action::DeleteThenCreate
            ),
        ]
    );
    let docker = change(&planned.plan, "test_thing.docker[\"node2\"]");
    assert_eq!(docker.reason, Some(ActionReason::ReplaceByTriggers));
}

#[tokio::test]
async fn a_replace_triggered_by_entry_that_names_no_resource_is_refused_at_its_line() {
    let h = Harness::new(
        r#"
        variable "v" {
          default = "x"
        }
        resource "test_thing" "a" {
          name = "a"
          lifecycle {
            replace_triggered_by = [var.v]
          }
        }
        "#,
    );
    let err = h.plan(&[], RunOptions::default()).await.err().unwrap();
    let refused = &err.0[0];
    assert_eq!(refused.summary, "Invalid replace_triggered_by expression");
    assert_eq!(refused.range.as_ref().map(|r| r.start.line), Some(8));
}
