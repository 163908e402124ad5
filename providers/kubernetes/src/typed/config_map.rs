//! `kubernetes_config_map_v1`: a ConfigMap.
//!
//! As hashicorp/kubernetes, but: `data` and `binary_data` are compared on the keys the stack
//! sets; keys others add are theirs (an import reads them all).

use super::maps;
use super::metadata::Shape;
use super::names::NameRule;
use super::resource::ObjectType;
use super::secret::{base64_check, data_keys, immutable_replaces};
use async_trait::async_trait;
use ggplan_sdk::{AttrPath, Attribute, Diagnostics, Schema, Type, Value};
use serde_json::{Map, Value as Json};

/// `kubernetes_config_map_v1`.
pub struct ConfigMap;

/// The attributes and the ConfigMap fields they are.
const FIELDS: [(&str, &str); 3] = [
    ("data", "data"),
    ("binary_data", "binaryData"),
    ("immutable", "immutable"),
];

#[async_trait]
impl ObjectType for ConfigMap {
    const TYPE: &'static str = "kubernetes_config_map_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "ConfigMap";
    const OBJECT: &'static str = "config map";
    const METADATA: Shape = Shape {
        namespaced: true,
        generate_name: true,
        names: NameRule::Subdomain,
    };

    fn schema(&self) -> Schema {
        let strings = || Type::Map(Box::new(Type::String));
        Schema::new(
            "A ConfigMap.",
            [
                (
                    "data",
                    Attribute::optional(strings()).describe("The configuration data."),
                ),
                (
                    "binary_data",
                    Attribute::optional(strings())
                        .describe("Binary data, base64-encoded; keys must differ from data's."),
                ),
                (
                    "immutable",
                    Attribute::optional(Type::Bool).describe(
                        "Whether the data cannot change (a change then replaces the ConfigMap).",
                    ),
                ),
            ],
        )
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let binary = config.get("binary_data").as_map().into_iter().flatten();
        let mut diagnostics = data_keys(config);
        for (key, value) in binary {
            diagnostics.extend(base64_check(value, AttrPath::attr("binary_data").key(key)));
        }
        diagnostics
    }

    fn body(&self, state: &Value) -> Option<Json> {
        let mut body = Map::new();
        for (attribute, field) in FIELDS {
            if let Some(value) = maps::known(state.get(attribute))? {
                body.insert(field.into(), value);
            }
        }
        Some(Json::Object(body))
    }

    fn read_body(&self, state: &mut Value, live: &Json) {
        for (attribute, field) in &FIELDS[..2] {
            let read = maps::compare(&live[field], state.get(attribute), maps::nothing);
            state.set_attr(attribute, read);
        }
        let immutable = live["immutable"].as_bool().map_or(Value::Null, Value::Bool);
        state.set_attr("immutable", immutable);
    }

    fn refine(
        &self,
        prior: Option<&Value>,
        _config: &Value,
        planned: &mut Value,
        _changes: bool,
    ) -> Vec<AttrPath> {
        immutable_replaces(prior, planned)
    }

    fn import_stub(&self, stub: &mut Value) {
        stub.set_attr("data", Value::Unknown);
        stub.set_attr("binary_data", Value::Unknown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_config_map_is_sent_and_read_back_on_its_keys() {
        let state = Value::object([
            ("data", Value::object([("a", Value::string("1"))])),
            ("binary_data", Value::Null),
            ("immutable", Value::Bool(false)),
        ]);
        assert_eq!(
            ConfigMap.body(&state),
            Some(json!({"data": {"a": "1"}, "immutable": false}))
        );
        let live = json!({"data": {"a": "2", "b": "3"}, "binaryData": {"x": "AA=="}});
        let mut read = state.clone();
        ConfigMap.read_body(&mut read, &live);
        assert_eq!(
            read.get("data"),
            &Value::object([("a", Value::string("2"))])
        );
        assert_eq!(read.get("binary_data"), &Value::Null);
        assert_eq!(read.get("immutable"), &Value::Null);
        let mut imported = Value::object([("metadata", Value::Null)]);
        ConfigMap.import_stub(&mut imported);
        ConfigMap.read_body(&mut imported, &live);
        assert_eq!(
            imported.get("binary_data"),
            &Value::object([("x", Value::string("AA=="))])
        );
    }
}
