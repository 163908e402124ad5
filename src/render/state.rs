//! The state for people, as `terraform show` prints it.

use super::{Style, value_at};
use crate::state::{InstanceState, State};
use ggplan_sdk::{ResourceKind, Value};

/// Every instance and output of a state.
pub fn state(state: &State, style: &Style) -> String {
    if state.resources.is_empty() && state.deposed.is_empty() && state.outputs.is_empty() {
        return "The state file is empty. No resources are represented.\n".to_string();
    }
    let mut out = String::new();
    for inst in state.resources.values() {
        out.push_str(&instance(inst, style));
        out.push('\n');
    }
    for deposed in &state.deposed {
        out.push_str(&block(
            &deposed.object,
            &format!("{} (deposed object {})", deposed.object.addr, deposed.key),
            style,
        ));
        out.push('\n');
    }
    if !state.outputs.is_empty() {
        out.push_str("\nOutputs:\n\n");
        let width = super::align_width(state.outputs.keys().map(String::len));
        for (name, o) in &state.outputs {
            let v = Value::from_json(&o.value);
            let v = if o.sensitive { v.into_sensitive() } else { v };
            out.push_str(&format!("{name:width$} = {}\n", value_at(&v, 0)));
        }
    }
    out
}

/// One instance as a resource block with its attributes (`ggplan state show`).
pub fn instance(inst: &InstanceState, style: &Style) -> String {
    let tainted = if inst.tainted { " (tainted)" } else { "" };
    block(inst, &format!("{}{tainted}", inst.addr), style)
}

/// An object as a resource block headed by `label`.
fn block(inst: &InstanceState, label: &str, style: &Style) -> String {
    let addr = &inst.addr;
    let kind = match addr.resource.kind {
        ResourceKind::Managed => "resource",
        ResourceKind::Data => "data",
    };
    let mut out = format!(
        "{}\n{kind} \"{}\" \"{}\" {{\n",
        style.paint(super::ansi::BOLD, &format!("# {label}:")),
        addr.resource.type_name,
        addr.resource.name
    );
    let value = inst.value();
    if let Some(map) = value.as_map() {
        let shown: Vec<(&String, &Value)> = map.iter().filter(|(_, v)| !v.is_null()).collect();
        let width = super::align_width(shown.iter().map(|(k, _)| k.len()));
        for (name, v) in shown {
            out.push_str(&format!("    {name:width$} = {}\n", attribute_value(v)));
        }
    }
    out.push_str("}\n");
    out
}

/// An attribute's value as `terraform show` prints it: multi-line strings as an indented
/// heredoc, everything else in console syntax.
fn attribute_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.contains('\n') => {
            let mut out = String::from("<<-EOT\n");
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                out.push_str(&format!("        {line}\n"));
            }
            out.push_str("    EOT");
            out
        }
        other => value_at(other, 4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;
    use crate::state::OutputState;

    #[test]
    fn hides_sensitive_attributes_and_outputs() {
        let mut s = State::new();
        let value = Value::object([
            ("id", Value::string("none")),
            ("result", Value::string("hunter2-secret").into_sensitive()),
            ("length", Value::int(14)),
        ]);
        s.set_instance(InstanceState::from_value(
            InstanceAddr::parse("random_password.pg").unwrap(),
            crate::address::ProviderAddr::default_of("random"),
            value,
            Vec::new(),
            0,
            false,
        ));
        s.outputs.insert(
            "pg".into(),
            OutputState {
                value: serde_json::json!("hunter2-secret"),
                sensitive: true,
            },
        );
        let old = s.resources.values().next().unwrap().clone();
        s.depose("0a1b2c3d", &old);
        s.set_instance(old);
        let text = state(&s, &Style::default());
        assert!(
            text.contains("# random_password.pg (deposed object 0a1b2c3d):"),
            "{text}"
        );
        let heredoc = attribute_value(&Value::string("a\n  b\n"));
        assert_eq!(heredoc, "<<-EOT\n        a\n          b\n    EOT");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("result = (sensitive value)"), "{text}");
        assert!(
            text.contains("resource \"random_password\" \"pg\" {"),
            "{text}"
        );
        assert!(text.contains("pg = (sensitive value)"), "{text}");
    }
}
