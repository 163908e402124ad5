//! `kubernetes_secret_v1`: a Secret. `data` holds plain text (ggplan base64-encodes it),
//! `binary_data` base64; both are sensitive: never printed, and a value changed by hand shows
//! as a change of a sensitive value.
//!
//! As hashicorp/kubernetes, but: `data` is compared on the keys the stack sets, so keys others
//! add are theirs (when the configuration sets no `data`, it is everything the Secret holds,
//! a service account token's, say); `data_wo` and `binary_data_wo` (write-only attributes)
//! are not offered.

use super::maps;
use super::metadata::Shape;
use super::names::{self, NameRule};
use super::resource::{MANAGER, ObjectType};
use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::object::{ObjectRef, owned_keys};
use crate::wait::timeout_or;
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};
use serde_json::{Map, Value as Json};
use std::time::Duration;

/// How long a create waits for a service account token, by default (hashicorp/kubernetes's).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(60);
const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// `kubernetes_secret_v1`.
pub struct Secret;

fn strings() -> Type {
    Type::Map(Box::new(Type::String))
}

#[async_trait]
impl ObjectType for Secret {
    const TYPE: &'static str = "kubernetes_secret_v1";
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "Secret";
    const OBJECT: &'static str = "secret";
    const METADATA: Shape = Shape {
        namespaced: true,
        generate_name: true,
        names: NameRule::Subdomain,
    };

    fn schema(&self) -> Schema {
        let create = Attribute::optional(Type::String)
            .describe("How long a create waits for a service account token (default 1m).");
        let timeouts = Schema::new("How long to wait.", [("create", create)]);
        Schema::new(
            "A Secret. Its data is sensitive: never printed, its drift shown without its values.",
            [
                (
                    "data",
                    Attribute::optional_computed(strings())
                        .sensitive()
                        .describe(
                            "The data, in plain text (ggplan base64-encodes it). Unset: everything \
                     the Secret holds.",
                        ),
                ),
                (
                    "binary_data",
                    Attribute::optional(strings())
                        .sensitive()
                        .describe("Data given base64-encoded (binary values)."),
                ),
                (
                    "type",
                    Attribute::optional(Type::String)
                        .force_new()
                        .default(Value::string("Opaque"))
                        .describe("The Secret's type, e.g. kubernetes.io/basic-auth."),
                ),
                (
                    "immutable",
                    Attribute::optional(Type::Bool).describe(
                        "Whether the data cannot change (a change then replaces the Secret).",
                    ),
                ),
                (
                    "wait_for_service_account_token",
                    Attribute::optional(Type::Bool)
                        .default(Value::Bool(true))
                        .describe(
                            "For a service account token, wait until the cluster fills it in.",
                        ),
                ),
            ],
        )
        .with_block("timeouts", NestedBlock::new(BlockNesting::Single, timeouts))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = data_keys(config);
        let binary = config.get("binary_data").as_map().into_iter().flatten();
        for (key, value) in binary {
            let at = AttrPath::attr("binary_data").key(key);
            if config
                .get("data")
                .as_map()
                .is_some_and(|data| data.contains_key(key))
            {
                let detail = "A key is either text (data) or binary (binary_data), not both.";
                diagnostics.push(
                    Diagnostic::error(format!("Key {key:?} is set twice"), detail)
                        .at_attribute(at.clone()),
                );
            }
            diagnostics.extend(base64_check(value, at));
        }
        diagnostics
    }

    fn body(&self, state: &Value) -> Option<Json> {
        let mut body = Map::new();
        let mut data = Map::new();
        // Unknown as a whole: the data is the cluster's (computed), nothing to send.
        if !state.get("data").is_unknown() {
            for (key, text) in maps::known(state.get("data"))?
                .iter()
                .flat_map(Json::as_object)
                .flatten()
            {
                let encoded = STANDARD.encode(text.as_str().unwrap_or_default());
                data.insert(key.clone(), Json::from(encoded));
            }
        }
        if let Some(Json::Object(binary)) = maps::known(state.get("binary_data"))? {
            data.extend(binary);
        }
        if !data.is_empty() || state.get("data").as_map().is_some() {
            body.insert("data".into(), Json::Object(data));
        }
        for (attribute, field) in [("type", "type"), ("immutable", "immutable")] {
            if let Some(value) = maps::known(state.get(attribute))? {
                body.insert(field.into(), value);
            }
        }
        Some(Json::Object(body))
    }

    fn read_body(&self, state: &mut Value, live: &Json) {
        // Which keys are the stack's: those it set last time, and those it applied (another
        // manager that changed a value by hand owns it now); none means the data is computed
        // (the configuration sets none): everything the Secret holds.
        let owned = owned_keys(live, MANAGER, &["data"]);
        let set = state.get("data").as_map().cloned().unwrap_or_default();
        let ours = |key: &String| owned.is_empty() || owned.contains(key) || set.contains_key(key);
        read(state, live, ours);
    }

    fn refine(
        &self,
        prior: Option<&Value>,
        config: &Value,
        planned: &mut Value,
        changes: bool,
    ) -> Vec<AttrPath> {
        if config.get("data").is_null() && changes {
            planned.set_attr("data", Value::Unknown);
        }
        immutable_replaces(prior, planned)
    }

    async fn after_create(
        &self,
        cluster: &Cluster,
        object: &ObjectRef,
        planned: &Value,
    ) -> Result<Option<Json>, KubeError> {
        let token = planned.get("type").as_str() == Some(TOKEN_TYPE);
        if !token || planned.get("wait_for_service_account_token").as_bool() == Some(false) {
            return Ok(None);
        }
        let limit = timeout_or(planned, "create", TOKEN_TIMEOUT)?;
        let filled = |live: &Option<Json>| {
            live.as_ref()
                .is_some_and(|live| !live["data"]["token"].is_null())
        };
        cluster
            .wait_until(object, limit, "to get its token", filled)
            .await
    }

    fn import_stub(&self, stub: &mut Value) {
        stub.set_attr("data", Value::Unknown);
    }
}

/// Reads a Secret's `binary_data` (on the keys `state` has there), its `data` (decoded: the
/// other keys `keep` keeps), `type` and `immutable` from `live` into `state`.
pub fn read(state: &mut Value, live: &Json, keep: impl Fn(&String) -> bool) {
    let binary = state.get("binary_data").as_map().cloned();
    let binary_keys: Vec<&String> = binary.iter().flat_map(|b| b.keys()).collect();
    let data = live["data"].as_object();
    if binary.is_some() {
        let read = binary_keys
            .iter()
            .filter_map(|key| Some(((*key).clone(), Value::string(data?.get(*key)?.as_str()?))));
        state.set_attr("binary_data", Value::Map(read.collect()));
    }
    let text = data.into_iter().flatten();
    let decoded = text
        .filter(|(key, _)| !binary_keys.contains(key) && keep(key))
        .map(|(key, value)| {
            let bytes = STANDARD
                .decode(value.as_str().unwrap_or_default())
                .unwrap_or_default();
            (key.clone(), Value::string(String::from_utf8_lossy(&bytes)))
        });
    state.set_attr("data", Value::Map(decoded.collect()));
    state.set_attr(
        "type",
        live["type"].as_str().map_or(Value::Null, Value::string),
    );
    state.set_attr(
        "immutable",
        live["immutable"].as_bool().map_or(Value::Null, Value::Bool),
    );
}

/// The keys of `data` and `binary_data` that no ConfigMap or Secret may have, each at its key
/// (checked from the configuration: the object may go to a namespace the same apply makes,
/// where the server cannot check it first).
pub fn data_keys(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for attribute in ["data", "binary_data"] {
        for key in config
            .get(attribute)
            .as_map()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            if let Some(why) = names::check_data_key(key) {
                let at = AttrPath::attr(attribute).key(key);
                diagnostics.push(Diagnostic::error("Invalid data key", why).at_attribute(at));
            }
        }
    }
    diagnostics
}

/// A base64 value of `binary_data` that does not decode, located at `at`.
pub fn base64_check(value: &Value, at: AttrPath) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    if let Some(text) = value.as_str()
        && STANDARD.decode(text).is_err()
    {
        let detail = "binary_data holds base64 (base64encode(...) or filebase64(...)); put plain text in data.";
        diagnostics
            .push(Diagnostic::error("A binary_data value is not base64", detail).at_attribute(at));
    }
    diagnostics
}

/// hashicorp/kubernetes's rule for immutable Secrets and ConfigMaps: once immutable, a change
/// of data, binary_data or immutable itself replaces the object.
pub fn immutable_replaces(prior: Option<&Value>, planned: &Value) -> Vec<AttrPath> {
    let Some(prior) = prior.filter(|p| p.get("immutable").as_bool() == Some(true)) else {
        return Vec::new();
    };
    ["data", "binary_data", "immutable"]
        .into_iter()
        .filter(|attribute| prior.get(attribute) != planned.get(attribute))
        .map(AttrPath::attr)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(data: Value, binary: Value) -> Value {
        Value::object([
            ("data", data),
            ("binary_data", binary),
            ("type", Value::string("Opaque")),
            ("immutable", Value::Null),
        ])
    }

    fn map(pairs: &[(&str, &str)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
    }

    #[test]
    fn data_is_sent_base64_encoded_with_the_binary_data() {
        let state = config(map(&[("password", "hunter2")]), map(&[("blob", "AAE=")]));
        assert_eq!(
            Secret.body(&state),
            Some(json!({"data": {"password": "aHVudGVyMg==", "blob": "AAE="}, "type": "Opaque"}))
        );
        let pending = config(Value::object([("password", Value::Unknown)]), Value::Null);
        assert_eq!(Secret.body(&pending), None);
        let computed = config(Value::Unknown, Value::Null);
        assert_eq!(Secret.body(&computed), Some(json!({"type": "Opaque"})));
    }

    #[test]
    fn data_reads_back_on_the_stacks_keys_or_whole_when_computed() {
        let live = json!({"type": "Opaque", "data": {"password": "Y2hhbmdlZA==", "blob": "AAE=",
            "other": "eA=="}, "metadata": {"managedFields": [{"manager": "ggplan",
            "fieldsV1": {"f:data": {"f:password": {}, "f:blob": {}}}}]}});
        let mut state = config(map(&[("password", "hunter2")]), map(&[("blob", "")]));
        Secret.read_body(&mut state, &live);
        assert_eq!(state.get("data"), &map(&[("password", "changed")]));
        assert_eq!(state.get("binary_data"), &map(&[("blob", "AAE=")]));
        let token = json!({"type": "kubernetes.io/service-account-token",
                           "data": {"token": "dA=="}, "metadata": {}});
        let mut state = config(Value::Unknown, Value::Null);
        Secret.read_body(&mut state, &token);
        assert_eq!(state.get("data"), &map(&[("token", "t")]));
        assert_eq!(state.get("binary_data"), &Value::Null);
    }

    #[test]
    fn checks_place_bad_binary_data_at_its_key() {
        let bad = config(map(&[("a", "x")]), map(&[("a", "not base64!")]));
        let diagnostics = Secret.validate(&bad);
        assert_eq!(diagnostics.0.len(), 2);
        let at = AttrPath::attr("binary_data").key("a");
        assert!(
            diagnostics
                .0
                .iter()
                .all(|d| d.attribute.as_ref() == Some(&at))
        );
    }

    #[test]
    fn an_immutable_secret_is_replaced_when_its_data_changes() {
        let mut prior = config(map(&[("a", "1")]), Value::Null);
        prior.set_attr("immutable", Value::Bool(true));
        let mut planned = prior.clone();
        planned.set_attr("data", map(&[("a", "2")]));
        assert_eq!(
            immutable_replaces(Some(&prior), &planned),
            [AttrPath::attr("data")]
        );
        prior.set_attr("immutable", Value::Null);
        assert!(immutable_replaces(Some(&prior), &planned).is_empty());
    }
}
