//! The planning rules every typed resource shares, applied before the type's own
//! [`ResourceType::modify_plan`](super::ResourceType::modify_plan).

use super::{ResourceType, TypedProvider};
use crate::schema::Schema;
use crate::value::Value;

/// The planned state of a resource before its own refinements: the proposed state with the
/// schema's default for each attribute the configuration leaves null, computed blocks kept from
/// the prior state (unknown on create) when the configuration has none, and derived attributes
/// unknown when one of their inputs changes.
pub fn plan_with_rules<P: TypedProvider>(
    resource: &dyn ResourceType<P>,
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
