//! Reading a stack directory and decoding its blocks into a [`Module`].

mod check;
mod encryption;
mod import;
mod moved;
mod provisioner;
mod removed;
mod s3_backend;

use super::type_expr::parse_type;
use super::{
    Attr, BackendBlock, Block, Body, Condition, Expr, FileId, IgnoreChanges, Lifecycle, Local,
    Module, ModuleCall, Output, PgBackendBlock, ProviderBlock, Repetition, Resource, SourceMap,
    Syntax, Variable, literal,
};
use crate::address::{ProviderAddr, ResourceAddr};
use crate::suggest::did_you_mean;
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, ResourceKind, SourceRange, Type, Value};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{BlockLabel, Structure};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const TOP_LEVEL_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "resource",
    "data",
    "output",
    "module",
    "check",
    "moved",
    "removed",
    "import",
];

/// Loads every `*.hcl`, `*.tf` and `*.tf.json` file of `dir` (in name order) into one module, and the
/// modules it calls, recursively. All problems of all files are reported together.
pub fn load_dir(dir: &Path) -> Result<Module, Diagnostics> {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::new();
    let mut loading = Vec::new();
    let mut module = load_module(dir, &mut sources, &mut diags, &mut loading);
    module.share_sources(&Arc::new(sources));
    diags.into_result(module)
}

/// As [`load_dir`], but a directory without stack files is an empty module rather than an
/// error (`console` evaluates functions anywhere, as Terraform's does).
pub fn load_dir_or_empty(dir: &Path) -> Result<Module, Diagnostics> {
    let mut ignored = Diagnostics::new();
    if !stack_files(dir, &mut ignored).is_some_and(|paths| paths.is_empty()) {
        return load_dir(dir);
    }
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    module.share_sources(&Arc::new(SourceMap::default()));
    Ok(module)
}

/// Loads one module directory; `loading` holds the directories of the calls being loaded, to
/// catch a module that calls itself.
fn load_module(
    dir: &Path,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    loading: &mut Vec<PathBuf>,
) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    let Some(paths) = stack_files(dir, diags) else {
        return module;
    };
    let mut calls = Vec::new();
    for path in paths {
        decode_file(&path, &mut module, &mut calls, sources, diags);
    }
    loading.push(canonical(dir));
    for pending in calls {
        let child_dir = module_dir(dir, &pending.source);
        if let Some(problem) = unloadable(&pending, &child_dir, loading) {
            diags.push(problem);
            continue;
        }
        let child = load_module(&child_dir, sources, diags, loading);
        module
            .calls
            .insert(pending.name.clone(), pending.into_call(child));
    }
    loading.pop();
    module
}

/// The `*.tf`, `*.tf.json` and `*.hcl` files of a stack directory, in name order; `None` when the
/// directory cannot be read. Both problems, and a directory without any, are reported.
fn stack_files(dir: &Path, diags: &mut Diagnostics) -> Option<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diags.push(Diagnostic::error(
                format!("Cannot read stack directory {}", dir.display()),
                format!("{e}. Pass the directory that holds your *.tf or *.hcl files."),
            ));
            return None;
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_configuration(p))
        .collect();
    paths.sort();
    if paths.is_empty() {
        diags.push(Diagnostic::error(
            format!("No stack files in {}", dir.display()),
            "A stack is a directory of *.tf, *.tf.json or *.hcl files; this one has none.",
        ));
    }
    Some(paths)
}

/// Whether `path` is configuration, as Terraform reads a directory: `*.tf` and `*.tf.json`
/// (and ggplan's `*.hcl`), but not hidden files (`.terraform.lock.hcl`), editor backups, or
/// test and mock files (`*.tftest.hcl`, `*.tfmock.hcl`).
fn is_configuration(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') || name.starts_with('#') || name.ends_with('~') {
        return false;
    }
    let test_file = name.ends_with(".tftest.hcl") || name.ends_with(".tfmock.hcl");
    !test_file && (name.ends_with(".tf") || name.ends_with(".tf.json") || name.ends_with(".hcl"))
}

/// Reads, parses and decodes one stack file into `module`; the module calls it declares are
/// added to `calls`, to be loaded once every file is read.
fn decode_file(
    path: &Path,
    module: &mut Module,
    calls: &mut Vec<PendingCall>,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) {
    let name = display_name(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            diags.push(Diagnostic::error(
                format!("Cannot read {name}"),
                e.to_string(),
            ));
            return;
        }
    };
    let json = name.ends_with(".json");
    let file = sources.add(name, text);
    if json {
        if let Some(decoded) = super::json::read(sources, file, diags) {
            let mut decoder = Decoder {
                module,
                sources,
                file,
                diags,
                calls,
                expression_text: Some(decoded.expression_text),
            };
            decoded.blocks.into_iter().for_each(|b| decoder.block(b));
        }
        return;
    }
    if let Some(at) = super::object_limit::oversized_object(&sources.file(file).text) {
        diags.push(super::object_limit::too_many_items(sources, file, at));
        return;
    }
    match hcl_edit::parser::parse_body(&sources.file(file).text) {
        Ok(body) if multi_line_string(sources, file, &body, diags) => {}
        Ok(body) => Decoder {
            module,
            sources,
            file,
            diags,
            calls,
            expression_text: None,
        }
        .top_level(body),
        Err(e) => diags.push(parse_error(sources, file, &e)),
    }
}

/// A path with links and `..` resolved where it exists, to compare directories by.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The directory of a local module source: `./x` and `../x` relative to the calling module,
/// without `.` components and with `..` taken back where it can be.
fn module_dir(dir: &Path, source: &str) -> PathBuf {
    // Cleaned as Terraform cleans it (lexically): a chain of `../next` calls stays a short
    // path, however deep the chain.
    use std::path::Component;
    let joined = dir.join(source);
    let mut out: Vec<Component> = Vec::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// Why a called module cannot be loaded: it is already being loaded further up (a module
/// that calls itself), or its source is not a directory.
fn unloadable(pending: &PendingCall, child_dir: &Path, loading: &[PathBuf]) -> Option<Diagnostic> {
    let (summary, detail) = if loading.contains(&canonical(child_dir)) {
        (
            "Module calls itself",
            format!(
                "module {:?} loads {}, which is already being loaded by a module that calls it; \
                 a module cannot call itself.",
                pending.name,
                child_dir.display()
            ),
        )
    } else if !child_dir.is_dir() {
        (
            "Module not found",
            format!(
                "module {:?} has source {:?}, but {} is not a directory. Local module sources \
                 are paths relative to the calling module, starting with ./ or ../.",
                pending.name,
                pending.source,
                child_dir.display()
            ),
        )
    } else {
        return None;
    };
    Some(Diagnostic::error(summary, detail).at_range(Some(pending.range.clone())))
}

/// A `module` block whose directory is still to be loaded.
struct PendingCall {
    name: String,
    source: String,
    repetition: Repetition,
    inputs: BTreeMap<String, Attr>,
    depends_on: Vec<Expr>,
    range: SourceRange,
}

impl PendingCall {
    /// The call, with the module its directory holds.
    fn into_call(self, module: Module) -> ModuleCall {
        ModuleCall {
            name: self.name,
            source: self.source,
            repetition: self.repetition,
            inputs: self.inputs,
            depends_on: self.depends_on,
            range: self.range,
            module,
        }
    }
}

fn display_name(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    cwd.and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Whether the file has a quoted string split over lines (each reported, as Terraform's
/// parser does; the file is then not decoded).
fn multi_line_string(
    sources: &SourceMap,
    file: FileId,
    body: &hcl_edit::structure::Body,
    diags: &mut Diagnostics,
) -> bool {
    let found = super::quoted::multi_line_strings(body, &sources.file(file).text);
    for span in &found {
        diags.push(
            Diagnostic::error(
                "Invalid multi-line string",
                "Quoted strings may not be split over multiple lines. To produce a multi-line \
                 string, either use the \\n escape to represent a newline character or use the \
                 \"heredoc\" multi-line template syntax.",
            )
            .at_range(Some(sources.range(file, span.clone()))),
        );
    }
    !found.is_empty()
}

fn parse_error(sources: &SourceMap, file: FileId, e: &hcl_edit::parser::Error) -> Diagnostic {
    let loc = e.location();
    let source = sources.file(file);
    let line_start: usize = source
        .text
        .split_inclusive('\n')
        .take(loc.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let byte = line_start + loc.column().saturating_sub(1);
    Diagnostic::error(
        "Invalid HCL syntax",
        format!(
            "The parser stopped here: {}. Check for a missing quote, brace or `=`.",
            e.message()
        ),
    )
    // A point, not the character there: that may be the newline, whose range would end on
    // the next line.
    .at_range(Some(sources.range(file, byte..byte)))
}

struct Decoder<'a> {
    module: &'a mut Module,
    sources: &'a mut SourceMap,
    file: FileId,
    diags: &'a mut Diagnostics,
    calls: &'a mut Vec<PendingCall>,
    /// The text the expressions were parsed from when it is not the file's: a JSON file's
    /// values laid out as native syntax at their own offsets.
    expression_text: Option<String>,
}

impl Decoder<'_> {
    fn range(&self, span: Option<Range<usize>>) -> Option<ggplan_sdk::SourceRange> {
        span.map(|s| self.sources.range(self.file, s))
    }

    /// The first line of a block's span (`variable "x" {`).
    fn header(&self, span: Option<Range<usize>>) -> Range<usize> {
        let span = span.unwrap_or(0..0);
        let text = &self.sources.file(self.file).text;
        let end = text
            .get(span.clone())
            .and_then(|block| block.find('\n'))
            .map_or(span.end, |newline| span.start + newline);
        span.start..end
    }

    fn error(&mut self, span: Option<Range<usize>>, summary: &str, detail: String) {
        let range = self.range(span);
        self.diags
            .push(Diagnostic::error(summary, detail).at_range(range));
    }

    fn top_level(&mut self, body: hcl_edit::structure::Body) {
        for structure in body.into_iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str().to_string();
                    self.error(
                        attr.span(),
                        "Unexpected attribute",
                        format!(
                            "{name:?} cannot stand at the top level of a stack file; put it \
                             inside a block such as locals {{ }}."
                        ),
                    );
                }
                Structure::Block(block) => {
                    let block = self.nested_block(block);
                    self.block(block)
                }
            }
        }
    }

    fn labels(&mut self, block: &Block, want: &[&str]) -> Option<Vec<String>> {
        if block.labels.len() == want.len() {
            return Some(block.labels.clone());
        }
        let kind = block.type_name.as_str();
        let shape = std::iter::once(kind.to_string())
            .chain(want.iter().map(|w| format!("\"{w}\"")))
            .collect::<Vec<_>>()
            .join(" ");
        self.error(
            Some(block.span.clone()),
            &format!("Wrong number of labels on a {kind} block"),
            format!("A {kind} block is written `{shape} {{ ... }}`."),
        );
        None
    }

    /// A top-level block, whichever syntax it was written in.
    pub(super) fn block(&mut self, block: Block) {
        let kind = block.type_name.clone();
        match kind.as_str() {
            "terraform" => self.terraform(block),
            "provider" => self.provider(block),
            "variable" => self.variable(block),
            "locals" => self.locals(block),
            "resource" => self.resource(block, ResourceKind::Managed),
            "data" => self.resource(block, ResourceKind::Data),
            "output" => self.output(block),
            "module" => self.module_call(block),
            "check" => self.check(block),
            "moved" => self.moved(block),
            "removed" => self.removed(block),
            "import" => self.import(block),
            other => {
                let hint = did_you_mean(other, TOP_LEVEL_BLOCKS.iter().copied());
                self.error(
                    Some(block.span.clone()),
                    "Unsupported block type",
                    format!(
                        "Blocks of type {other:?} are not expected here.{hint} Top-level blocks \
                         are: {}.",
                        TOP_LEVEL_BLOCKS.join(", ")
                    ),
                );
            }
        }
    }

    fn body(&mut self, body: hcl_edit::structure::Body, span: Option<Range<usize>>) -> Body {
        let mut out = Body {
            file: self.file,
            syntax: Syntax::Native,
            attributes: Default::default(),
            blocks: Vec::new(),
            span: span.unwrap_or(0..0),
        };
        for structure in body.into_iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str().to_string();
                    let attr_span = attr.span().unwrap_or(0..0);
                    if out.attributes.contains_key(&name) {
                        self.error(
                            Some(attr_span),
                            "Duplicate attribute",
                            format!("{name:?} is set twice in this block; keep one."),
                        );
                        continue;
                    }
                    let value = self.expr(attr.value);
                    out.attributes.insert(
                        name.clone(),
                        Attr {
                            name,
                            value,
                            span: attr_span,
                        },
                    );
                }
                Structure::Block(block) => {
                    let block = self.nested_block(block);
                    out.blocks.push(block);
                }
            }
        }
        out
    }

    /// A block of hcl-edit's tree as a [`Block`], its body decoded.
    fn nested_block(&mut self, block: hcl_edit::structure::Block) -> Block {
        let span = block.span();
        let labels = block
            .labels
            .iter()
            .map(|l| match l {
                BlockLabel::Ident(i) => i.as_str().to_string(),
                BlockLabel::String(s) => s.value().clone(),
            })
            .collect();
        let type_name = block.ident.as_str().to_string();
        let body = self.body(block.body, span.clone());
        Block {
            type_name,
            labels,
            body,
            span: span.unwrap_or(0..0),
        }
    }

    /// An address written as a reference (`module.a["k"].type.name`), as text without
    /// spaces, for the address parsers.
    fn address_text(&self, attr: &Attr) -> String {
        let text = match &self.expression_text {
            Some(text) => text,
            None => &self.sources.file(self.file).text,
        };
        let written = text.get(attr.value.span.clone()).unwrap_or_default();
        written.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn expr(&self, expr: Expression) -> Expr {
        Expr {
            file: self.file,
            span: expr.span().unwrap_or(0..0),
            expr,
        }
    }

    /// A setting that must be a constant bool; the strings "true" and "false" convert, as
    /// in Terraform (a JSON file may well write them so).
    fn literal_bool(&mut self, attr: &Attr) -> bool {
        match literal(&attr.value.expr) {
            Some(Value::Bool(b)) => b,
            Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
            _ => {
                self.error(
                    Some(attr.value.span.clone()),
                    "Invalid value",
                    format!("{} must be the literal true or false.", attr.name),
                );
                false
            }
        }
    }

    fn literal_string(&mut self, attr: &Attr) -> Option<String> {
        match literal(&attr.value.expr) {
            Some(Value::String(s)) => Some(s),
            _ => {
                self.error(
                    Some(attr.value.span.clone()),
                    "Invalid value",
                    format!("{} must be a literal string.", attr.name),
                );
                None
            }
        }
    }

    fn reject_unknown(&mut self, body: &Body, allowed: &[&str], what: &str) {
        for attr in body.attributes.values() {
            if !allowed.contains(&attr.name.as_str()) {
                let hint = did_you_mean(&attr.name, allowed.iter().copied());
                self.error(
                    Some(attr.span.clone()),
                    "Unsupported argument",
                    format!(
                        "An argument named {:?} is not expected in {what}.{hint}",
                        attr.name
                    ),
                );
            }
        }
    }

    fn terraform(&mut self, block: Block) {
        let body = block.body;
        // required_version and required_providers are tolerated: they mean nothing to ggplan
        // (its providers are built in), but existing Terraform files carry them. Where the
        // state is is not tolerated: a backend ggplan ignored would plan against an empty
        // local state while the real one is elsewhere.
        for nested in &body.blocks {
            match (
                nested.type_name.as_str(),
                nested.labels.first().map(String::as_str),
            ) {
                ("backend", Some("local")) => self.local_backend(nested),
                ("backend", Some("pg")) => self.pg_backend(nested),
                ("backend", Some("s3")) => self.s3_backend(nested),
                ("backend", kind) => self.error(
                    Some(nested.span.clone()),
                    "Unsupported backend",
                    format!(
                        "ggplan keeps state in a local file (backend \"local\" with path, or \
                         --state PATH), in PostgreSQL (backend \"pg\") or in an S3 bucket \
                         (backend \"s3\"), not in backend {:?}. Planning against an empty \
                         local state while yours is elsewhere would plan to create everything \
                         again: copy the state to one of those and change this block.",
                        kind.unwrap_or_default()
                    ),
                ),
                ("encryption", _) => self.encryption(nested),
                ("cloud", _) => self.error(
                    Some(nested.span.clone()),
                    "Unsupported cloud block",
                    "ggplan does not run in HCP Terraform: its state is a local file (backend \
                     \"local\" with path, or --state PATH) or in PostgreSQL (backend \"pg\"). \
                     Remove the cloud block."
                        .into(),
                ),
                _ => {}
            }
        }
    }

    /// `backend "local" { path = "..." workspace_dir = "..." }`.
    fn local_backend(&mut self, block: &Block) {
        self.reject_unknown(&block.body, &["path", "workspace_dir"], "the local backend");
        let attrs = &block.body.attributes;
        let mut path = |name| {
            attrs
                .get(name)
                .and_then(|a| self.literal_string(a))
                .map(PathBuf::from)
        };
        let (path, workspace_dir) = (path("path"), path("workspace_dir"));
        self.module.backend = Some(BackendBlock::Local {
            path,
            workspace_dir,
        });
    }

    /// `backend "pg" { conn_str = "..." ... }`: Terraform's arguments, each a literal.
    fn pg_backend(&mut self, block: &Block) {
        const STRINGS: [&str; 2] = ["conn_str", "schema_name"];
        const FLAGS: [&str; 3] = [
            "skip_schema_creation",
            "skip_table_creation",
            "skip_index_creation",
        ];
        let allowed: Vec<&str> = STRINGS.iter().chain(&FLAGS).copied().collect();
        self.reject_unknown(&block.body, &allowed, "the pg backend");
        let attrs = &block.body.attributes;
        let mut string = |name| attrs.get(name).and_then(|a| self.literal_string(a));
        let (conn_str, schema_name) = (string("conn_str"), string("schema_name"));
        let mut flag = |name| attrs.get(name).map(|a| self.literal_bool(a));
        self.module.backend = Some(BackendBlock::Pg(PgBackendBlock {
            conn_str,
            schema_name,
            skip_schema_creation: flag("skip_schema_creation"),
            skip_table_creation: flag("skip_table_creation"),
            skip_index_creation: flag("skip_index_creation"),
        }));
    }

    fn provider(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let span = Some(block.span.clone());
        let mut body = block.body;
        let alias = body
            .attributes
            .remove("alias")
            .and_then(|a| self.literal_string(&a));
        let provider = ProviderBlock {
            addr: ProviderAddr {
                name: labels[0].clone(),
                alias,
            },
            body,
            range: self
                .range(span.clone())
                .unwrap_or_else(|| self.sources.range(self.file, 0..0)),
        };
        let key = provider.addr.clone();
        if self.module.providers.contains_key(&key) {
            self.error(
                span,
                "Duplicate provider configuration",
                format!("provider \"{key}\" is configured twice; give one of them an alias."),
            );
            return;
        }
        self.module.providers.insert(key, provider);
    }

    fn variable(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let span = Some(block.span.clone());
        let body = block.body;
        self.reject_unknown(
            &body,
            &[
                "type",
                "default",
                "description",
                "sensitive",
                "nullable",
                "ephemeral",
            ],
            "a variable block",
        );
        // In this order, for the order of the problems reported.
        let ty = self.type_constraint(&body);
        let validations = self.validations(&body);
        let description = self.description(&body);
        let sensitive = self.literal_flag(&body, "sensitive", false);
        let nullable = self.literal_flag(&body, "nullable", true);
        let name = labels[0].clone();
        let variable = Variable {
            name: name.clone(),
            ty,
            type_declared: body.attributes.contains_key("type"),
            default: body.attributes.get("default").map(|a| a.value.clone()),
            description,
            sensitive,
            nullable,
            validations,
            range: self.sources.range(self.file, self.header(span.clone())),
        };
        if self
            .module
            .variables
            .insert(name.clone(), variable)
            .is_some()
        {
            self.error(
                span,
                "Duplicate variable",
                format!("variable {name:?} is declared twice."),
            );
        }
    }

    /// A variable's `type`: `any` when it is absent or invalid (which is reported).
    fn type_constraint(&mut self, body: &Body) -> Type {
        let Some(attr) = body.attributes.get("type") else {
            return Type::Any;
        };
        parse_type(&attr.value.expr).unwrap_or_else(|msg| {
            self.error(
                Some(attr.value.span.clone()),
                "Invalid type constraint",
                msg,
            );
            Type::Any
        })
    }

    /// A variable's `validation` blocks, each with both a condition and an error message; any
    /// other block is reported.
    fn validations(&mut self, body: &Body) -> Vec<Condition> {
        let mut validations = Vec::new();
        for nested in &body.blocks {
            if nested.type_name != "validation" {
                self.error(
                    Some(nested.span.clone()),
                    "Unsupported block type",
                    format!(
                        "A variable block may hold validation blocks, not {:?}.",
                        nested.type_name
                    ),
                );
                continue;
            }
            validations.extend(self.condition(nested));
        }
        validations
    }

    /// A `validation`, `precondition` or `postcondition` block: `condition` and
    /// `error_message`, nothing else.
    fn condition(&mut self, block: &Block) -> Option<Condition> {
        let what = format!("a {} block", block.type_name);
        self.reject_unknown(&block.body, &["condition", "error_message"], &what);
        if let Some(nested) = block.body.blocks.first() {
            self.error(
                Some(nested.span.clone()),
                "Unsupported block type",
                format!("{what} holds only condition and error_message."),
            );
        }
        match (
            block.body.attributes.get("condition"),
            block.body.attributes.get("error_message"),
        ) {
            (Some(c), Some(m)) => Some(Condition {
                condition: c.value.clone(),
                error_message: m.value.clone(),
            }),
            _ => {
                self.error(
                    Some(block.span.clone()),
                    &format!("Incomplete {} block", block.type_name),
                    format!("{what} needs both condition and error_message."),
                );
                None
            }
        }
    }

    /// The literal `description` of a variable or output, empty without one.
    fn description(&mut self, body: &Body) -> String {
        body.attributes
            .get("description")
            .and_then(|a| self.literal_string(a))
            .unwrap_or_default()
    }

    /// A literal bool setting (`sensitive`, `nullable`), `default` when it is absent.
    fn literal_flag(&mut self, body: &Body, name: &str, default: bool) -> bool {
        body.attributes
            .get(name)
            .map(|a| self.literal_bool(a))
            .unwrap_or(default)
    }

    fn locals(&mut self, block: Block) {
        let body = block.body;
        for nested in &body.blocks {
            self.error(
                Some(nested.span.clone()),
                "Unexpected block in locals",
                "A locals block holds only `name = expression` entries.".into(),
            );
        }
        for (name, attr) in body.attributes {
            let range = self.sources.range(self.file, attr.span.clone());
            if self.module.locals.contains_key(&name) {
                self.error(
                    Some(attr.span.clone()),
                    "Duplicate local value",
                    format!("local.{name} is defined twice; keep one."),
                );
                continue;
            }
            self.module.locals.insert(
                name.clone(),
                Local {
                    name,
                    value: attr.value,
                    range,
                },
            );
        }
    }

    fn output(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let span = Some(block.span.clone());
        let body = block.body;
        self.reject_unknown(
            &body,
            &[
                "value",
                "description",
                "sensitive",
                "depends_on",
                "ephemeral",
            ],
            "an output block",
        );
        let Some(value) = body.attributes.get("value") else {
            self.error(
                span,
                "Missing value",
                "An output block needs `value = ...`.".into(),
            );
            return;
        };
        let description = self.description(&body);
        let sensitive = self.literal_flag(&body, "sensitive", false);
        let depends_on = self.depends_on(&body);
        let mut preconditions = Vec::new();
        for nested in &body.blocks {
            if nested.type_name == "precondition" {
                preconditions.extend(self.condition(nested));
            } else {
                self.error(
                    Some(nested.span.clone()),
                    "Unsupported block type",
                    format!(
                        "An output block holds precondition blocks, not {:?}.",
                        nested.type_name
                    ),
                );
            }
        }
        let name = labels[0].clone();
        let output = Output {
            name: name.clone(),
            value: value.value.clone(),
            description,
            sensitive,
            depends_on,
            preconditions,
            range: self.sources.range(self.file, span.clone().unwrap_or(0..0)),
        };
        if self.module.outputs.insert(name.clone(), output).is_some() {
            self.error(
                span,
                "Duplicate output",
                format!("output {name:?} is declared twice."),
            );
        }
    }

    fn module_call(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let span = Some(block.span.clone());
        let mut body = block.body;
        let name = labels[0].clone();
        let range = self.sources.range(self.file, span.clone().unwrap_or(0..0));
        let source = match body.attributes.remove("source") {
            Some(attr) => match literal(&attr.value.expr) {
                Some(Value::String(s)) if s.starts_with("./") || s.starts_with("../") => s,
                _ => {
                    self.error(
                        Some(attr.value.span.clone()),
                        "Unsupported module source",
                        "ggplan loads modules from local directories: source is a literal path \
                         relative to this module, starting with ./ or ../."
                            .into(),
                    );
                    return;
                }
            },
            None => {
                self.error(
                    span,
                    "Missing module source",
                    format!("module {name:?} needs source = \"./path/to/module\"."),
                );
                return;
            }
        };
        for unsupported in ["version", "providers"] {
            if let Some(attr) = body.attributes.remove(unsupported) {
                self.error(
                    Some(attr.span),
                    "Unsupported module argument",
                    format!(
                        "{unsupported} is not supported: modules come from local directories and \
                         use the root module's provider configurations."
                    ),
                );
            }
        }
        let repetition = self.repetition(&mut body);
        let depends_on = self.depends_on(&body);
        body.attributes.remove("depends_on");
        for nested in &body.blocks {
            self.error(
                Some(nested.span.clone()),
                "Unexpected block in module call",
                "A module block holds source, count/for_each, depends_on and the module's input \
                 variables as name = value."
                    .into(),
            );
        }
        if self.module.calls.contains_key(&name) || self.calls.iter().any(|c| c.name == name) {
            self.error(
                span,
                "Duplicate module call",
                format!("module {name:?} is declared twice."),
            );
            return;
        }
        self.calls.push(PendingCall {
            name,
            source,
            repetition,
            inputs: body.attributes,
            depends_on,
            range,
        });
    }

    /// Takes `count` or `for_each` out of a body.
    fn repetition(&mut self, body: &mut Body) -> Repetition {
        match (
            body.attributes.remove("count"),
            body.attributes.remove("for_each"),
        ) {
            (Some(c), Some(_)) => {
                self.error(
                    Some(c.span),
                    "Invalid combination of count and for_each",
                    "A block may use count or for_each, not both.".into(),
                );
                Repetition::Single
            }
            (Some(c), None) => Repetition::Count(c.value),
            (None, Some(f)) => Repetition::ForEach(f.value),
            (None, None) => Repetition::Single,
        }
    }

    fn depends_on(&mut self, body: &Body) -> Vec<Expr> {
        let Some(attr) = body.attributes.get("depends_on") else {
            return Vec::new();
        };
        match &attr.value.expr {
            Expression::Array(items) => items
                .iter()
                .map(|e| Expr {
                    file: self.file,
                    span: e.span().unwrap_or(0..0),
                    expr: e.clone(),
                })
                .collect(),
            _ => {
                self.error(
                    Some(attr.value.span.clone()),
                    "Invalid depends_on",
                    "depends_on is a list of references, as in [local_file.a, random_id.b].".into(),
                );
                Vec::new()
            }
        }
    }

    fn resource(&mut self, block: Block, kind: ResourceKind) {
        let Some(labels) = self.labels(&block, &["type", "name"]) else {
            return;
        };
        let span = block.span.clone();
        let body = block.body;
        let addr = ResourceAddr {
            kind,
            type_name: labels[0].clone(),
            name: labels[1].clone(),
        };
        let resource = self.resource_from(addr, body, span);
        self.declare(resource);
    }

    /// A resource or data block's decoded body as a [`Resource`] (its meta-arguments taken
    /// out of the body).
    fn resource_from(
        &mut self,
        addr: ResourceAddr,
        mut body: Body,
        span: Range<usize>,
    ) -> Resource {
        let kind = addr.kind;
        let repetition = self.repetition(&mut body);
        let depends_on = self.depends_on(&body);
        body.attributes.remove("depends_on");
        let provider = match body.attributes.remove("provider") {
            Some(attr) => self
                .provider_ref(&attr)
                .unwrap_or_else(|| Module::implied_provider(&addr.type_name)),
            None => Module::implied_provider(&addr.type_name),
        };
        let mut lifecycle = Lifecycle::default();
        let mut provisioners = Vec::new();
        let mut kept = Vec::new();
        for nested in std::mem::take(&mut body.blocks) {
            match nested.type_name.as_str() {
                "lifecycle" if kind == ResourceKind::Managed => {
                    lifecycle = self.lifecycle(&nested.body)
                }
                "lifecycle" => lifecycle = self.data_lifecycle(&nested.body),
                "provisioner" if kind == ResourceKind::Managed => {
                    provisioners.extend(self.provisioner(nested))
                }
                "connection" if kind == ResourceKind::Managed => self.error(
                    Some(nested.span.clone()),
                    "Connection blocks are not supported",
                    "A connection block is for the remote-exec and file provisioners, which \
                     ggplan does not run: use the ssh provider's ssh_exec and ssh_file \
                     resources for commands and files on a host."
                        .into(),
                ),
                _ => kept.push(nested),
            }
        }
        body.blocks = kept;
        Resource {
            addr,
            provider,
            repetition,
            body,
            depends_on,
            lifecycle,
            provisioners,
            range: self.sources.range(self.file, span),
            check: None,
        }
    }

    /// Adds a resource to the module; a second one with its address is an error.
    fn declare(&mut self, resource: Resource) {
        let addr = resource.addr.clone();
        let range = resource.range.clone();
        if self
            .module
            .resources
            .insert(addr.clone(), resource)
            .is_some()
        {
            self.diags.push(
                Diagnostic::error("Duplicate resource", format!("{addr} is declared twice."))
                    .at_range(Some(range)),
            );
        }
    }

    fn provider_ref(&mut self, attr: &Attr) -> Option<ProviderAddr> {
        let parsed = match &attr.value.expr {
            Expression::Variable(v) => Some((v.as_str().to_string(), None)),
            Expression::Traversal(t) => match (&t.expr, t.operators.as_slice()) {
                (Expression::Variable(v), [op]) => match op.value() {
                    TraversalOperator::GetAttr(alias) => {
                        Some((v.as_str().to_string(), Some(alias.as_str().to_string())))
                    }
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                Some(attr.value.span.clone()),
                "Invalid provider reference",
                "Write provider = name or provider = name.alias, without quotes.".into(),
            );
        }
        parsed.map(|(name, alias)| ProviderAddr { name, alias })
    }

    fn lifecycle(&mut self, body: &Body) -> Lifecycle {
        self.reject_unknown(
            body,
            &[
                "create_before_destroy",
                "prevent_destroy",
                "ignore_changes",
                "replace_triggered_by",
            ],
            "a lifecycle block",
        );
        let mut lifecycle = Lifecycle::default();
        if let Some(a) = body.attributes.get("create_before_destroy") {
            lifecycle.create_before_destroy = self.literal_bool(a);
        }
        if let Some(a) = body.attributes.get("prevent_destroy") {
            lifecycle.prevent_destroy = self.literal_bool(a);
        }
        if let Some(a) = body.attributes.get("ignore_changes") {
            lifecycle.ignore_changes = self.ignore_changes(a);
        }
        if let Some(a) = body.attributes.get("replace_triggered_by") {
            lifecycle.replace_triggered_by = self.replace_triggered_by(a);
        }
        self.conditions(body, &mut lifecycle);
        lifecycle
    }

    /// A data source's `lifecycle` block: its conditions only, as in Terraform.
    fn data_lifecycle(&mut self, body: &Body) -> Lifecycle {
        self.reject_unknown(body, &[], "a data source's lifecycle block");
        let mut lifecycle = Lifecycle::default();
        self.conditions(body, &mut lifecycle);
        lifecycle
    }

    /// The `precondition` and `postcondition` blocks of a `lifecycle` block.
    fn conditions(&mut self, body: &Body, lifecycle: &mut Lifecycle) {
        for nested in &body.blocks {
            match nested.type_name.as_str() {
                "precondition" => lifecycle.preconditions.extend(self.condition(nested)),
                "postcondition" => lifecycle.postconditions.extend(self.condition(nested)),
                other => self.error(
                    Some(nested.span.clone()),
                    "Unsupported block type",
                    format!(
                        "A lifecycle block holds precondition and postcondition blocks, not \
                         {other:?}."
                    ),
                ),
            }
        }
    }

    /// `replace_triggered_by`: a list of references to managed resources, their instances
    /// or attributes (what each names is resolved per instance when planning).
    fn replace_triggered_by(&mut self, attr: &Attr) -> Vec<Expr> {
        let Expression::Array(items) = &attr.value.expr else {
            self.error(
                attr.value.expr.span(),
                "Invalid replace_triggered_by",
                "replace_triggered_by is a list of references, as in \
                 [aws_instance.web[each.key]]."
                    .to_string(),
            );
            return Vec::new();
        };
        let mut entries = Vec::new();
        for item in items.iter() {
            if names_a_managed_resource(item) {
                entries.push(Expr {
                    file: self.file,
                    span: item.span().unwrap_or(0..0),
                    expr: item.clone(),
                });
            } else {
                self.error(
                    item.span(),
                    "Invalid replace_triggered_by expression",
                    "Each entry names a managed resource, one of its instances or an attribute \
                     of one, as in aws_instance.web, aws_instance.web[each.key] or \
                     aws_instance.web[each.key].id; variables, locals, data sources and other \
                     expressions cannot trigger a replacement."
                        .to_string(),
                );
            }
        }
        entries
    }

    fn ignore_changes(&mut self, attr: &Attr) -> IgnoreChanges {
        match &attr.value.expr {
            Expression::Variable(v) if v.as_str() == "all" => IgnoreChanges::All,
            Expression::Array(items) => {
                let mut paths = Vec::new();
                for item in items.iter() {
                    match static_path(item) {
                        Some(path) => paths.push(path),
                        None => self.error(
                            item.span(),
                            "Invalid ignore_changes entry",
                            "Each entry is an attribute of this resource, as in tags or \
                             tags[\"team\"], written without quotes."
                                .into(),
                        ),
                    }
                }
                IgnoreChanges::Paths(paths)
            }
            _ => {
                self.error(
                    Some(attr.value.span.clone()),
                    "Invalid ignore_changes",
                    "ignore_changes is `all` or a list of attribute names.".into(),
                );
                IgnoreChanges::None
            }
        }
    }
}

/// An attribute path written as a traversal (`tags["team"]`, `network[0].name`).
fn static_path(expr: &Expression) -> Option<AttrPath> {
    match expr {
        Expression::Variable(v) => Some(AttrPath::attr(v.as_str())),
        Expression::String(s) => Some(AttrPath::attr(s.value())),
        Expression::Traversal(t) => {
            let mut path = static_path(&t.expr)?;
            for op in &t.operators {
                path = match op.value() {
                    TraversalOperator::GetAttr(id) => path.key(id.as_str()),
                    TraversalOperator::Index(Expression::String(s)) => path.key(s.value()),
                    TraversalOperator::Index(Expression::Number(n)) => {
                        path.index(usize::try_from(n.value().as_u64()?).ok()?)
                    }
                    TraversalOperator::LegacyIndex(i) => {
                        path.index(usize::try_from(*i.value()).ok()?)
                    }
                    _ => return None,
                };
            }
            Some(path)
        }
        _ => None,
    }
}

/// Whether `expr` is a traversal from a managed resource (`TYPE.NAME...`): not a variable,
/// local, data source, module output, or contextual name.
fn names_a_managed_resource(expr: &Expression) -> bool {
    const NOT_RESOURCES: [&str; 9] = [
        "var",
        "local",
        "data",
        "module",
        "count",
        "each",
        "path",
        "terraform",
        "self",
    ];
    match expr {
        Expression::Traversal(t) => {
            matches!(&t.expr, Expression::Variable(root) if !NOT_RESOURCES.contains(&root.as_str()))
                && matches!(
                    t.operators.first().map(|op| op.value()),
                    Some(TraversalOperator::GetAttr(_))
                )
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<Module, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        load_dir(dir.path())
    }

    #[test]
    fn attribute_paths_find_their_place_in_a_body() {
        let text = r#"resource "openstack_blazar_lease" "l" {
  end_date = "x"
  reservation {
    amount = 1
  }
  reservation {
    amount = 2
  }
}
"#;
        let m = load(&[("main.tf", text)]).unwrap();
        let body = &m.resources.values().next().unwrap().body;
        let at = |path: AttrPath| body.span_of(&path).map(|span| &text[span]);
        assert_eq!(at(AttrPath::attr("end_date")), Some("end_date = \"x\""));
        let second = AttrPath::attr("reservation").index(1);
        assert_eq!(at(second.key("amount")), Some("amount = 2"));
        assert!(
            at(second.key("flavor_id"))
                .unwrap()
                .starts_with("reservation {")
        );
        assert_eq!(at(AttrPath::attr("reservation").index(2)), None);
        assert_eq!(at(AttrPath::attr("name")), None);
    }

    #[test]
    fn a_pg_backend_block_takes_terraforms_arguments_as_literals() {
        let m = load(&[(
            "main.tf",
            "terraform {\n  backend \"pg\" {\n    conn_str = \"postgres://u:hunter2@db/tf\"\n    \
             schema_name = \"team\"\n    skip_index_creation = true\n  }\n}\n",
        )])
        .unwrap();
        let Some(BackendBlock::Pg(pg)) = &m.backend else {
            panic!("{:?}", m.backend)
        };
        assert_eq!(pg.conn_str.as_deref(), Some("postgres://u:hunter2@db/tf"));
        assert_eq!(pg.schema_name.as_deref(), Some("team"));
        assert_eq!(pg.skip_index_creation, Some(true));
        assert_eq!(pg.skip_table_creation, None);
        assert!(!format!("{:?}", m.backend).contains("hunter2"));

        for (body, wanted) in [
            ("conn_string = \"x\"", "not expected in the pg backend"),
            (
                "schema_name = var.schema",
                "schema_name must be a literal string",
            ),
            (
                "skip_table_creation = \"yes\"",
                "must be the literal true or false",
            ),
        ] {
            let text = format!("terraform {{\n  backend \"pg\" {{\n    {body}\n  }}\n}}\n");
            let err = load(&[("main.tf", &text)]).unwrap_err();
            assert!(format!("{err:?}").contains(wanted), "{body}: {err:?}");
        }
    }

    #[test]
    fn decodes_the_block_kinds() {
        let m = load(&[(
            "main.tf",
            r#"
terraform {
  required_version = ">= 1.0"
  backend "local" {
    path = "x.json"
    workspace_dir = "ws"
  }
}
provider "random" {}
provider "random" { alias = "b" }
variable "nodes" {
  type = map(string)
  default = { node1 = "192.168.1.11" }
  sensitive = false
}
locals { a = 1 }
resource "random_password" "pg" {
  length = 20
  provider = random.b
  lifecycle {
    create_before_destroy = true
    ignore_changes = [keepers["x"]]
  }
}
resource "local_file" "inv" {
  for_each = var.nodes
  filename = "x"
  depends_on = [random_password.pg]
}
data "local_file" "d" { filename = "y" }
output "o" {
  value = local.a
  sensitive = true
}
"#,
        )])
        .unwrap();
        let Some(BackendBlock::Local {
            path,
            workspace_dir,
        }) = m.backend
        else {
            panic!("{:?}", m.backend)
        };
        assert_eq!(path, Some("x.json".into()));
        assert_eq!(workspace_dir, Some("ws".into()));
        let aliased = ProviderAddr::parse("random.b").unwrap();
        assert!(m.providers.contains_key(&aliased));
        assert_eq!(m.variables["nodes"].ty.to_string(), "map(string)");
        let pg = &m.resources[&ResourceAddr::managed("random_password", "pg")];
        assert_eq!(pg.provider, aliased);
        assert!(pg.lifecycle.create_before_destroy);
        assert_eq!(
            pg.lifecycle.ignore_changes,
            IgnoreChanges::Paths(vec![AttrPath::attr("keepers").key("x")])
        );
        let inv = &m.resources[&ResourceAddr::managed("local_file", "inv")];
        assert!(matches!(inv.repetition, Repetition::ForEach(_)));
        assert_eq!(inv.depends_on.len(), 1);
        assert!(m.outputs["o"].sensitive);
        assert_eq!(m.resources.len(), 3);
    }

    #[test]
    fn reports_every_error_with_a_position() {
        let err = load(&[
            (
                "a.tf",
                "resource \"x\" {}\nvariable \"v\" { tpye = string }\n",
            ),
            ("b.tf", "locals {\n  a = \n}\n"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        let text = err.to_string();
        assert!(text.contains("Wrong number of labels"), "{text}");
        assert!(text.contains("Did you mean \"type\"?"), "{text}");
        assert!(text.contains("Invalid HCL syntax"), "{text}");
        assert!(
            text.contains("b.tf:3:1") || text.contains("b.tf:2:"),
            "{text}"
        );
    }

    #[test]
    fn a_module_that_calls_itself_is_reported_instead_of_loaded() {
        let err = load(&[("main.tf", "module \"me\" {\n  source = \"./\"\n}\n")]).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert!(err.to_string().contains("Module calls itself"), "{err}");
    }

    #[test]
    fn a_variable_is_nullable_unless_it_says_otherwise_and_a_validation_needs_both_parts() {
        let m = load(&[(
            "main.tf",
            r#"
variable "a" {}
variable "b" {
  type        = number
  nullable    = false
  sensitive   = true
  description = "b"
  validation {
    condition     = var.b > 0
    error_message = "positive"
  }
}
"#,
        )])
        .unwrap();
        let (a, b) = (&m.variables["a"], &m.variables["b"]);
        assert!(a.nullable && !a.sensitive && !a.type_declared);
        assert_eq!(a.ty, Type::Any);
        assert!(!b.nullable && b.sensitive && b.type_declared);
        assert_eq!((b.ty.clone(), b.description.as_str()), (Type::Number, "b"));
        assert_eq!(b.validations.len(), 1);
        let err = load(&[(
            "main.tf",
            "variable \"c\" {\n  type = strin\n  validation {\n    condition = true\n  }\n}\n",
        )])
        .unwrap_err()
        .to_string();
        assert!(err.contains("Invalid type constraint"), "{err}");
        assert!(
            err.contains("needs both condition and error_message"),
            "{err}"
        );
    }
}
