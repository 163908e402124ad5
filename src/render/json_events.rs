//! Machine-readable progress: one JSON object per line, modelled on Terraform's `-json` UI
//! output. Every line has `@level`, `@message` (the human line), `@module` (`ggplan.ui`),
//! `@timestamp` and `type`; the rest depends on the type. The schema is documented in
//! `docs/json-format.md`. No line holds a secret: only addresses, actions, ids and
//! non-sensitive output values appear.

use super::{Style, drift, human, progress};
use crate::address::{InstanceAddr, InstanceKey};
use crate::events::Event;
use crate::plan::{Action, OutputChange, Plan, ResourceChange};
use crate::state::State;
use ggplan_sdk::{Diagnostic, ResourceKind, Severity, SourcePos};
use serde_json::{Map, Value as Json, json};

/// The version of this line format.
pub const UI_VERSION: &str = "1.0";

const PLAIN: Style = Style { color: false };

/// One line: the common fields, then `fields`.
fn line(kind: &str, level: &str, message: &str, fields: Json) -> String {
    let mut out = Map::new();
    out.insert("@level".into(), json!(level));
    out.insert("@message".into(), json!(message));
    out.insert("@module".into(), json!("ggplan.ui"));
    out.insert("@timestamp".into(), json!(crate::clock::now_rfc3339()));
    out.insert("type".into(), json!(kind));
    if let Json::Object(fields) = fields {
        out.extend(fields);
    }
    Json::Object(out).to_string()
}

/// The JSON of a diagnostic, as Terraform writes it in `validate -json` and in event lines:
/// severity, summary, detail, the attribute, the range and a snippet of a stack file.
pub fn diagnostic_body(d: &Diagnostic, source: &dyn Fn(&str) -> Option<String>) -> Json {
    let (severity, _) = severity_names(d.severity);
    let mut body = Map::new();
    body.insert("severity".into(), json!(severity));
    body.insert("summary".into(), json!(d.summary));
    body.insert("detail".into(), json!(d.detail));
    if let Some(attribute) = &d.attribute {
        body.insert("attribute".into(), json!(attribute.to_string()));
    }
    if let Some(range) = &d.range {
        let pos = |p: &SourcePos| json!({ "line": p.line, "column": p.column, "byte": p.byte });
        body.insert(
            "range".into(),
            json!({ "filename": range.file, "start": pos(&range.start), "end": pos(&range.end) }),
        );
        // Only stack files are quoted: a variable's value (a -var, a .tfvars line) may be a
        // secret, and these lines are for machines that keep logs.
        let stack_file = [".tf", ".tf.json", ".hcl"]
            .iter()
            .any(|end| range.file.ends_with(end));
        let text = source(&range.file)
            .filter(|_| stack_file)
            .unwrap_or_default();
        let line = text.lines().nth(range.start.line.saturating_sub(1));
        if let Some(code) = line {
            body.insert(
                "snippet".into(),
                json!({ "start_line": range.start.line, "code": code }),
            );
        }
    }
    Json::Object(body)
}

/// A severity as JSON writes it, and as a title.
fn severity_names(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Error => ("error", "Error"),
        Severity::Warning => ("warning", "Warning"),
    }
}

/// A `diagnostic` line, as Terraform's `-json` prints one: severity, summary, detail, and where
/// it is with the source line (`snippet`) when the file is known to `source`.
pub fn diagnostic(d: &Diagnostic, source: &dyn Fn(&str) -> Option<String>) -> String {
    let (severity, title) = severity_names(d.severity);
    line(
        "diagnostic",
        severity,
        &format!("{title}: {}", d.summary),
        json!({ "diagnostic": diagnostic_body(d, source) }),
    )
}

/// `validate -json`'s document, in Terraform's shape (format version 1.0).
pub fn validation(diags: &[&Diagnostic], source: &dyn Fn(&str) -> Option<String>) -> String {
    let count = |severity: Severity| diags.iter().filter(|d| d.severity == severity).count();
    let document = json!({
        "format_version": "1.0",
        "valid": count(Severity::Error) == 0,
        "error_count": count(Severity::Error),
        "warning_count": count(Severity::Warning),
        "diagnostics": diags.iter().map(|d| diagnostic_body(d, source)).collect::<Vec<_>>(),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

/// The `resource` object that names an instance.
fn resource(addr: &InstanceAddr) -> Json {
    let key = match &addr.key {
        Some(InstanceKey::Int(i)) => json!(i),
        Some(InstanceKey::Str(s)) => json!(s),
        None => Json::Null,
    };
    let type_name = &addr.resource.type_name;
    json!({
        "addr": addr.to_string(),
        "module": "",
        "resource": addr.to_string(),
        "implied_provider": crate::config::Module::implied_provider(type_name),
        "resource_type": type_name,
        "resource_name": addr.resource.name,
        "resource_key": key,
        "mode": match addr.resource.kind {
            ResourceKind::Managed => "managed",
            ResourceKind::Data => "data",
        },
    })
}

/// Terraform's single-word action names in these lines.
fn action_name(action: Action) -> &'static str {
    match action {
        Action::NoOp => "noop",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::Delete => "delete",
        Action::Forget => "forget",
    }
}

/// The first line of a run.
pub fn version() -> String {
    let version = env!("CARGO_PKG_VERSION");
    line(
        "version",
        "info",
        &format!("ggplan {version}"),
        json!({ "ggplan": version, "ui": UI_VERSION }),
    )
}

/// A progress event: `refresh_start`, `refresh_complete`, `apply_start`, `apply_progress`, `apply_complete`,
/// `apply_errored`, `provision_start` or `provision_progress`.
pub fn event(event: &Event) -> String {
    let message = progress::line(event, &PLAIN);
    let id = |id: &Option<String>| id.as_ref().map_or(Json::Null, |i| json!(i));
    let (kind, level, hook) = match event {
        Event::Refreshing { addr, id: i } => (
            "refresh_start",
            "info",
            json!({ "resource": resource(addr), "id_value": id(i) }),
        ),
        Event::Refreshed { addr, id: i } => (
            "refresh_complete",
            "info",
            json!({ "resource": resource(addr), "id_value": id(i) }),
        ),
        Event::ApplyStarted {
            addr,
            action,
            id: i,
        } => (
            "apply_start",
            "info",
            json!({ "resource": resource(addr), "action": action_name(*action), "id_value": id(i) }),
        ),
        Event::ApplyProgress {
            addr,
            action,
            elapsed,
        } => (
            "apply_progress",
            "info",
            json!({ "resource": resource(addr), "action": action_name(*action),
                    "elapsed_seconds": elapsed.as_secs() }),
        ),
        Event::ApplyFinished {
            addr,
            action,
            elapsed,
            id: i,
        } => (
            "apply_complete",
            "info",
            json!({ "resource": resource(addr), "action": action_name(*action),
                    "id_value": id(i), "elapsed_seconds": elapsed.as_secs() }),
        ),
        Event::ApplyFailed { addr, action } => (
            "apply_errored",
            "error",
            json!({ "resource": resource(addr), "action": action_name(*action) }),
        ),
        Event::ProvisionStarted { addr, provisioner } => (
            "provision_start",
            "info",
            json!({ "resource": resource(addr), "provisioner": provisioner }),
        ),
        Event::ProvisionOutput {
            addr,
            provisioner,
            line,
        } => (
            "provision_progress",
            "info",
            json!({ "resource": resource(addr), "provisioner": provisioner, "output": line }),
        ),
    };
    line(kind, level, &message, json!({ "hook": hook }))
}

/// `planned_change` lines for every change of a plan, then its `change_summary`.
pub fn plan(plan: &Plan) -> Vec<String> {
    let changes: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| human::is_shown(c))
        .collect();
    let mut lines: Vec<String> = changes
        .iter()
        .map(|c| {
            let headline = human::headline(c.action, c.reason.as_ref());
            let mut message = format!("{}: {headline}", c.label());
            let mut change =
                json!({ "resource": resource(&c.addr), "action": action_name(c.action) });
            if let Some(from) = &c.moved_from {
                // Terraform's `move` action, for an object that only moves.
                if c.action == Action::NoOp {
                    change["action"] = json!("move");
                    message = format!("{from} has moved to {}", c.label());
                }
                change["previous_resource"] = resource(from);
            }
            if let Some(id) = &c.importing {
                change["importing"] = json!({ "id": id });
                if c.action == Action::NoOp {
                    message = format!("{}: will be imported", c.label());
                }
            }
            if let Some(reason) = &c.reason {
                change["reason"] = json!(crate::plan::json::reason_name(reason));
            }
            line(
                "planned_change",
                "info",
                &message,
                json!({ "change": change }),
            )
        })
        .collect();
    lines.extend(output_changes(&plan.output_changes));
    let (add, change, remove) = human::counts(changes.iter().copied());
    lines.push(summary("plan", add, change, remove));
    lines
}

/// A `change_summary` line for `operation` (`plan`, `apply` or `destroy`), worded as
/// Terraform's.
pub fn summary(operation: &str, add: usize, change: usize, remove: usize) -> String {
    let message = match operation {
        "apply" => {
            format!("Apply complete! Resources: {add} added, {change} changed, {remove} destroyed.")
        }
        "destroy" => format!("Destroy complete! Resources: {remove} destroyed."),
        _ => format!("Plan: {add} to add, {change} to change, {remove} to destroy."),
    };
    line(
        "change_summary",
        "info",
        &message,
        json!({ "changes": { "add": add, "change": change, "remove": remove,
                             "operation": operation } }),
    )
}

/// An `output_changes` line (names and actions only), when any output changes.
fn output_changes(changes: &[OutputChange]) -> Option<String> {
    let changed: Map<String, Json> = changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            (
                c.name.clone(),
                json!({ "name": c.name, "action": action_name(c.action), "sensitive": c.sensitive }),
            )
        })
        .collect();
    (!changed.is_empty()).then(|| {
        line(
            "output_changes",
            "info",
            &format!("Outputs: {}", changed.len()),
            json!({ "changes": changed }),
        )
    })
}

/// `resource_drift` lines, then a `drift_summary`; `checked` is how many managed objects were
/// refreshed.
pub fn drift(changes: &[ResourceChange], checked: usize) -> Vec<String> {
    let mut lines: Vec<String> = changes
        .iter()
        .map(|c| {
            line(
                "resource_drift",
                "info",
                &format!("{}: Drift detected ({})", c.addr, drift::headline(c)),
                json!({ "change": { "resource": resource(&c.addr), "action": action_name(c.action) } }),
            )
        })
        .collect();
    let deleted = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    lines.push(line(
        "drift_summary",
        "info",
        &format!(
            "Drift: {} (of {checked} managed objects).",
            drift::summary(changes)
        ),
        json!({ "drift": { "changed": changes.len() - deleted, "deleted": deleted,
                           "checked": checked } }),
    ));
    lines
}

/// The `outputs` line after an apply: sensitive values are left out.
pub fn outputs(state: &State) -> String {
    let outputs: Map<String, Json> = state
        .outputs
        .iter()
        .map(|(name, o)| {
            let entry = if o.sensitive {
                json!({ "sensitive": true })
            } else {
                json!({ "sensitive": false, "value": o.value })
            };
            (name.clone(), entry)
        })
        .collect();
    line(
        "outputs",
        "info",
        &format!("Outputs: {}", outputs.len()),
        json!({ "outputs": outputs }),
    )
}
