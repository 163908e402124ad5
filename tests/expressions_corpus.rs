//! Runs the expression corpus in tests/expressions/*.txt through the real evaluator.
//!
//! A file declares names as header lines, anywhere in the file, each visible as `local.NAME`
//! to every case of the file: `local: NAME = EXPR` (a known value), `sensitive: NAME = EXPR`
//! (the value marked sensitive) and `unknown: NAME` (a value known only after apply). A case is
//! an `expr: EXPR` line (continued by lines starting with `| `, for heredocs) followed by one of:
//! - `want: JSON`: the result is wholly known, not sensitive, and equals the JSON value;
//! - `want: ~ TEXT`: the result as `terraform console` prints it, its lines trimmed and joined
//!   by spaces (`tolist(`/`toset(`/`tomap(` wrappers removed: values carry no static types);
//! - `error: @L:C-L:C TEXT`: evaluation fails with a diagnostic whose `summary: detail`
//!   contains TEXT, at that range relative to the expression (line 1, column 1 is its first
//!   character). The range may be left out for an error Terraform reports without one.
//!
//! Lines starting with `#` are comments. The answers came from Terraform 1.15.5 (see
//! tests/expressions/oracle.py). Every failing case is listed as file:line.

use ggplan::config::{Expr, FileId, SourceMap};
use ggplan::lang::eval::{Evaluator, Resolver, Step};
use ggplan::lang::functions::FunctionContext;
use ggplan_sdk::{Diagnostic, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

enum Header {
    Local(String, String),
    Sensitive(String, String),
    Unknown(String),
}

enum Expect {
    Json(Value),
    Console(String),
    Error(Option<String>, String),
}

struct Case {
    at: String,
    expr: String,
    expect: Expect,
}

struct File {
    headers: Vec<Header>,
    cases: Vec<Case>,
}

fn parse(path: &Path) -> File {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut headers = Vec::new();
    let mut cases = Vec::new();
    let mut pending: Option<(String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", i + 1);
        if let Some(rest) = line.strip_prefix("expr: ") {
            assert!(pending.is_none(), "{at}: expr without want/error before it");
            pending = Some((at, rest.to_string()));
        } else if let Some(rest) = line.strip_prefix('|') {
            let (_, expr) = pending
                .as_mut()
                .unwrap_or_else(|| panic!("{at}: continuation without expr"));
            expr.push('\n');
            expr.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if let Some(rest) = line.strip_prefix("want: ") {
            let (at, expr) = pending
                .take()
                .unwrap_or_else(|| panic!("{at}: want without expr"));
            let expect = match rest.strip_prefix("~ ") {
                Some(console) => Expect::Console(console.to_string()),
                None => {
                    let json: serde_json::Value = serde_json::from_str(rest)
                        .unwrap_or_else(|e| panic!("{at}: bad want: {e}"));
                    Expect::Json(Value::from_json(&json))
                }
            };
            cases.push(Case { at, expr, expect });
        } else if let Some(rest) = line.strip_prefix("error: ") {
            let (at, expr) = pending
                .take()
                .unwrap_or_else(|| panic!("{at}: error without expr"));
            let (range, text) = match rest.strip_prefix('@') {
                Some(r) => {
                    let (range, text) = r.split_once(' ').unwrap_or((r, ""));
                    (Some(range.to_string()), text.to_string())
                }
                None => (None, rest.to_string()),
            };
            cases.push(Case {
                at,
                expr,
                expect: Expect::Error(range, text),
            });
        } else if let Some(rest) = line.strip_prefix("local: ") {
            let (n, e) = rest.split_once(" = ").expect("local: NAME = EXPR");
            headers.push(Header::Local(n.to_string(), e.to_string()));
        } else if let Some(rest) = line.strip_prefix("sensitive: ") {
            let (n, e) = rest.split_once(" = ").expect("sensitive: NAME = EXPR");
            headers.push(Header::Sensitive(n.to_string(), e.to_string()));
        } else if let Some(rest) = line.strip_prefix("unknown: ") {
            headers.push(Header::Unknown(rest.trim().to_string()));
        } else {
            assert!(
                line.is_empty() || line.starts_with('#'),
                "{at}: unexpected line {line:?}"
            );
        }
    }
    assert!(pending.is_none(), "{name}: last expr has no want/error");
    File { headers, cases }
}

/// `local.NAME` from the file's headers; nothing else is declared.
struct Locals(BTreeMap<String, Value>);

impl Resolver for Locals {
    fn resolve(&self, root: &str, steps: &[Step]) -> Result<(Value, usize), String> {
        match (root, steps.first()) {
            ("local", Some(Step::Attr(name))) => self
                .0
                .get(name)
                .map(|v| (v.clone(), 1))
                .ok_or_else(|| format!("local.{name} is not declared")),
            _ => Err(format!("{root} is not declared")),
        }
    }
}

fn evaluate(text: &str, locals: &Locals, ctx: &FunctionContext) -> Result<Value, Diagnostic> {
    let mut sources = SourceMap::default();
    let file: FileId = sources.add("<expr>".into(), text.to_string());
    // A heredoc ends with a newline inside a body; give the parser the same.
    let expr = hcl_edit::parser::parse_expr(text)
        .or_else(|_| hcl_edit::parser::parse_expr(&format!("{text}\n")))
        .map_err(|e| Diagnostic::error("Syntax error", e.message().to_string()))?;
    let expr = Expr {
        file,
        expr,
        span: 0..text.len(),
    };
    Evaluator::new(&sources, locals, ctx).eval(&expr)
}

fn locals(headers: &[Header], ctx: &FunctionContext) -> Locals {
    let mut locals = Locals(BTreeMap::new());
    for h in headers {
        let (name, value) = match h {
            Header::Local(n, e) => (n, evaluate(e, &locals, ctx).unwrap()),
            Header::Sensitive(n, e) => (n, evaluate(e, &locals, ctx).unwrap().into_sensitive()),
            Header::Unknown(n) => (n, Value::Unknown),
        };
        locals.0.insert(name.clone(), value);
    }
    locals
}

/// Console text on one line, as the corpus writes it.
fn one_line(v: &Value) -> String {
    let text = ggplan::render::value(v);
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

fn shown(v: &Value) -> String {
    match v.to_json() {
        Some(json) if !v.contains_sensitive() => json.to_string(),
        _ => format!("~ {}", one_line(v)),
    }
}

/// What went wrong with one case, if anything.
fn check(case: &Case, locals: &Locals, ctx: &FunctionContext) -> Option<String> {
    let got = evaluate(&case.expr, locals, ctx);
    match (&case.expect, got) {
        (Expect::Json(want), Ok(got)) => {
            let plain = got.is_wholly_known() && !got.contains_sensitive();
            (!(plain && *want == got)).then(|| {
                format!(
                    "want {}\n      got  {}",
                    want.to_json().unwrap_or_default(),
                    shown(&got)
                )
            })
        }
        (Expect::Console(want), Ok(got)) => {
            let text = one_line(&got);
            (*want != text).then(|| format!("want ~ {want}\n      got  ~ {text}"))
        }
        (Expect::Error(range, text), Err(d)) => {
            let message = format!("{}: {}", d.summary, d.detail);
            let at = d.range.as_ref().map(|r| {
                format!(
                    "{}:{}-{}:{}",
                    r.start.line, r.start.column, r.end.line, r.end.column
                )
            });
            let range_ok = range.is_none() || *range == at;
            (!(range_ok && message.contains(text.as_str()))).then(|| {
                format!(
                    "want error @{} {text}\n      got error @{} {message}",
                    range.as_deref().unwrap_or("-"),
                    at.as_deref().unwrap_or("-")
                )
            })
        }
        (Expect::Error(_, text), Ok(got)) => Some(format!(
            "want error containing: {text}\n      got {}",
            shown(&got)
        )),
        (_, Err(d)) => Some(format!(
            "want a value\n      got error {}: {}",
            d.summary, d.detail
        )),
    }
}

#[test]
fn corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expressions");
    let ctx = FunctionContext {
        base_dir: dir.clone(),
        plan_timestamp: "2024-05-01T12:00:00Z".to_string(),
        provider_functions: ggplan::cli::registry().functions(),
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no corpus files in {}", dir.display());
    let mut total = 0;
    let mut failures = Vec::new();
    for path in &paths {
        let file = parse(path);
        let locals = locals(&file.headers, &ctx);
        total += file.cases.len();
        for case in &file.cases {
            if let Some(why) = check(case, &locals, &ctx) {
                failures.push(format!("{}: {}\n      {why}", case.at, case.expr));
            }
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!(
        "{} of {total} expression cases passed",
        total - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} expression cases failed",
        failures.len()
    );
}
