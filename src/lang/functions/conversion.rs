//! Type conversion functions and the three that work on sensitive marks.

use super::FunctionError;
use super::args::{Args, to_string};
use super::unify::unify;
use ggplan_sdk::{Number, Value, set_of};

type Result = std::result::Result<Value, FunctionError>;

pub(super) fn sensitive(mut args: Args) -> Result {
    Ok(args.take(0).into_sensitive())
}

/// Removes the mark at the top of the value (marks deeper inside stay, as in Terraform).
pub(super) fn nonsensitive(mut args: Args) -> Result {
    Ok(args.take(0).unmark().0)
}

pub(super) fn issensitive(args: Args) -> Result {
    Ok(Value::Bool(args.value(0).is_sensitive()))
}

/// The Terraform name of a value's type, for conversion errors.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::List(_) => "tuple",
        other => other.kind_name(),
    }
}

pub(super) fn tostring(args: Args) -> Result {
    let v = args.value(0);
    if v.is_null() {
        return Ok(Value::Null);
    }
    to_string(v)
        .map(Value::String)
        .ok_or_else(|| args.error(0, format!("cannot convert {} to string.", type_name(v))))
}

pub(super) fn tonumber(args: Args) -> Result {
    match args.value(0) {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(*n)),
        Value::String(s) => Number::parse(s).map(Value::Number).ok_or_else(|| {
            args.error(
                0,
                format!(
                    "cannot convert {} to number; given string must be a decimal representation of a number",
                    super::format::go_quote(s)
                ),
            )
        }),
        other => Err(args.error(
            0,
            format!("cannot convert {} to number.", type_name(other)),
        )),
    }
}

pub(super) fn tobool(args: Args) -> Result {
    match args.value(0) {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        Value::String(s) => Err(args.error(
            0,
            format!(
                "cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed",
                super::format::go_quote(s)
            ),
        )),
        other => Err(args.error(0, format!("cannot convert {} to bool.", type_name(other)))),
    }
}

pub(super) fn tolist(args: Args) -> Result {
    collection(args, "list").map(|v| v.map_or(Value::Null, Value::List))
}

pub(super) fn toset(args: Args) -> Result {
    collection(args, "set").map(|v| v.map_or(Value::Null, |items| Value::List(set_of(items))))
}

/// The elements of a list or tuple argument unified to one type (`None` for null).
fn collection(
    mut args: Args,
    kind: &str,
) -> std::result::Result<Option<Vec<Value>>, FunctionError> {
    let value = args.take(0);
    let items = match value {
        Value::Null => return Ok(None),
        Value::List(items) => items,
        other => {
            return Err(args.error(
                0,
                format!(
                    "cannot convert {} to {kind} of any single type.",
                    type_name(&other)
                ),
            ));
        }
    };
    unify(items).map(Some).map_err(|_| {
        args.error(
            0,
            format!("cannot convert tuple to {kind} of any single type"),
        )
    })
}

pub(super) fn tomap(mut args: Args) -> Result {
    match args.take(0) {
        Value::Null => Ok(Value::Null),
        Value::Map(map) => {
            let (keys, values): (Vec<String>, Vec<Value>) = map.into_iter().unzip();
            let values = unify(values)
                .map_err(|_| args.error(0, "cannot convert object to map of any single type"))?;
            Ok(Value::Map(keys.into_iter().zip(values).collect()))
        }
        other => Err(args.error(
            0,
            format!(
                "cannot convert {} to map of any single type.",
                type_name(&other)
            ),
        )),
    }
}
