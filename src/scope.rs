//! The values that names stand for while a stack is planned or applied, and the
//! [`Resolver`] that gives them to expressions.

use crate::address::{InstanceAddr, InstanceKey, ModuleInstance, ResourceAddr};
use crate::config::Repetition;
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

impl Expansion {
    /// How the instances of a block with this repetition are keyed.
    pub fn of(repetition: &Repetition) -> Expansion {
        match repetition {
            Repetition::Single => Expansion::Single,
            Repetition::Count(_) => Expansion::Count,
            Repetition::ForEach(_) => Expansion::ForEach,
        }
    }
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

/// The outputs of one module call's instances, as the calling module sees them.
#[derive(Debug, Clone)]
pub struct CallValues {
    pub expansion: Expansion,
    pub instances: BTreeMap<Option<InstanceKey>, BTreeMap<String, Value>>,
}

impl CallValues {
    fn instance_object(outputs: &BTreeMap<String, Value>) -> Value {
        Value::Map(outputs.clone())
    }

    /// What `module.NAME` is: an object of outputs, or a list or map of them.
    pub fn whole(&self) -> Value {
        match self.expansion {
            Expansion::Single => self
                .instances
                .get(&None)
                .map(Self::instance_object)
                .unwrap_or(Value::Unknown),
            Expansion::Count => {
                Value::List(self.instances.values().map(Self::instance_object).collect())
            }
            Expansion::ForEach => Value::Map(
                self.instances
                    .iter()
                    .filter_map(|(k, v)| match k {
                        Some(InstanceKey::Str(s)) => Some((s.clone(), Self::instance_object(v))),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }
}

/// What names stand for in one module instance.
#[derive(Debug, Default)]
pub struct ModuleScope {
    pub variables: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    pub resources: HashMap<ResourceAddr, ResourceValues>,
    /// The outputs of the modules this one calls, by call name.
    pub calls: HashMap<String, CallValues>,
    /// `path.module`.
    pub dir: String,
}

/// Everything names can stand for in one stack, per module instance.
#[derive(Debug, Default)]
pub struct Scope {
    pub modules: HashMap<ModuleInstance, ModuleScope>,
    /// `path.root` and `path.cwd`.
    pub root_dir: String,
    pub cwd: String,
    /// `terraform.workspace`: the selected workspace.
    pub workspace: String,
}

impl Scope {
    /// The scope of one module instance (created empty when new).
    pub fn module(&mut self, instance: &ModuleInstance) -> &mut ModuleScope {
        self.modules.entry(instance.clone()).or_default()
    }

    /// Records an instance's value.
    pub fn set_instance(&mut self, addr: &InstanceAddr, expansion: Expansion, value: Value) {
        self.module(&addr.module)
            .resources
            .entry(addr.resource.clone())
            .or_insert_with(|| ResourceValues::new(expansion))
            .instances
            .insert(addr.key.clone(), value);
    }

    /// A resolver for expressions of one module instance, in the context of one resource
    /// instance (or of none: `each` and `count` are then those of `instance`, if any).
    pub fn resolver<'a>(
        &'a self,
        module: &'a ModuleInstance,
        instance: &'a InstanceContext,
    ) -> ScopeResolver<'a> {
        ScopeResolver {
            scope: self,
            module: self.modules.get(module),
            instance,
        }
    }
}

/// What `count.index`, `each.key` and `each.value` are for one instance.
#[derive(Debug, Clone, Default)]
pub struct InstanceContext {
    pub count_index: Option<usize>,
    pub each: Option<(String, Value)>,
    /// `self`: the object, in its provisioner blocks and postconditions.
    pub this: Option<Value>,
}

impl InstanceContext {
    /// The context of an instance with this key (`each.value` from the for_each collection).
    pub fn for_key(key: &Option<InstanceKey>, each_value: Option<Value>) -> InstanceContext {
        match key {
            Some(InstanceKey::Int(i)) => InstanceContext {
                count_index: Some(*i),
                ..InstanceContext::default()
            },
            Some(InstanceKey::Str(k)) => InstanceContext {
                each: Some((k.clone(), each_value.unwrap_or(Value::Unknown))),
                ..InstanceContext::default()
            },
            None => InstanceContext::default(),
        }
    }
}

/// Resolves names against a [`Scope`] for one instance.
pub struct ScopeResolver<'a> {
    scope: &'a Scope,
    /// `None` when the module instance has no values yet.
    module: Option<&'a ModuleScope>,
    instance: &'a InstanceContext,
}

fn attr(steps: &[Step], i: usize) -> Option<&str> {
    match steps.get(i) {
        Some(Step::Attr(name)) => Some(name),
        _ => None,
    }
}

/// The key a following `[index]` step selects in a counted or for_each collection.
fn key_of(expansion: Expansion, index: &Value) -> Option<InstanceKey> {
    match (expansion, index.peel()) {
        (Expansion::Count, Value::Number(n)) => n
            .as_i64()
            .and_then(|i| usize::try_from(i).ok())
            .map(InstanceKey::Int),
        (Expansion::Count, Value::String(s)) => Number::parse(s)
            .and_then(|n| n.as_i64())
            .and_then(|i| usize::try_from(i).ok())
            .map(InstanceKey::Int),
        (Expansion::ForEach, Value::String(s)) => Some(InstanceKey::Str(s.clone())),
        _ => None,
    }
}

impl ScopeResolver<'_> {
    fn named(
        map: Option<&BTreeMap<String, Value>>,
        root: &str,
        steps: &[Step],
    ) -> Result<(Value, usize), String> {
        let name = attr(steps, 0)
            .ok_or_else(|| format!("A reference to {root} needs a name, as in {root}.example."))?;
        map.and_then(|m| m.get(name))
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
        let Some(values) = self.module.and_then(|m| m.resources.get(&addr)) else {
            return Err(format!(
                "{addr} has not been evaluated yet; this is a bug in ggplan's graph."
            ));
        };
        // Pick one instance directly instead of building the whole collection.
        if let Some(Step::Index(index)) = steps.get(used) {
            if index.is_unknown() {
                return Ok((Value::Unknown, used + 1));
            }
            if let Some(key) = key_of(values.expansion, index) {
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

    fn call(&self, name: &str, steps: &[Step]) -> Result<(Value, usize), String> {
        let Some(values) = self.module.and_then(|m| m.calls.get(name)) else {
            return Err(format!(
                "module.{name} has not been evaluated yet; this is a bug in ggplan's graph."
            ));
        };
        if let Some(Step::Index(index)) = steps.get(1) {
            if index.is_unknown() {
                return Ok((Value::Unknown, 2));
            }
            if let Some(key) = key_of(values.expansion, index) {
                return match values.instances.get(&Some(key.clone())) {
                    Some(outputs) => Ok((Value::Map(outputs.clone()), 2)),
                    None => Err(format!("module.{name}{key} does not exist.")),
                };
            }
        }
        Ok((values.whole(), 1))
    }
}

impl Resolver for ScopeResolver<'_> {
    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), String> {
        match root {
            "var" => Self::named(self.module.map(|m| &m.variables), root, steps),
            "local" => Self::named(self.module.map(|m| &m.locals), root, steps),
            "path" => match attr(steps, 0) {
                Some("module") => Ok((
                    Value::string(self.module.map(|m| m.dir.clone()).unwrap_or_default()),
                    1,
                )),
                Some("root") => Ok((Value::string(self.scope.root_dir.clone()), 1)),
                Some("cwd") => Ok((Value::string(self.scope.cwd.clone()), 1)),
                _ => Err("path has path.module, path.root and path.cwd.".into()),
            },
            "terraform" => match attr(steps, 0) {
                Some("workspace") => Ok((Value::string(self.scope.workspace.clone()), 1)),
                _ => Err("terraform.workspace is the only terraform.* value.".into()),
            },
            "count" => match (attr(steps, 0), self.instance.count_index) {
                (Some("index"), Some(i)) => Ok((Value::int(i as i64), 1)),
                (Some("index"), None) => {
                    Err("count.index is only available in a block that sets count.".into())
                }
                _ => Err("The only attribute of count is count.index.".into()),
            },
            "each" => match (attr(steps, 0), &self.instance.each) {
                (Some("key"), Some((k, _))) => Ok((Value::string(k.clone()), 1)),
                (Some("value"), Some((_, v))) => Ok((v.clone(), 1)),
                (Some("key" | "value"), None) => Err(
                    "each.key and each.value are only available in a block that sets for_each."
                        .into(),
                ),
                _ => Err("each has only each.key and each.value.".into()),
            },
            "self" => match &self.instance.this {
                Some(object) => Ok((object.clone(), 0)),
                None => {
                    Err("self is only available in provisioner blocks and postconditions.".into())
                }
            },
            "module" => match attr(steps, 0) {
                Some(name) => self.call(name, steps),
                None => Err("A module is referenced as module.NAME.OUTPUT.".into()),
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
