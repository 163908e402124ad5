//! `kubernetes_config_map_v1_data`: keys of a ConfigMap something else made (CoreDNS's),
//! set by server-side apply. Only these keys are compared; destroy removes them and leaves the
//! ConfigMap with its other keys.
//!
//! As hashicorp/kubernetes, but: what is compared is the keys of `data` (hashicorp/kubernetes
//! also shows the keys any manager called "Terraform" owns).

use super::maps;
use super::metadata::{self, DEFAULT_NAMESPACE};
use super::patch::PatchKind;
use crate::error::Place;
use ggplan_sdk::{AttrPath, Attribute, Schema, Type, Value};
use serde_json::{Value as Json, json};

/// `kubernetes_config_map_v1_data`.
pub struct ConfigMapData;

impl PatchKind for ConfigMapData {
    const TYPE: &'static str = "kubernetes_config_map_v1_data";
    const ID_WITH_KIND: bool = false;
    const DEFAULT_NAMESPACE: bool = true;

    fn schema(&self) -> Schema {
        let namespace = Attribute::optional(Type::String)
            .force_new()
            .default(Value::string(DEFAULT_NAMESPACE))
            .describe("The namespace of the ConfigMap.");
        let data = Attribute::required(Type::Map(Box::new(Type::String)))
            .describe("The keys to set; the ConfigMap's other keys are left alone.");
        Schema::new(
            "Keys of a ConfigMap something else made (CoreDNS's, say). Destroy removes them; \
             the ConfigMap stays.",
            [("data", data)],
        )
        .with_block("metadata", metadata::target_block("ConfigMap", namespace))
    }

    fn target<'a>(&self, _state: &'a Value) -> Option<(&'a str, &'a str)> {
        Some(("v1", "ConfigMap"))
    }

    fn fields(&self, state: &Value) -> Option<Json> {
        let data = maps::known(state.get("data"))?.unwrap_or(json!({}));
        Some(json!({ "data": data }))
    }

    fn read(&self, state: &Value, live: &Json) -> Value {
        let mut state = state.clone();
        let data = maps::compare(&live["data"], state.get("data"), maps::nothing);
        state.set_attr("data", data);
        state
    }

    fn maps(&self, _state: &Value) -> Vec<&'static [&'static str]> {
        vec![&["data"]]
    }

    fn place(&self) -> Place {
        Place {
            object: AttrPath::attr("data"),
            take_over: "To take them over, set force = true on the resource; to leave them to \
                        the other manager, remove them from data.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_keys_set_are_sent_and_compared() {
        let state = Value::object([("data", Value::object([("Corefile", Value::string("."))]))]);
        assert_eq!(
            ConfigMapData.fields(&state),
            Some(json!({"data": {"Corefile": "."}}))
        );
        let live = json!({"data": {"Corefile": "changed", "other": "x"}});
        let read = ConfigMapData.read(&state, &live);
        assert_eq!(
            read.get("data"),
            &Value::object([("Corefile", Value::string("changed"))])
        );
    }
}
