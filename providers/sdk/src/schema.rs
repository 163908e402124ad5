//! Schemas: what attributes and nested blocks a provider, resource or data source has.

use crate::function::FunctionSignature;
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

    /// [`Type::convert`] at `path` inside the value being converted: `optional(T)` constrains
    /// like `T`, a sensitive value converts inside its mark, null and unknown pass, then the
    /// shape rules.
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
            (Type::List(elem), Value::List(items)) => {
                Ok(Value::List(elem.convert_elements(items, path)?))
            }
            (Type::Set(elem), Value::List(items)) => {
                Ok(Value::List(set_of(elem.convert_elements(items, path)?)))
            }
            (Type::Tuple(types), Value::List(items)) if types.len() == items.len() => {
                Ok(Value::List(convert_tuple(types, items, path)?))
            }
            (Type::Map(elem), Value::Map(map)) => Ok(Value::Map(elem.convert_entries(map, path)?)),
            (Type::Object(attrs), Value::Map(map)) => {
                Ok(Value::Map(convert_object(attrs, map, path)?))
            }
            (_, other) => Err(format!(
                "{self} required{}, but got {}",
                at(path),
                other.kind_name()
            )),
        }
    }

    /// Every element of a list or set converted to this element type, each at its index.
    fn convert_elements(&self, items: Vec<Value>, path: &AttrPath) -> Result<Vec<Value>, String> {
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| self.convert_at(v, &path.index(i)))
            .collect()
    }

    /// Every value of a map converted to this element type, each at its key.
    fn convert_entries(
        &self,
        map: BTreeMap<String, Value>,
        path: &AttrPath,
    ) -> Result<BTreeMap<String, Value>, String> {
        map.into_iter()
            .map(|(k, v)| {
                let child = path.key(&k);
                Ok((k, self.convert_at(v, &child)?))
            })
            .collect()
    }
}

/// A tuple: each element converted to the type at its own position (the lengths agree).
fn convert_tuple(types: &[Type], items: Vec<Value>, path: &AttrPath) -> Result<Vec<Value>, String> {
    types
        .iter()
        .zip(items)
        .enumerate()
        .map(|(i, (t, v))| t.convert_at(v, &path.index(i)))
        .collect()
}

/// An object: exactly the declared attributes, none other, each converted to its type.
fn convert_object(
    attrs: &BTreeMap<String, Type>,
    mut map: BTreeMap<String, Value>,
    path: &AttrPath,
) -> Result<BTreeMap<String, Value>, String> {
    if let Some(extra) = map.keys().find(|k| !attrs.contains_key(*k)) {
        return Err(format!("attribute {extra:?} is not expected{}", at(path)));
    }
    let mut out = BTreeMap::new();
    for (name, t) in attrs {
        let v = attribute_or_default(name, t, map.remove(name), path)?;
        out.insert(name.clone(), t.convert_at(v, &path.key(name))?);
    }
    Ok(out)
}

/// The value an object attribute of type `t` takes: the given one unless it is absent or null
/// and the attribute is `optional(...)`, which then takes its default, or null without one. A
/// required attribute may be null, but not absent.
fn attribute_or_default(
    name: &str,
    t: &Type,
    given: Option<Value>,
    path: &AttrPath,
) -> Result<Value, String> {
    match (given, t) {
        (Some(v), _) if !v.is_null() => Ok(v),
        (_, Type::Optional(_, Some(default))) => Ok(Value::from_json(default)),
        (v, Type::Optional(_, None)) => Ok(v.unwrap_or(Value::Null)),
        (Some(v), _) => Ok(v),
        (None, _) => Err(format!("attribute {name:?} is required{}", at(path))),
    }
}

/// Where an error is, for its message: nothing at the root of the value.
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
    /// The provider's functions by name (`provider::NAME::FUNC`); left out of JSON when there
    /// are none, so the schemas of providers without functions read as before.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, FunctionSignature>,
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
    fn a_mismatch_inside_a_collection_names_its_path() {
        let t = Type::Map(Box::new(Type::List(Box::new(Type::Bool))));
        let v = Value::object([("k", Value::List(vec![Value::Bool(true), Value::int(3)]))]);
        assert_eq!(
            t.convert(v).unwrap_err(),
            "bool required at k[1], but got number"
        );
        let t = Type::Object(BTreeMap::from([("a".to_string(), Type::String)]));
        let v = Value::List(vec![Value::object([("b", Value::int(1))])]);
        let list = Type::List(Box::new(t));
        assert_eq!(
            list.convert(v).unwrap_err(),
            "attribute \"b\" is not expected at [0]"
        );
    }

    #[test]
    fn a_tuple_converts_each_element_to_its_own_type_and_keeps_marks() {
        let t = Type::Tuple(vec![Type::String, Type::Number]);
        let v = Value::List(vec![Value::int(1), Value::string("2").into_sensitive()]);
        assert_eq!(
            t.convert(v).unwrap(),
            Value::List(vec![Value::string("1"), Value::int(2).into_sensitive()])
        );
        let short = Value::List(vec![Value::int(1)]);
        assert_eq!(
            t.convert(short).unwrap_err(),
            "tuple([string, number]) required, but got list"
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
