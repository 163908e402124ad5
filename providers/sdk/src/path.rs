//! Paths into a value: `network[0].fixed_ip_v4`, `tags["team"]`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One step of an [`AttrPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathStep {
    /// An object attribute or map key.
    Key(String),
    /// A list element.
    Index(usize),
}

/// A path from the root of a resource's value to one of its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttrPath(pub Vec<PathStep>);

impl AttrPath {
    /// The empty path, which names the whole value.
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    /// A path of one attribute name.
    pub fn attr(name: &str) -> Self {
        AttrPath(vec![PathStep::Key(name.to_string())])
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(PathStep::Key(key.to_string()));
        AttrPath(steps)
    }

    /// This path extended by a list index.
    pub fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(index));
        AttrPath(steps)
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &AttrPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The first attribute name, if the path starts with one.
    pub fn root_attribute(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathStep::Key(k)) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(k) if i == 0 => write!(f, "{k}")?,
                PathStep::Key(k) if is_identifier(k) => write!(f, ".{k}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform() {
        let p = AttrPath::attr("network").index(0).key("fixed_ip_v4");
        assert_eq!(p.to_string(), "network[0].fixed_ip_v4");
        let p = AttrPath::attr("tags").key("a b");
        assert_eq!(p.to_string(), "tags[\"a b\"]");
    }
}
