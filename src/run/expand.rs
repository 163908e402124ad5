//! `count` and `for_each`: the instances of a resource or module call in one module instance.

use super::Run;
use crate::address::{InstanceKey, ModuleInstance};
use crate::config::{Expr, Repetition};
use crate::scope::{Expansion, InstanceContext};
use ggplan_sdk::{Diagnostic, Type, Value};

/// The instances of one resource (or module call) and the context of each.
pub type Instances = Vec<(Option<InstanceKey>, InstanceContext)>;

impl Run {
    /// The instances of a resource or module call (`what` says which, for messages): its
    /// count or for_each evaluated in a module instance.
    pub fn expand(
        &self,
        repetition: &Repetition,
        module: &ModuleInstance,
        what: &str,
    ) -> Result<(Expansion, Instances), Diagnostic> {
        let bad = |expr: &Expr, argument: &str, detail: &str| {
            Diagnostic::error(
                format!("Invalid {argument} argument"),
                format!("{detail} (in a {what} block)"),
            )
            .at_range(Some(self.module().range(expr)))
        };
        match repetition {
            Repetition::Single => Ok((Expansion::Single, vec![(None, InstanceContext::default())])),
            Repetition::Count(expr) => {
                let value = self.eval(expr, module, &InstanceContext::default())?;
                let n = count(value).map_err(|detail| bad(expr, "count", detail))?;
                let instances = (0..n)
                    .map(|i| {
                        let key = Some(InstanceKey::Int(i));
                        let ctx = InstanceContext::for_key(&key, None);
                        (key, ctx)
                    })
                    .collect();
                Ok((Expansion::Count, instances))
            }
            Repetition::ForEach(expr) => {
                let value = self.eval(expr, module, &InstanceContext::default())?;
                let entries = for_each_entries(value).map_err(|d| bad(expr, "for_each", &d))?;
                let instances = entries
                    .into_iter()
                    .map(|(k, v)| {
                        let key = Some(InstanceKey::Str(k));
                        let ctx = InstanceContext::for_key(&key, Some(v));
                        (key, ctx)
                    })
                    .collect();
                Ok((Expansion::ForEach, instances))
            }
        }
    }
}

/// How many instances a `count` value asks for, or why it cannot say.
fn count(value: Value) -> Result<usize, &'static str> {
    if value.is_unknown() {
        return Err(
            "The count value depends on values known only after apply, so ggplan cannot tell how \
             many instances to plan. Use values known at plan time, or apply the resources it \
             depends on first with --target.",
        );
    }
    // As in Terraform, a string that holds a number counts (`-var n=2` is a string).
    Type::Number
        .convert(value)
        .ok()
        .and_then(|v| v.as_number())
        .and_then(|n| n.as_i64())
        .and_then(|n| usize::try_from(n).ok())
        .ok_or("count must be a whole number, 0 or more.")
        .and_then(|n| match n <= MAX_COUNT {
            true => Ok(n),
            false => Err(
                "count is above 1,000,000: one resource block makes at most a million \
                          instances (each takes memory in every plan); split it.",
            ),
        })
}

/// The most instances one `count` makes: a larger one is a mistake that would exhaust memory
/// (`count = 1e10` asked for 960 GB) before any error could be shown.
const MAX_COUNT: usize = 1_000_000;

/// The keys and values a `for_each` value gives its instances (a set's elements are their
/// own keys, sorted), or why it cannot.
fn for_each_entries(value: Value) -> Result<Vec<(String, Value)>, String> {
    if value.contains_sensitive() {
        return Err(
            "Sensitive values cannot be used as for_each arguments: they would be shown as \
             instance keys. Use nonsensitive() on the keys if that is safe."
                .into(),
        );
    }
    match value {
        Value::Unknown => Err(
            "The for_each value depends on values known only after apply, so ggplan cannot tell \
             which instances to plan. Use keys known at plan time."
                .into(),
        ),
        Value::Map(map) => Ok(map.into_iter().collect()),
        Value::List(items) => set_entries(items),
        Value::Null => Err("for_each must not be null; use {} for no instances.".into()),
        other => Err(format!(
            "for_each takes a map or a set of strings, not a {}.",
            other.kind_name()
        )),
    }
}

/// The entries of a `for_each` set: each string is its own key and value.
fn set_entries(items: Vec<Value>) -> Result<Vec<(String, Value)>, String> {
    let mut keys = Vec::new();
    for item in items {
        match item {
            Value::String(s) => keys.push((s.clone(), Value::String(s))),
            Value::Unknown => {
                return Err("The for_each set has elements known only after apply.".into());
            }
            other => {
                return Err(format!(
                    "for_each takes a map or a set of strings; this set holds a {}. Use \
                     toset([for x in ... : tostring(x)]).",
                    other.kind_name()
                ));
            }
        }
    }
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys.dedup_by(|a, b| a.0 == b.0);
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_takes_whole_numbers_and_numeric_strings_only() {
        assert_eq!(count(Value::int(3)), Ok(3));
        assert_eq!(count(Value::string("2")), Ok(2));
        assert!(count(Value::int(-1)).is_err());
        assert!(count(Value::string("two")).is_err());
        assert!(
            count(Value::Unknown)
                .unwrap_err()
                .contains("known only after apply")
        );
    }

    #[test]
    fn a_for_each_set_is_keyed_by_its_sorted_unique_strings() {
        let set = Value::List(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("b"),
        ]);
        let keys: Vec<String> = for_each_entries(set)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a", "b"]);
    }

    #[test]
    fn for_each_refuses_secrets_unknowns_nulls_and_sets_of_non_strings() {
        assert!(for_each_entries(Value::string("k").into_sensitive()).is_err());
        assert!(for_each_entries(Value::Unknown).is_err());
        assert!(for_each_entries(Value::Null).is_err());
        let numbers = Value::List(vec![Value::int(1)]);
        assert!(for_each_entries(numbers).unwrap_err().contains("tostring"));
        let unknown_element = Value::List(vec![Value::Unknown]);
        assert!(for_each_entries(unknown_element).is_err());
    }
}
