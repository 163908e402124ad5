//! The plan document of `terraform show -json PLANFILE` (format 1.2): the changes, the values
//! the plan leads to (`planned_values`), the state it starts from (`prior_state`), the
//! configuration it was made from, drift, variables and checks.

use super::config::configuration;
use super::modules::root_module;
use super::relevant::relevant_attributes;
use super::state::state;
use super::{PLAN_FORMAT_VERSION, ProviderFacts, Secrets, type_of, value};
use crate::config::Module;
use crate::plan::json::{address_fields, output_change, resource_change, sensitive_tree};
use crate::plan::{Action, OutputChange, Plan, ResourceChange};
use crate::state::State;
use ggplan_sdk::{ResourceKind, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

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
    /// The providers' source addresses and schemas.
    pub providers: &'a ProviderFacts,
    /// The stack the plan was made from, for `configuration` (none when it cannot be read as
    /// it was).
    pub configuration: Option<&'a Module>,
}

/// Whether Terraform lists a change in `resource_changes`: data sources read during planning
/// are not changes.
fn listed(c: &ResourceChange) -> bool {
    !(c.addr.resource.kind == ResourceKind::Data && c.action == Action::NoOp)
}

/// A plan in the shape of `terraform show -json PLANFILE`.
pub fn plan(plan: &Plan, context: &PlanContext, secrets: Secrets) -> Json {
    let providers = context.providers;
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
    let listed: Vec<ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| listed(c))
        .cloned()
        .collect();
    let mut out = Map::new();
    out.insert("format_version".into(), json!(PLAN_FORMAT_VERSION));
    out.insert("ggplan_version".into(), json!(env!("CARGO_PKG_VERSION")));
    out.insert("variables".into(), Json::Object(variables));
    out.insert(
        "planned_values".into(),
        planned_values(plan, &listed, providers, secrets),
    );
    if !context.drift.is_empty() {
        let drift = resource_changes(context.drift, providers, secrets);
        out.insert("resource_drift".into(), drift);
    }
    let changes = resource_changes(&listed, providers, secrets);
    out.insert("resource_changes".into(), changes);
    out.insert("output_changes".into(), Json::Object(outputs));
    let prior = state(context.prior, providers, secrets);
    out.insert("prior_state".into(), prior);
    if let Some(module) = context.configuration {
        let config = configuration(module, providers, &plan.resource_changes);
        out.insert("configuration".into(), config);
        let relevant = relevant_attributes(module, &plan.resource_changes);
        out.insert("relevant_attributes".into(), relevant);
    }
    if !plan.checks.is_empty() {
        out.insert("checks".into(), crate::checks::to_json(&plan.checks));
    }
    out.insert("timestamp".into(), json!(context.timestamp));
    out.insert("applyable".into(), json!(plan.has_changes()));
    out.insert("complete".into(), json!(true));
    out.insert("errored".into(), json!(false));
    Json::Object(out)
}

/// A list of changes, each as Terraform's `resource_changes` entry: the codec's
/// [`resource_change`] with the provider's source address as `provider_name` and, inside a
/// module, the module instance as `module_address`.
pub fn resource_changes(
    changes: &[ResourceChange],
    providers: &ProviderFacts,
    secrets: Secrets,
) -> Json {
    let entry = |c: &ResourceChange| {
        let mut out = Map::new();
        for (key, field) in resource_change(c, secrets) {
            if key == "address" && !c.addr.module.is_root() {
                out.insert(key, field);
                out.insert("module_address".into(), json!(c.addr.module.to_string()));
            } else if key == "provider_name" {
                out.insert(key, json!(providers.source(&c.provider)));
            } else {
                out.insert(key, field);
            }
        }
        Json::Object(out)
    };
    Json::Array(changes.iter().map(entry).collect())
}

/// `planned_values`: the outputs and resources as they will be once the plan is applied
/// (what is known of them now), in the same module tree as a state.
fn planned_values(
    plan: &Plan,
    listed: &[ResourceChange],
    providers: &ProviderFacts,
    secrets: Secrets,
) -> Json {
    let resources = listed
        .iter()
        .filter(|c| c.deposed.is_none())
        .filter_map(|c| Some((c, c.after.as_ref()?)))
        .map(|(c, after)| {
            let mut out = address_fields(&c.addr);
            out.insert("provider_name".into(), json!(providers.source(&c.provider)));
            let version = providers.schema_version(&c.provider, &c.addr);
            out.insert("schema_version".into(), json!(version));
            out.insert("values".into(), planned_object(after, secrets));
            out.insert("sensitive_values".into(), sensitive_tree(after));
            (c.addr.module.clone(), Json::Object(out))
        });
    let outputs: Map<String, Json> = plan
        .output_changes
        .iter()
        .filter_map(|c| Some((c.name.clone(), planned_output(c, secrets)?)))
        .collect();
    json!({ "outputs": outputs, "root_module": root_module(resources) })
}

/// A planned object's values: an object wholly unknown until apply has no known attribute.
fn planned_object(after: &Value, secrets: Secrets) -> Json {
    if after.is_unknown() {
        json!({})
    } else {
        value(after, secrets)
    }
}

/// A planned output, as Terraform writes it: whether it is secret and, once wholly known, its type
/// and value (`null` when secret and redacted). A removed output has none.
fn planned_output(c: &OutputChange, secrets: Secrets) -> Option<Json> {
    let after = c.after.as_ref()?;
    let mut out = Map::new();
    out.insert("sensitive".into(), json!(c.sensitive));
    if after.is_wholly_known() {
        let shown = if c.sensitive && secrets == Secrets::Redact {
            Json::Null
        } else {
            value(after, secrets)
        };
        out.insert("type".into(), type_of(after));
        out.insert("value".into(), shown);
    }
    Some(Json::Object(out))
}
