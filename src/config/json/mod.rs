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
        body.attributes.insert(name.clone(), Attr { name, value: expr, span });
    }
    Ok(Block {
        type_name: attr.name.clone(),
        labels: Vec::new(),
        body,
        span,
    })
}
