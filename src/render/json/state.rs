//! The state document of `terraform show -json` (format 1.0): `values.outputs`, and
//! `values.root_module` with each instance in the module instance that holds it. Plan
//! documents carry the same values as `prior_state`.

use super::modules::root_module;
use super::{ProviderFacts, STATE_FORMAT_VERSION, Secrets, type_of, value};
use crate::plan::json::{address_fields, sensitive_tree};
use crate::state::{InstanceState, OutputState, State};
use ggplan_sdk::Value;
use serde_json::{Map, Value as Json, json};

/// A state in the shape of `terraform show -json`.
pub fn state(state: &State, providers: &ProviderFacts, secrets: Secrets) -> Json {
    let resources = state
        .resources
        .values()
        .map(|inst| (inst.addr.module.clone(), resource(inst, providers, secrets)));
    let outputs: Map<String, Json> = state
        .outputs
        .iter()
        .map(|(name, o)| (name.clone(), output(o, secrets)))
        .collect();
    json!({
        "format_version": STATE_FORMAT_VERSION,
        "ggplan_version": env!("CARGO_PKG_VERSION"),
        "serial": state.serial,
        "lineage": state.lineage,
        "values": {
            "outputs": outputs,
            "root_module": root_module(resources),
        },
    })
}

/// One output: whether it is secret, its value (`null` when secret and redacted), its type.
fn output(o: &OutputState, secrets: Secrets) -> Json {
    let shown = if o.sensitive && secrets == Secrets::Redact {
        Json::Null
    } else {
        o.value.clone()
    };
    let v = Value::from_json(&o.value);
    json!({ "sensitive": o.sensitive, "value": shown, "type": type_of(&v) })
}

/// One instance with its values, the tree of its secrets, and what it depends on.
fn resource(inst: &InstanceState, providers: &ProviderFacts, secrets: Secrets) -> Json {
    let v = inst.value();
    let mut out = address_fields(&inst.addr);
    out.insert(
        "provider_name".into(),
        json!(providers.source(&inst.provider)),
    );
    out.insert("schema_version".into(), json!(inst.schema_version));
    out.insert("values".into(), value(&v, secrets));
    out.insert("sensitive_values".into(), sensitive_tree(&v));
    if !inst.dependencies.is_empty() {
        let deps: Vec<String> = inst.dependencies.iter().map(|d| d.to_string()).collect();
        out.insert("depends_on".into(), json!(deps));
    }
    if inst.tainted {
        out.insert("tainted".into(), json!(true));
    }
    Json::Object(out)
}
