//! Between a block of the configuration and the field of an Argo CD object it stands for,
//! guided by the block's schema: an attribute `self_heal` is the field `selfHeal`, a block of
//! at most one (`source`, `helm`) is an object, a repeated block (`parameter`) is a list
//! (named as Argo CD names it: `parameters`). Only what the configuration sets is written, so a
//! field the stack leaves out stays Argo CD's (or whoever set it).

use ggplan_sdk::{NestedBlock, Schema, Value};
use serde_json::{Map, Value as Json};

/// Names whose Argo CD field is not the plain camelCase of the attribute or block.
const RENAMED: [(&str, &str); 3] = [
    ("repo_url", "repoURL"),
    ("parameter", "parameters"),
    ("file_parameter", "fileParameters"),
];

/// The Argo CD field of the attribute or block `name`.
pub fn field(name: &str) -> String {
    if let Some((_, renamed)) = RENAMED.iter().find(|(from, _)| *from == name) {
        return (*renamed).to_string();
    }
    let mut camel = String::new();
    let mut upper = false;
    for c in name.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                camel.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => camel.push(c),
        }
    }
    camel
}

/// Whether a block is written as one object (at most one block) rather than a list.
fn single(block: &NestedBlock) -> bool {
    block.max_items == Some(1)
}

/// The Argo CD object of one block's value; `None` while some of it is unknown.
pub fn to_json(schema: &Schema, value: &Value) -> Option<Json> {
    let mut object = Map::new();
    for name in schema.attributes.keys() {
        let attribute = value.get(name);
        if attribute.is_unknown() || !attribute.is_wholly_known() {
            return None;
        }
        if !attribute.is_null() {
            object.insert(field(name), attribute.to_json()?);
        }
    }
    for (name, block) in &schema.blocks {
        let configured = value.get(name);
        if configured.is_unknown() {
            return None;
        }
        let items = configured.as_list().unwrap_or_default();
        let converted: Option<Vec<Json>> = items
            .iter()
            .map(|item| to_json(&block.block, item))
            .collect();
        let converted = converted?;
        match (single(block), converted.first()) {
            (_, None) => {}
            (true, Some(first)) => {
                object.insert(field(name), first.clone());
            }
            (false, Some(_)) => {
                object.insert(field(name), Json::Array(converted));
            }
        }
    }
    Some(Json::Object(object))
}

/// The value of one block as the Argo CD object `live` has it: every attribute of the
/// schema (null where `live` has no field), every block (empty where it has none).
pub fn from_json(schema: &Schema, live: &Json) -> Value {
    let attributes = schema.attributes.keys().map(|name| {
        let value = live.get(field(name)).map_or(Value::Null, Value::from_json);
        (name.clone(), value)
    });
    let blocks = schema.blocks.iter().map(|(name, block)| {
        let items = match live.get(field(name)) {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) if !single(block) => items
                .iter()
                .map(|item| from_json(&block.block, item))
                .collect(),
            Some(one) => vec![from_json(&block.block, one)],
        };
        (name.clone(), Value::List(items))
    });
    Value::object(attributes.chain(blocks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Attribute, BlockNesting, Type};
    use serde_json::json;

    fn schema() -> Schema {
        let parameter = Schema::new(
            "",
            [
                ("name", Attribute::optional(Type::String)),
                ("force_string", Attribute::optional(Type::Bool)),
            ],
        );
        let mut helm = NestedBlock::new(BlockNesting::List, Schema::default());
        helm.block = Schema::new("", [("release_name", Attribute::optional(Type::String))])
            .with_block("parameter", NestedBlock::new(BlockNesting::List, parameter));
        helm.max_items = Some(1);
        Schema::new("", [("repo_url", Attribute::optional(Type::String))]).with_block("helm", helm)
    }

    #[test]
    fn fields_are_argo_cds_names_and_blocks_its_objects_and_lists() {
        assert_eq!(field("self_heal"), "selfHeal");
        assert_eq!(field("repo_url"), "repoURL");
        let value = Value::object([
            ("repo_url", Value::string("https://git.example/r.git")),
            (
                "helm",
                Value::List(vec![Value::object([
                    ("release_name", Value::Null),
                    (
                        "parameter",
                        Value::List(vec![Value::object([
                            ("name", Value::string("minio.externalIP")),
                            ("force_string", Value::Bool(true)),
                        ])]),
                    ),
                ])]),
            ),
        ]);
        let json = to_json(&schema(), &value).unwrap();
        assert_eq!(
            json,
            json!({"repoURL": "https://git.example/r.git", "helm": {"parameters": [
                {"name": "minio.externalIP", "forceString": true}]}})
        );
        assert_eq!(from_json(&schema(), &json), value);
        let unknown = Value::object([("repo_url", Value::Unknown)]);
        assert_eq!(to_json(&schema(), &unknown), None);
    }
}
