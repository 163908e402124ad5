//! One object's attributes as Terraform recorded them, read against ggplan's schema of its
//! type: values of `any`-typed attributes unwrapped from Terraform's `{"value", "type"}`
//! form, a block Terraform keeps as a one-element list made the object ggplan keeps, and every
//! difference in shape named, never dropped or invented silently.

use ggplan_sdk::{BlockNesting, Schema, Type};
use serde_json::{Map, Value as Json};

/// What differed between Terraform's record of an object and ggplan's schema of its type,
/// by attribute path (never a value: it may be a secret).
#[derive(Debug, Default, PartialEq)]
pub struct ShapeNotes {
    /// Attributes Terraform recorded that ggplan's type does not have: left out.
    pub dropped: Vec<String>,
    /// Computed attributes of ggplan's type that Terraform did not record: null until the
    /// next refresh reads them.
    pub unread: Vec<String>,
    /// Arguments (and blocks) of ggplan's type that Terraform did not record: null (none),
    /// so a configuration that sets them plans an update.
    pub unset: Vec<String>,
}

/// The object `tf` (an object of Terraform's attributes) in ggplan's shape for `schema`.
pub fn convert(tf: &Json, schema: &Schema, notes: &mut ShapeNotes) -> Json {
    convert_object(tf, schema, "", notes)
}

fn convert_object(tf: &Json, schema: &Schema, prefix: &str, notes: &mut ShapeNotes) -> Json {
    let empty = Map::new();
    let fields = tf.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for (name, value) in fields {
        let path = format!("{prefix}{name}");
        if let Some(attr) = schema.attributes.get(name) {
            out.insert(name.clone(), convert_value(value, &attr.ty));
        } else if let Some(block) = schema.blocks.get(name) {
            let value = convert_block(value, &block.block, block.nesting, &path, notes);
            out.insert(name.clone(), value);
        } else {
            notes.dropped.push(path);
        }
    }
    for (name, attr) in &schema.attributes {
        if !fields.contains_key(name) {
            let list = if attr.computed {
                &mut notes.unread
            } else {
                &mut notes.unset
            };
            list.push(format!("{prefix}{name}"));
            out.insert(name.clone(), Json::Null);
        }
    }
    for (name, block) in &schema.blocks {
        if !fields.contains_key(name) {
            notes.unset.push(format!("{prefix}{name}"));
            let none = match block.nesting {
                BlockNesting::Single => Json::Null,
                BlockNesting::List | BlockNesting::Set => Json::Array(vec![]),
            };
            out.insert(name.clone(), none);
        }
    }
    Json::Object(out)
}

/// A nested block's value: Terraform's SDKv2 providers keep even a single block as a list of
/// one, which ggplan keeps as the object itself.
fn convert_block(
    tf: &Json,
    schema: &Schema,
    nesting: BlockNesting,
    path: &str,
    notes: &mut ShapeNotes,
) -> Json {
    match (nesting, tf) {
        (_, Json::Null) if nesting == BlockNesting::Single => Json::Null,
        (_, Json::Null) => Json::Array(vec![]),
        (BlockNesting::Single, Json::Array(items)) if items.len() <= 1 => {
            items.first().map_or(Json::Null, |item| {
                convert_object(item, schema, &format!("{path}."), notes)
            })
        }
        (BlockNesting::Single, object) => {
            convert_object(object, schema, &format!("{path}."), notes)
        }
        (_, Json::Array(items)) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert_object(item, schema, &format!("{path}[{i}]."), notes))
                .collect(),
        ),
        (_, object) => Json::Array(vec![convert_object(
            object,
            schema,
            &format!("{path}[0]."),
            notes,
        )]),
    }
}

/// A value of type `ty`: where the type is `any`, Terraform wrote the value with its type
/// beside it (`{"value": ..., "type": ...}`), which ggplan does not keep.
fn convert_value(tf: &Json, ty: &Type) -> Json {
    match (ty, tf) {
        (_, Json::Null) => Json::Null,
        (Type::Any, Json::Object(wrapped)) if is_typed_value(wrapped) => wrapped["value"].clone(),
        (Type::Optional(inner, _), _) => convert_value(tf, inner),
        (Type::List(item) | Type::Set(item), Json::Array(items)) => {
            Json::Array(items.iter().map(|v| convert_value(v, item)).collect())
        }
        (Type::Tuple(types), Json::Array(items)) => Json::Array(
            items
                .iter()
                .zip(types)
                .map(|(v, t)| convert_value(v, t))
                .collect(),
        ),
        (Type::Map(item), Json::Object(map)) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), convert_value(v, item)))
                .collect(),
        ),
        (Type::Object(fields), Json::Object(map)) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = fields
                        .get(k)
                        .map_or_else(|| v.clone(), |t| convert_value(v, t));
                    (k.clone(), v)
                })
                .collect(),
        ),
        _ => tf.clone(),
    }
}

/// Whether an object is cty's JSON of a dynamically typed value: exactly `value` and `type`.
fn is_typed_value(object: &Map<String, Json>) -> bool {
    object.len() == 2 && object.contains_key("value") && object.contains_key("type")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, NestedBlock};
    use serde_json::json;

    fn schema() -> Schema {
        let mut schema = Schema::new(
            "",
            [
                ("id", Attribute::computed(Type::String)),
                ("input", Attribute::optional(Type::Any)),
                ("tags", Attribute::optional(Type::Map(Box::new(Type::Any)))),
                ("region", Attribute::optional(Type::String)),
                ("status", Attribute::computed(Type::String)),
            ],
        );
        let inner = Schema::new("", [("uuid", Attribute::optional(Type::String))]);
        schema.blocks.insert(
            "network".into(),
            NestedBlock::new(BlockNesting::List, inner.clone()),
        );
        schema.blocks.insert(
            "timeouts".into(),
            NestedBlock::new(BlockNesting::Single, inner),
        );
        schema
    }

    #[test]
    fn dynamic_values_are_unwrapped_and_differences_named() {
        let tf = json!({
            "id": "x",
            "input": {"value": {"a": [1, "b"]}, "type": ["object", {"a": ["tuple", ["number", "string"]]}]},
            "tags": {"k": {"value": "v", "type": "string"}},
            "network": [{"uuid": "n1", "fixed_ip_v6": ""}],
            "timeouts": [{"uuid": "t"}],
            "stop_before_destroy": false
        });
        let mut notes = ShapeNotes::default();
        let out = convert(&tf, &schema(), &mut notes);
        assert_eq!(
            out,
            json!({
                "id": "x",
                "input": {"a": [1, "b"]},
                "tags": {"k": "v"},
                "network": [{"uuid": "n1"}],
                "timeouts": {"uuid": "t"},
                "region": null,
                "status": null
            })
        );
        assert_eq!(
            notes.dropped,
            ["network[0].fixed_ip_v6", "stop_before_destroy"]
        );
        assert_eq!(
            (notes.unread, notes.unset),
            (vec!["status".to_string()], vec!["region".to_string()])
        );
    }

    #[test]
    fn a_plain_object_in_an_any_attribute_is_kept_as_it_is() {
        let mut notes = ShapeNotes::default();
        let tf = json!({"id": "x", "input": {"value": 1}, "region": "r", "status": "s",
                        "tags": null, "network": null, "timeouts": null});
        let out = convert(&tf, &schema(), &mut notes);
        assert_eq!(out["input"], json!({"value": 1}));
        assert_eq!(
            (out["network"].clone(), out["timeouts"].clone()),
            (json!([]), Json::Null)
        );
        assert_eq!(notes, ShapeNotes::default());
    }
}
