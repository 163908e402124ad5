//! Addresses of modules, resources and their instances: `random_password.pg`,
//! `local_file.inv["node1"]`, `data.local_file.seed`, `module.app["canary"].terraform_data.x[3]`;
//! of resources in the configuration (`ConfigResource`); and of provider configurations
//! (`openstack`, `openstack.chi`).

use ggplan_sdk::ResourceKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// The key of one instance of a resource with `count` or `for_each`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    /// `count.index`.
    Int(usize),
    /// `each.key`.
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

/// A module in the configuration: the names of the module calls from the root
/// (`module.platform.module.db`); empty for the root module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModulePath(pub Vec<String>);

impl ModulePath {
    /// The root module.
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }

    /// Whether this is the root module.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path of a module called from this one.
    pub fn child(&self, name: &str) -> ModulePath {
        let mut names = self.0.clone();
        names.push(name.to_string());
        ModulePath(names)
    }

    /// The calling module and the call's name, unless this is the root.
    pub fn split_last(&self) -> Option<(ModulePath, &str)> {
        let (last, parent) = self.0.split_last()?;
        Some((ModulePath(parent.to_vec()), last))
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|n| format!("module.{n}")).collect();
        write!(f, "{}", parts.join("."))
    }
}

/// One instance of a module: each call on the way with its instance key
/// (`module.app["canary"]`); empty for the root module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleInstance(pub Vec<(String, Option<InstanceKey>)>);

impl ModuleInstance {
    /// The root module's only instance.
    pub fn root() -> ModuleInstance {
        ModuleInstance(Vec::new())
    }

    /// Whether this is the root module.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The module this is an instance of.
    pub fn path(&self) -> ModulePath {
        ModulePath(self.0.iter().map(|(n, _)| n.clone()).collect())
    }

    /// An instance of a module called from this one.
    pub fn child(&self, name: &str, key: Option<InstanceKey>) -> ModuleInstance {
        let mut steps = self.0.clone();
        steps.push((name.to_string(), key));
        ModuleInstance(steps)
    }

    /// The calling instance, the call's name and this instance's key, unless this is the root.
    pub fn split_last(&self) -> Option<(ModuleInstance, &str, &Option<InstanceKey>)> {
        let ((name, key), parent) = self.0.split_last()?;
        Some((ModuleInstance(parent.to_vec()), name, key))
    }

    /// Whether `self` is `other` or inside it.
    pub fn within(&self, other: &ModuleInstance) -> bool {
        self.0.starts_with(&other.0)
    }

    /// This instance with its leading `from` replaced by `to` (for moving a module).
    pub fn rebase(&self, from: &ModuleInstance, to: &ModuleInstance) -> ModuleInstance {
        let mut steps = to.0.clone();
        steps.extend(self.0[from.0.len().min(self.0.len())..].iter().cloned());
        ModuleInstance(steps)
    }

    /// Parses `module.a["k"].module.b` (at least one module step).
    pub fn parse(text: &str) -> Option<ModuleInstance> {
        let steps = split_steps(text)?;
        let mut out = ModuleInstance::root();
        for pair in steps.chunks(2) {
            match pair {
                [(m, None), (name, key)] if m == "module" && !name.is_empty() => {
                    out = out.child(name, key.clone());
                }
                _ => return None,
            }
        }
        (!out.is_root()).then_some(out)
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{name}")?;
            if let Some(key) = key {
                write!(f, "{key}")?;
            }
        }
        Ok(())
    }
}

/// A resource as declared: mode, type and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceAddr {
    pub kind: ResourceKind,
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    /// A managed resource's address.
    pub fn managed(type_name: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            kind: ResourceKind::Managed,
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }

    /// The address of one of its instances in the root module.
    pub fn instance(&self, key: Option<InstanceKey>) -> InstanceAddr {
        self.instance_in(&ModuleInstance::root(), key)
    }

    /// The address of one of its instances in a module instance.
    pub fn instance_in(&self, module: &ModuleInstance, key: Option<InstanceKey>) -> InstanceAddr {
        InstanceAddr {
            module: module.clone(),
            resource: self.clone(),
            key,
        }
    }
}

impl Ord for ResourceAddr {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.kind, &self.type_name, &self.name).cmp(&(other.kind, &other.type_name, &other.name))
    }
}

impl PartialOrd for ResourceAddr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ResourceKind::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// One instance of a resource, in one instance of a module.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
    pub key: Option<InstanceKey>,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)?;
        if let Some(key) = &self.key {
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

impl InstanceAddr {
    /// Parses `type.name`, `type.name[0]`, `type.name["key"]`, `data.type.name...`, each
    /// optionally after module instances (`module.app["canary"].type.name`). The error is a
    /// sentence to show the user.
    pub fn parse(text: &str) -> Result<InstanceAddr, String> {
        let bad = || {
            format!(
                "Invalid address {text:?}: an instance address looks like type.name, \
                 type.name[0], type.name[\"key\"], data.type.name or \
                 module.name[\"key\"].type.name."
            )
        };
        let steps = split_steps(text).ok_or_else(bad)?;
        let mut module = ModuleInstance::root();
        let mut rest = steps.as_slice();
        while let [(m, None), (name, key), tail @ ..] = rest {
            if m != "module" || tail.is_empty() {
                break;
            }
            module = module.child(name, key.clone());
            rest = tail;
        }
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        let (kind, type_name, name, key) = match rest {
            [(d, None), (t, None), (n, key)] if d == "data" => (ResourceKind::Data, t, n, key),
            [(t, None), (n, key)] => (ResourceKind::Managed, t, n, key),
            _ => return Err(bad()),
        };
        let reserved = type_name == "module";
        if reserved || !ident(type_name) || !ident(name) || module.0.iter().any(|(n, _)| !ident(n))
        {
            return Err(bad());
        }
        Ok(InstanceAddr {
            module,
            resource: ResourceAddr {
                kind,
                type_name: type_name.clone(),
                name: name.clone(),
            },
            key: key.clone(),
        })
    }
}

/// Splits `a.b["k"].c[0]` into names with optional keys: `[(a, None), (b, "k"), (c, 0)]`.
fn split_steps(text: &str) -> Option<Vec<(String, Option<InstanceKey>)>> {
    let mut steps = Vec::new();
    let mut rest = text;
    loop {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let mut key = None;
        if let Some(after) = rest.strip_prefix('[') {
            let close = if after.starts_with('"') {
                // Find the closing quote, honouring escapes, then the bracket after it.
                let mut escaped = false;
                let quote_end = after
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| {
                        let done = *c == '"' && !escaped;
                        escaped = *c == '\\' && !escaped;
                        done
                    })?
                    .0;
                quote_end + 1
            } else {
                after.find(']')?
            };
            let inner = &after[..close];
            key = Some(if let Ok(i) = inner.parse::<usize>() {
                InstanceKey::Int(i)
            } else {
                InstanceKey::Str(serde_json::from_str::<String>(inner).ok()?)
            });
            rest = after[close..].strip_prefix(']')?;
        }
        steps.push((name, key));
        if rest.is_empty() {
            return Some(steps);
        }
        rest = rest.strip_prefix('.')?;
    }
}

/// A resource in the configuration, whatever its instances: the module it is declared in and
/// its address there (Terraform's `addrs.ConfigResource`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigResource {
    pub module: ModulePath,
    pub resource: ResourceAddr,
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)
    }
}

impl InstanceAddr {
    /// The resource in the configuration this is an instance of.
    pub fn config_resource(&self) -> ConfigResource {
        ConfigResource {
            module: self.module.path(),
            resource: self.resource.clone(),
        }
    }
}

/// A provider configuration: the default one of a provider (`random`) or an aliased one
/// (`openstack.chi`), as `provider = ...`, plans and state name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderAddr {
    /// The provider's local name (`openstack`): which implementation serves it.
    pub name: String,
    pub alias: Option<String>,
}

impl ProviderAddr {
    /// The default configuration of provider `name`.
    pub fn default_of(name: &str) -> ProviderAddr {
        ProviderAddr {
            name: name.to_string(),
            alias: None,
        }
    }

    /// `name` or `name.alias` (as state, plans and plan files write it); the error says what
    /// is wrong. Names are HCL identifiers, which may hold any letter, so only the shape is
    /// checked: one or two non-empty parts, no space.
    pub fn parse(text: &str) -> Result<ProviderAddr, String> {
        let (name, alias) = match text.split_once('.') {
            Some((name, alias)) => (name, Some(alias)),
            None => (text, None),
        };
        let valid = |part: &str| {
            !part.is_empty() && !part.contains('.') && !part.chars().any(char::is_whitespace)
        };
        if !valid(name) || !alias.is_none_or(valid) {
            return Err(format!(
                "{text:?} is not a provider configuration: write NAME or NAME.ALIAS"
            ));
        }
        Ok(ProviderAddr {
            name: name.to_string(),
            alias: alias.map(str::to_string),
        })
    }
}

impl fmt::Display for ProviderAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(alias) => write!(f, "{}.{alias}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

impl Serialize for ProviderAddr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProviderAddr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ProviderAddr::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for InstanceAddr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InstanceAddr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        InstanceAddr::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for text in [
            "random_password.pg",
            "local_file.inv[\"node1\"]",
            "terraform_data.layer[3]",
            "data.local_file.seed",
            "module.app[\"canary\"].terraform_data.x[2]",
            "module.a.module.b[0].data.local_file.y",
            "local_file.inv[\"a.b[c]\"]",
        ] {
            assert_eq!(InstanceAddr::parse(text).unwrap().to_string(), text);
        }
        assert!(InstanceAddr::parse("nope").is_err());
        assert!(InstanceAddr::parse("a.b[x]").is_err());
        assert!(InstanceAddr::parse("module.app").is_err());
        let m = ModuleInstance::parse("module.app[\"a\"].module.db").unwrap();
        assert_eq!(m.to_string(), "module.app[\"a\"].module.db");
        assert!(ModuleInstance::parse("module.app.t.n").is_none());
        let moved = m.rebase(
            &ModuleInstance::parse("module.app[\"a\"]").unwrap(),
            &ModuleInstance::parse("module.web").unwrap(),
        );
        assert_eq!(moved.to_string(), "module.web.module.db");
        let a = InstanceAddr::parse("module.app[\"canary\"].t.n").unwrap();
        assert_eq!(a.module.to_string(), "module.app[\"canary\"]");
        assert_eq!(a.module.path().to_string(), "module.app");
    }

    #[test]
    fn provider_configurations_round_trip_and_bad_ones_are_refused() {
        for text in ["random", "openstack.chi", "local.b-2", "random.café"] {
            assert_eq!(ProviderAddr::parse(text).unwrap().to_string(), text);
        }
        let aliased = ProviderAddr::parse("openstack.chi").unwrap();
        assert_eq!(aliased.name, "openstack");
        assert_eq!(aliased.alias.as_deref(), Some("chi"));
        for bad in ["", ".a", "a.", "a.b.c", "a b"] {
            assert!(ProviderAddr::parse(bad).is_err(), "{bad}");
        }
    }
}
