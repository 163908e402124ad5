//! Addresses of resources and their instances: `random_password.pg`, `local_file.inv["node1"]`,
//! `data.local_file.seed`, `terraform_data.layer[3]`.

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

    /// The address of one of its instances.
    pub fn instance(&self, key: Option<InstanceKey>) -> InstanceAddr {
        InstanceAddr {
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

/// One instance of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: Option<InstanceKey>,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.resource)?;
        if let Some(key) = &self.key {
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

impl InstanceAddr {
    /// Parses `type.name`, `type.name[0]`, `type.name["key"]` or `data.type.name...`.
    /// The error is a sentence to show the user.
    pub fn parse(text: &str) -> Result<InstanceAddr, String> {
        let bad = || {
            format!(
                "Invalid address {text:?}: an instance address looks like type.name, \
                 type.name[0], type.name[\"key\"] or data.type.name."
            )
        };
        let (base, key) = match text.find('[') {
            Some(open) => {
                let inner = text[open..]
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .ok_or_else(bad)?;
                let key = if let Ok(i) = inner.parse::<usize>() {
                    InstanceKey::Int(i)
                } else {
                    match serde_json::from_str::<String>(inner) {
                        Ok(s) => InstanceKey::Str(s),
                        Err(_) => return Err(bad()),
                    }
                };
                (&text[..open], Some(key))
            }
            None => (text, None),
        };
        let parts: Vec<&str> = base.split('.').collect();
        let (kind, type_name, name) = match parts.as_slice() {
            ["data", t, n] => (ResourceKind::Data, *t, *n),
            [t, n] => (ResourceKind::Managed, *t, *n),
            _ => return Err(bad()),
        };
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !ident(type_name) || !ident(name) {
            return Err(bad());
        }
        Ok(InstanceAddr {
            resource: ResourceAddr {
                kind,
                type_name: type_name.to_string(),
                name: name.to_string(),
            },
            key,
        })
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
        ] {
            assert_eq!(InstanceAddr::parse(text).unwrap().to_string(), text);
        }
        assert!(InstanceAddr::parse("nope").is_err());
        assert!(InstanceAddr::parse("a.b[x]").is_err());
    }
}
