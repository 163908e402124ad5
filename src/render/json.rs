//! Plans, drift and states as JSON documents in the shapes of `terraform show -json` (format
//! 1.2 for plans, 1.0 for states), so policy tools written for Terraform's JSON can read them.
//! The schema is documented in `docs/json-format.md`; the changes and values inside are
//! written by the plan's own codec, [`crate::plan::json`].

pub use crate::plan::json::{Secrets, decode, value};
use crate::plan::json::{address_fields, output_change, resource_change, sensitive_tree};
use crate::plan::{Action, Plan, ResourceChange};
use crate::state::State;
use ggplan_sdk::{ResourceKind, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// The `format_version` of plan documents.
pub const PLAN_FORMAT_VERSION: &str = "1.2";
/// The `format_version` of state documents.
pub const STATE_FORMAT_VERSION: &str = "1.0";

/// Whether Terraform lists a change in `resource_changes`: data sources read during planning
/// are not changes.
fn listed(c: &ResourceChange) -> bool {
    !(c.addr.resource.kind == ResourceKind::Data && c.action == Action::NoOp)
}

/// What a plan document holds besides the plan itself.
pub struct PlanContext<'a> {
    /// The state the plan was made against.
    pub prior: &'a State,
    /// Objects that changed outside ggplan since the last apply.
    pub drift: &'a [ResourceChange],
    /// The input variables' values.
    pub variables: &'a BTreeMap<String, Value>,
    /// When the plan was made (RFC 3339).
    pub timestamp: &'a str,
}

/// A plan in the shape of `terraform show -json PLANFILE`.
pub fn plan(plan: &Plan, context: &PlanContext, secrets: Secrets) -> Json {
    let variables: Map<String, Json> = context
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), json!({ "value": value(v, secrets) })))
        .collect();
    let outputs: Map<String, Json> = plan
        .output_changes
        .iter()
        .map(|c| (c.name.clone(), output_change(c, secrets)))
        .collect();
    let mut out = Map::new();
    out.insert("format_version".into(), json!(PLAN_FORMAT_VERSION));
    out.insert("ggplan_version".into(), json!(env!("CARGO_PKG_VERSION")));
    out.insert("variables".into(), Json::Object(variables));
    if !context.drift.is_empty() {
        out.insert(
            "resource_drift".into(),
            resource_changes(context.drift, secrets),
        );
    }
    let listed: Vec<ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| listed(c))
        .cloned()
        .collect();
    out.insert(
        "resource_changes".into(),
        resource_changes(&listed, secrets),
    );
    out.insert("output_changes".into(), Json::Object(outputs));
    out.insert("prior_state".into(), state(context.prior, secrets));
    if !plan.checks.is_empty() {
        out.insert("checks".into(), crate::checks::to_json(&plan.checks));
    }
    out.insert("timestamp".into(), json!(context.timestamp));
    out.insert("applyable".into(), json!(plan.has_changes()));
    out.insert("complete".into(), json!(true));
    out.insert("errored".into(), json!(false));
    Json::Object(out)
}

/// A list of changes, each as [`resource_change`].
pub fn resource_changes(changes: &[ResourceChange], secrets: Secrets) -> Json {
    Json::Array(
        changes
            .iter()
            .map(|c| resource_change(c, secrets))
            .collect(),
    )
}

/// A state in the shape of `terraform show -json`: `values.outputs` and
/// `values.root_module.resources`, each resource with `values` and `sensitive_values`.
pub fn state(state: &State, secrets: Secrets) -> Json {
    let outputs: Map<String, Json> = state
        .outputs
        .iter()
        .map(|(name, o)| {
            let v = Value::from_json(&o.value);
            let shown = if o.sensitive && secrets == Secrets::Redact {
                Json::Null
            } else {
                o.value.clone()
            };
            (
                name.clone(),
                json!({ "sensitive": o.sensitive, "value": shown, "type": type_of(&v) }),
            )
        })
        .collect();
    let resources: Vec<Json> = state
        .resources
        .values()
        .map(|inst| {
            let v = inst.value();
            let mut out = address_fields(&inst.addr);
            out.insert("provider_name".into(), json!(inst.provider));
            out.insert("schema_version".into(), json!(inst.schema_version));
            out.insert("values".into(), value(&v, secrets));
            out.insert("sensitive_values".into(), sensitive_tree(&v));
            if !inst.dependencies.is_empty() {
                let deps: Vec<String> = inst.dependencies.iter().map(|d| d.to_string()).collect();
                out.insert("depends_on".into(), json!(deps));
            }
            Json::Object(out)
        })
        .collect();
    json!({
        "format_version": STATE_FORMAT_VERSION,
        "ggplan_version": env!("CARGO_PKG_VERSION"),
        "serial": state.serial,
        "lineage": state.lineage,
        "values": {
            "outputs": outputs,
            "root_module": { "resources": resources },
        },
    })
}

/// The type of a known value in Terraform's JSON type syntax (`"string"`,
/// `["tuple", [...]]`, `["object", {...}]`); ggplan values carry no static type, so
/// collections are described as tuples and objects.
pub fn type_of(v: &Value) -> Json {
    match v.peel() {
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::List(items) => json!(["tuple", items.iter().map(type_of).collect::<Vec<_>>()]),
        Value::Map(map) => json!([
            "object",
            map.iter()
                .map(|(k, v)| (k.clone(), type_of(v)))
                .collect::<Map<_, _>>()
        ]),
        _ => json!("dynamic"),
    }
}
