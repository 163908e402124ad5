//! Collection functions over lists, tuples, sets, maps and objects.

use super::args::{
    Args, WHOLE_NUMBER, number, required, strings_of, to_bool, to_number, to_string,
};
use super::format::go_quote;
use super::unify::unify;
use super::{FunctionError, fail};
use ggplan_sdk::{Number, Value};
use std::collections::BTreeMap;
use unicode_segmentation::UnicodeSegmentation;

type Result = std::result::Result<Value, FunctionError>;

/// Terraform refuses to build a `range` longer than this.
const RANGE_LIMIT: usize = 1024;

pub(super) fn length(args: Args) -> Result {
    let n = match args.value(0) {
        Value::String(s) => s.graphemes(true).count(),
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        // Terraform reports this against the call, not the argument.
        _ => return fail("argument must be a string, a collection type, or a structural type"),
    };
    Ok(Value::int(n as i64))
}

pub(super) fn alltrue(args: Args) -> Result {
    let items = bools(&args)?;
    Ok(Value::Bool(items.iter().all(|b| *b == Some(true))))
}

pub(super) fn anytrue(args: Args) -> Result {
    let items = bools(&args)?;
    Ok(Value::Bool(items.contains(&Some(true))))
}

/// The elements of a list of bools (`None` for nulls).
fn bools(args: &Args) -> std::result::Result<Vec<Option<bool>>, FunctionError> {
    let mut out = Vec::new();
    for (i, v) in args.list(0)?.iter().enumerate() {
        out.push(match v {
            Value::Null => None,
            Value::String(_) => {
                Some(to_bool(v).ok_or_else(|| args.error(0, "a bool is required"))?)
            }
            v => {
                Some(to_bool(v).ok_or_else(|| {
                    args.error(0, format!("element {i}: {}", required("bool", v)))
                })?)
            }
        });
    }
    Ok(out)
}

pub(super) fn chunklist(args: Args) -> Result {
    let items = args.list(0)?;
    let size = whole(&args, 1, "invalid size: ")?;
    if size < 0 {
        return Err(args.error(1, "the size argument must be positive"));
    }
    if items.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items.to_vec())]));
    }
    Ok(Value::List(
        items
            .chunks(size as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

pub(super) fn coalesce(args: Args) -> Result {
    if args.len() == 0 {
        return fail("all arguments must have the same type");
    }
    let values =
        unify(args.rest(0).to_vec()).or_else(|_| fail("all arguments must have the same type"))?;
    for v in values {
        match v.peel() {
            Value::Unknown => return Ok(v),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            _ => return Ok(v),
        }
    }
    fail("no non-null, non-empty-string arguments")
}

pub(super) fn coalescelist(args: Args) -> Result {
    if args.len() == 0 {
        return fail("at least one argument is required");
    }
    for (i, v) in args.rest(0).iter().enumerate() {
        match v {
            Value::List(items) if items.is_empty() => {}
            Value::List(_) => return Ok(v.clone()),
            _ => {
                return Err(args.error(i, "coalescelist arguments must be lists or tuples"));
            }
        }
    }
    fail("no non-null arguments")
}

pub(super) fn compact(args: Args) -> Result {
    let items = args.list(0)?;
    if items.iter().any(Value::is_unknown) {
        return Ok(Value::Unknown);
    }
    let mut out = Vec::new();
    for item in items {
        if item.is_null() {
            continue;
        }
        let s = to_string(item).ok_or_else(|| args.error(0, "list of string required"))?;
        if !s.is_empty() {
            out.push(Value::String(s));
        }
    }
    Ok(Value::List(out))
}

pub(super) fn concat(args: Args) -> Result {
    if args.len() == 0 {
        return fail("at least one argument is required");
    }
    let mut out = Vec::new();
    for (i, v) in args.rest(0).iter().enumerate() {
        let items = v.as_list().ok_or_else(|| {
            args.error(
                i,
                format!(
                    "all arguments must be lists or tuples; got {}.",
                    v.kind_name()
                ),
            )
        })?;
        out.extend(items.iter().cloned());
    }
    Ok(Value::List(out))
}

pub(super) fn contains(args: Args) -> Result {
    let items = args.list(0)?;
    let needle = args.value(1);
    Ok(Value::Bool(items.iter().any(|v| v == needle)))
}

pub(super) fn distinct(args: Args) -> Result {
    let items = unified(&args, 0)?;
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(Value::List(out))
}

/// The list at `index` with its elements unified to one type.
fn unified(args: &Args, index: usize) -> std::result::Result<Vec<Value>, FunctionError> {
    let items = args.list(index)?.to_vec();
    unify(items).map_err(|m| args.error(index, m))
}

pub(super) fn element(args: Args) -> Result {
    let items = args.list(0)?;
    let index = whole(&args, 1, "invalid index: ")?;
    if items.is_empty() {
        return fail("cannot use element function with an empty list");
    }
    // Wraps around in both directions: -1 is the last element.
    let at = index.rem_euclid(items.len() as i64) as usize;
    Ok(items[at].clone())
}

pub(super) fn flatten(args: Args) -> Result {
    let mut out = Vec::new();
    if !flatten_into(args.list(0)?, &mut out) {
        return Ok(Value::Unknown);
    }
    Ok(Value::List(out))
}

/// Appends the leaves of `items`; false when an unknown list hides how many there are.
fn flatten_into(items: &[Value], out: &mut Vec<Value>) -> bool {
    for item in items {
        match item {
            Value::List(inner) => {
                if !flatten_into(inner, out) {
                    return false;
                }
            }
            Value::Unknown => return false,
            other => out.push(other.clone()),
        }
    }
    true
}

pub(super) fn index(args: Args) -> Result {
    let items = args.list(0)?;
    let needle = args.value(1);
    match items.iter().position(|v| v == needle) {
        Some(i) => Ok(Value::int(i as i64)),
        None => fail("item not found"),
    }
}

/// The map or object argument at `index`.
fn mapping<'a>(
    args: &'a Args,
    index: usize,
) -> std::result::Result<&'a BTreeMap<String, Value>, FunctionError> {
    args.value(index)
        .as_map()
        .ok_or_else(|| args.error(index, "must have map or object type"))
}

/// A whole number argument; Terraform words the error per function (`prefix`).
fn whole(args: &Args, index: usize, prefix: &str) -> std::result::Result<i64, FunctionError> {
    args.number(index)?
        .as_i64()
        .ok_or_else(|| FunctionError::Call(format!("{prefix}{WHOLE_NUMBER}")))
}

pub(super) fn keys(args: Args) -> Result {
    let map = mapping(&args, 0)?;
    Ok(Value::List(map.keys().map(Value::string).collect()))
}

pub(super) fn values(args: Args) -> Result {
    let map = mapping(&args, 0)?;
    Ok(Value::List(map.values().cloned().collect()))
}

pub(super) fn lookup(args: Args) -> Result {
    let key = args.string(1)?;
    let defaults = args.rest(2);
    if defaults.len() > 1 {
        return fail(format!(
            "lookup() takes two or three arguments, got {}",
            args.len()
        ));
    }
    let map = mapping(&args, 0)?;
    match (map.get(&key), defaults.first()) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        // Our maps are untyped: report as Terraform does for an object.
        (None, None) => Err(args.error(
            0,
            format!("the given object has no attribute {}", go_quote(&key)),
        )),
    }
}

pub(super) fn matchkeys(args: Args) -> Result {
    let (values, keys) = (args.list(0)?, args.list(1)?);
    let searchset = args.list(2)?;
    if values.len() != keys.len() {
        return fail("length of keys and values should be equal");
    }
    Ok(Value::List(
        values
            .iter()
            .zip(keys)
            .filter(|(_, k)| searchset.iter().any(|s| s == *k))
            .map(|(v, _)| v.clone())
            .collect(),
    ))
}

pub(super) fn merge(args: Args) -> Result {
    let mut out = BTreeMap::new();
    for (i, v) in args.rest(0).iter().enumerate() {
        match v {
            Value::Null => {}
            Value::Map(map) => out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(args.error(
                    i,
                    format!(
                        "arguments must be maps or objects, got {}",
                        go_quote(other.kind_name())
                    ),
                ));
            }
        }
    }
    Ok(Value::Map(out))
}

pub(super) fn one(args: Args) -> Result {
    match args.list(0)? {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        _ => Err(args.error(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

pub(super) fn range(args: Args) -> Result {
    let mut nums = Vec::new();
    for i in 0..args.len() {
        nums.push(args.number(i)?.as_f64());
    }
    let (start, limit, step) = match nums.as_slice() {
        [limit] => (0.0, *limit, if *limit < 0.0 { -1.0 } else { 1.0 }),
        [start, limit] => (*start, *limit, if limit < start { -1.0 } else { 1.0 }),
        [start, limit, step] => (*start, *limit, *step),
        _ => return fail("must have one, two, or three arguments"),
    };
    // A zero step counts up until the limit below stops it, as in Terraform.
    if step < 0.0 && limit > start {
        return Err(args.error(0, "end must be less than start when step is negative"));
    }
    if step >= 0.0 && limit < start {
        return Err(args.error(0, "end must be greater than start when step is positive"));
    }
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let v = start + step * i;
        if (step >= 0.0 && v >= limit) || (step < 0.0 && v <= limit) {
            break;
        }
        if out.len() == RANGE_LIMIT {
            return fail(format!(
                "more than {RANGE_LIMIT} values were generated; either decrease the difference between start and end or use a smaller step"
            ));
        }
        out.push(number(v));
        i += 1.0;
    }
    Ok(Value::List(out))
}

pub(super) fn reverse(args: Args) -> Result {
    let mut items = args.list(0)?.to_vec();
    items.reverse();
    Ok(Value::List(items))
}

pub(super) fn slice(args: Args) -> Result {
    let items = args.list(0)?;
    let (start, end) = (args.int(1)?, args.int(2)?);
    if start < 0 {
        return Err(args.error(1, "start index must not be less than zero"));
    }
    if end > items.len() as i64 {
        return Err(args.error(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(args.error(1, "start index must not be greater than end index"));
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec()))
}

pub(super) fn sort(args: Args) -> Result {
    let items = args.list(0)?;
    if let Some(i) = items.iter().position(Value::is_null) {
        return Err(args.error(
            0,
            format!("given list element {i} is null; a null string cannot be sorted"),
        ));
    }
    let mut strings = strings_of(args.value(0)).map_err(|m| args.error(0, m))?;
    strings.sort();
    Ok(Value::List(
        strings.into_iter().map(Value::String).collect(),
    ))
}

pub(super) fn sum(args: Args) -> Result {
    let items = args.list(0)?;
    if items.is_empty() {
        return Err(args.error(0, "cannot sum an empty list"));
    }
    let mut total = Number::Int(0);
    for item in items {
        if item.is_null() {
            return fail("argument must be list, set, or tuple of number values");
        }
        let n = to_number(item).ok_or_else(|| {
            args.error(0, "argument must be list, set, or tuple of number values")
        })?;
        total = match (total, n) {
            (Number::Int(a), Number::Int(b)) if a.checked_add(b).is_some() => Number::Int(a + b),
            (a, b) => Number::from_f64(a.as_f64() + b.as_f64()),
        };
    }
    Ok(Value::Number(total))
}

pub(super) fn transpose(args: Args) -> Result {
    let map = args.map(0)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, list) in map {
        let items =
            strings_of(list).map_err(|_| args.error(0, "map of list of string required"))?;
        for item in items {
            out.entry(item).or_default().push(Value::string(key));
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}

pub(super) fn zipmap(args: Args) -> Result {
    let (keys, values) = (args.list(0)?, args.list(1)?);
    if keys.len() != values.len() {
        return fail(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        ));
    }
    if keys.iter().any(Value::is_unknown) {
        return Ok(Value::Unknown);
    }
    let mut out = BTreeMap::new();
    for (k, v) in keys.iter().zip(values) {
        let k = to_string(k).ok_or_else(|| args.error(0, "list of string required"))?;
        out.insert(k, v.clone());
    }
    Ok(Value::Map(out))
}
