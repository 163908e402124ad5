//! The values that names stand for while a stack is planned or applied, and the
//! [`Resolver`] that gives them to expressions.

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr};
use crate::lang::eval::{Resolver, Step};
use ggplan_sdk::{Number, ResourceKind, Value};
use std::collections::{BTreeMap, HashMap};

/// How a resource's instances are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expansion {
    Single,
    Count,
    ForEach,
}

/// The current values of one resource's instances (planned values during plan, new state
/// during apply), with their sensitive marks.
#[derive(Debug, Clone)]
pub struct ResourceValues {
    pub expansion: Expansion,
    pub instances: BTreeMap<Option<InstanceKey>, Value>,
}

impl ResourceValues {
    /// No instances yet.
    pub fn new(expansion: Expansion) -> ResourceValues {
        ResourceValues {
            expansion,
            instances: BTreeMap::new(),
        }
    }

    /// The value a reference to the whole resource sees: the object for a single instance,
    /// a list for `count`, a map for `for_each`.
    pub fn whole(&self) -> Value {
        match self.expansion {
            Expansion::Single => self.instances.get(&None).cloned().unwrap_or(Value::Unknown),
            Expansion::Count => Value::List(self.instances.values().cloned().collect()),
            Expansion::ForEach => Value::Map(
                self.instances
                    .iter()
                    .filter_map(|(k, v)| match k {
                        Some(InstanceKey::Str(s)) => Some((s.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }
}

/// Everything names can stand for in one stack.
#[derive(Debug, Default)]
pub struct Scope {
    pub variables: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    pub resources: HashMap<ResourceAddr, ResourceValues>,
    /// `path.module`, `path.root` and `path.cwd`.
    pub paths: BTreeMap<String, Value>,
}

impl Scope {
    /// Records an instance's value.
    pub fn set_instance(&mut self, addr: &InstanceAddr, expansion: Expansion, value: Value) {
        self.resources
            .entry(addr.resource.clone())
            .or_insert_with(|| ResourceValues::new(expansion))
            .instances
            .insert(addr.key.clone(), value);
    }

    /// A resolver for expressions of one resource instance (or of no instance: `each` and
    /// `count` are then not available).
    pub fn resolver<'a>(&'a self, instance: &'a InstanceContext) -> ScopeResolver<'a> {
        ScopeResolver {
            scope: self,
            instance,
        }
    }
}

/// What `count.index`, `each.key` and `each.value` are for one instance.
#[derive(Debug, Clone, Default)]
pub struct InstanceContext {
    pub count_index: Option<usize>,
    pub each: Option<(String, Value)>,
}

impl InstanceContext {
    /// The context of an instance with this key (`each.value` from the for_each collection).
    pub fn for_key(key: &Option<InstanceKey>, each_value: Option<Value>) -> InstanceContext {
        match key {
            Some(InstanceKey::Int(i)) => InstanceContext {
                count_index: Some(*i),
                each: None,
            },
            Some(InstanceKey::Str(k)) => InstanceContext {
                count_index: None,
                each: Some((k.clone(), each_value.unwrap_or(Value::Unknown))),
            },
            None => InstanceContext::default(),
        }
    }
}

/// Resolves names against a [`Scope`] for one instance.
pub struct ScopeResolver<'a> {
    scope: &'a Scope,
    instance: &'a InstanceContext,
}

fn attr(steps: &[Step], i: usize) -> Option<&str> {
    match steps.get(i) {
        Some(Step::Attr(name)) => Some(name),
        _ => None,
    }
}

impl ScopeResolver<'_> {
    fn named(
        map: &BTreeMap<String, Value>,
        root: &str,
        steps: &[Step],
    ) -> Result<(Value, usize), String> {
        let name = attr(steps, 0)
            .ok_or_else(|| format!("A reference to {root} needs a name, as in {root}.example."))?;
        map.get(name)
            .cloned()
            .map(|v| (v, 1))
            .ok_or_else(|| format!("{root}.{name} has no value yet; is it declared?"))
    }

    fn resource(
        &self,
        addr: ResourceAddr,
        steps: &[Step],
        used: usize,
    ) -> Result<(Value, usize), String> {
        let Some(values) = self.scope.resources.get(&addr) else {
            return Err(format!(
                "{addr} has not been evaluated yet; this is a bug in ggplan's graph."
            ));
        };
        // Pick one instance directly instead of building the whole collection.
        if let Some(Step::Index(index)) = steps.get(used) {
            let key = match (values.expansion, index.peel()) {
                (_, Value::Unknown) => return Ok((Value::Unknown, used + 1)),
                (Expansion::Count, Value::Number(n)) => n
                    .as_i64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(InstanceKey::Int),
                (Expansion::Count, Value::String(s)) => match Number::parse(s) {
                    Some(n) => n
                        .as_i64()
                        .and_then(|i| usize::try_from(i).ok())
                        .map(InstanceKey::Int),
                    None => None,
                },
                (Expansion::ForEach, Value::String(s)) => Some(InstanceKey::Str(s.clone())),
                _ => None,
            };
            if let Some(key) = key {
                return match values.instances.get(&Some(key.clone())) {
                    Some(v) => Ok((v.clone(), used + 1)),
                    None => Err(format!(
                        "{addr}{key} does not exist: the resource has no instance with that key."
                    )),
                };
            }
        }
        Ok((values.whole(), used))
    }
}

impl Resolver for ScopeResolver<'_> {
    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), String> {
        match root {
            "var" => Self::named(&self.scope.variables, root, steps),
            "local" => Self::named(&self.scope.locals, root, steps),
            "path" => Self::named(&self.scope.paths, root, steps),
            "terraform" => match attr(steps, 0) {
                Some("workspace") => Ok((Value::string("default"), 1)),
                _ => Err("terraform.workspace is the only terraform.* value.".into()),
            },
            "count" => match (attr(steps, 0), self.instance.count_index) {
                (Some("index"), Some(i)) => Ok((Value::int(i as i64), 1)),
                (Some("index"), None) => {
                    Err("count.index is only available in a resource that sets count.".into())
                }
                _ => Err("The only attribute of count is count.index.".into()),
            },
            "each" => match (attr(steps, 0), &self.instance.each) {
                (Some("key"), Some((k, _))) => Ok((Value::string(k.clone()), 1)),
                (Some("value"), Some((_, v))) => Ok((v.clone(), 1)),
                (Some("key" | "value"), None) => Err(
                    "each.key and each.value are only available in a resource that sets for_each."
                        .into(),
                ),
                _ => Err("each has only each.key and each.value.".into()),
            },
            "data" => match (attr(steps, 0), attr(steps, 1)) {
                (Some(t), Some(n)) => self.resource(
                    ResourceAddr {
                        kind: ResourceKind::Data,
                        type_name: t.to_string(),
                        name: n.to_string(),
                    },
                    steps,
                    2,
                ),
                _ => Err("A data source is referenced as data.TYPE.NAME.".into()),
            },
            type_name => match attr(steps, 0) {
                Some(name) => self.resource(ResourceAddr::managed(type_name, name), steps, 1),
                None => Err(format!(
                    "{type_name:?} is not a value; a resource is referenced as TYPE.NAME."
                )),
            },
        }
    }
}
