//! Gathering raw inputs from the environment, the stack's variables files and the command
//! line, with Terraform's precedence.

use super::{CliInput, InputSource, RawInput, RawInputs, RawValue, function_calls};
use crate::config::{Expr, FileId, Module, Variable, object_limit};
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Diagnostics, SourceRange, Type, Value};
use hcl_edit::Span;
use hcl_edit::structure::Structure;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Environment prefixes, weakest first: ggplan's own spelling wins over Terraform's.
const ENV_PREFIXES: [&str; 2] = ["TF_VAR_", "GGPLAN_VAR_"];

/// Whether an environment variable's name sets a stack's variable (`TF_VAR_x`,
/// `GGPLAN_VAR_x`).
pub fn is_variable_name(name: &str) -> bool {
    ENV_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// Collects inputs with Terraform's precedence (later wins): environment `TF_VAR_name`, then
/// `GGPLAN_VAR_name`, then `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars`
/// and `*.auto.tfvars.json` in lexical order (all in the stack directory), then `-var-file`
/// and `-var` in command-line order.
///
/// A value for an undeclared variable is a warning in a file, an error on the command line
/// and ignored in the environment, as in Terraform. Every problem is reported together.
pub fn collect(
    module: &Module,
    env: &[(String, String)],
    cli: &[CliInput],
) -> Result<RawInputs, Diagnostics> {
    let mut collector = Collector {
        module,
        out: RawInputs::default(),
        errors: Diagnostics::new(),
    };
    for prefix in ENV_PREFIXES {
        for (key, text) in env {
            let declared = key
                .strip_prefix(prefix)
                .and_then(|name| module.variables.get(name));
            if let Some(var) = declared {
                collector.text(var, text, InputSource::Environment(key.clone()));
            }
        }
    }
    for path in auto_files(&module.dir) {
        collector.file(&path, InputSource::AutoFile(path.clone()));
    }
    for input in cli {
        match input {
            CliInput::Var(arg) => collector.cli_var(arg),
            CliInput::VarFile(path) => collector.file(path, InputSource::VarFile(path.clone())),
        }
    }
    let Collector {
        mut out, errors, ..
    } = collector;
    if errors.has_errors() {
        let mut all = std::mem::take(&mut out.warnings);
        all.extend(errors);
        return Err(all);
    }
    Ok(out)
}

/// The stack's own variables files, in the order they apply.
fn auto_files(dir: &Path) -> Vec<PathBuf> {
    let fixed = ["terraform.tfvars", "terraform.tfvars.json"]
        .into_iter()
        .map(|name| dir.join(name))
        .filter(|p| p.is_file());
    // An unreadable stack directory has already been reported by the config loader.
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                })
        })
        .collect();
    auto.sort();
    fixed.chain(auto).collect()
}

struct Collector<'a> {
    module: &'a Module,
    out: RawInputs,
    errors: Diagnostics,
}

impl Collector<'_> {
    fn set(
        &mut self,
        name: &str,
        value: RawValue,
        source: InputSource,
        range: Option<SourceRange>,
    ) {
        self.out.inputs.insert(
            name.to_string(),
            RawInput {
                value,
                source,
                range,
            },
        );
    }

    /// A `-var` or environment value: literal text, or an expression for a complex type.
    fn text(&mut self, var: &Variable, text: &str, source: InputSource) {
        if takes_literal(var) {
            self.set(&var.name, RawValue::Literal(text.to_string()), source, None);
            return;
        }
        let file = self
            .out
            .sources
            .add(format!("<value for var.{}>", var.name), text.to_string());
        if self.oversized(file, text) {
            return;
        }
        match hcl_edit::parser::parse_expr(text) {
            Ok(expr) => {
                let expr = Expr {
                    file,
                    span: expr.span().unwrap_or(0..text.len()),
                    expr,
                };
                if self.constant(&expr) {
                    self.set(&var.name, RawValue::Expr(expr), source, None);
                }
            }
            Err(e) => self.parse_error(file, &e),
        }
    }

    fn cli_var(&mut self, arg: &str) {
        let Some((name, text)) = arg.split_once('=') else {
            self.errors.push(Diagnostic::error(
                "Invalid -var option",
                format!(
                    "The given -var option {arg:?} is not correctly specified. Must be a variable \
                     name and value separated by an equals sign, like -var=\"key=value\"."
                ),
            ));
            return;
        };
        match self.module.variables.get(name) {
            Some(var) => self.text(var, text, InputSource::Cli),
            None => {
                let hint = did_you_mean(name, self.module.variables.keys().map(String::as_str));
                self.errors.push(Diagnostic::error(
                    "Value for undeclared variable",
                    format!(
                        "A variable named {name:?} was assigned on the command line, but the root \
                         module does not declare a variable of that name.{hint} To use this \
                         value, add a \"variable\" block to the configuration."
                    ),
                ));
            }
        }
    }

    /// A `.tfvars` (HCL) or `.tfvars.json` file.
    fn file(&mut self, path: &Path, source: InputSource) {
        let name = display_name(path);
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                let detail = if e.kind() == std::io::ErrorKind::NotFound {
                    format!("Given variables file {name} does not exist.")
                } else {
                    format!("Error while reading {name}: {e}.")
                };
                self.errors
                    .push(Diagnostic::error("Failed to read variables file", detail));
                return;
            }
        };
        let file = self.out.sources.add(name, text.clone());
        if path.extension().is_some_and(|e| e == "json") {
            self.json_file(file, &text, source);
        } else {
            self.hcl_file(file, &text, source);
        }
    }

    fn hcl_file(&mut self, file: FileId, text: &str, source: InputSource) {
        if self.oversized(file, text) {
            return;
        }
        let body = match hcl_edit::parser::parse_body(text) {
            Ok(body) => body,
            Err(e) => return self.parse_error(file, &e),
        };
        let mut seen: BTreeMap<String, SourceRange> = BTreeMap::new();
        for structure in body.into_iter() {
            let attr = match structure {
                Structure::Attribute(attr) => attr,
                Structure::Block(block) => {
                    let range = self.range(file, block.span());
                    self.errors.push(
                        Diagnostic::error(
                            format!("Unexpected {:?} block", block.ident.as_str()),
                            "Blocks are not allowed in a variables file; write name = value.",
                        )
                        .at_range(range),
                    );
                    continue;
                }
            };
            let name = attr.key.as_str().to_string();
            let range = self.range(file, attr.span());
            if let Some(first) = seen.get(&name) {
                self.errors.push(
                    Diagnostic::error(
                        "Attribute redefined",
                        format!(
                            "The argument {name:?} was already set at {first}. Each argument \
                             may be set only once."
                        ),
                    )
                    .at_range(range),
                );
                continue;
            }
            if let Some(range) = range.clone() {
                seen.insert(name.clone(), range);
            }
            let span = attr.value.span().unwrap_or(0..0);
            let expr = Expr {
                file,
                span: span.clone(),
                expr: attr.value,
            };
            if !self.constant(&expr) {
                continue;
            }
            if self.declared(&name, file, range) {
                let at = Some(self.out.sources.range(file, span));
                self.set(&name, RawValue::Expr(expr), source.clone(), at);
            }
        }
    }

    fn json_file(&mut self, file: FileId, text: &str, source: InputSource) {
        let object = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                let range = self.range(file, Some(0..text.len()));
                self.errors.push(
                    Diagnostic::error(
                        "Invalid variables file",
                        "A .tfvars.json file must hold one JSON object of variable names and \
                         values.",
                    )
                    .at_range(range),
                );
                return;
            }
            Err(e) => {
                let byte = byte_at(text, e.line(), e.column());
                let range = self.range(file, Some(byte..byte + 1));
                self.errors.push(
                    Diagnostic::error("Invalid JSON in variables file", format!("{e}."))
                        .at_range(range),
                );
                return;
            }
        };
        for (name, json) in &object {
            let range = self.range(file, Some(json_key_span(text, name)));
            if self.declared(name, file, range.clone()) {
                self.set(
                    name,
                    RawValue::Value(Value::from_json(json)),
                    source.clone(),
                    range,
                );
            }
        }
    }

    /// Whether `name` is declared; warns about a value in a file for an undeclared one.
    fn declared(&mut self, name: &str, file: FileId, range: Option<SourceRange>) -> bool {
        if self.module.variables.contains_key(name) {
            return true;
        }
        let hint = did_you_mean(name, self.module.variables.keys().map(String::as_str));
        let file_name = &self.out.sources.file(file).name;
        let warning = Diagnostic::warning(
            "Value for undeclared variable",
            format!(
                "The root module does not declare a variable named {name:?} but a value was \
                 found in file {file_name:?}.{hint} If you meant to use this value, add a \
                 \"variable\" block to the configuration."
            ),
        )
        .at_range(range);
        self.out.warnings.push(warning);
        false
    }

    /// Whether the expression may stand as an input value; reports each function call, which
    /// Terraform does not allow in inputs.
    fn constant(&mut self, expr: &Expr) -> bool {
        let calls = function_calls(&self.out.sources, expr);
        let ok = calls.is_empty();
        self.errors.extend(calls);
        ok
    }

    fn range(&self, file: FileId, span: Option<Range<usize>>) -> Option<SourceRange> {
        span.map(|s| self.out.sources.range(file, s))
    }

    /// Refuses text with an object literal too large to parse (see [`object_limit`]).
    fn oversized(&mut self, file: FileId, text: &str) -> bool {
        let Some(at) = object_limit::oversized_object(text) else {
            return false;
        };
        let error = object_limit::too_many_items(&self.out.sources, file, at);
        self.errors.push(error);
        true
    }

    fn parse_error(&mut self, file: FileId, e: &hcl_edit::parser::Error) {
        let byte = byte_at(
            &self.out.sources.file(file).text,
            e.location().line(),
            e.location().column(),
        );
        let range = self.range(file, Some(byte..byte + 1));
        self.errors.push(
            Diagnostic::error(
                "Invalid expression",
                format!(
                    "The parser stopped here: {}. A value is written as in a stack file: \
                     \"text\", 42, true, [\"a\", \"b\"] or {{ key = \"value\" }}.",
                    e.message()
                ),
            )
            .at_range(range),
        );
    }
}

/// Whether `-var` and environment text for `var` is taken as a literal string rather than
/// parsed as an expression: Terraform takes it literally when the type is a primitive or not
/// declared at all, and parses it for any other type, `any` included.
fn takes_literal(var: &Variable) -> bool {
    match var.ty {
        Type::String | Type::Number | Type::Bool => true,
        Type::Any => !var.type_declared,
        _ => false,
    }
}

/// The name a file is shown by: as given, without a leading `./`.
fn display_name(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// The byte offset of a 1-based line and column (as parsers report them) in `text`.
fn byte_at(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Where the key `name` is written in a JSON object's text: its first occurrence as a quoted
/// string (serde_json keeps no positions; this is enough to point a reader at the line).
fn json_key_span(text: &str, name: &str) -> Range<usize> {
    let quoted = serde_json::Value::String(name.to_string()).to_string();
    match text.find(&quoted) {
        Some(start) => start..start + quoted.len(),
        None => 0..0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_at_counts_lines_and_columns_from_one() {
        let text = "ab\ncd\n";
        assert_eq!(byte_at(text, 1, 1), 0);
        assert_eq!(byte_at(text, 2, 2), 4);
        assert_eq!(byte_at(text, 9, 9), text.len());
    }

    #[test]
    fn json_keys_are_found_as_quoted_strings() {
        let text = "{\n  \"region\": \"x\",\n  \"reg\": 1\n}";
        assert_eq!(&text[json_key_span(text, "reg")], "\"reg\"");
        assert_eq!(json_key_span(text, "missing"), 0..0);
    }

    #[test]
    fn display_names_drop_a_leading_dot() {
        assert_eq!(
            display_name(Path::new("./terraform.tfvars")),
            "terraform.tfvars"
        );
        assert_eq!(display_name(Path::new("stack/x.tfvars")), "stack/x.tfvars");
    }
}
