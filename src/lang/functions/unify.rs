//! Type unification: what Terraform does to the elements of a tuple that becomes a list or a
//! set, or to the attributes of an object that becomes a map.
//!
//! Our values carry no types, so the rule is applied to the values themselves: primitives of
//! different kinds become strings when one of them is a string (numbers and bools alone do
//! not unify); lists unify position by position when they have the same length and all
//! their elements together otherwise; maps likewise, by key. Nulls and unknowns fit any type.

use super::args::to_string;
use ggplan_sdk::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The message when elements have no common type.
pub(super) const MISMATCH: &str = "all elements must have the same type";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Bool,
    Number,
    String,
    List,
    Map,
}

fn kind(value: &Value) -> Option<Kind> {
    match value.peel() {
        Value::Bool(_) => Some(Kind::Bool),
        Value::Number(_) => Some(Kind::Number),
        Value::String(_) => Some(Kind::String),
        Value::List(_) => Some(Kind::List),
        Value::Map(_) => Some(Kind::Map),
        Value::Null | Value::Unknown | Value::Sensitive(_) => None,
    }
}

/// The values converted to one common type, or [`MISMATCH`].
pub(crate) fn unify(items: Vec<Value>) -> Result<Vec<Value>, &'static str> {
    let kinds: BTreeSet<Kind> = items.iter().filter_map(kind).collect();
    let kinds: Vec<Kind> = kinds.into_iter().collect();
    match kinds.as_slice() {
        [] | [Kind::Bool] | [Kind::Number] | [Kind::String] => Ok(items),
        [Kind::List] => unify_lists(items),
        [Kind::Map] => unify_maps(items),
        ks if ks.contains(&Kind::String) && ks.iter().all(|k| *k <= Kind::String) => Ok(items
            .into_iter()
            .map(|v| match to_string(&v) {
                Some(s) => Value::String(s),
                None => v,
            })
            .collect()),
        _ => Err(MISMATCH),
    }
}

fn unify_lists(items: Vec<Value>) -> Result<Vec<Value>, &'static str> {
    let lengths: BTreeSet<usize> = items
        .iter()
        .filter_map(|v| v.as_list().map(<[Value]>::len))
        .collect();
    let mut out = items;
    if lengths.len() == 1 {
        let len = lengths.into_iter().next().unwrap_or(0);
        for pos in 0..len {
            let column: Vec<Value> = out
                .iter_mut()
                .filter_map(|v| match v {
                    Value::List(l) => Some(std::mem::take(&mut l[pos])),
                    _ => None,
                })
                .collect();
            let mut column = unify(column)?.into_iter();
            for v in out.iter_mut() {
                if let (Value::List(l), Some(c)) = (v, column.next()) {
                    l[pos] = c;
                }
            }
        }
        return Ok(out);
    }
    let all: Vec<Value> = out
        .iter()
        .filter_map(Value::as_list)
        .flat_map(|l| l.iter().cloned())
        .collect();
    let mut all = unify(all)?.into_iter();
    for v in out.iter_mut() {
        if let Value::List(l) = v {
            let n = l.len();
            *l = all.by_ref().take(n).collect();
        }
    }
    Ok(out)
}

fn unify_maps(items: Vec<Value>) -> Result<Vec<Value>, &'static str> {
    let key_sets: BTreeSet<Vec<String>> = items
        .iter()
        .filter_map(|v| v.as_map().map(|m| m.keys().cloned().collect()))
        .collect();
    let mut out = items;
    if key_sets.len() == 1 {
        let keys = key_sets.into_iter().next().unwrap_or_default();
        for key in keys {
            let column: Vec<Value> = out
                .iter_mut()
                .filter_map(|v| match v {
                    Value::Map(m) => m.get_mut(&key).map(std::mem::take),
                    _ => None,
                })
                .collect();
            let mut column = unify(column)?.into_iter();
            for v in out.iter_mut() {
                if let (Value::Map(m), Some(c)) = (v, column.next()) {
                    m.insert(key.clone(), c);
                }
            }
        }
        return Ok(out);
    }
    let all: Vec<Value> = out
        .iter()
        .filter_map(Value::as_map)
        .flat_map(|m| m.values().cloned())
        .collect();
    let mut all = unify(all)?.into_iter();
    for v in out.iter_mut() {
        if let Value::Map(m) = v {
            let filled: BTreeMap<String, Value> = m
                .keys()
                .map(|k| (k.clone(), all.next().unwrap_or_default()))
                .collect();
            *m = filled;
        }
    }
    Ok(out)
}
