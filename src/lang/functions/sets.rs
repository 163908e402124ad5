//! Set functions. Every argument becomes a set: its elements, unified with the elements of the
//! other arguments to one type, without duplicates, in the sdk's set order.

use super::args::Args;
use super::unify::unify;
use super::{FunctionError, fail};
use ggplan_sdk::{Value, set_of};

type Result = std::result::Result<Value, FunctionError>;

/// The arguments as sets whose elements share one type.
fn sets(args: &Args) -> std::result::Result<Vec<Vec<Value>>, FunctionError> {
    let mut lists = Vec::new();
    for i in 0..args.len() {
        lists.push(
            args.value(i)
                .as_list()
                .ok_or_else(|| args.error(i, "set of any single type required"))?
                .to_vec(),
        );
    }
    let lengths: Vec<usize> = lists.iter().map(Vec::len).collect();
    let mut all = unify(lists.into_iter().flatten().collect())
        .map_err(|m| args.error(0, m))?
        .into_iter();
    Ok(lengths
        .into_iter()
        .map(|n| set_of(all.by_ref().take(n).collect()))
        .collect())
}

pub(super) fn setunion(args: Args) -> Result {
    Ok(Value::List(set_of(sets(&args)?.concat())))
}

pub(super) fn setintersection(args: Args) -> Result {
    let mut sets = sets(&args)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = sets.collect();
    Ok(Value::List(
        first
            .into_iter()
            .filter(|v| rest.iter().all(|s| s.contains(v)))
            .collect(),
    ))
}

pub(super) fn setsubtract(args: Args) -> Result {
    let sets = sets(&args)?;
    let (a, b) = (&sets[0], &sets[1]);
    Ok(Value::List(
        a.iter().filter(|v| !b.contains(v)).cloned().collect(),
    ))
}

pub(super) fn setproduct(args: Args) -> Result {
    if args.len() < 2 {
        return fail("at least two arguments are required");
    }
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    for i in 0..args.len() {
        let items = args
            .value(i)
            .as_list()
            .ok_or_else(|| args.error(i, "a list, set, or tuple is required"))?;
        rows = rows
            .into_iter()
            .flat_map(|row| {
                items.iter().map(move |item| {
                    let mut next = row.clone();
                    next.push(item.clone());
                    next
                })
            })
            .collect();
    }
    Ok(Value::List(rows.into_iter().map(Value::List).collect()))
}
