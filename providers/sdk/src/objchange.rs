//! What a planned object may become: the one home of the object-change rules (OpenTofu keeps
//! them in `plans/objchange`). The engine applies them around every provider call; providers
//! and their tests use the same functions, so both sides agree on the contract.
//!
//! - [`proposed_new`]: the configuration merged with the prior state, before the provider
//!   refines it;
//! - [`replace_paths`]: the force-new attributes a plan changes, and [`unknown_when_new`]:
//!   what only apply can tell of a new object;
//! - [`ignore_changes`]: `lifecycle.ignore_changes`, the prior value kept where it says;
//! - [`mark_copies`]: secrets a provider copied into other attributes stay secret;
//! - [`incompatible_paths`]: what a final plan may not change of the plan that was shown;
//! - [`with_empty_block_lists`]: the blocks of an imported object, as a configuration has them.

use crate::path::AttrPath;
use crate::schema::{BlockNesting, Schema, Type};
use crate::value::Value;
use std::collections::BTreeMap;

/// The value a resource is planned to have, before the provider refines it: what the
/// configuration says, with each computed attribute the configuration leaves null taken from
/// the prior state, or unknown when there is none (Terraform's "proposed new state").
pub fn proposed_new(schema: &Schema, prior: Option<&Value>, config: &Value) -> Value {
    let mut out = BTreeMap::new();
    for (name, attr) in &schema.attributes {
        let configured = config.get(name);
        let value = if attr.computed && configured.is_null() {
            match prior {
                Some(p) => p.get(name).clone(),
                None => Value::Unknown,
            }
        } else {
            configured.clone()
        };
        out.insert(name.clone(), value);
    }
    for (name, block) in &schema.blocks {
        let configured = config.get(name);
        let prior_block = prior.map(|p| p.get(name));
        let value = match (block.nesting, configured.peel()) {
            (BlockNesting::Single, Value::Map(_)) => proposed_new(
                &block.block,
                prior_block.filter(|p| !p.is_null()),
                configured,
            ),
            (BlockNesting::List | BlockNesting::Set, Value::List(items)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let prior_item =
                            prior_block.and_then(|p| p.as_list()).and_then(|l| l.get(i));
                        proposed_new(&block.block, prior_item, item)
                    })
                    .collect(),
            ),
            _ => configured.clone(),
        };
        out.insert(name.clone(), value);
    }
    Value::Map(out)
}

/// The force-new attributes whose values differ between `prior` and `planned`.
pub fn replace_paths(schema: &Schema, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    let mut paths = Vec::new();
    collect_replace_paths(schema, prior, planned, &AttrPath::root(), &mut paths);
    paths
}

fn collect_replace_paths(
    schema: &Schema,
    prior: &Value,
    planned: &Value,
    at: &AttrPath,
    out: &mut Vec<AttrPath>,
) {
    for (name, attr) in &schema.attributes {
        let (before, after) = (prior.get(name), planned.get(name));
        // An unknown computed value is the provider's to decide, not a reason to replace.
        if attr.force_new && before.peel() != after.peel() && !(attr.computed && after.is_unknown())
        {
            out.push(at.key(name));
        }
    }
    for (name, block) in &schema.blocks {
        let (before, after) = (prior.get(name), planned.get(name));
        match (before.as_list(), after.as_list()) {
            (Some(b), Some(a)) if b.len() == a.len() => {
                for (i, (b, a)) in b.iter().zip(a).enumerate() {
                    collect_replace_paths(&block.block, b, a, &at.key(name).index(i), out);
                }
            }
            (Some(_), Some(_)) if has_force_new(&block.block) => out.push(at.key(name)),
            _ if block.nesting == BlockNesting::Single => {
                collect_replace_paths(&block.block, before, after, &at.key(name), out)
            }
            _ => {}
        }
    }
}

fn has_force_new(schema: &Schema) -> bool {
    schema.attributes.values().any(|a| a.force_new)
        || schema.blocks.values().any(|b| has_force_new(&b.block))
}

/// Makes every computed-only attribute of `planned` unknown when the object is new (created,
/// or replaced because a force-new attribute changed): only apply can tell their values then.
pub fn unknown_when_new(schema: &Schema, prior: Option<&Value>, planned: &mut Value) {
    let new = prior.is_none_or(|prior| !replace_paths(schema, prior, planned).is_empty());
    if new {
        for (name, attr) in &schema.attributes {
            if attr.computed && !attr.optional {
                planned.set_attr(name, Value::Unknown);
            }
        }
    }
}

/// Every path a configuration can set: its arguments and its blocks
/// (`ignore_changes = all`).
pub fn configurable_paths(schema: &Schema) -> Vec<AttrPath> {
    schema
        .attributes
        .iter()
        .filter(|(_, a)| a.required || a.optional)
        .map(|(n, _)| AttrPath::attr(n))
        .chain(schema.blocks.keys().map(|n| AttrPath::attr(n)))
        .collect()
}

/// `config` with the parts at `paths` (`lifecycle.ignore_changes`) taken from `prior`.
pub fn ignore_changes(mut config: Value, prior: &Value, paths: &[AttrPath]) -> Value {
    for path in paths {
        let old = prior.at(path).cloned().unwrap_or(Value::Null);
        config.set_at(path, old);
    }
    config
}

/// `value` with every part that equals a sensitive part of `config` marked sensitive too: a
/// provider that copies a secret into a computed attribute (terraform_data's `output`) must not
/// unmask it. Booleans and nulls are not matched (they would mark unrelated values).
pub fn mark_copies(value: Value, config: &Value) -> Value {
    let mut found = Vec::new();
    collect_secrets(config, &mut found);
    if found.is_empty() {
        value
    } else {
        mark_equal(value, &found)
    }
}

fn collect_secrets(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Sensitive(inner) => {
            let (plain, _) = inner.as_ref().clone().unmark_deep();
            if !matches!(plain, Value::Null | Value::Bool(_) | Value::Unknown)
                && plain != Value::string("")
            {
                out.push(plain);
            }
        }
        Value::List(items) => items.iter().for_each(|i| collect_secrets(i, out)),
        Value::Map(map) => map.values().for_each(|i| collect_secrets(i, out)),
        _ => {}
    }
}

fn mark_equal(v: Value, secrets: &[Value]) -> Value {
    if v.is_sensitive() {
        return v;
    }
    if secrets.contains(&v) {
        return v.into_sensitive();
    }
    match v {
        Value::List(items) => {
            Value::List(items.into_iter().map(|i| mark_equal(i, secrets)).collect())
        }
        Value::Map(map) => Value::Map(
            map.into_iter()
                .map(|(k, i)| (k, mark_equal(i, secrets)))
                .collect(),
        ),
        other => other,
    }
}

/// The paths whose value was known in the plan that was shown (`original`) and differs in
/// the final plan made during apply (`fin`): a provider may only fill in what was unknown
/// (Terraform's "Provider produced inconsistent final plan").
pub fn incompatible_paths(schema: &Schema, original: &Value, fin: &Value) -> Vec<AttrPath> {
    let mut out = Vec::new();
    let shape = Shape::Object(schema);
    collect_incompatible(
        shape,
        original.peel(),
        fin.peel(),
        &AttrPath::root(),
        &mut out,
    );
    out
}

/// What the schema says a value is, as far as the final-plan rule needs: sets are compared
/// without regard to order (a set planned with an unknown element is ordered anew once it is
/// known), everything else position by position.
#[derive(Clone, Copy)]
enum Shape<'s> {
    Object(&'s Schema),
    Type(&'s Type),
    /// A list or set of nested blocks.
    Blocks(&'s Schema, BlockNesting),
    Unknown,
}

impl<'s> Shape<'s> {
    fn of_key(self, key: &str) -> Shape<'s> {
        match self {
            Shape::Object(schema) => match (schema.attributes.get(key), schema.blocks.get(key)) {
                (Some(attribute), _) => Shape::Type(&attribute.ty),
                (None, Some(block)) if block.nesting == BlockNesting::Single => {
                    Shape::Object(&block.block)
                }
                (None, Some(block)) => Shape::Blocks(&block.block, block.nesting),
                (None, None) => Shape::Unknown,
            },
            Shape::Type(Type::Object(fields)) => {
                fields.get(key).map_or(Shape::Unknown, Shape::Type)
            }
            Shape::Type(Type::Map(element)) => Shape::Type(element),
            Shape::Type(Type::Optional(inner, _)) => Shape::Type(inner).of_key(key),
            _ => Shape::Unknown,
        }
    }

    fn element(self, index: usize) -> Shape<'s> {
        match self {
            Shape::Type(Type::List(element) | Type::Set(element)) => Shape::Type(element),
            Shape::Type(Type::Tuple(elements)) => {
                elements.get(index).map_or(Shape::Unknown, Shape::Type)
            }
            Shape::Type(Type::Optional(inner, _)) => Shape::Type(inner).element(index),
            Shape::Blocks(schema, _) => Shape::Object(schema),
            _ => Shape::Unknown,
        }
    }

    fn is_set(self) -> bool {
        match self {
            Shape::Type(Type::Set(_)) | Shape::Blocks(_, BlockNesting::Set) => true,
            Shape::Type(Type::Optional(inner, _)) => Shape::Type(inner).is_set(),
            _ => false,
        }
    }
}

fn collect_incompatible(
    shape: Shape<'_>,
    original: &Value,
    fin: &Value,
    at: &AttrPath,
    out: &mut Vec<AttrPath>,
) {
    match (original, fin) {
        (Value::Unknown, _) => {}
        (Value::Map(a), Value::Map(b)) => {
            for (k, v) in a {
                let other = b.get(k).unwrap_or(&Value::Null);
                collect_incompatible(shape.of_key(k), v.peel(), other.peel(), &at.key(k), out);
            }
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() && shape.is_set() => {
            let fills_in = set_fills_in(shape.element(0), a, b);
            out.extend((!fills_in).then(|| at.clone()));
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                collect_incompatible(shape.element(i), x.peel(), y.peel(), &at.index(i), out);
            }
        }
        (a, b) if a.is_wholly_known() && a.clone().unmark_deep().0 != b.clone().unmark_deep().0 => {
            out.push(at.clone())
        }
        _ => {}
    }
}

/// Whether the elements of the set `fin` can be paired, one for one, with those of the set
/// `original`, each only filling in what was unknown. Known elements are paired first, so an
/// unknown element cannot take the place a known one needs.
fn set_fills_in(element: Shape<'_>, original: &[Value], fin: &[Value]) -> bool {
    let mut free: Vec<&Value> = fin.iter().collect();
    let mut ordered: Vec<&Value> = original.iter().collect();
    ordered.sort_by_key(|v| !v.is_wholly_known());
    ordered.iter().all(|wanted| {
        let fits = |candidate: &&Value| {
            let mut problems = Vec::new();
            collect_incompatible(
                element,
                wanted.peel(),
                candidate.peel(),
                &AttrPath::root(),
                &mut problems,
            );
            problems.is_empty()
        };
        match free.iter().position(fits) {
            Some(i) => {
                free.swap_remove(i);
                true
            }
            None => false,
        }
    })
}

/// An imported state has no configuration to keep blocks from (`fixed_ip`, `scheduler_hints`
/// read back as null): its list and set blocks are empty, as in a configuration without them,
/// so that a matching configuration plans no change.
pub fn with_empty_block_lists(schema: &Schema, mut state: Value) -> Value {
    if let Value::Map(map) = &mut state {
        for (name, block) in &schema.blocks {
            let many = matches!(block.nesting, BlockNesting::List | BlockNesting::Set);
            if many && map.get(name).is_none_or(Value::is_null) {
                map.insert(name.clone(), Value::List(Vec::new()));
            }
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock, Type};

    fn schema() -> Schema {
        Schema::new(
            "test",
            [
                ("name", Attribute::required(Type::String).force_new()),
                ("id", Attribute::computed(Type::String)),
                ("secret", Attribute::optional(Type::String).sensitive()),
            ],
        )
    }

    #[test]
    fn proposed_new_fills_computed_from_prior_or_unknown() {
        let config = Value::object([("name", Value::string("a"))]);
        let created = proposed_new(&schema(), None, &config);
        assert_eq!(created.get("id"), &Value::Unknown);
        let prior = Value::object([("name", Value::string("a")), ("id", Value::string("1"))]);
        let updated = proposed_new(&schema(), Some(&prior), &config);
        assert_eq!(updated.get("id"), &Value::string("1"));
    }

    #[test]
    fn force_new_change_is_a_replace_path() {
        let prior = Value::object([("name", Value::string("a"))]);
        let planned = Value::object([("name", Value::string("b"))]);
        assert_eq!(
            replace_paths(&schema(), &prior, &planned),
            vec![AttrPath::attr("name")]
        );
        assert!(replace_paths(&schema(), &prior, &prior).is_empty());
    }

    #[test]
    fn computed_values_are_unknown_only_for_a_new_object() {
        let prior = Value::object([("name", Value::string("a")), ("id", Value::string("1"))]);
        let mut kept = prior.clone();
        unknown_when_new(&schema(), Some(&prior), &mut kept);
        assert_eq!(kept.get("id"), &Value::string("1"));
        let mut replaced =
            Value::object([("name", Value::string("b")), ("id", Value::string("1"))]);
        unknown_when_new(&schema(), Some(&prior), &mut replaced);
        assert_eq!(replaced.get("id"), &Value::Unknown);
    }

    #[test]
    fn ignored_paths_keep_the_prior_value() {
        let prior = Value::object([("name", Value::string("a")), ("secret", Value::string("s"))]);
        let config = Value::object([("name", Value::string("b")), ("secret", Value::string("t"))]);
        let kept = ignore_changes(config, &prior, &[AttrPath::attr("secret")]);
        assert_eq!(kept.get("name"), &Value::string("b"));
        assert_eq!(kept.get("secret"), &Value::string("s"));
        assert_eq!(
            configurable_paths(&schema()),
            vec![AttrPath::attr("name"), AttrPath::attr("secret")]
        );
    }

    #[test]
    fn a_copied_secret_stays_secret_but_booleans_and_nulls_do_not_spread() {
        let config = Value::object([
            ("input", Value::string("pw").into_sensitive()),
            ("flag", Value::Bool(true).into_sensitive()),
        ]);
        let value = Value::object([
            ("output", Value::string("pw")),
            ("other", Value::Bool(true)),
        ]);
        let marked = mark_copies(value, &config);
        assert!(marked.get("output").is_sensitive());
        assert!(!marked.get("other").is_sensitive());
    }

    #[test]
    fn a_final_plan_may_fill_in_unknowns_but_not_change_known_values() {
        let shown = Value::object([("id", Value::Unknown), ("name", Value::string("a"))]);
        let filled = Value::object([("id", Value::string("1")), ("name", Value::string("a"))]);
        assert!(incompatible_paths(&schema(), &shown, &filled).is_empty());
        let renamed = Value::object([("id", Value::string("1")), ("name", Value::string("b"))]);
        assert_eq!(
            incompatible_paths(&schema(), &shown, &renamed),
            vec![AttrPath::attr("name")]
        );
    }

    #[test]
    fn a_set_with_an_unknown_element_may_come_back_in_another_order() {
        let schema = Schema::new(
            "port",
            [
                (
                    "groups",
                    Attribute::optional(Type::Set(Box::new(Type::String))),
                ),
                (
                    "order",
                    Attribute::optional(Type::List(Box::new(Type::String))),
                ),
            ],
        );
        let strings =
            |items: &[&str]| Value::List(items.iter().map(|s| Value::string(*s)).collect());
        let shown = Value::object([
            (
                "groups",
                Value::List(vec![Value::string("b"), Value::string("c"), Value::Unknown]),
            ),
            ("order", strings(&["b", "c"])),
        ]);
        let sorted = Value::object([
            ("groups", strings(&["a", "b", "c"])),
            ("order", strings(&["b", "c"])),
        ]);
        assert!(incompatible_paths(&schema, &shown, &sorted).is_empty());
        // A known element lost is still a change, and a list keeps its order.
        let lost = Value::object([
            ("groups", strings(&["a", "b", "d"])),
            ("order", strings(&["c", "b"])),
        ]);
        assert_eq!(
            incompatible_paths(&schema, &shown, &lost),
            vec![
                AttrPath::attr("groups"),
                AttrPath::attr("order").index(0),
                AttrPath::attr("order").index(1)
            ]
        );
    }

    #[test]
    fn imported_state_has_empty_list_blocks_and_keeps_the_others() {
        let block = |nesting| {
            NestedBlock::new(
                nesting,
                Schema::new("b", [("name", Attribute::optional(Type::String))]),
            )
        };
        let schema = schema()
            .with_block("pool", block(BlockNesting::List))
            .with_block("hints", block(BlockNesting::Set))
            .with_block("timeouts", block(BlockNesting::Single));
        let kept = Value::List(vec![Value::object([("name", Value::string("x"))])]);
        let state = Value::object([("name", Value::string("a")), ("pool", kept.clone())]);
        let state = with_empty_block_lists(&schema, state);
        assert_eq!(state.get("pool"), &kept);
        assert_eq!(state.get("hints"), &Value::List(Vec::new()));
        assert_eq!(state.get("timeouts"), &Value::Null);
        assert_eq!(state.get("name"), &Value::string("a"));
    }
}
