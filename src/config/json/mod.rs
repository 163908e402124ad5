//! Terraform's JSON configuration syntax (`*.tf.json`), as HCL's JSON specification reads it:
//! the same blocks the native syntax writes, decoded by the same decoder.
//!
//! `value` parses the JSON keeping spans; `structure` reads the blocks by what Terraform's
//! language says each holds; `native` parses every argument's value as a native expression at
//! the bytes the JSON writes it, so diagnostics and the evaluator point into the JSON file.
//! Which arguments of a provider's block are nested blocks only its schema says: those stay
//! arguments here and become blocks when the body is evaluated against its schema
//! ([`nested_blocks`]), as Terraform decodes JSON bodies.

mod native;
mod structure;
mod value;

use super::{Attr, Block, Body, FileId, SourceMap, Syntax};
use ggplan_sdk::{Diagnostic, Diagnostics};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use std::collections::HashMap;
use std::ops::Range;

/// A JSON file's top-level blocks, and the text their expressions were parsed from (the
/// file's length, each value at its own offset) for reading addresses back.
pub struct Decoded {
    pub blocks: Vec<Block>,
    pub expression_text: String,
}

/// Reads a JSON configuration file of `sources`; `None` when it is not JSON or a value does
/// not parse (reported).
pub fn read(sources: &SourceMap, file: FileId, diags: &mut Diagnostics) -> Option<Decoded> {
    let text = &sources.file(file).text;
    let root = match value::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let detail = format!(
                "The JSON parser stopped here: {}. A *.tf.json file is one JSON object.",
                e.message
            );
            let range = sources.range(file, e.at..e.at);
            diags.push(Diagnostic::error("Invalid JSON", detail).at_range(Some(range)));
            return None;
        }
    };
    let mut reader = structure::Reader {
        file,
        sources,
        diags,
        wanted: Vec::new(),
    };
    let mut blocks = reader.file(&root);
    let mut wanted = reader.wanted;
    wanted.sort_by_key(|w| w.value.span.start);
    let mut laid_out = native::layout(text, &wanted);
    let laid_text = String::from_utf8_lossy(&laid_out).into_owned();
    if let Some(at) = super::object_limit::oversized_object(&laid_text) {
        diags.push(super::object_limit::too_many_items(sources, file, at));
        return None;
    }
    let exprs = parse_values(sources, file, &mut laid_out, &wanted, diags)?;
    let mut by_start: HashMap<usize, Expression> = wanted
        .iter()
        .map(|w| w.value.span.start)
        .zip(exprs)
        .collect();
    for block in &mut blocks {
        fill(&mut block.body, &mut by_start);
    }
    Some(Decoded {
        blocks,
        expression_text: String::from_utf8_lossy(&laid_out).into_owned(),
    })
}

/// The expressions of the wanted values, in order; each value that does not parse is
/// reported and parsed as `null`, so that every such value is reported at once.
fn parse_values(
    sources: &SourceMap,
    file: FileId,
    laid_out: &mut [u8],
    wanted: &[native::Wanted<'_>],
    diags: &mut Diagnostics,
) -> Option<Vec<Expression>> {
    let mut blanked = Vec::new();
    let mut failed = false;
    loop {
        let invalid = match native::parse(laid_out, wanted) {
            Ok(_) if failed => return None,
            Ok(exprs) => return Some(exprs),
            Err(invalid) => invalid,
        };
        failed = true;
        let (summary, read_as) = match invalid.mode {
            native::Mode::Template => ("Invalid template", "a template, as in \"${var.name}-web\""),
            native::Mode::Expression => (
                "Invalid expression",
                "an expression (a reference or keyword, as in \"aws_instance.web\"), not a template",
            ),
        };
        let detail = format!(
            "This string is read as {read_as}, and it does not parse: {}.",
            invalid.message
        );
        let range = sources.range(file, invalid.at..invalid.at);
        diags.push(Diagnostic::error(summary, detail).at_range(Some(range)));
        if blanked.contains(&invalid.span.start) {
            return None;
        }
        blanked.push(invalid.span.start);
        native::blank(laid_out, &invalid.span);
    }
}

/// Puts each argument's parsed expression in place of its placeholder.
fn fill(body: &mut Body, exprs: &mut HashMap<usize, Expression>) {
    for attr in body.attributes.values_mut() {
        if let Some(expr) = exprs.remove(&attr.value.span.start) {
            attr.value.span = expr.span().unwrap_or(attr.value.span.clone());
            attr.value.expr = expr;
        }
    }
    for block in &mut body.blocks {
        fill(&mut block.body, exprs);
    }
}

/// The blocks a JSON argument writes where a schema has a block type of its name: one block
/// for an object, one per element for an array of objects (as HCL's JSON syntax reads them).
/// The error is the span and message to report.
pub fn nested_blocks(attr: &Attr) -> Result<Vec<Block>, (Range<usize>, String)> {
    match &attr.value.expr {
        Expression::Object(_) => Ok(vec![block_of(attr, &attr.value.expr)?]),
        Expression::Array(items) => items.iter().map(|item| block_of(attr, item)).collect(),
        _ => Err(not_a_block(attr)),
    }
}

fn not_a_block(attr: &Attr) -> (Range<usize>, String) {
    let detail = format!(
        "{:?} is a block: in JSON it is written as an object of its arguments, or an array of \
         such objects for several blocks.",
        attr.name
    );
    (attr.value.span.clone(), detail)
}

/// One object of a JSON argument as a block of the argument's name.
fn block_of(attr: &Attr, expr: &Expression) -> Result<Block, (Range<usize>, String)> {
    let Expression::Object(object) = expr else {
        return Err(not_a_block(attr));
    };
    let span = expr.span().unwrap_or(attr.value.span.clone());
    let file = attr.value.file;
    let mut body = Body {
        file,
        syntax: Syntax::Json,
        attributes: Default::default(),
        blocks: Vec::new(),
        span: span.clone(),
    };
    for (key, value) in object.iter() {
        let key_span = key.span().unwrap_or(span.clone());
        let name = match key {
            ObjectKey::Ident(id) => id.as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
            ObjectKey::Expression(_) => {
                let detail = "An argument name in a block is a plain string, not a template.";
                return Err((key_span, detail.into()));
            }
        };
        match name.as_str() {
            "//" => continue,
            "dynamic" => {
                let detail = "ggplan reads dynamic blocks written in JSON at the top of a \
                              resource, data or provider block (and in their content), not \
                              inside a nested block: write this resource in a *.tf file.";
                return Err((key_span, detail.into()));
            }
            _ => {}
        }
        let value = value.expr();
        let value_span = value.span().unwrap_or(key_span.clone());
        let expr = super::Expr {
            file,
            expr: value.clone(),
            span: value_span.clone(),
        };
        let span = key_span.start..value_span.end;
        body.attributes.insert(
            name.clone(),
            Attr {
                name,
                value: expr,
                span,
            },
        );
    }
    Ok(Block {
        type_name: attr.name.clone(),
        labels: Vec::new(),
        body,
        span,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{Module, Repetition, load_dir};
    use ggplan_sdk::Diagnostics;

    fn load(name: &str, text: &str) -> Result<Module, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
        std::fs::create_dir(dir.path().join("child")).unwrap();
        std::fs::write(dir.path().join("child/main.tf"), "variable \"n\" {}\n").unwrap();
        load_dir(dir.path())
    }

    /// What the decoder made of a module, spans aside.
    fn summary(m: &Module) -> String {
        let mut out = format!(
            "backend {:?}\nproviders {:?}\n",
            m.backend,
            m.providers
                .keys()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
        for v in m.variables.values() {
            let validations = v.validations.len();
            out += &format!(
                "var {} {} {:?} {} {validations}\n",
                v.name, v.ty, v.description, v.sensitive
            );
        }
        out += &format!("locals {:?}\n", m.locals.keys().collect::<Vec<_>>());
        for r in m.resources.values() {
            let repetition = match r.repetition {
                Repetition::Single => "single",
                Repetition::Count(_) => "count",
                Repetition::ForEach(_) => "for_each",
            };
            let l = &r.lifecycle;
            out += &format!(
                "{} {} {repetition} deps={} attrs={:?} cbd={} ignore={:?} triggers={} pre={} post={} prov={:?} check={:?}\n",
                r.addr,
                r.provider,
                r.depends_on.len(),
                r.body.attributes.keys().collect::<Vec<_>>(),
                l.create_before_destroy,
                l.ignore_changes,
                l.replace_triggered_by.len(),
                l.preconditions.len(),
                l.postconditions.len(),
                r.provisioners
                    .iter()
                    .map(|p| (p.when, p.on_failure))
                    .collect::<Vec<_>>(),
                r.check,
            );
        }
        for o in m.outputs.values() {
            out += &format!(
                "output {} {} {} {}\n",
                o.name,
                o.sensitive,
                o.depends_on.len(),
                o.preconditions.len()
            );
        }
        for (name, call) in &m.calls {
            let inputs = call.inputs.keys().collect::<Vec<_>>();
            out += &format!(
                "module {name} {} {inputs:?} {}\n",
                call.source,
                call.depends_on.len()
            );
        }
        for mv in &m.moved {
            out += &format!("moved {} -> {}\n", mv.from, mv.to);
        }
        for r in &m.removed {
            out += &format!("removed {} {}\n", r.from, r.destroy);
        }
        for i in &m.imports {
            out += &format!(
                "import {} {} {}\n",
                i.resource,
                i.key.is_some(),
                i.for_each.is_some()
            );
        }
        for c in m.checks.values() {
            out += &format!("check {} {} {:?}\n", c.name, c.asserts.len(), c.data);
        }
        out
    }

    const HCL: &str = r#"
terraform {
  required_version = ">= 1.5"
  backend "local" { path = "s.json" }
}
provider "random" {}
provider "random" { alias = "b" }
variable "names" {
  type        = map(list(string))
  description = "d"
  sensitive   = true
  validation {
    condition     = length(var.names) > 0
    error_message = "empty"
  }
}
locals { a = 1 }
resource "terraform_data" "a" {
  count      = 2
  input      = "${local.a}-x"
  depends_on = [random_id.b]
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [input, triggers_replace["k"]]
    replace_triggered_by  = [random_id.b.id]
    precondition {
      condition     = true
      error_message = "no"
    }
  }
  provisioner "local-exec" {
    command    = "echo ${self.id}"
    when       = destroy
    on_failure = continue
  }
}
resource "random_id" "b" {
  for_each    = toset(["x"])
  provider    = random.b
  byte_length = 2
  lifecycle { ignore_changes = all }
}
data "terraform_remote_state" "r" {
  backend = "local"
}
output "o" {
  value      = terraform_data.a[0].id
  sensitive  = true
  depends_on = [random_id.b]
  precondition {
    condition     = true
    error_message = "no"
  }
}
module "m" {
  source     = "./child"
  for_each   = toset(["a"])
  n          = each.key
  depends_on = [terraform_data.a]
}
moved {
  from = terraform_data.old
  to   = terraform_data.a
}
moved {
  from = module.old["k"]
  to   = module.m["a"]
}
removed {
  from = random_id.gone
  lifecycle { destroy = false }
}
import {
  for_each = toset(["x"])
  to       = random_id.b[each.key]
  id       = "abcd"
}
check "c" {
  data "terraform_remote_state" "s" { backend = "local" }
  assert {
    condition     = data.terraform_remote_state.s.outputs != null
    error_message = "no"
  }
}
"#;

    const JSON: &str = r#"{
  "//": "What a generator would write for the HCL above.",
  "terraform": {"required_version": ">= 1.5", "backend": {"local": {"path": "s.json"}}},
  "provider": {"random": [{}, {"alias": "b"}]},
  "variable": {"names": {
    "type": "map(list(string))", "description": "d", "sensitive": true,
    "validation": [{"condition": "${length(var.names) > 0}", "error_message": "empty"}]
  }},
  "locals": {"a": 1},
  "resource": [
    {"terraform_data": {"a": {
      "count": 2,
      "input": "${local.a}-x",
      "depends_on": ["random_id.b"],
      "lifecycle": {
        "create_before_destroy": true,
        "ignore_changes": ["input", "triggers_replace[\"k\"]"],
        "replace_triggered_by": ["random_id.b.id"],
        "precondition": {"condition": true, "error_message": "no"}
      },
      "provisioner": [{"local-exec": {
        "command": "echo ${self.id}", "when": "destroy", "on_failure": "continue"
      }}]
    }}},
    {"random_id": {"b": {
      "for_each": "${toset([\"x\"])}",
      "provider": "random.b",
      "byte_length": 2,
      "lifecycle": {"ignore_changes": "all"}
    }}}
  ],
  "data": {"terraform_remote_state": {"r": {"backend": "local"}}},
  "output": {"o": {
    "value": "${terraform_data.a[0].id}", "sensitive": true, "depends_on": ["random_id.b"],
    "precondition": [{"condition": true, "error_message": "no"}]
  }},
  "module": {"m": {
    "source": "./child", "for_each": "${toset([\"a\"])}", "n": "${each.key}",
    "depends_on": ["terraform_data.a"]
  }},
  "moved": [
    {"from": "terraform_data.old", "to": "terraform_data.a"},
    {"from": "module.old[\"k\"]", "to": "module.m[\"a\"]"}
  ],
  "removed": {"from": "random_id.gone", "lifecycle": {"destroy": false}},
  "import": [{"for_each": "${toset([\"x\"])}", "to": "random_id.b[each.key]", "id": "abcd"}],
  "check": {"c": {
    "data": {"terraform_remote_state": {"s": {"backend": "local"}}},
    "assert": {"condition": "${data.terraform_remote_state.s.outputs != null}", "error_message": "no"}
  }}
}"#;

    #[test]
    fn a_json_file_decodes_to_what_its_hcl_twin_does() {
        let native = summary(&load("main.tf", HCL).unwrap());
        let json = summary(&load("main.tf.json", JSON).unwrap());
        assert_eq!(json, native);
        assert!(
            native.contains("moved module.old[\"k\"] -> module.m[\"a\"]"),
            "{native}"
        );
        assert!(native.contains("[(Destroy, Continue)]"), "{native}");
    }

    #[test]
    fn settings_terraform_converts_from_strings_are_read_from_strings() {
        // Terraform 1.15 plans this file; "//" is a comment in a block, a key in a value.
        let m = load(
            "main.tf.json",
            r#"{"resource": {"terraform_data": {"a": {
                "//": "generated",
                "input": {"//": "kept"},
                "lifecycle": {"create_before_destroy": "true", "ignore_changes": "all"}
            }}}}"#,
        )
        .unwrap();
        let a = m.resources.values().next().unwrap();
        assert!(a.lifecycle.create_before_destroy);
        assert_eq!(
            a.lifecycle.ignore_changes,
            crate::config::IgnoreChanges::All
        );
        assert_eq!(a.body.attributes.keys().collect::<Vec<_>>(), ["input"]);
        let input = format!("{}", a.body.attributes["input"].value.expr);
        assert!(input.contains("\"//\""), "{input}");
    }

    #[test]
    fn expressions_point_into_the_json_file() {
        let m = load("main.tf.json", JSON).unwrap();
        let a = m.resources.values().find(|r| r.addr.name == "a").unwrap();
        let input = &a.body.attributes["input"];
        let range = m.range(&input.value);
        assert!(range.file.ends_with("main.tf.json"), "{range}");
        assert_eq!((range.start.line, range.start.column), (13, 16), "{range}");
        let text = &m.sources.file(input.value.file).text;
        assert_eq!(&text[input.value.span.clone()], "\"${local.a}-x\"");
    }

    fn errors(text: &str) -> String {
        load("main.tf.json", text).unwrap_err().to_string()
    }

    #[test]
    fn bad_json_and_wrong_shapes_are_reported_with_file_and_line() {
        let err = errors("{\n  \"locals\": {\n    \"a\": 1,\n  }\n}");
        assert!(err.contains("Invalid JSON"), "{err}");
        assert!(err.contains("main.tf.json:4:3"), "{err}");
        let err = errors("[1]");
        assert!(err.contains("is an array"), "{err}");
        let err = errors("{\n\"resources\": {}}");
        assert!(err.contains("Did you mean \"resource\"?"), "{err}");
        assert!(err.contains("main.tf.json:2:"), "{err}");
        let err = errors("{\"resource\": {\n  \"terraform_data\": {\"a\": \"x\"}}}");
        assert!(
            err.contains(
                "A resource block is written in JSON as \"resource\": {\"TYPE\": {\"NAME\""
            ),
            "{err}"
        );
        assert!(err.contains("main.tf.json:2:"), "{err}");
    }

    #[test]
    fn every_string_that_does_not_parse_is_reported_where_it_is() {
        let err = errors(
            "{\"locals\": {\n  \"a\": \"${var.x\",\n  \"b\": \"ok ${1}\",\n  \"c\": \"%{ if }\"\n},\n\"resource\": {\"terraform_data\": {\"t\": {\n  \"depends_on\": [\"not a reference!\"]}}}}",
        );
        assert!(err.contains("Invalid template"), "{err}");
        assert!(err.contains("main.tf.json:2:"), "{err}");
        assert!(err.contains("main.tf.json:4:"), "{err}");
        assert!(err.contains("Invalid expression"), "{err}");
        assert!(err.contains("main.tf.json:7:"), "{err}");
        assert!(!err.contains("main.tf.json:3:"), "{err}");
    }
}
