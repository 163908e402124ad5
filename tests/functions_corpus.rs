//! Runs the function corpus in tests/functions/*.txt against the function library.
//!
//! A case is a `call: NAME [JSON ARGS]` line followed by `want: JSON` (the result) or
//! `error: TEXT` (the call fails with a message containing TEXT). Lines starting with `#` are
//! comments. The expected values came from Terraform's console (see tests/functions/oracle.py).

use ggplan::lang::functions::{FunctionContext, call};
use ggplan_sdk::Value;
use std::path::{Path, PathBuf};

struct Case {
    at: String,
    name: String,
    args: Vec<Value>,
    expect: Expect,
}

enum Expect {
    Value(Value),
    Error(String),
}

fn parse(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut cases = Vec::new();
    let mut pending: Option<(String, String, Vec<Value>)> = None;
    for (i, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        if let Some(rest) = line.strip_prefix("call: ") {
            assert!(pending.is_none(), "{at}: call without want/error before it");
            let (name, args) = rest.split_once(' ').unwrap_or((rest, "[]"));
            let args: serde_json::Value =
                serde_json::from_str(args).unwrap_or_else(|e| panic!("{at}: bad args: {e}"));
            let args = args
                .as_array()
                .unwrap_or_else(|| panic!("{at}: args must be an array"));
            pending = Some((
                at,
                name.to_string(),
                args.iter().map(Value::from_json).collect(),
            ));
        } else if let Some(rest) = line.strip_prefix("want: ") {
            let (at, name, args) = pending
                .take()
                .unwrap_or_else(|| panic!("{at}: want without call"));
            let want: serde_json::Value =
                serde_json::from_str(rest).unwrap_or_else(|e| panic!("{at}: bad want: {e}"));
            cases.push(Case {
                at,
                name,
                args,
                expect: Expect::Value(Value::from_json(&want)),
            });
        } else if let Some(rest) = line.strip_prefix("error:") {
            let (at, name, args) = pending
                .take()
                .unwrap_or_else(|| panic!("{at}: error without call"));
            cases.push(Case {
                at,
                name,
                args,
                expect: Expect::Error(rest.trim().to_string()),
            });
        } else {
            assert!(
                line.is_empty() || line.starts_with('#'),
                "{at}: unexpected line {line:?}"
            );
        }
    }
    assert!(pending.is_none(), "{file}: last call has no want/error");
    cases
}

/// What went wrong with one case, if anything.
fn check(case: &Case, ctx: &FunctionContext) -> Option<String> {
    let got = call(&case.name, case.args.clone(), ctx);
    match (&case.expect, got) {
        (Expect::Value(want), Ok(got)) if *want == got => None,
        (Expect::Value(want), Ok(got)) => Some(format!(
            "want {}\n      got  {}",
            want.to_json().unwrap_or_default(),
            got.to_json()
                .map_or_else(|| format!("{got:?}"), |j| j.to_string())
        )),
        (Expect::Value(want), Err(e)) => Some(format!(
            "want {}\n      got error: {e}",
            want.to_json().unwrap_or_default()
        )),
        (Expect::Error(text), Err(e)) if e.to_string().contains(text.as_str()) => None,
        (Expect::Error(text), Err(e)) => Some(format!(
            "want error containing: {text}\n      got error: {e}"
        )),
        (Expect::Error(text), Ok(got)) => Some(format!(
            "want error containing: {text}\n      got {}",
            got.to_json()
                .map_or_else(|| format!("{got:?}"), |j| j.to_string())
        )),
    }
}

#[test]
fn corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/functions");
    let ctx = FunctionContext {
        base_dir: dir.join("fixtures"),
        plan_timestamp: "2024-05-01T12:00:00Z".to_string(),
        provider_functions: ggplan::cli::registry().functions(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());
    let cases: Vec<Case> = files.iter().flat_map(|f| parse(f)).collect();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            check(c, &ctx).map(|why| format!("{}: {} {:?}\n      {why}", c.at, c.name, c.args))
        })
        .collect();
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!(
        "{} of {} function cases passed",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} function cases failed",
        failures.len()
    );
}
