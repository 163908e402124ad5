//! hashicorp/time's `time_sleep` through the binary: a create waits before its dependents
//! start and records when it finished, a plan after it is empty, a `triggers` change replaces
//! it and a duration change does not, destroy waits its `destroy_duration`, and a bad duration
//! is refused where it is written with nothing recorded.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;
use std::time::{Duration, Instant};

/// A sleep of `create` and `destroy`, with `triggers`, and a `terraform_data` after it that
/// records the sleep's id.
fn main_tf(create: &str, destroy: &str, trigger: &str) -> String {
    format!(
        r#"
resource "time_sleep" "wait" {{
  create_duration  = "{create}"
  destroy_duration = "{destroy}"
  triggers         = {{ image = "{trigger}" }}
}}

resource "terraform_data" "after" {{
  input = time_sleep.wait.id
}}
"#
    )
}

/// The attributes of `address` in the state.
fn attributes(stack: &StackDir, address: &str) -> serde_json::Value {
    let state = stack.state();
    let resources = state["resources"].as_array().unwrap();
    let found = resources.iter().find(|r| r["address"] == address);
    found.unwrap_or_else(|| panic!("{address} not in {state:#}"))["attributes"].clone()
}

#[test]
fn a_sleep_delays_its_dependents_and_records_when_it_finished() {
    let stack = StackDir::new(&main_tf("600ms", "1ms", "v1"));
    let clock = Instant::now();
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert!(
        clock.elapsed() >= Duration::from_millis(600),
        "{}",
        apply.stdout
    );
    let id = attributes(&stack, "time_sleep.wait")["id"].clone();
    let id = id.as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(id).is_ok() && id.ends_with('Z'),
        "{id}"
    );
    // The dependent started after the sleep had finished: it holds its id.
    assert_eq!(attributes(&stack, "terraform_data.after")["output"], id);
    stack.ggplan(&["plan", "-detailed-exitcode"]).expect(0);
}

#[test]
fn triggers_replace_it_and_a_duration_change_only_updates_it() {
    let stack = StackDir::new(&main_tf("1ms", "1ms", "v1"));
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let id = attributes(&stack, "time_sleep.wait")["id"].clone();

    std::fs::write(stack.dir().join("main.tf"), main_tf("2ms", "1ms", "v1")).unwrap();
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("# time_sleep.wait will be updated in-place"),
        "{}",
        plan.stdout
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(attributes(&stack, "time_sleep.wait")["id"], id);

    std::fs::write(stack.dir().join("main.tf"), main_tf("2ms", "1ms", "v2")).unwrap();
    let plan = stack.ggplan(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("# time_sleep.wait must be replaced"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("# forces replacement"),
        "{}",
        plan.stdout
    );
}

#[test]
fn destroy_waits_the_recorded_destroy_duration() {
    let stack = StackDir::new(&main_tf("1ms", "500ms", "v1"));
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let clock = Instant::now();
    stack.ggplan(&["destroy", "-auto-approve"]).expect(0);
    assert!(clock.elapsed() >= Duration::from_millis(500));
    assert!(stack.state()["resources"].as_array().unwrap().is_empty());
}

#[test]
fn a_bad_duration_is_refused_where_it_is_written_and_nothing_is_recorded() {
    let stack = StackDir::new(&main_tf("30", "1ms", "v1"));
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(1);
    let all = apply.all();
    assert!(all.contains("Invalid value for create_duration"), "{all}");
    assert!(all.contains("main.tf line 3"), "{all}");
    assert!(all.contains("immediately followed by ms"), "{all}");
    let state_dir = stack.dir().join("state");
    let written = std::fs::read_dir(&state_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(
        written,
        0,
        "a refused apply wrote to {}",
        state_dir.display()
    );
}
