//! Schemas: what attributes and nested blocks a provider, resource or data source has.

use crate::path::AttrPath;
use crate::value::{Number, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A type constraint, as in Terraform's type system.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
    /// Any type (`any`): values pass unchanged.
    Any,
    /// An object attribute that may be left out or null (`optional(T, default)`): it then
    /// takes the default, converted to `T`, or null without one. Outside an object it
    /// constrains like `T`.
    Optional(Box<Type>, Option<serde_json::Value>),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => write!(f, "string"),
            Type::Number => write!(f, "number"),
            Type::Bool => write!(f, "bool"),
            Type::Any => write!(f, "any"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(Type::to_string).collect();
                write!(f, "tuple([{}])", parts.join(", "))
            }
            Type::Object(attrs) => {
                let parts: Vec<String> = attrs.iter().map(|(k, t)| format!("{k}={t}")).collect();
                write!(f, "object({{{}}})", parts.join(", "))
            }
            Type::Optional(t, None) => write!(f, "optional({t})"),
            Type::Optional(t, Some(default)) => write!(f, "optional({t}, {default})"),
        }
    }
}

impl Type {
    /// Converts `value` to this type the way Terraform does (numbers and bools to and from
    /// strings, tuples to lists and sets, objects to maps). Unknown and null pass through;
    /// sensitive marks are kept. The error says what was expected, at which path.
    pub fn convert(&self, value: Value) -> Result<Value, String> {
        self.convert_at(value, &AttrPath::root())
    }

    fn convert_at(&self, value: Value, path: &AttrPath) -> Result<Value, String> {
        if let Type::Optional(inner, _) = self {
            return inner.convert_at(value, path);
        }
        if let Value::Sensitive(inner) = value {
            return Ok(self.convert_at(*inner, path)?.into_sensitive());
        }
        if matches!(value, Value::Null | Value::Unknown) || *self == Type::Any {
            return Ok(value);
        }
        let mismatch = |value: &Value| {
            let at = if path.0.is_empty() {
                String::new()
            } else {
                format!(" at {path}")
            };
            Err(format!(
                "{self} required{at}, but got {}",
                value.kind_name()
            ))
        };
        match (self, value) {
            (Type::String, Value::String(s)) => Ok(Value::String(s)),
            (Type::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (Type::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (Type::Number, Value::String(s)) => match Number::parse(&s) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(format!("a number is required, but {s:?} is not one")),
            },
            (Type::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::List(elem), Value::List(items)) => Ok(Value::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| elem.convert_at(v, &path.index(i)))
                    .collect::<Result<_, _>>()?,
            )),
            (Type::Set(elem), Value::List(items)) => {
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| elem.convert_at(v, &path.index(i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(set_of(items)))
            }
            (Type::Tuple(types), Value::List(items)) if types.len() == items.len() => {
                Ok(Value::List(
                    types
                        .iter()
                        .zip(items)
                        .enumerate()
                        .map(|(i, (t, v))| t.convert_at(v, &path.index(i)))
                        .collect::<Result<_, _>>()?,
                ))
            }
            (Type::Map(elem), Value::Map(map)) => Ok(Value::Map(
                map.into_iter()
                    .map(|(k, v)| {
                        let child = path.key(&k);
                        Ok((k, elem.convert_at(v, &child)?))
                    })
                    .collect::<Result<_, String>>()?,
            )),
            (Type::Object(attrs), Value::Map(mut map)) => {
                if let Some(extra) = map.keys().find(|k| !attrs.contains_key(*k)) {
                    return Err(format!("attribute {extra:?} is not expected{}", at(path)));
                }
                let mut out = BTreeMap::new();
                for (name, t) in attrs {
                    let v = match (map.remove(name), t) {
                        (Some(v), _) if !v.is_null() => v,
                        (_, Type::Optional(_, Some(default))) => Value::from_json(default),
                        (v, Type::Optional(_, None)) => v.unwrap_or(Value::Null),
                        (Some(v), _) => v,
                        (None, _) => {
                            return Err(format!("attribute {name:?} is required{}", at(path)));
                        }
                    };
                    out.insert(name.clone(), t.convert_at(v, &path.key(name))?);
                }
                Ok(Value::Map(out))
            }
            (_, other) => mismatch(&other),
        }
    }
}

fn at(path: &AttrPath) -> String {
    if path.0.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

/// A set: the elements without duplicates, in a stable order (Terraform orders string sets
/// lexically; we order every set by its JSON text, which agrees for strings).
pub fn set_of(items: Vec<Value>) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = items
        .into_iter()
        .map(|v| (v.to_json().map(|j| j.to_string()).unwrap_or_default(), v))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// One attribute of a schema.
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    #[serde(rename = "type")]
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Changing it replaces the resource.
    pub force_new: bool,
    /// The value used when the configuration leaves the attribute out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
}

impl Attribute {
    fn new(ty: Type) -> Attribute {
        Attribute {
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            force_new: false,
            default: None,
        }
    }

    /// An attribute the configuration must set.
    pub fn required(ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(ty)
        }
    }

    /// An attribute the configuration may set.
    pub fn optional(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(ty)
        }
    }

    /// An attribute only the provider sets.
    pub fn computed(ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(ty)
        }
    }

    /// An attribute the configuration may set and the provider fills in otherwise.
    pub fn optional_computed(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(ty)
        }
    }

    /// Marks the attribute secret.
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    /// Marks the attribute as one whose change replaces the resource.
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }

    /// Sets the value used when the configuration leaves the attribute out.
    pub fn default(mut self, value: Value) -> Attribute {
        self.default = value.to_json();
        self
    }

    /// Sets the description shown by `ggplan providers`.
    pub fn describe(mut self, text: &str) -> Attribute {
        self.description = text.to_string();
        self
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockNesting {
    /// At most one block; its value is an object or null.
    Single,
    /// Any number of blocks, in order; the value is a list of objects.
    List,
    /// Any number of blocks, order ignored; the value is a set of objects.
    Set,
}

/// A nested block type of a schema (`network { ... }`).
#[derive(Debug, Clone, Serialize)]
pub struct NestedBlock {
    pub nesting: BlockNesting,
    pub block: Schema,
    pub min_items: usize,
    pub max_items: Option<usize>,
}

impl NestedBlock {
    /// A nested block type without a minimum or maximum count.
    pub fn new(nesting: BlockNesting, block: Schema) -> NestedBlock {
        NestedBlock {
            nesting,
            block,
            min_items: 0,
            max_items: None,
        }
    }
}

/// The schema of a provider configuration, resource type or data source.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Schema {
    /// Bumped by the provider when the shape of its state changes.
    pub version: u64,
    pub description: String,
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

impl Schema {
    /// A schema with the given attributes.
    pub fn new<'a>(
        description: &str,
        attributes: impl IntoIterator<Item = (&'a str, Attribute)>,
    ) -> Schema {
        Schema {
            version: 0,
            description: description.to_string(),
            attributes: attributes
                .into_iter()
                .map(|(k, a)| (k.to_string(), a))
                .collect(),
            blocks: BTreeMap::new(),
        }
    }

    /// Adds a nested block type.
    pub fn with_block(mut self, name: &str, block: NestedBlock) -> Schema {
        self.blocks.insert(name.to_string(), block);
        self
    }

    /// `value` with each null attribute that has a default set to that default, so a plan shows
    /// what apply will use ([`crate::objchange::proposed_new`] leaves defaults to the provider, as Terraform does).
    pub fn with_defaults(&self, mut value: Value) -> Value {
        for (name, attr) in &self.attributes {
            if let Some(default) = &attr.default
                && value.get(name).is_null()
                && let Value::Map(map) = &mut value
            {
                map.insert(name.clone(), Value::from_json(default));
            }
        }
        value
    }

    /// The paths of the attributes the schema declares sensitive that are present in `value`.
    pub fn sensitive_paths(&self, value: &Value) -> Vec<AttrPath> {
        let mut paths = Vec::new();
        self.collect_sensitive_paths(value, &AttrPath::root(), &mut paths);
        paths
    }

    fn collect_sensitive_paths(&self, value: &Value, at: &AttrPath, out: &mut Vec<AttrPath>) {
        for (name, attr) in &self.attributes {
            if attr.sensitive && !value.get(name).is_null() {
                out.push(at.key(name));
            }
        }
        for (name, block) in &self.blocks {
            match value.get(name).peel() {
                Value::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        block
                            .block
                            .collect_sensitive_paths(item, &at.key(name).index(i), out);
                    }
                }
                Value::Map(_) => {
                    block
                        .block
                        .collect_sensitive_paths(value.get(name), &at.key(name), out)
                }
                _ => {}
            }
        }
    }
}

/// Everything a provider offers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProviderSchema {
    /// The schema of the `provider "name" { ... }` block.
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_attributes_take_their_defaults() {
        let t = Type::Object(BTreeMap::from([
            ("name".to_string(), Type::String),
            (
                "size".to_string(),
                Type::Optional(Box::new(Type::Number), Some(serde_json::json!("2"))),
            ),
            (
                "tags".to_string(),
                Type::Optional(Box::new(Type::Map(Box::new(Type::String))), None),
            ),
        ]));
        let out = t
            .convert(Value::object([("name", Value::string("a"))]))
            .unwrap();
        assert_eq!(out.get("size"), &Value::int(2));
        assert_eq!(out.get("tags"), &Value::Null);
        let out = t
            .convert(Value::object([
                ("name", Value::string("a")),
                ("size", Value::Null),
            ]))
            .unwrap();
        assert_eq!(out.get("size"), &Value::int(2));
        let err = t.convert(Value::object::<&str>([])).unwrap_err();
        assert_eq!(err, "attribute \"name\" is required");
        assert_eq!(
            t.to_string(),
            "object({name=string, size=optional(number, \"2\"), tags=optional(map(string))})"
        );
    }

    #[test]
    fn converts_like_terraform() {
        let t = Type::Map(Box::new(Type::String));
        let v = Value::object([("a", Value::int(1)), ("b", Value::Bool(true))]);
        let out = t.convert(v).unwrap();
        assert_eq!(out.get("a"), &Value::string("1"));
        assert!(Type::Number.convert(Value::string("x")).is_err());
        let set = Type::Set(Box::new(Type::String));
        let out = set
            .convert(Value::List(vec![
                Value::string("b"),
                Value::string("a"),
                Value::string("b"),
            ]))
            .unwrap();
        assert_eq!(
            out,
            Value::List(vec![Value::string("a"), Value::string("b")])
        );
    }
}
