//! The arguments of one call, with Terraform's conversions to each parameter's type.

use super::{Function, FunctionContext, FunctionError, rules};
use ggplan_sdk::{Number, Value};
use std::collections::BTreeMap;

/// The arguments of one call, and what the function needs to word its errors.
pub(crate) struct Args<'a> {
    values: Vec<Value>,
    function: &'static Function,
    pub ctx: &'a FunctionContext,
}

impl<'a> Args<'a> {
    pub fn new(function: &'static Function, values: Vec<Value>, ctx: &'a FunctionContext) -> Self {
        Args {
            values,
            function,
            ctx,
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// An error about the argument at `index`.
    pub fn error(&self, index: usize, message: impl Into<String>) -> FunctionError {
        rules::arg_error(self.function, index, message)
    }

    /// The argument at `index` as given.
    pub fn value(&self, index: usize) -> &Value {
        &self.values[index]
    }

    /// The arguments from `index` on (the variadic ones).
    pub fn rest(&self, index: usize) -> &[Value] {
        self.values.get(index..).unwrap_or(&[])
    }

    /// Takes the argument at `index` out, leaving null.
    pub fn take(&mut self, index: usize) -> Value {
        std::mem::take(&mut self.values[index])
    }

    pub fn string(&self, index: usize) -> Result<String, FunctionError> {
        let v = self.value(index);
        to_string(v).ok_or_else(|| self.error(index, required("string", v)))
    }

    pub fn number(&self, index: usize) -> Result<Number, FunctionError> {
        number_of(self.value(index)).map_err(|m| self.error(index, m))
    }

    /// A number that must be whole.
    pub fn int(&self, index: usize) -> Result<i64, FunctionError> {
        self.number(index)?
            .as_i64()
            .ok_or_else(|| FunctionError::Call(WHOLE_NUMBER.to_string()))
    }

    /// A list, tuple or set.
    pub fn list(&self, index: usize) -> Result<&[Value], FunctionError> {
        self.value(index)
            .as_list()
            .ok_or_else(|| self.error(index, "list of any single type required"))
    }

    /// A map or object.
    pub fn map(&self, index: usize) -> Result<&BTreeMap<String, Value>, FunctionError> {
        self.value(index)
            .as_map()
            .ok_or_else(|| self.error(index, "map of any single type required"))
    }
}

/// Terraform's message for a number that must fit a Go `int`.
pub(crate) const WHOLE_NUMBER: &str =
    "value must be a whole number, between -9223372036854775808 and 9223372036854775807";

/// The Terraform name of a value's type (literal lists are tuples, maps objects).
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value.peel() {
        Value::List(_) => "tuple",
        other => other.kind_name(),
    }
}

/// The message for a value that is not of the `what` type at all.
pub(crate) fn required(what: &str, value: &Value) -> String {
    format!("{what} required, but have {}", type_name(value))
}

/// A number, or why `value` is not one.
pub(crate) fn number_of(value: &Value) -> Result<Number, String> {
    match value.peel() {
        Value::String(_) => to_number(value).ok_or_else(|| "a number is required".to_string()),
        other => to_number(other).ok_or_else(|| required("number", other)),
    }
}

/// The elements of a list of strings, or why `value` is not one.
pub(crate) fn strings_of(value: &Value) -> Result<Vec<String>, String> {
    let items = value
        .as_list()
        .ok_or_else(|| "list of string required.".to_string())?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if item.is_null() {
                return Err(format!(
                    "element {i} is null; cannot concatenate null values"
                ));
            }
            to_string(item).ok_or_else(|| format!("element {i}: {}", required("string", item)))
        })
        .collect()
}

/// A primitive as a string, as Terraform converts it.
pub(crate) fn to_string(value: &Value) -> Option<String> {
    match value.peel() {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number or a string holding one.
pub(crate) fn to_number(value: &Value) -> Option<Number> {
    match value.peel() {
        Value::Number(n) => Some(*n),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}

/// A bool or the string `"true"` or `"false"`.
pub(crate) fn to_bool(value: &Value) -> Option<bool> {
    match value.peel() {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A number as a value, whole where it is whole.
pub(crate) fn number(f: f64) -> Value {
    Value::Number(Number::from_f64(f))
}
