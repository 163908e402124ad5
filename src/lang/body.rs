//! Evaluating a block body against a schema: the object a provider receives as configuration.

use super::eval::Evaluator;
use crate::config::{Body, SourceMap};
use crate::suggest::did_you_mean;
use ggplan_sdk::{BlockNesting, Diagnostic, Diagnostics, Schema, Value, set_of};
use std::collections::BTreeMap;

/// Evaluates `body` as an instance of `schema`: every attribute converted to its type, every
/// nested block decoded, absent attributes null. All problems are reported together.
pub fn eval_body(
    ev: &mut Evaluator<'_>,
    sources: &SourceMap,
    body: &Body,
    schema: &Schema,
    what: &str,
) -> Result<Value, Diagnostics> {
    let mut diags = Diagnostics::new();
    let value = decode(ev, sources, body, schema, what, &mut diags);
    diags.into_result(value)
}

fn decode(
    ev: &mut Evaluator<'_>,
    sources: &SourceMap,
    body: &Body,
    schema: &Schema,
    what: &str,
    diags: &mut Diagnostics,
) -> Value {
    let range = |span: &std::ops::Range<usize>| Some(sources.range(body.file, span.clone()));
    let mut out = BTreeMap::new();
    for attr in body.attributes.values() {
        let Some(spec) = schema.attributes.get(&attr.name) else {
            let detail = if schema.blocks.contains_key(&attr.name) {
                format!(
                    "{:?} is a block, not an argument: write {} {{ ... }}.",
                    attr.name, attr.name
                )
            } else {
                let hint = did_you_mean(&attr.name, schema.attributes.keys().map(String::as_str));
                format!(
                    "An argument named {:?} is not expected in {what}.{hint}",
                    attr.name
                )
            };
            diags.push(
                Diagnostic::error("Unsupported argument", detail).at_range(range(&attr.span)),
            );
            continue;
        };
        if !spec.required && !spec.optional {
            diags.push(
                Diagnostic::error(
                    "Invalid argument",
                    format!(
                        "{:?} is computed by the provider and cannot be set in {what}.",
                        attr.name
                    ),
                )
                .at_range(range(&attr.span)),
            );
            continue;
        }
        let value = match ev.eval(&attr.value) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        match spec.ty.convert(value) {
            Ok(v) => {
                out.insert(attr.name.clone(), v);
            }
            Err(msg) => diags.push(
                Diagnostic::error(
                    "Incorrect attribute value type",
                    format!("Inappropriate value for attribute {:?}: {msg}.", attr.name),
                )
                .at_range(range(&attr.value.span)),
            ),
        }
    }
    for (name, spec) in &schema.attributes {
        if spec.required && !body.attributes.contains_key(name) {
            diags.push(
                Diagnostic::error(
                    "Missing required argument",
                    format!(
                        "The argument {name:?} is required in {what}, but no definition was found."
                    ),
                )
                .at_range(range(&header(body))),
            );
        }
        out.entry(name.clone()).or_insert(Value::Null);
    }
    let mut blocks: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for block in &body.blocks {
        let Some(spec) = schema.blocks.get(&block.type_name) else {
            let hint = did_you_mean(&block.type_name, schema.blocks.keys().map(String::as_str));
            let detail = if schema.attributes.contains_key(&block.type_name) {
                format!(
                    "{:?} is an argument, not a block: write {} = ...",
                    block.type_name, block.type_name
                )
            } else {
                format!(
                    "Blocks of type {:?} are not expected in {what}.{hint}",
                    block.type_name
                )
            };
            diags.push(
                Diagnostic::error("Unsupported block type", detail).at_range(range(&block.span)),
            );
            continue;
        };
        let inner_what = format!("a {} block", block.type_name);
        let value = decode(ev, sources, &block.body, &spec.block, &inner_what, diags);
        blocks.entry(&block.type_name).or_default().push(value);
    }
    for (name, spec) in &schema.blocks {
        let items = blocks.remove(name.as_str()).unwrap_or_default();
        let too_many = spec.max_items.is_some_and(|max| items.len() > max)
            || (spec.nesting == BlockNesting::Single && items.len() > 1);
        if too_many || items.len() < spec.min_items {
            diags.push(
                Diagnostic::error(
                    "Wrong number of blocks",
                    format!(
                        "{what} has {} {name:?} block(s); it needs at least {} and at most {}.",
                        items.len(),
                        spec.min_items,
                        match (spec.nesting, spec.max_items) {
                            (BlockNesting::Single, _) => "1".to_string(),
                            (_, Some(max)) => max.to_string(),
                            (_, None) => "any number".to_string(),
                        }
                    ),
                )
                .at_range(range(&header(body))),
            );
        }
        let value = match spec.nesting {
            BlockNesting::Single => items.into_iter().next().unwrap_or(Value::Null),
            BlockNesting::List => Value::List(items),
            BlockNesting::Set => Value::List(set_of(items)),
        };
        out.insert(name.clone(), value);
    }
    Value::Map(out)
}

/// The first line of a block, where "missing" problems are reported.
fn header(body: &Body) -> std::ops::Range<usize> {
    body.span.start..body.span.start + 1
}
