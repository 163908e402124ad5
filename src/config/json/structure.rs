//! The blocks of a JSON file, read by what Terraform's language says each block holds: which
//! property names are nested blocks (with how many labels), and which strings are
//! expressions rather than templates.

use super::native::{Mode, Wanted};
use super::value::{Json, Kind, Member};
use crate::config::{Attr, Block, Body, Expr, FileId, SourceMap, Syntax};
use ggplan_sdk::{Diagnostic, Diagnostics};
use hcl_edit::expr::Expression;
use std::ops::Range;

/// What a block of Terraform's language holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The file itself: block types only.
    File,
    /// `resource` and `data`: their provider's schema, plus the meta-blocks.
    Resource,
    /// A `provider` block or a `dynamic` block's `content`: their provider's schema.
    Schema,
    Dynamic,
    Lifecycle,
    Provisioner,
    Variable,
    Output,
    Terraform,
    Check,
    Moved,
    Removed,
    Import,
    Module,
    /// Attributes only (`locals`, `validation`, `backend`...).
    Plain,
}

impl Shape {
    /// The nested block a property names in this block: its label count and shape.
    fn nested(self, name: &str) -> Option<(usize, Shape)> {
        use Shape::*;
        let found = match (self, name) {
            (File, "resource" | "data") => (2, Resource),
            (File, "variable") => (1, Variable),
            (File, "output") => (1, Output),
            (File, "module") => (1, Module),
            (File, "provider") => (1, Schema),
            (File, "locals") => (0, Plain),
            (File, "terraform") => (0, Terraform),
            (File, "moved") => (0, Moved),
            (File, "import") => (0, Import),
            (File, "removed") => (0, Removed),
            (File, "check") => (1, Check),
            (Resource | Removed, "lifecycle") => (0, Lifecycle),
            (Resource | Removed, "provisioner") => (1, Provisioner),
            (Resource | Provisioner, "connection") => (0, Plain),
            (Resource | Schema, "dynamic") => (1, Dynamic),
            (Dynamic, "content") => (0, Schema),
            (Lifecycle | Output, "precondition") | (Lifecycle, "postcondition") => (0, Plain),
            (Variable, "validation") => (0, Plain),
            (Terraform, "backend" | "provider_meta") => (1, Plain),
            (Terraform, "cloud" | "required_providers") => (0, Plain),
            (Check, "data") => (2, Resource),
            (Check, "assert") => (0, Plain),
            _ => return None,
        };
        Some(found)
    }

    /// How an argument's strings are read: as references or keywords where Terraform reads
    /// them so, else as templates.
    fn mode(self, name: &str) -> Mode {
        use Shape::*;
        let expression = matches!(
            (self, name),
            (Resource | Output | Module, "depends_on")
                | (Resource | Import, "provider")
                | (Module, "providers")
                | (Lifecycle, "ignore_changes" | "replace_triggered_by")
                | (Provisioner, "when" | "on_failure")
                | (Variable, "type")
                | (Dynamic, "iterator")
                | (Moved, "from" | "to")
                | (Removed, "from")
                | (Import, "to")
        );
        if expression {
            Mode::Expression
        } else {
            Mode::Template
        }
    }

    /// How a block of this shape is written in JSON, for messages.
    fn example(kind: &str, labels: usize) -> String {
        match labels {
            0 => format!("\"{kind}\": {{ ... }} (or an array of such objects)"),
            1 => format!("\"{kind}\": {{\"NAME\": {{ ... }}}}"),
            _ => format!("\"{kind}\": {{\"TYPE\": {{\"NAME\": {{ ... }}}}}}"),
        }
    }
}

/// Reads a JSON file's blocks; each argument's expression is a placeholder (`null`) with the
/// span of its value, and `wanted` lists those values to parse.
pub struct Reader<'j, 's> {
    pub file: FileId,
    pub sources: &'s SourceMap,
    pub diags: &'s mut Diagnostics,
    pub wanted: Vec<Wanted<'j>>,
}

impl<'j> Reader<'j, '_> {
    fn error(&mut self, span: Range<usize>, summary: &str, detail: String) {
        let range = self.sources.range(self.file, span);
        self.diags
            .push(Diagnostic::error(summary, detail).at_range(Some(range)));
    }

    /// The top-level blocks of the file.
    pub fn file(&mut self, root: &'j Json) -> Vec<Block> {
        let Kind::Object(members) = &root.kind else {
            self.error(
                root.span.clone(),
                "Invalid JSON configuration",
                format!(
                    "A *.tf.json file is an object whose properties are block types, as in \
                     {{\"resource\": {{ ... }}}}; this one is {}.",
                    root.kind_name()
                ),
            );
            return Vec::new();
        };
        let mut blocks = Vec::new();
        for m in members.iter().filter(|m| m.key != "//") {
            match Shape::File.nested(&m.key) {
                Some((labels, shape)) => self.blocks(m, labels, shape, &mut blocks),
                // The decoder names what is expected instead.
                None => blocks.push(Block {
                    type_name: m.key.clone(),
                    labels: Vec::new(),
                    body: self.empty_body(m.value.span.clone()),
                    span: m.key_span.start..m.value.span.end,
                }),
            }
        }
        blocks
    }

    fn empty_body(&self, span: Range<usize>) -> Body {
        Body {
            file: self.file,
            syntax: Syntax::Json,
            attributes: Default::default(),
            blocks: Vec::new(),
            span,
        }
    }

    /// The blocks a property makes: `"kind": {"label": ... {body}}`, where each level may also
    /// be an array of such objects.
    fn blocks(&mut self, member: &'j Member, labels: usize, shape: Shape, out: &mut Vec<Block>) {
        let kind = &member.key;
        let start = member.key_span.start;
        self.labelled(kind, start, &member.value, Vec::new(), labels, shape, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn labelled(
        &mut self,
        kind: &str,
        start: usize,
        value: &'j Json,
        labels: Vec<String>,
        missing: usize,
        shape: Shape,
        out: &mut Vec<Block>,
    ) {
        match &value.kind {
            Kind::Array(items) => {
                for item in items {
                    let start = item.span.start;
                    self.labelled(kind, start, item, labels.clone(), missing, shape, out);
                }
            }
            Kind::Object(members) if missing > 0 => {
                for m in members.iter().filter(|m| m.key != "//") {
                    let mut labels = labels.clone();
                    labels.push(m.key.clone());
                    let start = m.key_span.start;
                    self.labelled(kind, start, &m.value, labels, missing - 1, shape, out);
                }
            }
            Kind::Object(_) => {
                let body = self.body(value, shape);
                out.push(Block {
                    type_name: kind.to_string(),
                    labels,
                    body,
                    span: start..value.span.end,
                });
            }
            _ => {
                let written = labels.len() + missing;
                self.error(
                    value.span.clone(),
                    "Invalid JSON block",
                    format!(
                        "A {kind} block is written in JSON as {}; this is {}.",
                        Shape::example(kind, written),
                        value.kind_name()
                    ),
                );
            }
        }
    }

    /// A block's body: its nested blocks by `shape`, every other property an argument
    /// (`"//"` properties are comments).
    fn body(&mut self, object: &'j Json, shape: Shape) -> Body {
        let mut body = self.empty_body(object.span.clone());
        let Kind::Object(members) = &object.kind else {
            return body;
        };
        for m in members.iter().filter(|m| m.key != "//") {
            if let Some((labels, nested)) = shape.nested(&m.key) {
                self.blocks(m, labels, nested, &mut body.blocks);
                continue;
            }
            let span = m.key_span.start..m.value.span.end;
            if body.attributes.contains_key(&m.key) {
                self.error(
                    span,
                    "Duplicate argument",
                    format!("{:?} is set twice in this block; keep one.", m.key),
                );
                continue;
            }
            self.wanted.push(Wanted {
                value: &m.value,
                mode: shape.mode(&m.key),
            });
            let value = Expr {
                file: self.file,
                expr: Expression::null(),
                span: m.value.span.clone(),
            };
            let name = m.key.clone();
            body.attributes
                .insert(name.clone(), Attr { name, value, span });
        }
        body
    }
}
