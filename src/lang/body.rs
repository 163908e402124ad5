//! Evaluating a block body against a schema: the object a provider receives as configuration.

use super::eval::{Evaluator, mark_if};
use crate::config::{Block, Body, SourceMap};
use crate::suggest::did_you_mean;
use ggplan_sdk::{BlockNesting, Diagnostic, Diagnostics, Schema, Value, set_of};
use hcl_edit::expr::Expression;
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
    // Block types a `dynamic` block made unknown (its for_each is not known yet).
    let mut unknown_blocks: Vec<&str> = Vec::new();
    for block in &body.blocks {
        if block.type_name == "dynamic" {
            let Some(label) = block.labels.first() else {
                diags.push(
                    Diagnostic::error(
                        "Missing dynamic block label",
                        "A dynamic block needs the type of the blocks it makes, as in \
                         dynamic \"network\" { ... }.",
                    )
                    .at_range(range(&block.span)),
                );
                continue;
            };
            let Some((name, spec)) = schema.blocks.get_key_value(label) else {
                let hint = did_you_mean(label, schema.blocks.keys().map(String::as_str));
                diags.push(
                    Diagnostic::error(
                        "Unsupported block type",
                        format!("Blocks of type {label:?} are not expected in {what}.{hint}"),
                    )
                    .at_range(range(&block.span)),
                );
                continue;
            };
            match expand_dynamic(ev, sources, block, &spec.block, diags) {
                Some(items) => blocks.entry(name.as_str()).or_default().extend(items),
                None => unknown_blocks.push(name.as_str()),
            }
            continue;
        }
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
        if unknown_blocks.contains(&name.as_str()) {
            out.insert(name.clone(), Value::Unknown);
            continue;
        }
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

/// The name a `dynamic` block's content refers to each element by: its `iterator` argument,
/// or else the type of the blocks it makes.
pub fn dynamic_iterator(block: &Block) -> Option<String> {
    match block.body.attributes.get("iterator") {
        Some(attr) => match &attr.value.expr {
            Expression::Variable(v) => Some(v.as_str().to_string()),
            _ => None,
        },
        None => block.labels.first().cloned(),
    }
}

/// The blocks a `dynamic` block makes: its `content` once for each element of `for_each`, with
/// the iterator bound to `{key, value}`. `None` when `for_each` is not known yet.
fn expand_dynamic(
    ev: &mut Evaluator<'_>,
    sources: &SourceMap,
    block: &Block,
    schema: &Schema,
    diags: &mut Diagnostics,
) -> Option<Vec<Value>> {
    let range = |span: &std::ops::Range<usize>| Some(sources.range(block.body.file, span.clone()));
    let invalid = |detail: &str| {
        Diagnostic::error("Invalid dynamic block", detail.to_string()).at_range(range(&block.span))
    };
    let Some(iterator) = dynamic_iterator(block) else {
        diags.push(invalid(
            "The iterator argument must be a bare name, as in iterator = net.",
        ));
        return Some(Vec::new());
    };
    let contents: Vec<&Block> = block
        .body
        .blocks
        .iter()
        .filter(|b| b.type_name == "content")
        .collect();
    let [content] = contents.as_slice() else {
        diags.push(invalid("A dynamic block needs exactly one content block."));
        return Some(Vec::new());
    };
    let Some(for_each) = block.body.attributes.get("for_each") else {
        diags.push(invalid("A dynamic block needs a for_each argument."));
        return Some(Vec::new());
    };
    let (collection, sensitive) = match ev.eval(&for_each.value) {
        Ok(v) => v.unmark(),
        Err(d) => {
            diags.push(d);
            return Some(Vec::new());
        }
    };
    let pairs = match ev.iteration_pairs(collection, &for_each.value.expr) {
        Ok(Some(pairs)) => pairs,
        Ok(None) => return None,
        Err(d) => {
            diags.push(d);
            return Some(Vec::new());
        }
    };
    let mut items = Vec::new();
    for (key, value) in pairs {
        let depth = ev.bound_depth();
        let each = Value::object([("key", key), ("value", value)]);
        ev.bind(iterator.clone(), mark_if(each, sensitive));
        let what = format!("a {} block", block.labels[0]);
        let item = decode(ev, sources, &content.body, schema, &what, diags);
        ev.unbind_to(depth);
        items.push(item);
    }
    Some(items)
}

/// The first line of a block, where "missing" problems are reported.
fn header(body: &Body) -> std::ops::Range<usize> {
    body.span.start..body.span.start + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::eval::NoNames;
    use crate::lang::functions::FunctionContext;
    use ggplan_sdk::{Attribute, NestedBlock, Type};

    fn network_schema() -> Schema {
        let network = Schema::new(
            "network",
            [
                ("name", Attribute::required(Type::String)),
                ("index", Attribute::optional(Type::Number)),
            ],
        );
        Schema::new("server", [("flavor", Attribute::optional(Type::String))])
            .with_block("network", NestedBlock::new(BlockNesting::List, network))
    }

    fn eval(src: &str) -> Result<Value, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), src).unwrap();
        let module = crate::config::load_dir(dir.path()).unwrap();
        let resource = module.resources.values().next().unwrap();
        let ctx = FunctionContext {
            base_dir: dir.path().to_path_buf(),
            plan_timestamp: String::new(),
        };
        let mut ev = Evaluator::new(&module.sources, &NoNames, &ctx);
        eval_body(
            &mut ev,
            &module.sources,
            &resource.body,
            &network_schema(),
            "x",
        )
    }

    #[test]
    fn dynamic_blocks_expand_after_static_ones() {
        let value = eval(
            r#"
resource "s" "x" {
  network { name = "first" }
  dynamic "network" {
    for_each = { a = 1, b = 2 }
    iterator = net
    content {
      name  = "net-${net.key}"
      index = net.value
    }
  }
}
"#,
        )
        .unwrap();
        let names: Vec<&str> = value
            .get("network")
            .as_list()
            .unwrap()
            .iter()
            .map(|n| n.get("name").as_str().unwrap())
            .collect();
        assert_eq!(names, ["first", "net-a", "net-b"]);
        assert_eq!(
            value.get("network").as_list().unwrap()[2].get("index"),
            &Value::int(2)
        );
    }

    #[test]
    fn dynamic_iterator_defaults_to_the_label_and_errors_are_reported() {
        let value = eval(
            r#"
resource "s" "x" {
  dynamic "network" {
    for_each = ["a"]
    content { name = network.value }
  }
}
"#,
        )
        .unwrap();
        assert_eq!(
            value.get("network").as_list().unwrap()[0].get("name"),
            &Value::string("a")
        );
        let err = eval(
            r#"
resource "s" "x" {
  dynamic "netwrk" {
    for_each = ["a"]
    content { name = netwrk.value }
  }
}
"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("Did you mean \"network\"?"),
            "{err}"
        );
    }
}
