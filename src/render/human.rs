//! The plan as `terraform plan` prints it: the legend of symbols, one block per changed
//! instance with its attribute diff, the `Plan:` summary and the changes to outputs.
//!
//! Deliberate differences from Terraform: the tool names itself `ggplan`; with no schema at
//! hand every nested value is printed as an attribute (never as a nested block), a map key is
//! quoted only when it is not an identifier, and lists of equal length are diffed element by
//! element (Terraform does so for tuples), others along their longest common subsequence.

use super::diff::Differ;
use super::{Style, ansi};
use crate::address::{InstanceAddr, InstanceKey};
use crate::plan::{Action, ActionReason, OutputChange, Plan, ResourceChange};
use ggplan_sdk::{AttrPath, ResourceKind, Value};
use std::fmt::Write;

/// The whole plan as text, ending in a newline.
pub fn plan(plan: &Plan, style: &Style) -> String {
    plan_by_layer(plan, style, &|_| None)
}

/// Where a change is declared, for a plan shown layer by layer: its rank (its depth in the
/// dependency graph) and the layer's name (a file of the stack).
pub type LayerOf<'a> = dyn Fn(&InstanceAddr) -> Option<(usize, String)> + 'a;

/// The whole plan as text; when its changes are declared in more than one layer, grouped by
/// layer, each under its name, a layer after those its deepest change depends on.
pub fn plan_by_layer(plan: &Plan, style: &Style, layer_of: &LayerOf<'_>) -> String {
    let mut changes: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| is_shown(c))
        .collect();
    // Terraform orders by the address text (so `data.` sorts first); instance keys keep
    // their own order, so `[2]` comes before `[10]`.
    changes.sort_by_cached_key(|c| (c.addr.resource.to_string(), c.addr.key.clone()));
    let mut outputs: Vec<&OutputChange> = plan
        .output_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    outputs.sort_by(|a, b| a.name.cmp(&b.name));

    if changes.is_empty() && outputs.is_empty() {
        return format!(
            "{}{}\n\nggplan has compared your real infrastructure against your configuration\n\
             and found no differences, so no changes are needed.\n",
            style.paint(&format!("{};{}", ansi::BOLD, ansi::GREEN), "No changes."),
            style.paint(
                ansi::BOLD,
                " Your infrastructure matches the configuration."
            ),
        );
    }

    let mut out = String::new();
    if !changes.is_empty() {
        // Moves alone need no symbols.
        if changes.iter().any(|c| c.action != Action::NoOp) {
            out.push_str(
                "ggplan used the selected providers to generate the following execution\n\
                 plan. Resource actions are indicated with the following symbols:\n",
            );
            out.push_str(&legend(&changes, style));
            out.push('\n');
        }
        out.push_str("ggplan will perform the following actions:\n\n");
        for (layer, changes) in by_layer(&changes, layer_of) {
            if let Some(name) = layer {
                let _ = writeln!(
                    out,
                    "{}\n",
                    style.paint(ansi::BOLD, &format!("  # ── {name} ──"))
                );
            }
            for change in changes {
                out.push_str(&resource_change(change, style));
                out.push('\n');
            }
        }
        out.push_str(&summary(&changes, style));
    }
    if !outputs.is_empty() {
        if !changes.is_empty() {
            out.push('\n');
        }
        out.push_str("Changes to Outputs:\n");
        out.push_str(&output_changes(&outputs, style));
        if changes.is_empty() {
            out.push_str(
                "\nYou can apply this plan to save these new output values to the ggplan\n\
                 state, without changing any real infrastructure.\n",
            );
        }
    }
    out
}

/// The changes in groups by layer, the layers in the order of their highest rank (a file of
/// independent resources does not jump ahead of what its last ones wait for), each group in
/// the order given; one unnamed group when they are all in one layer.
fn by_layer<'c>(
    changes: &[&'c ResourceChange],
    layer_of: &LayerOf<'_>,
) -> Vec<(Option<String>, Vec<&'c ResourceChange>)> {
    let mut layers: Vec<(usize, String, Vec<&ResourceChange>)> = Vec::new();
    for change in changes {
        let (rank, name) = layer_of(&change.addr)
            .unwrap_or_else(|| (usize::MAX, "not in the configuration".to_string()));
        match layers.iter_mut().find(|(_, n, _)| *n == name) {
            Some((highest, _, members)) => {
                *highest = (*highest).max(rank);
                members.push(change);
            }
            None => layers.push((rank, name, vec![*change])),
        }
    }
    if layers.len() < 2 {
        return vec![(None, changes.to_vec())];
    }
    layers.sort_by_key(|(rank, _, _)| *rank);
    layers
        .into_iter()
        .map(|(_, name, members)| (Some(name), members))
        .collect()
}

/// The symbols used, in Terraform's order, each with what it means.
fn legend(changes: &[&ResourceChange], style: &Style) -> String {
    const MEANINGS: [(Action, &str); 6] = [
        (Action::Create, "create"),
        (Action::Update, "update in-place"),
        (Action::Delete, "destroy"),
        (
            Action::DeleteThenCreate,
            "destroy and then create replacement",
        ),
        (
            Action::CreateThenDelete,
            "create replacement and then destroy",
        ),
        (Action::Read, "read (data resources)"),
    ];
    MEANINGS
        .iter()
        .filter(|(action, _)| changes.iter().any(|c| c.action == *action))
        .map(|(action, meaning)| format!("{} {meaning}\n", symbol(*action, style)))
        .collect()
}

/// An action's symbol, right-aligned in three columns and coloured.
fn symbol(action: Action, style: &Style) -> String {
    let plain = action.symbol();
    let painted = match action {
        Action::NoOp => plain.to_string(),
        Action::Create => style.paint(ansi::GREEN, "+"),
        Action::Update => style.paint(ansi::YELLOW, "~"),
        Action::Delete => style.paint(ansi::RED, "-"),
        Action::Forget => ".".to_string(),
        Action::Read => style.paint(ansi::CYAN, "<="),
        Action::DeleteThenCreate => format!(
            "{}/{}",
            style.paint(ansi::RED, "-"),
            style.paint(ansi::GREEN, "+")
        ),
        Action::CreateThenDelete => format!(
            "{}/{}",
            style.paint(ansi::GREEN, "+"),
            style.paint(ansi::RED, "-")
        ),
    };
    format!(
        "{}{painted}",
        " ".repeat(3usize.saturating_sub(plain.len()))
    )
}

/// One instance's block: the comment saying what happens and why, then its attributes.
pub fn resource_change(change: &ResourceChange, style: &Style) -> String {
    resource_block(
        change,
        headline(change.action, change.reason.as_ref()),
        style,
    )
}

/// One instance's block with the given headline after its address (`will be created`,
/// `has been deleted`).
pub fn resource_block(change: &ResourceChange, headline: &str, style: &Style) -> String {
    let addr = &change.addr;
    let mut out = match (&change.moved_from, change.action) {
        (_, Action::NoOp) if change.importing.is_some() => format!(
            "{} will be imported\n",
            style.paint(ansi::BOLD, &format!("  # {}", change.label()))
        ),
        (Some(from), Action::NoOp) => {
            let title = format!("  # {from} has moved to {}", change.label());
            format!("{}\n", style.paint(ansi::BOLD, &title))
        }
        _ => format!(
            "{} {headline}\n",
            style.paint(ansi::BOLD, &format!("  # {}", change.label())),
        ),
    };
    if let Some(reason) = change.reason.as_ref().and_then(|r| reason_line(addr, r)) {
        let _ = writeln!(out, "  # ({reason})");
    }
    if let (Some(from), false) = (&change.moved_from, change.action == Action::NoOp) {
        let _ = writeln!(out, "  # (moved from {from})");
    }
    if let (Some(id), false) = (&change.importing, change.action == Action::NoOp) {
        let _ = writeln!(out, "  # (imported from {id:?})");
    }
    if change.generated_config.is_some() {
        let _ = writeln!(out, "  # (config will be generated)");
    }
    if change.action == Action::Forget {
        let _ = writeln!(out, "  # (destroy = false is set in the configuration)");
    }
    if change.planned_without_provider {
        let _ = writeln!(
            out,
            "  # (provider \"{}\" is configured during apply: planned from the configuration alone)",
            change.provider
        );
    }
    let keyword = match addr.resource.kind {
        ResourceKind::Managed => "resource",
        ResourceKind::Data => "data",
    };
    let _ = writeln!(
        out,
        "{} {keyword} \"{}\" \"{}\" {{",
        symbol(change.action, style),
        addr.resource.type_name,
        addr.resource.name
    );
    let differ = Differ {
        style,
        replace_paths: &change.replace_paths,
    };
    // A forgotten object stays as it is: shown unchanged.
    let after = match change.action {
        Action::Forget => change.before.as_ref(),
        _ => change.after.as_ref(),
    };
    out.push_str(&differ.resource_attributes(change.before.as_ref(), after, 2));
    out.push_str("    }\n");
    out
}

/// What happens, after the address: `will be created`, `must be replaced`...
pub fn headline(action: Action, reason: Option<&ActionReason>) -> &'static str {
    match (action, reason) {
        (Action::NoOp, _) => "has no changes",
        (Action::Create, _) => "will be created",
        (Action::Read, _) => "will be read during apply",
        (Action::Update, _) => "will be updated in-place",
        (Action::Delete, _) => "will be destroyed",
        (Action::Forget, _) => "will no longer be managed by ggplan, but will not be destroyed",
        (_, Some(ActionReason::ReplaceByRequest)) => "will be replaced, as requested",
        (_, Some(ActionReason::ReplaceByTriggers)) => {
            "will be replaced due to changes in replace_triggered_by"
        }
        (_, Some(ActionReason::ReplaceBecauseTainted)) => "is tainted, so must be replaced",
        (Action::DeleteThenCreate | Action::CreateThenDelete, _) => "must be replaced",
    }
}

/// What happens to a planned change, for one-line lists (pull-request comments): its
/// headline, or for an object that only moves or is only imported, that.
pub fn describe(change: &ResourceChange) -> String {
    match (&change.moved_from, &change.importing, change.action) {
        (_, Some(_), Action::NoOp) => "will be imported".to_string(),
        (Some(from), None, Action::NoOp) => format!("has moved from {from}"),
        _ => headline(change.action, change.reason.as_ref()).to_string(),
    }
}

/// Whether a plan shows a change: it does something, or only moves or imports an object.
pub fn is_shown(change: &ResourceChange) -> bool {
    change.action != Action::NoOp || change.moved_from.is_some() || change.importing.is_some()
}

/// The second comment line, for the reasons Terraform explains in one.
fn reason_line(addr: &InstanceAddr, reason: &ActionReason) -> Option<String> {
    Some(match (reason, &addr.key) {
        (ActionReason::NoResourceConfig, _) => {
            let mut whole = addr.clone();
            whole.key = None;
            format!("because {whole} is not in configuration")
        }
        (ActionReason::NoModuleInstance, _) => {
            format!("because {} is not in configuration", addr.module)
        }
        (ActionReason::CountIndexOutOfRange, Some(key)) => {
            format!("because index {key} is out of range for count")
        }
        (ActionReason::EachKeyGone, Some(key)) => {
            format!("because key {key} is not in for_each map")
        }
        (ActionReason::WrongRepetition, None) => {
            "because resource uses count or for_each".to_string()
        }
        (ActionReason::WrongRepetition, Some(InstanceKey::Int(_))) => {
            "because resource does not use count".to_string()
        }
        (ActionReason::WrongRepetition, Some(InstanceKey::Str(_))) => {
            "because resource does not use for_each".to_string()
        }
        (ActionReason::ReadBecauseConfigUnknown, _) => {
            "config refers to values not yet known".to_string()
        }
        (ActionReason::ReadBecauseDependencyPending, _) => {
            "depends on a resource or a module with changes pending".to_string()
        }
        (ActionReason::ReadBecauseCheckNested, _) => {
            "config will be reloaded to verify a check block".to_string()
        }
        _ => return None,
    })
}

/// `Plan: X to add, Y to change, Z to destroy.`; a replacement counts as one add and one
/// destroy.
fn summary(changes: &[&ResourceChange], style: &Style) -> String {
    let (add, change, destroy) = counts(changes.iter().copied());
    let imported = match changes.iter().filter(|c| c.importing.is_some()).count() {
        0 => String::new(),
        n => format!(" {n} to import,"),
    };
    format!(
        "{}{imported} {add} to add, {change} to change, {destroy} to destroy.\n",
        style.paint(ansi::BOLD, "Plan:")
    )
}

/// How many objects the changes add, change and destroy; a replacement counts as one add and
/// one destroy.
pub fn counts<'a>(
    changes: impl Iterator<Item = &'a ResourceChange> + Clone,
) -> (usize, usize, usize) {
    let count =
        |wanted: &dyn Fn(Action) -> bool| changes.clone().filter(|c| wanted(c.action)).count();
    (
        count(&|a| a == Action::Create || a.is_replace()),
        count(&|a| a == Action::Update),
        count(&|a| a == Action::Delete || a.is_replace()),
    )
}

/// One line (or block) per changed output, names aligned on `=`.
pub fn output_changes(outputs: &[&OutputChange], style: &Style) -> String {
    let width = super::align_width(outputs.iter().map(|o| o.name.chars().count()));
    let differ = Differ {
        style,
        replace_paths: &[],
    };
    let secret = Value::Null.into_sensitive();
    let mut out = String::new();
    for output in outputs {
        // A sensitive output is shown through a marked stand-in, so its value never reaches
        // the differ.
        let hide = |side: Option<&Value>| side.map(|_| &secret);
        let (before, after) = if output.sensitive {
            (hide(output.before.as_ref()), hide(output.after.as_ref()))
        } else {
            (output.before.as_ref(), output.after.as_ref())
        };
        let value = differ.change(before, after, &AttrPath::root(), 2, true);
        let _ = writeln!(
            out,
            "{} {:<width$} = {value}",
            symbol(output.action, style),
            output.name
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::Number;

    const SECRET: &str = "hunter2";

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    fn addr(text: &str) -> InstanceAddr {
        InstanceAddr::parse(text).unwrap()
    }

    fn change(
        address: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange::new(
            addr(address),
            crate::address::ProviderAddr::default_of("terraform"),
            action,
            before,
            after,
        )
    }

    fn output(
        name: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> OutputChange {
        OutputChange {
            name: name.to_string(),
            action,
            before,
            after,
            sensitive: false,
        }
    }

    fn plain(plan: &Plan) -> String {
        super::plan(plan, &Style { color: false })
    }

    /// The `input` of the first Terraform experiment, before its variables changed.
    fn input_v1() -> Value {
        Value::object([
            ("str", s("hello \"world\" a")),
            ("num", Value::Number(Number::Float(1.5))),
            ("int", Value::int(42)),
            ("b", Value::Bool(true)),
            ("nul", Value::Null),
            ("list", list([s("x"), s("y"), s("a")])),
            ("empty_list", list([])),
            ("empty_map", Value::object::<&str>([])),
            (
                "nested",
                Value::object([(
                    "a",
                    Value::object([("b", s("c")), ("d", list([Value::int(1), Value::int(2)]))]),
                )]),
            ),
            ("multi", s("line one\nline two a\nline three\n")),
            ("secret", s(SECRET).into_sensitive()),
        ])
    }

    /// The same after the change: nested edits, a map gaining a key, a multi-line edit.
    fn input_v2() -> Value {
        let mut input = input_v1();
        if let Value::Map(map) = &mut input {
            map.insert("str".into(), s("hello \"world\" b"));
            map.insert("num".into(), Value::int(2));
            map.insert("b".into(), Value::Bool(false));
            map.insert("list".into(), list([s("x"), s("y"), s("b")]));
            map.insert("empty_map".into(), Value::object([("k", s("v"))]));
            map.insert(
                "nested".into(),
                Value::object([
                    (
                        "a",
                        Value::object([
                            ("b", s("C")),
                            ("d", list([Value::int(1), Value::int(3), Value::int(4)])),
                        ]),
                    ),
                    ("new", s("n")),
                ]),
            );
            map.insert("multi".into(), s("line one\nline two b\nline three\n"));
        }
        input
    }

    fn data_object(id: Value, input: Value, output: Value) -> Value {
        Value::object([
            ("id", id),
            ("input", input),
            ("output", output),
            ("triggers_replace", Value::Null),
        ])
    }

    #[test]
    fn create_of_several_types() {
        let plan = Plan {
            resource_changes: vec![
                change(
                    "terraform_data.s",
                    Action::Create,
                    None,
                    Some(data_object(Value::Unknown, input_v1(), Value::Unknown)),
                ),
                change(
                    "random_password.pg",
                    Action::Create,
                    None,
                    Some(Value::object([
                        ("length", Value::int(24)),
                        ("special", Value::Bool(false)),
                        ("result", Value::Unknown.into_sensitive()),
                        ("keepers", Value::object([("rotation", Value::Unknown)])),
                        ("override_special", Value::Null),
                        ("tags", list([Value::Unknown, s("db")])),
                    ])),
                ),
            ],
            output_changes: vec![],
            checks: Vec::new(),
        };
        let text = plain(&plan);
        insta::assert_snapshot!(text);
        // Captured from `terraform plan` (Terraform 1.15.5) on the same configuration.
        let terraform = r#"  # terraform_data.s will be created
  + resource "terraform_data" "s" {
      + id     = (known after apply)
      + input  = {
          + b          = true
          + empty_list = []
          + empty_map  = {}
          + int        = 42
          + list       = [
              + "x",
              + "y",
              + "a",
            ]
          + multi      = <<-EOT
                line one
                line two a
                line three
            EOT
          + nested     = {
              + a = {
                  + b = "c"
                  + d = [
                      + 1,
                      + 2,
                    ]
                }
            }
          + nul        = null
          + num        = 1.5
          + secret     = (sensitive value)
          + str        = "hello \"world\" a"
        }
      + output = (known after apply)
    }
"#;
        assert!(text.contains(terraform), "{text}");
    }

    #[test]
    fn update_with_nested_and_multi_line_diffs() {
        let id = s("1c583ccb-e64b-5dc9-c9ae-eec6f01e1f9a");
        let plan = Plan {
            resource_changes: vec![change(
                "terraform_data.s",
                Action::Update,
                Some(data_object(id.clone(), input_v1(), input_v1())),
                Some(data_object(id, input_v2(), Value::Unknown)),
            )],
            output_changes: vec![],
            checks: Vec::new(),
        };
        let text = plain(&plan);
        insta::assert_snapshot!(text);
        // Captured from `terraform plan` (Terraform 1.15.5) on the same change.
        let terraform = r#"  # terraform_data.s will be updated in-place
  ~ resource "terraform_data" "s" {
        id     = "1c583ccb-e64b-5dc9-c9ae-eec6f01e1f9a"
      ~ input  = {
          ~ b          = true -> false
          ~ empty_map  = {
              + k = "v"
            }
          ~ list       = [
                # (1 unchanged element hidden)
                "y",
              ~ "a" -> "b",
            ]
          ~ multi      = <<-EOT
                line one
              - line two a
              + line two b
                line three
            EOT
          ~ nested     = {
              ~ a   = {
                  ~ b = "c" -> "C"
                  ~ d = [
                        1,
                      - 2,
                      + 3,
                      + 4,
                    ]
                }
              + new = "n"
            }
          ~ num        = 1.5 -> 2
          ~ str        = "hello \"world\" a" -> "hello \"world\" b"
            # (4 unchanged attributes hidden)
        }
"#;
        assert!(text.contains(terraform), "{text}");
    }

    #[test]
    fn list_diff_hides_far_unchanged_elements() {
        let input = |changed: &str| {
            let letters = list(["a", "b", "c", changed, "e", "f", "g"].map(s));
            Value::object([("l2", letters), ("lines", s("same"))])
        };
        let plan = Plan {
            resource_changes: vec![change(
                "terraform_data.x",
                Action::Update,
                Some(Value::object([("id", s("x")), ("input", input("d"))])),
                Some(Value::object([("id", s("x")), ("input", input("X"))])),
            )],
            output_changes: vec![],
            checks: Vec::new(),
        };
        // Captured from `terraform plan` (Terraform 1.15.5).
        let terraform = r#"          ~ l2    = [
                # (2 unchanged elements hidden)
                "c",
              ~ "d" -> "X",
                "e",
                # (2 unchanged elements hidden)
            ]
"#;
        let text = plain(&plan);
        assert!(text.contains(terraform), "{text}");
    }

    #[test]
    fn null_becomes_a_value() {
        let id = s("eb4739ca-30ab-1532-d677-90901047d3b1");
        let input = |n: Value| Value::object([("keep", s("k")), ("n", n)]);
        let before = data_object(id, input(Value::Null), input(Value::Null));
        let mut after = data_object(Value::Unknown, input(s("x")), Value::Unknown);
        if let Value::Map(map) = &mut after {
            map.insert("triggers_replace".into(), s("t"));
        }
        let plan = Plan {
            resource_changes: vec![change(
                "terraform_data.a",
                Action::DeleteThenCreate,
                Some(before),
                Some(after),
            )],
            output_changes: vec![],
            checks: Vec::new(),
        };
        // Captured from `terraform plan` (Terraform 1.15.5).
        let terraform = r#"  # terraform_data.a must be replaced
-/+ resource "terraform_data" "a" {
      ~ id               = "eb4739ca-30ab-1532-d677-90901047d3b1" -> (known after apply)
      ~ input            = {
          ~ n    = null -> "x"
            # (1 unchanged attribute hidden)
        }
      ~ output           = {
          - keep = "k"
          - n    = null
        } -> (known after apply)
      + triggers_replace = "t"
    }
"#;
        let text = plain(&plan);
        assert!(text.contains(terraform), "{text}");
    }

    /// A replacement forced by a changed list and a changed string.
    fn replaced(address: &str, action: Action) -> ResourceChange {
        let object = |id: Value, output: Value, trigger: &str, zone: &str| {
            Value::object([
                ("id", id),
                ("input", s("r")),
                ("output", output),
                ("triggers_replace", list([s(trigger)])),
                ("zone", s(zone)),
            ])
        };
        let before = object(s("7dcc2e20"), s("r"), "a", "eu-1");
        let after = object(Value::Unknown, Value::Unknown, "b", "eu-2");
        ResourceChange {
            replace_paths: vec![AttrPath::attr("triggers_replace"), AttrPath::attr("zone")],
            reason: Some(ActionReason::ReplaceBecauseCannotUpdate),
            ..change(address, action, Some(before), Some(after))
        }
    }

    #[test]
    fn replace_with_forces_replacement() {
        let mut by_request = replaced("terraform_data.q", Action::DeleteThenCreate);
        by_request.replace_paths.clear();
        by_request.reason = Some(ActionReason::ReplaceByRequest);
        let plan = Plan {
            resource_changes: vec![
                replaced("terraform_data.r", Action::DeleteThenCreate),
                by_request,
            ],
            output_changes: vec![],
            checks: Vec::new(),
        };
        insta::assert_snapshot!(plain(&plan));
    }

    #[test]
    fn create_before_destroy() {
        let plan = Plan {
            resource_changes: vec![replaced("terraform_data.cbd", Action::CreateThenDelete)],
            output_changes: vec![],
            checks: Vec::new(),
        };
        insta::assert_snapshot!(plain(&plan));
    }

    #[test]
    fn delete_of_orphans_with_each_reason() {
        let orphan = |address: &str, reason: ActionReason| {
            let name = address.rsplit('.').next().unwrap_or_default();
            let before = data_object(s(&format!("id-{name}")), s(name), s(name));
            ResourceChange {
                reason: Some(reason),
                ..change(address, Action::Delete, Some(before), None)
            }
        };
        let plan = Plan {
            resource_changes: vec![
                orphan("terraform_data.gone", ActionReason::NoResourceConfig),
                orphan("terraform_data.c[2]", ActionReason::CountIndexOutOfRange),
                orphan("terraform_data.f[\"node3\"]", ActionReason::EachKeyGone),
                orphan("terraform_data.w[0]", ActionReason::WrongRepetition),
                orphan("terraform_data.v", ActionReason::WrongRepetition),
                change(
                    "terraform_data.t",
                    Action::Delete,
                    Some(Value::object([
                        ("id", s("t")),
                        (
                            "input",
                            Value::object([("tags", Value::object([("a", s("1"))]))]),
                        ),
                    ])),
                    None,
                ),
            ],
            output_changes: vec![],
            checks: Vec::new(),
        };
        let text = plain(&plan);
        insta::assert_snapshot!(text);
        // Captured from `terraform plan` (Terraform 1.15.5).
        let terraform = r#"  # terraform_data.f["node3"] will be destroyed
  # (because key ["node3"] is not in for_each map)
  - resource "terraform_data" "f" {
      - id     = "id-f[\"node3\"]" -> null
"#;
        assert!(text.contains(terraform), "{text}");
        assert!(text.contains("  # (because index [2] is out of range for count)\n"));
        assert!(text.contains("  # (because terraform_data.gone is not in configuration)\n"));
        assert!(text.contains("Plan: 0 to add, 0 to change, 6 to destroy.\n"));
    }

    #[test]
    fn read_during_apply() {
        let read = |address: &str, reason: ActionReason| ResourceChange {
            reason: Some(reason),
            ..change(
                address,
                Action::Read,
                None,
                Some(Value::object([
                    ("backend", s("local")),
                    ("config", Value::object([("path", Value::Unknown)])),
                    ("outputs", Value::Unknown),
                    ("workspace", Value::Null),
                ])),
            )
        };
        let plan = Plan {
            resource_changes: vec![
                read(
                    "data.terraform_remote_state.n",
                    ActionReason::ReadBecauseDependencyPending,
                ),
                read(
                    "data.local_file.seed",
                    ActionReason::ReadBecauseConfigUnknown,
                ),
                change(
                    "terraform_data.ml",
                    Action::Update,
                    Some(Value::object([("id", s("2e37")), ("input", s("single"))])),
                    Some(Value::object([
                        ("id", s("2e37")),
                        ("input", s("multi\nline\n")),
                    ])),
                ),
            ],
            output_changes: vec![],
            checks: Vec::new(),
        };
        insta::assert_snapshot!(plain(&plan));
    }

    fn outputs() -> Vec<OutputChange> {
        vec![
            output("o_str", Action::Update, Some(s("xa")), Some(s("xb"))),
            output(
                "o_map",
                Action::Update,
                Some(Value::object([("a", Value::int(1)), ("b", list([s("a")]))])),
                Some(Value::object([("a", Value::int(1)), ("b", list([s("b")]))])),
            ),
            output("gone", Action::Delete, Some(s("g")), None),
            output(
                "chg",
                Action::Update,
                Some(list([s("a"), s("b")])),
                Some(list([s("a"), s("c"), s("d")])),
            ),
            output(
                "new",
                Action::Create,
                None,
                Some(Value::object([("x", s("y"))])),
            ),
            output("o_unknown", Action::Create, None, Some(Value::Unknown)),
            OutputChange {
                sensitive: true,
                ..output("o_sens", Action::Update, Some(s("sa")), Some(s("sb")))
            },
            output("same", Action::NoOp, Some(s("k")), Some(s("k"))),
        ]
    }

    #[test]
    fn outputs_only() {
        let plan = Plan {
            resource_changes: vec![],
            output_changes: outputs(),
            checks: Vec::new(),
        };
        let text = plain(&plan);
        insta::assert_snapshot!(text);
        // Captured from `terraform plan` (Terraform 1.15.5), names aligned over these three.
        let only_three = Plan {
            resource_changes: vec![],
            output_changes: outputs()
                .into_iter()
                .filter(|o| ["chg", "gone", "new"].contains(&o.name.as_str()))
                .collect(),
            checks: Vec::new(),
        };
        let terraform = r#"Changes to Outputs:
  ~ chg  = [
        "a",
      - "b",
      + "c",
      + "d",
    ]
  - gone = "g" -> null
  + new  = {
      + x = "y"
    }

You can apply this plan to save these new output values to the ggplan
state, without changing any real infrastructure.
"#;
        assert_eq!(plain(&only_three), terraform);
    }

    #[test]
    fn resources_and_outputs() {
        let plan = Plan {
            resource_changes: vec![change(
                "terraform_data.a",
                Action::Create,
                None,
                Some(Value::object([("id", Value::Unknown), ("input", s("a"))])),
            )],
            output_changes: outputs(),
            checks: Vec::new(),
        };
        insta::assert_snapshot!(plain(&plan));
    }

    #[test]
    fn no_changes() {
        let unchanged = Value::object([("id", s("x"))]);
        let plan = Plan {
            resource_changes: vec![change(
                "terraform_data.a",
                Action::NoOp,
                Some(unchanged.clone()),
                Some(unchanged),
            )],
            output_changes: vec![output("same", Action::NoOp, Some(s("k")), Some(s("k")))],
            checks: Vec::new(),
        };
        insta::assert_snapshot!(plain(&plan));
    }

    /// Secrets in every place a value can take in a plan.
    fn secret_plan() -> Plan {
        let secret = || s(SECRET).into_sensitive();
        let with_secrets = |suffix: &str| {
            Value::object([
                ("id", s("p")),
                ("password", secret()),
                ("length", Value::int(7).into_sensitive()),
                (
                    "settings",
                    Value::object([
                        ("user", s(&format!("admin{suffix}"))),
                        ("password", secret()),
                        ("list", list([s("a"), secret(), s(suffix)])),
                    ]),
                ),
                ("whole", Value::object([("k", s(SECRET))]).into_sensitive()),
                ("text", s(&format!("{SECRET}\nline\n")).into_sensitive()),
            ])
        };
        let mut rotated = with_secrets("2");
        if let Value::Map(map) = &mut rotated {
            map.insert("password".into(), s("hunter3").into_sensitive());
        }
        Plan {
            resource_changes: vec![
                change(
                    "random_password.new",
                    Action::Create,
                    None,
                    Some(with_secrets("1")),
                ),
                change(
                    "random_password.pg",
                    Action::Update,
                    Some(with_secrets("1")),
                    Some(rotated),
                ),
                change(
                    "random_password.old",
                    Action::Delete,
                    Some(with_secrets("1")),
                    None,
                ),
            ],
            output_changes: vec![
                OutputChange {
                    sensitive: true,
                    ..output("declared", Action::Create, None, Some(s(SECRET)))
                },
                output("marked", Action::Update, Some(secret()), Some(s("x"))),
                output("nested", Action::Delete, Some(list([secret()])), None),
            ],
            checks: Vec::new(),
        }
    }

    #[test]
    fn sensitive_values_are_never_printed() {
        let plan = secret_plan();
        let text = plain(&plan);
        insta::assert_snapshot!(text);
        for color in [false, true] {
            let text = super::plan(&plan, &Style { color });
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains("hunter3"), "{text}");
            assert!(!text.contains('7'), "a sensitive number leaked: {text}");
        }
    }

    fn mixed_plan() -> Plan {
        let mut plan = secret_plan();
        plan.resource_changes
            .push(replaced("terraform_data.r", Action::DeleteThenCreate));
        plan.resource_changes
            .push(replaced("terraform_data.cbd", Action::CreateThenDelete));
        plan.resource_changes.push(ResourceChange {
            reason: Some(ActionReason::ReadBecauseConfigUnknown),
            ..change(
                "data.local_file.seed",
                Action::Read,
                None,
                Some(Value::object([("content", Value::Unknown)])),
            )
        });
        plan.output_changes.extend(outputs());
        plan
    }

    #[test]
    fn coloured_and_plain() {
        let plan = mixed_plan();
        let coloured = super::plan(&plan, &Style { color: true });
        let plain = plain(&plan);
        assert!(!plain.contains('\x1b'));
        assert!(coloured.contains("\x1b[32m+\x1b[0m"));
        assert!(coloured.contains("\x1b[1mPlan:\x1b[0m"));
        let stripped = strip_ansi(&coloured);
        assert_eq!(stripped, plain);
        insta::assert_snapshot!("plain", plain);
        insta::assert_snapshot!("coloured", coloured.replace('\x1b', "<ESC>"));
    }

    fn strip_ansi(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('\x1b') {
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            let end = rest.find('m').map_or(rest.len(), |i| i + 1);
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn summary_counts_a_replacement_twice() {
        let plan = mixed_plan();
        assert!(plain(&plan).contains("Plan: 3 to add, 1 to change, 3 to destroy.\n"));
    }
}
