//! What every resource type and data source of the provider implements, and the planning rules
//! they share.

use crate::error::ApiError;
use crate::session::Session;
use async_trait::async_trait;
use ggplan_sdk::{AttrPath, BlockNesting, Diagnostics, Schema, Value};

/// A create or update that failed, with the state of whatever it left behind.
#[derive(Debug)]
pub struct Partial {
    /// The object as it exists after the failure; `None` when nothing was created.
    pub state: Option<Value>,
    pub error: ApiError,
}

impl From<ApiError> for Partial {
    fn from(error: ApiError) -> Partial {
        Partial { state: None, error }
    }
}

impl Partial {
    /// A failure after `state` came to exist.
    pub fn left(state: Value, error: ApiError) -> Partial {
        Partial {
            state: Some(state),
            error,
        }
    }
}

/// A managed resource type.
#[async_trait]
pub trait ManagedType: Send + Sync {
    fn schema(&self) -> Schema;

    /// Computed attributes (or computed blocks) that become unknown when one of the listed
    /// attributes changes in an update (and the configuration does not set them itself).
    fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[]
    }

    /// Nested blocks that the service fills in when the configuration has none (Terraform's
    /// optional and computed blocks).
    fn computed_blocks(&self) -> &'static [&'static str] {
        &[]
    }

    /// Adjusts the planned state for rules the schema cannot express (keeping the prior value
    /// of an attribute whose planned value means the same to the service, which stores its own
    /// spelling: `2001:DB8::/32` is `2001:db8::/32`), and names the changed attributes that
    /// replace the object although they are not force-new.
    fn refine_plan(
        &self,
        _prior: Option<&Value>,
        _config: &Value,
        _planned: &mut Value,
    ) -> Vec<AttrPath> {
        Vec::new()
    }

    /// Checks the configuration beyond the schema (conflicting attributes).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Refreshes the object `state` describes; `None` when it is gone.
    async fn read(&self, session: &Session, state: &Value) -> Result<Option<Value>, ApiError>;

    /// Creates the object and returns its state.
    async fn create(&self, session: &Session, planned: &Value) -> Result<Value, Partial>;

    /// Changes the object in place and returns its state.
    async fn update(
        &self,
        session: &Session,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Partial>;

    /// Deletes the object (an object already gone is not an error).
    async fn delete(&self, session: &Session, prior: &Value) -> Result<(), ApiError>;
}

/// A data source.
#[async_trait]
pub trait DataType: Send + Sync {
    fn schema(&self) -> Schema;

    /// Looks the object up by the configuration's filters.
    async fn read(&self, session: &Session, config: &Value) -> Result<Value, ApiError>;
}

/// The planned state of a resource: the proposed state with schema defaults for what the
/// configuration leaves out, computed blocks kept (or unknown on create), derived attributes
/// unknown when their inputs change, and the prior spelling of values the service stores in
/// a canonical form.
pub fn plan(
    resource: &dyn ManagedType,
    schema: &Schema,
    prior: Option<&Value>,
    config: &Value,
    proposed: &Value,
) -> Value {
    let mut planned = proposed.clone();
    let Value::Map(map) = &mut planned else {
        return planned;
    };
    for (name, attribute) in &schema.attributes {
        if let Some(default) = &attribute.default
            && config.get(name).is_null()
        {
            map.insert(name.clone(), Value::from_json(default));
        }
    }
    let block_unset = |name: &str| {
        let configured = config.get(name);
        configured.as_list().is_none_or(<[Value]>::is_empty) && !configured.is_unknown()
    };
    for name in resource.computed_blocks() {
        if block_unset(name) {
            let value = prior.map_or(Value::Unknown, |p| p.get(name).clone());
            map.insert(name.to_string(), value);
        }
    }
    if let Some(prior) = prior {
        for (attribute, inputs) in resource.derived() {
            let changed = inputs
                .iter()
                .any(|input| map.get(*input).unwrap_or(&Value::Null) != prior.get(input));
            let unset = if resource.computed_blocks().contains(attribute) {
                block_unset(attribute)
            } else {
                config.get(attribute).is_null()
            };
            if changed && unset {
                map.insert(attribute.to_string(), Value::Unknown);
            }
        }
    }
    planned
}

/// An imported state has no configuration to keep blocks from (`fixed_ip`, `scheduler_hints`
/// read back as null): its list and set blocks are empty, as in a configuration without them,
/// so that a matching configuration plans no change.
pub fn imported(schema: &Schema, mut state: Value) -> Value {
    if let Value::Map(map) = &mut state {
        for (name, block) in &schema.blocks {
            let many = matches!(block.nesting, BlockNesting::List | BlockNesting::Set);
            if many && map.get(name).is_none_or(Value::is_null) {
                map.insert(name.clone(), Value::List(Vec::new()));
            }
        }
    }
    state
}

/// Reads `state` back after a create or update; when the read fails, `state` (which holds the
/// object's id) is what the engine records.
pub async fn read_back(
    resource: &dyn ManagedType,
    session: &Session,
    state: Value,
) -> Result<Value, Partial> {
    match resource.read(session, &state).await {
        Ok(Some(fresh)) => Ok(fresh),
        Ok(None) => Err(Partial::from(ApiError::Failed(
            "the object disappeared right after it was written (deleted by someone else?)".into(),
        ))),
        Err(e) => Err(Partial::left(state, e)),
    }
}

/// `planned` with the id of the object it describes (the engine plans ids as unknown).
pub fn with_id(planned: &Value, id: &str) -> Value {
    let mut state = planned.clone();
    if let Value::Map(map) = &mut state {
        map.insert("id".into(), Value::string(id));
    }
    state
}

/// Copies the attributes only the configuration knows (the service does not return them) from
/// `prior` into a freshly read state.
pub fn keep(state: &mut Value, prior: &Value, names: &[&str]) {
    if let Value::Map(map) = state {
        for name in names {
            map.insert(name.to_string(), prior.get(name).clone());
        }
    }
}

/// Sets `tags` and `all_tags` from the service's tags: `all_tags` is everything; `tags` is
/// what the configuration manages (null when it manages none, so unmanaged tags are no drift).
pub fn set_tags(state: &mut Value, api_tags: &serde_json::Value, prior: &Value) {
    if let Value::Map(map) = state {
        let all = crate::convert::string_set(api_tags);
        let managed = if prior.get("tags").is_null() {
            Value::Null
        } else {
            all.clone()
        };
        map.insert("tags".into(), managed);
        map.insert("all_tags".into(), all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, Type};

    struct Fake;

    #[async_trait]
    impl ManagedType for Fake {
        fn schema(&self) -> Schema {
            Schema::new(
                "fake",
                [
                    ("name", Attribute::optional(Type::String)),
                    (
                        "enabled",
                        Attribute::optional(Type::Bool).default(Value::Bool(true)),
                    ),
                    ("fixed_ip", Attribute::optional_computed(Type::String)),
                    ("port_id", Attribute::optional_computed(Type::String)),
                ],
            )
        }
        fn derived(&self) -> &'static [(&'static str, &'static [&'static str])] {
            &[("fixed_ip", &["port_id"]), ("pool", &["port_id"])]
        }
        fn computed_blocks(&self) -> &'static [&'static str] {
            &["pool"]
        }
        async fn read(&self, _: &Session, _: &Value) -> Result<Option<Value>, ApiError> {
            unreachable!()
        }
        async fn create(&self, _: &Session, _: &Value) -> Result<Value, Partial> {
            unreachable!()
        }
        async fn update(&self, _: &Session, _: &Value, _: &Value) -> Result<Value, Partial> {
            unreachable!()
        }
        async fn delete(&self, _: &Session, _: &Value) -> Result<(), ApiError> {
            unreachable!()
        }
    }

    #[test]
    fn plan_fills_defaults_and_computed_blocks() {
        let schema = Fake.schema();
        let config = Value::object([("name", Value::string("a")), ("pool", Value::List(vec![]))]);
        let proposed = ggplan_sdk::objchange::proposed_new(&schema, None, &config);
        let planned = plan(&Fake, &schema, None, &config, &proposed);
        assert_eq!(planned.get("enabled"), &Value::Bool(true));
        assert_eq!(planned.get("pool"), &Value::Unknown);
        assert_eq!(planned.get("fixed_ip"), &Value::Unknown);
    }

    #[test]
    fn imported_state_has_empty_list_blocks_and_keeps_the_others() {
        let schema = Fake
            .schema()
            .with_block("pool", block(BlockNesting::List))
            .with_block("hints", block(BlockNesting::Set))
            .with_block("timeouts", block(BlockNesting::Single));
        let kept = Value::List(vec![Value::object([("name", Value::string("x"))])]);
        let state = Value::object([("name", Value::string("a")), ("pool", kept.clone())]);
        let state = imported(&schema, state);
        assert_eq!(state.get("pool"), &kept);
        assert_eq!(state.get("hints"), &Value::List(Vec::new()));
        assert_eq!(state.get("timeouts"), &Value::Null);
        assert_eq!(state.get("name"), &Value::string("a"));
    }

    fn block(nesting: BlockNesting) -> ggplan_sdk::NestedBlock {
        ggplan_sdk::NestedBlock::new(
            nesting,
            Schema::new("b", [("name", Attribute::optional(Type::String))]),
        )
    }

    #[test]
    fn derived_attributes_follow_their_inputs() {
        let schema = Fake.schema();
        let prior = Value::object([
            ("name", Value::string("a")),
            ("enabled", Value::Bool(true)),
            ("fixed_ip", Value::string("10.0.0.5")),
            ("port_id", Value::string("p2")),
            ("pool", Value::List(vec![Value::string("x")])),
        ]);
        let config = Value::object([
            ("name", Value::string("a")),
            ("port_id", Value::string("p1")),
        ]);
        let proposed = ggplan_sdk::objchange::proposed_new(&schema, Some(&prior), &config);
        let planned = plan(&Fake, &schema, Some(&prior), &config, &proposed);
        assert_eq!(planned.get("fixed_ip"), &Value::Unknown);
        // A computed block the configuration leaves out follows its inputs too.
        assert_eq!(planned.get("pool"), &Value::Unknown);
        let same = Value::object([
            ("name", Value::string("a")),
            ("port_id", Value::string("p2")),
        ]);
        let proposed = ggplan_sdk::objchange::proposed_new(&schema, Some(&prior), &same);
        let planned = plan(&Fake, &schema, Some(&prior), &same, &proposed);
        assert_eq!(planned.get("fixed_ip"), &Value::string("10.0.0.5"));
        assert_eq!(planned.get("pool"), prior.get("pool"));
    }
}
