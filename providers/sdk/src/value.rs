//! The one value type that flows through expressions, providers, plans and state.
//!
//! Numbers are an `i64` when they are whole and fit, an `f64` otherwise (Terraform uses
//! arbitrary-precision decimals; integers up to 2^63 and doubles cover every stack we know).
//! Lists, tuples and sets share [`Value::List`] (a set is a sorted list without duplicates);
//! maps and objects share [`Value::Map`], whose keys are kept sorted as Terraform prints them.
//! [`Value::Unknown`] is a value known only after apply. [`Value::Sensitive`] marks its content
//! as secret; operations keep the mark on everything derived from it.

use crate::path::{AttrPath, PathStep};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A number: whole numbers stay exact, the rest are doubles.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// The number as a double.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The number as an integer, if it is whole and in range.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    /// A number from a double, kept whole where it is whole.
    pub fn from_f64(f: f64) -> Number {
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            Number::Int(f as i64)
        } else {
            Number::Float(f)
        }
    }

    /// Parses a number as Terraform does when it converts a string (`"1"`, `"-2.5"`, `"1e3"`).
    pub fn parse(s: &str) -> Option<Number> {
        let t = s.trim();
        if t != s || t.is_empty() {
            return None;
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Number::Int(i));
        }
        let valid = t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        if !valid {
            return None;
        }
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::from_f64)
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(b)),
            _ => self.as_f64().partial_cmp(&other.as_f64()),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => match Number::from_f64(*x) {
                Number::Int(i) => write!(f, "{i}"),
                Number::Float(x) => write!(f, "{x}"),
            },
        }
    }
}

/// A value of the ggplan language.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// A list, tuple or set.
    List(Vec<Value>),
    /// A map or object.
    Map(BTreeMap<String, Value>),
    /// Known only after apply.
    Unknown,
    /// A secret: shown as `(sensitive value)`, never printed.
    Sensitive(Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An integer value.
    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    /// An object from `(name, value)` pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// This value marked sensitive (once; marking twice changes nothing).
    pub fn into_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// The value without its outer sensitive mark, and whether it had one.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.unmark().0, true),
            other => (other, false),
        }
    }

    /// A reference to the value inside any sensitive mark.
    pub fn peel(&self) -> &Value {
        match self {
            Value::Sensitive(inner) => inner.peel(),
            other => other,
        }
    }

    /// Whether the value is marked sensitive at its top.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Whether any part of the value is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(map) => map.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Removes every sensitive mark and returns the paths that carried one.
    pub fn unmark_deep(self) -> (Value, Vec<AttrPath>) {
        // Most values hold no secret: nothing to rebuild then (a scan allocates nothing).
        if !self.contains_sensitive() {
            return (self, Vec::new());
        }
        let mut paths = Vec::new();
        let value = unmark_into(self, &AttrPath::root(), &mut paths);
        (value, paths)
    }

    /// Whether the two values are equal once their sensitive marks are removed, without
    /// copying either.
    pub fn eq_unmarked(&self, other: &Value) -> bool {
        match (self.peel(), other.peel()) {
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.eq_unmarked(b))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.eq_unmarked(vb))
            }
            (a, b) => a == b,
        }
    }

    /// Marks the parts of the value at `paths` sensitive (paths that do not exist are ignored).
    /// The result has no mark inside a marked part (as [`Value::unmark_deep`] reads marks), so
    /// values marked from the same secrets compare equal whatever order their paths came in.
    pub fn mark_paths(self, paths: &[AttrPath]) -> Value {
        if paths.len() < 2 {
            return paths
                .iter()
                .fold(self, |value, path| mark_at(value, &path.0));
        }
        // Outer parts first: marking inside a part that is already secret adds nothing.
        let mut sorted: Vec<&AttrPath> = paths.iter().collect();
        sorted.sort_by_key(|path| path.0.len());
        sorted
            .into_iter()
            .fold(self, |value, path| mark_at(value, &path.0))
    }

    /// Whether the value is null (looking through a sensitive mark).
    pub fn is_null(&self) -> bool {
        matches!(self.peel(), Value::Null)
    }

    /// Whether the value is unknown at its top (looking through a sensitive mark).
    pub fn is_unknown(&self) -> bool {
        matches!(self.peel(), Value::Unknown)
    }

    /// Whether the value and all of its parts are known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(inner) => inner.is_wholly_known(),
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(map) => map.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self.peel() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool inside, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.peel() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number inside, if this is a number.
    pub fn as_number(&self) -> Option<Number> {
        match self.peel() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The elements, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self.peel() {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.peel() {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// An attribute of an object (null when absent or when this is not an object).
    pub fn get(&self, name: &str) -> &Value {
        const NULL: Value = Value::Null;
        self.as_map().and_then(|m| m.get(name)).unwrap_or(&NULL)
    }

    /// Sets one attribute of an object (a state, a plan); changes nothing when this is not
    /// an object.
    pub fn set_attr(&mut self, name: &str, attribute: Value) {
        if let Value::Map(map) = self {
            map.insert(name.to_string(), attribute);
        }
    }

    /// The part of the value at `path`, if it exists.
    pub fn at(&self, path: &AttrPath) -> Option<&Value> {
        path.0
            .iter()
            .try_fold(self, |value, step| match (value.peel(), step) {
                (Value::Map(map), PathStep::Key(k)) => map.get(k),
                (Value::List(items), PathStep::Index(i)) => items.get(*i),
                _ => None,
            })
    }

    /// Replaces the part of the value at `path` (creating object attributes on the way;
    /// a list index out of range changes nothing). Sensitive marks on the way are kept.
    pub fn set_at(&mut self, path: &AttrPath, new: Value) {
        let Some((first, rest)) = path.0.split_first() else {
            *self = new;
            return;
        };
        let target = match self {
            Value::Sensitive(inner) => return inner.set_at(path, new),
            Value::Null => {
                *self = Value::Map(BTreeMap::new());
                self
            }
            other => other,
        };
        let rest = AttrPath(rest.to_vec());
        match (target, first) {
            (Value::Map(map), PathStep::Key(k)) => {
                map.entry(k.clone()).or_default().set_at(&rest, new)
            }
            (Value::List(items), PathStep::Index(i)) => {
                if let Some(slot) = items.get_mut(*i) {
                    slot.set_at(&rest, new);
                }
            }
            _ => {}
        }
    }

    /// A short name of the value's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "object",
            Value::Unknown => "unknown value",
            Value::Sensitive(inner) => inner.kind_name(),
        }
    }

    /// The value as JSON, if it is wholly known. Sensitive marks are dropped: callers that
    /// persist or print values strip and record them first (see [`Value::unmark_deep`]).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(Number::Int(i)) => serde_json::Value::from(*i),
            Value::Number(Number::Float(f)) => serde_json::Value::from(*f),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect::<Option<_>>()?)
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Unknown => return None,
            Value::Sensitive(inner) => return inner.to_json(),
        })
    }

    /// A value from JSON.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(match n.as_i64() {
                Some(i) => Number::Int(i),
                None => Number::from_f64(n.as_f64().unwrap_or(f64::NAN)),
            }),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

fn unmark_into(value: Value, path: &AttrPath, paths: &mut Vec<AttrPath>) -> Value {
    match value {
        Value::Sensitive(inner) => {
            paths.push(path.clone());
            // Nested marks inside a sensitive value add nothing: the whole is already secret.
            let mut ignored = Vec::new();
            unmark_into(*inner, path, &mut ignored)
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| unmark_into(v, &path.index(i), paths))
                .collect(),
        ),
        Value::Map(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| {
                    if !v.contains_sensitive() {
                        return (k, v);
                    }
                    let child = path.key(&k);
                    (k, unmark_into(v, &child, paths))
                })
                .collect(),
        ),
        other => other,
    }
}

fn mark_at(value: Value, steps: &[PathStep]) -> Value {
    if value.is_sensitive() {
        return value; // The whole is secret already.
    }
    let Some((first, rest)) = steps.split_first() else {
        return value.into_sensitive();
    };
    match (value, first) {
        (Value::Map(mut map), PathStep::Key(k)) => {
            if let Some(child) = map.remove(k) {
                map.insert(k.clone(), mark_at(child, rest));
            }
            Value::Map(map)
        }
        (Value::List(mut items), PathStep::Index(i)) => {
            if let Some(slot) = items.get_mut(*i) {
                let child = std::mem::take(slot);
                *slot = mark_at(child, rest);
            }
            Value::List(items)
        }
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_across_representations() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_eq!(Number::Float(2.5).to_string(), "2.5");
        assert_eq!(Number::Float(4.0).to_string(), "4");
        assert_eq!(Number::parse("1e3"), Some(Number::Int(1000)));
        assert_eq!(Number::parse(" 1"), None);
        assert_eq!(Number::parse("abc"), None);
    }

    #[test]
    fn values_compare_without_their_marks() {
        let plain = Value::object([
            ("a", Value::string("x")),
            ("b", Value::List(vec![Value::int(1), Value::int(2)])),
        ]);
        let marked = Value::object([
            ("a", Value::string("x").into_sensitive()),
            (
                "b",
                Value::List(vec![Value::int(1), Value::int(2).into_sensitive()]).into_sensitive(),
            ),
        ]);
        assert!(plain.eq_unmarked(&marked) && marked.eq_unmarked(&plain));
        let other = Value::object([
            ("a", Value::string("x")),
            ("b", Value::List(vec![Value::int(1)])),
        ]);
        assert!(!plain.eq_unmarked(&other));
        let renamed = Value::object([("a", Value::string("x")), ("c", Value::Null)]);
        assert!(
            !Value::object([("a", Value::string("x")), ("b", Value::Null)]).eq_unmarked(&renamed)
        );
        assert!(!Value::List(vec![]).eq_unmarked(&Value::Map(BTreeMap::new())));
        assert_eq!(plain.clone().unmark_deep(), (plain, Vec::new()));
    }

    #[test]
    fn sensitive_paths_round_trip() {
        let v = Value::object([
            ("a", Value::string("x").into_sensitive()),
            (
                "b",
                Value::List(vec![Value::int(1), Value::int(2).into_sensitive()]),
            ),
        ]);
        let (plain, paths) = v.clone().unmark_deep();
        assert!(!plain.contains_sensitive());
        assert_eq!(
            paths,
            vec![AttrPath::attr("a"), AttrPath::attr("b").index(1)]
        );
        assert_eq!(plain.mark_paths(&paths), v);
    }

    #[test]
    fn marks_inside_a_marked_part_add_nothing_whatever_their_order() {
        let plain = Value::object([("data", Value::object([("pw", Value::string("x"))]))]);
        let outer = AttrPath::attr("data");
        let inner = AttrPath::attr("data").key("pw");
        let once = plain.clone().mark_paths(std::slice::from_ref(&outer));
        assert_eq!(
            plain.clone().mark_paths(&[inner.clone(), outer.clone()]),
            once
        );
        assert_eq!(plain.mark_paths(&[outer, inner]), once);
    }

    #[test]
    fn set_at_replaces_nested_parts() {
        let mut v = Value::object([("tags", Value::object([("a", Value::int(1))]))]);
        v.set_at(&AttrPath::attr("tags").key("b"), Value::int(2));
        v.set_at(&AttrPath::attr("name"), Value::string("x"));
        assert_eq!(v.get("tags").get("b"), &Value::int(2));
        assert_eq!(v.get("tags").get("a"), &Value::int(1));
        assert_eq!(v.get("name"), &Value::string("x"));
    }

    #[test]
    fn unknown_is_not_json() {
        let v = Value::List(vec![Value::Unknown]);
        assert!(v.to_json().is_none());
        assert!(!v.is_wholly_known());
    }
}
