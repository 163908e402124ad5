//! Evaluating a block body against a schema: the object a provider receives as configuration.

use super::eval::{Evaluator, mark_if};
use crate::config::{Attr, Block, Body, SourceMap, Syntax};
use crate::suggest::did_you_mean;
use ggplan_sdk::{BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Value, set_of};
use hcl_edit::expr::Expression;
use std::collections::BTreeMap;
use std::ops::Range;

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
    let value = BodyDecoder {
        ev,
        sources,
        diags: &mut diags,
    }
    .decode(body, schema, what);
    diags.into_result(value)
}

/// What decoding needs at every level of nesting: the evaluator, the sources (for positions)
/// and the problems found so far.
struct BodyDecoder<'d, 'a> {
    ev: &'d mut Evaluator<'a>,
    sources: &'d SourceMap,
    diags: &'d mut Diagnostics,
}

/// The nested blocks of a body, by type: those decoded, and the types a `dynamic` block made
/// unknown (its for_each is not known yet).
#[derive(Default)]
struct Blocks<'s> {
    decoded: BTreeMap<&'s str, Vec<Value>>,
    unknown: Vec<&'s str>,
}

impl BodyDecoder<'_, '_> {
    /// `body` as an instance of `schema`; `what` names the body in messages ("a network
    /// block").
    fn decode(&mut self, body: &Body, schema: &Schema, what: &str) -> Value {
        let resolved;
        let body = match body.syntax {
            Syntax::Json => {
                resolved = self.json_blocks(body, schema);
                &resolved
            }
            Syntax::Native => body,
        };
        let mut out = BTreeMap::new();
        for attr in body.attributes.values() {
            if let Some(value) = self.attribute(body, attr, schema, what) {
                out.insert(attr.name.clone(), value);
            }
        }
        self.absent_attributes(body, schema, what, &mut out);
        let mut blocks = Blocks::default();
        for block in &body.blocks {
            if block.type_name == "dynamic" {
                self.dynamic_block(body, block, schema, what, &mut blocks);
            } else {
                self.static_block(body, block, schema, what, &mut blocks);
            }
        }
        for (name, spec) in &schema.blocks {
            let value = if blocks.unknown.contains(&name.as_str()) {
                Value::Unknown
            } else {
                let items = blocks.decoded.remove(name.as_str()).unwrap_or_default();
                self.check_block_count(body, name, spec, items.len(), what);
                nested_value(spec.nesting, items)
            };
            out.insert(name.clone(), value);
        }
        Value::Map(out)
    }

    /// A JSON body with the arguments that the schema names as block types read as blocks,
    /// as Terraform decodes a JSON body against its schema.
    fn json_blocks(&mut self, body: &Body, schema: &Schema) -> Body {
        let mut out = body.clone();
        for name in schema.blocks.keys() {
            let Some(attr) = out.attributes.remove(name) else {
                continue;
            };
            match crate::config::json::nested_blocks(&attr) {
                Ok(blocks) => out.blocks.extend(blocks),
                Err((span, detail)) => self.report(body, &span, "Invalid JSON block", detail),
            }
        }
        // In the order written, as a native body's blocks are.
        out.blocks.sort_by_key(|b| b.span.start);
        out
    }

    fn report(&mut self, body: &Body, span: &Range<usize>, summary: &str, detail: String) {
        let range = self.sources.range(body.file, span.clone());
        self.diags
            .push(Diagnostic::error(summary, detail).at_range(Some(range)));
    }

    /// An attribute as written, evaluated and converted to its type; `None` when it is not
    /// the schema's to set (unknown or computed) or its value is wrong, which is reported.
    fn attribute(
        &mut self,
        body: &Body,
        attr: &Attr,
        schema: &Schema,
        what: &str,
    ) -> Option<Value> {
        let Some(spec) = schema.attributes.get(&attr.name) else {
            let detail = unexpected_argument(schema, &attr.name, what);
            self.report(body, &attr.span, "Unsupported argument", detail);
            return None;
        };
        if !spec.required && !spec.optional {
            let detail = format!(
                "{:?} is computed by the provider and cannot be set in {what}.",
                attr.name
            );
            self.report(body, &attr.span, "Invalid argument", detail);
            return None;
        }
        let value = match self.ev.eval(&attr.value) {
            Ok(v) => v,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        match spec.ty.convert(value) {
            Ok(v) => Some(v),
            Err(msg) => {
                let detail = format!("Inappropriate value for attribute {:?}: {msg}.", attr.name);
                self.report(
                    body,
                    &attr.value.span,
                    "Incorrect attribute value type",
                    detail,
                );
                None
            }
        }
    }

    /// The schema's attributes that `body` does not set are null; a required one is reported.
    fn absent_attributes(
        &mut self,
        body: &Body,
        schema: &Schema,
        what: &str,
        out: &mut BTreeMap<String, Value>,
    ) {
        for (name, spec) in &schema.attributes {
            if spec.required && !body.attributes.contains_key(name) {
                let detail = format!(
                    "The argument {name:?} is required in {what}, but no definition was found."
                );
                self.report(body, &header(body), "Missing required argument", detail);
            }
            out.entry(name.clone()).or_insert(Value::Null);
        }
    }

    /// A `dynamic "type"` block: the blocks it makes join the static ones of its type, or the
    /// type is unknown while its for_each is.
    fn dynamic_block<'s>(
        &mut self,
        body: &Body,
        block: &Block,
        schema: &'s Schema,
        what: &str,
        blocks: &mut Blocks<'s>,
    ) {
        let Some(label) = block.labels.first() else {
            let detail = "A dynamic block needs the type of the blocks it makes, as in \
                          dynamic \"network\" { ... }.";
            self.report(
                body,
                &block.span,
                "Missing dynamic block label",
                detail.into(),
            );
            return;
        };
        let Some((name, spec)) = schema.blocks.get_key_value(label) else {
            let detail = unexpected_block(schema, label, what);
            self.report(body, &block.span, "Unsupported block type", detail);
            return;
        };
        match self.expand_dynamic(block, &spec.block) {
            Some(items) => blocks
                .decoded
                .entry(name.as_str())
                .or_default()
                .extend(items),
            None => blocks.unknown.push(name.as_str()),
        }
    }

    /// A block written out: decoded against its own schema.
    fn static_block<'s>(
        &mut self,
        body: &Body,
        block: &'s Block,
        schema: &Schema,
        what: &str,
        blocks: &mut Blocks<'s>,
    ) {
        let Some(spec) = schema.blocks.get(&block.type_name) else {
            let detail = if schema.attributes.contains_key(&block.type_name) {
                format!(
                    "{:?} is an argument, not a block: write {} = ...",
                    block.type_name, block.type_name
                )
            } else {
                unexpected_block(schema, &block.type_name, what)
            };
            self.report(body, &block.span, "Unsupported block type", detail);
            return;
        };
        let inner_what = format!("a {} block", block.type_name);
        let value = self.decode(&block.body, &spec.block, &inner_what);
        blocks
            .decoded
            .entry(&block.type_name)
            .or_default()
            .push(value);
    }

    /// Reports a block type that appears fewer times than its minimum or more than its
    /// maximum (a single block at most once).
    fn check_block_count(
        &mut self,
        body: &Body,
        name: &str,
        spec: &NestedBlock,
        count: usize,
        what: &str,
    ) {
        let too_many = spec.max_items.is_some_and(|max| count > max)
            || (spec.nesting == BlockNesting::Single && count > 1);
        if !too_many && count >= spec.min_items {
            return;
        }
        let max = match (spec.nesting, spec.max_items) {
            (BlockNesting::Single, _) => "1".to_string(),
            (_, Some(max)) => max.to_string(),
            (_, None) => "any number".to_string(),
        };
        let detail = format!(
            "{what} has {count} {name:?} block(s); it needs at least {} and at most {max}.",
            spec.min_items
        );
        self.report(body, &header(body), "Wrong number of blocks", detail);
    }

    /// Reports a `dynamic` block that cannot be expanded; it makes no blocks.
    fn invalid_dynamic(&mut self, block: &Block, detail: &str) -> Option<Vec<Value>> {
        let summary = "Invalid dynamic block";
        self.report(&block.body, &block.span, summary, detail.into());
        Some(Vec::new())
    }

    /// The blocks a `dynamic` block makes: its `content` once for each element of `for_each`,
    /// with the iterator bound to `{key, value}`. `None` when `for_each` is not known yet.
    fn expand_dynamic(&mut self, block: &Block, schema: &Schema) -> Option<Vec<Value>> {
        let Some(iterator) = dynamic_iterator(block) else {
            return self.invalid_dynamic(
                block,
                "The iterator argument must be a bare name, as in iterator = net.",
            );
        };
        let contents: Vec<&Block> = block
            .body
            .blocks
            .iter()
            .filter(|b| b.type_name == "content")
            .collect();
        let [content] = contents.as_slice() else {
            return self.invalid_dynamic(block, "A dynamic block needs exactly one content block.");
        };
        let Some(for_each) = block.body.attributes.get("for_each") else {
            return self.invalid_dynamic(block, "A dynamic block needs a for_each argument.");
        };
        let (collection, sensitive) = match self.ev.eval(&for_each.value) {
            Ok(v) => v.unmark(),
            Err(d) => {
                self.diags.push(d);
                return Some(Vec::new());
            }
        };
        let pairs = match self.ev.iteration_pairs(collection, &for_each.value.expr) {
            Ok(Some(pairs)) => pairs,
            Ok(None) => return None,
            Err(d) => {
                self.diags.push(d);
                return Some(Vec::new());
            }
        };
        let mut items = Vec::new();
        for (key, value) in pairs {
            let depth = self.ev.bound_depth();
            let each = Value::object([("key", key), ("value", value)]);
            self.ev.bind(iterator.clone(), mark_if(each, sensitive));
            let what = format!("a {} block", block.labels[0]);
            let item = self.decode(&content.body, schema, &what);
            self.ev.unbind_to(depth);
            items.push(item);
        }
        Some(items)
    }
}

/// Why an argument the schema does not have cannot be set: it is a block, or a near name
/// was meant.
fn unexpected_argument(schema: &Schema, name: &str, what: &str) -> String {
    if schema.blocks.contains_key(name) {
        format!("{name:?} is a block, not an argument: write {name} {{ ... }}.")
    } else {
        let hint = did_you_mean(name, schema.attributes.keys().map(String::as_str));
        format!("An argument named {name:?} is not expected in {what}.{hint}")
    }
}

/// A block type the schema does not have, with the near name that was perhaps meant.
fn unexpected_block(schema: &Schema, name: &str, what: &str) -> String {
    let hint = did_you_mean(name, schema.blocks.keys().map(String::as_str));
    format!("Blocks of type {name:?} are not expected in {what}.{hint}")
}

/// The value the blocks of one type make, by the type's nesting: a single block or null, a
/// list, or a set.
fn nested_value(nesting: BlockNesting, items: Vec<Value>) -> Value {
    match nesting {
        BlockNesting::Single => items.into_iter().next().unwrap_or(Value::Null),
        BlockNesting::List => Value::List(items),
        BlockNesting::Set => Value::List(set_of(items)),
    }
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

/// The first line of a block, where "missing" problems are reported.
fn header(body: &Body) -> std::ops::Range<usize> {
    body.span.start..body.span.start + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::eval::{AllUnknown, NoNames, Resolver};
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
        let boot = Schema::new("boot", [("image", Attribute::required(Type::String))]);
        Schema::new("server", [("flavor", Attribute::optional(Type::String))])
            .with_block("network", NestedBlock::new(BlockNesting::List, network))
            .with_block("boot", NestedBlock::new(BlockNesting::Single, boot))
    }

    fn eval(src: &str) -> Result<Value, Diagnostics> {
        eval_with(src, &NoNames)
    }

    /// A resource block around `body`.
    fn resource(body: &str) -> String {
        format!("resource \"s\" \"x\" {{\n{body}\n}}\n")
    }

    /// A resource block with `body`, decoded.
    fn decoded(body: &str) -> Value {
        eval(&resource(body)).unwrap()
    }

    /// The problems of a resource block with `body`, as one text.
    fn errors(body: &str) -> String {
        eval(&resource(body)).unwrap_err().to_string()
    }

    fn eval_with(src: &str, names: &dyn Resolver) -> Result<Value, Diagnostics> {
        eval_file("main.tf", src, names)
    }

    fn eval_file(file: &str, src: &str, names: &dyn Resolver) -> Result<Value, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), src).unwrap();
        let module = crate::config::load_dir(dir.path()).unwrap();
        let resource = module.resources.values().next().unwrap();
        let ctx = FunctionContext {
            base_dir: dir.path().to_path_buf(),
            plan_timestamp: String::new(),
            provider_functions: Default::default(),
        };
        let mut ev = Evaluator::new(&module.sources, names, &ctx);
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

    #[test]
    fn an_unknown_for_each_makes_its_dynamic_block_type_unknown() {
        let src = resource(
            r#"
  network { name = "first" }
  dynamic "network" {
    for_each = var.networks
    content { name = network.value }
  }"#,
        );
        let value = eval_with(&src, &AllUnknown).unwrap();
        assert_eq!(value.get("network"), &Value::Unknown);
        assert_eq!(value.get("boot"), &Value::Null);
    }

    #[test]
    fn a_sensitive_for_each_marks_every_iterator_value() {
        let value = decoded(
            r#"
  dynamic "network" {
    for_each = sensitive(["a"])
    content { name = network.value }
  }"#,
        );
        assert_eq!(
            value.get("network").as_list().unwrap()[0].get("name"),
            &Value::string("a").into_sensitive()
        );
    }

    #[test]
    fn nested_blocks_decode_against_their_own_schema_and_name_it_in_errors() {
        let value = decoded("network {\n name = 1\n index = \"2\"\n }");
        let network = &value.get("network").as_list().unwrap()[0];
        assert_eq!(network.get("name"), &Value::string("1"));
        assert_eq!(network.get("index"), &Value::int(2));
        assert_eq!(value.get("boot"), &Value::Null);
        let err = errors("network { flavor = \"x\" }");
        for want in [
            "\"flavor\" is not expected in a network block",
            "\"name\" is required in a network block",
        ] {
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn json_arguments_are_the_blocks_their_schema_names() {
        let native = decoded(
            r#"
  flavor = "m1"
  network { name = "a" }
  network {
    name  = "b"
    index = 2
  }
  dynamic "network" {
    for_each = ["c"]
    content { name = network.value }
  }
  boot { image = "img" }"#,
        );
        let json = r#"{"resource": {"s": {"x": {
            "flavor": "m1",
            "network": [{"name": "a"}, {"name": "b", "index": 2, "//": "second"}],
            "dynamic": {"network": {"for_each": ["c"], "content": {"name": "${network.value}"}}},
            "boot": {"image": "img"}
        }}}}"#;
        assert_eq!(eval_file("main.tf.json", json, &NoNames).unwrap(), native);
    }

    #[test]
    fn a_json_block_that_is_not_an_object_is_reported_where_it_is() {
        let json = "{\"resource\": {\"s\": {\"x\": {\n  \"boot\": \"img\",\n  \"network\": [{\"dynamic\": {}}]\n}}}}";
        let err = eval_file("main.tf.json", json, &NoNames)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"boot\" is a block: in JSON it is written as an object"),
            "{err}"
        );
        assert!(err.contains("main.tf.json:2:"), "{err}");
        assert!(err.contains("not inside a nested block"), "{err}");
    }

    #[test]
    fn a_single_block_may_appear_only_once() {
        let value = decoded("boot { image = \"a\" }");
        assert_eq!(value.get("boot").get("image"), &Value::string("a"));
        let err = errors("boot { image = \"a\" }\n boot { image = \"b\" }");
        let want = "has 2 \"boot\" block(s); it needs at least 0 and at most 1";
        assert!(err.contains(want), "{err}");
    }
}
