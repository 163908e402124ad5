//! Fuzzing what ggplan reads from outside: stack files (the HCL front end and the decoder),
//! expressions (the evaluator and the function library), the formatter, state files with their
//! journal, saved plans, and Terraform's state files as `state migrate` reads them. Each input is a real one (this repository's stacks, the
//! expression corpus, a state and a plan ggplan wrote) with random edits: bytes inserted,
//! deleted, replaced or copied from elsewhere in it. The properties: nothing panics (what is
//! refused is rendered too), the
//! formatter is idempotent on what it accepts, and a saved plan whose content was changed is
//! refused.
//!
//! Bounded here (GGPLAN_FUZZ_CASES per target, 48 by default); `scripts/fuzz.sh` runs many
//! more. A failing input is kept in tests/fuzz.proptest-regressions and replayed first by every
//! later run.

#[path = "support/binary.rs"]
mod binary;

use binary::StackDir;
use ggplan::config::{Expr, SourceMap, load_dir};
use ggplan::fmt::format_source;
use ggplan::lang::eval::{Evaluator, NoNames};
use ggplan::lang::functions::FunctionContext;
use ggplan::planfile::PlanFile;
use ggplan::render::{self, Style};
use ggplan::state::StateStore;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::path::Path;
use std::sync::OnceLock;

/// One edit of an input, at a position given as a fraction of its length.
#[derive(Debug, Clone)]
enum Edit {
    Insert(f64, Vec<u8>),
    Delete(f64, usize),
    Replace(f64, u8),
    /// A slice of the input copied to another place of it.
    Splice(f64, f64, usize),
}

/// Bytes that mean something to HCL, JSON and templates, and some that mean nothing.
const ALPHABET: &[u8] = b"{}[]()\"'$%~=<>!?:,.*#/\\-+&|\n\t 0123456789aeflnrstux_\xc3\xa9\xff\x00";

fn edit() -> impl Strategy<Value = Edit> {
    let byte = proptest::sample::select(ALPHABET);
    prop_oneof![
        (0.0..1.0, proptest::collection::vec(byte.clone(), 1..8))
            .prop_map(|(at, b)| Edit::Insert(at, b)),
        (0.0..1.0, 1usize..32).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0, byte).prop_map(|(at, b)| Edit::Replace(at, b)),
        (0.0..1.0, 0.0..1.0, 1usize..64).prop_map(|(from, to, n)| Edit::Splice(from, to, n)),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(edit(), 1..6)
}

/// `input` with `edits` made, in order.
fn mutate(input: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = input.to_vec();
    let at = |fraction: f64, len: usize| ((fraction * len as f64) as usize).min(len);
    for e in edits {
        let len = out.len();
        match e {
            Edit::Insert(f, bytes) => {
                let i = at(*f, len);
                out.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete(f, n) => {
                let i = at(*f, len);
                out.drain(i..(i + n).min(len));
            }
            Edit::Replace(f, b) if len > 0 => {
                let i = at(*f, len - 1);
                out[i] = *b;
            }
            Edit::Splice(from, to, n) if len > 0 => {
                let i = at(*from, len - 1);
                let piece: Vec<u8> = out[i..(i + n).min(len)].to_vec();
                let j = at(*to, len);
                out.splice(j..j, piece);
            }
            _ => {}
        }
    }
    out
}

fn config() -> Config {
    let cases = std::env::var("GGPLAN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fuzz.proptest-regressions"
        )))),
        ..Config::default()
    }
}

/// The stack files of this repository, the seeds of the front end and the formatter.
fn stack_files() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "stacks/gourmetgram",
            "stacks/gourmetgram/modules/host",
            "examples/quickstart",
            "examples/ssh",
            "examples/mlflow",
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "tf") {
                    files.push(std::fs::read(&path).unwrap());
                }
            }
        }
        files
    })
}

/// The `*.tf.json` files of the JSON example, the seeds of the JSON front end.
fn json_stack_files() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/json");
        ["main.tf.json", "child/main.tf.json"]
            .iter()
            .map(|name| std::fs::read(root.join(name)).unwrap())
            .collect()
    })
}

/// The expressions of the corpus (tests/expressions), the seeds of the evaluator.
fn expressions() -> &'static [Vec<u8>] {
    static EXPRESSIONS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    EXPRESSIONS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expressions");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "txt") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.extend(
                    text.lines()
                        .filter_map(|l| l.strip_prefix("expr: "))
                        .map(|e| e.as_bytes().to_vec()),
                );
            }
        }
        found
    })
}

/// A state, its journal and a saved plan, as ggplan writes them for a small stack.
struct Written {
    state: Vec<u8>,
    journal: Vec<u8>,
    plan: Vec<u8>,
}

fn written() -> &'static Written {
    static WRITTEN: OnceLock<Written> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let stack = StackDir::new(
            r#"
resource "random_password" "db" {
  length = 12
}
resource "terraform_data" "app" {
  count = 2
  input = { index = count.index, tags = ["a", "b"] }
}
output "app" {
  value = terraform_data.app[*].id
}
"#,
        );
        stack.ggplan(&["apply", "-auto-approve"]).expect(0);
        let name = stack
            .dir()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let state = std::fs::read(stack.dir().join(format!("state/{name}.json"))).unwrap();
        // A journal as a crashed apply leaves it: the entries of one more change.
        std::fs::write(
            stack.dir().join("main.tf"),
            "resource \"terraform_data\" \"app\" {\n  count = 3\n}\n",
        )
        .unwrap();
        stack.ggplan(&["plan", "-out", "plan.bin"]).expect(0);
        let plan = std::fs::read(stack.dir().join("plan.bin")).unwrap();
        let journal = serde_json::json!({
            "at": "2026-12-07T10:00:00Z",
            "entries": [
                { "op": "begin", "address": "terraform_data.app[2]", "action": "create" },
                {
                    "op": "set",
                    "address": "terraform_data.app[2]",
                    "provider": "terraform",
                    "attributes": { "id": "x", "input": null, "output": null },
                },
            ],
        })
        .to_string()
            + "\n";
        let journal = journal.into_bytes();
        Written {
            state,
            journal,
            plan,
        }
    })
}

/// States written by Terraform itself and in its format (tests/fixtures/terraform_state).
fn terraform_states() -> &'static [Vec<u8>] {
    static STATES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    STATES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform_state");
        [
            "clean.tfstate.json",
            "tainted.tfstate.json",
            "providers.tfstate.json",
        ]
        .iter()
        .map(|name| std::fs::read(dir.join(name)).unwrap())
        .collect()
    })
}

fn schemas() -> &'static std::collections::BTreeMap<&'static str, ggplan_sdk::ProviderSchema> {
    static SCHEMAS: OnceLock<std::collections::BTreeMap<&'static str, ggplan_sdk::ProviderSchema>> =
        OnceLock::new();
    SCHEMAS.get_or_init(|| ggplan::cli::registry().schemas())
}

fn temp_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn stack_files_are_decoded_or_refused(seed in any::<prop::sample::Index>(), edits in edits()) {
        let files = stack_files();
        let input = mutate(&files[seed.index(files.len())], &edits);
        let dir = tempfile::tempdir().unwrap();
        temp_file(dir.path(), "main.tf", &input);
        // What is refused is shown with its source lines, in both styles.
        if let Err(diagnostics) = load_dir(dir.path()) {
            let text = String::from_utf8_lossy(&input).into_owned();
            for color in [false, true] {
                let style = Style { color };
                render::diagnostics(&diagnostics, &|_| Some(text.clone()), &style);
            }
        }
    }

    #[test]
    fn json_stack_files_are_decoded_or_refused(seed in any::<prop::sample::Index>(), edits in edits()) {
        let files = json_stack_files();
        let input = mutate(&files[seed.index(files.len())], &edits);
        let dir = tempfile::tempdir().unwrap();
        temp_file(dir.path(), "main.tf.json", &input);
        if let Err(diagnostics) = load_dir(dir.path()) {
            let text = String::from_utf8_lossy(&input).into_owned();
            render::diagnostics(&diagnostics, &|_| Some(text.clone()), &Style { color: false });
        }
    }

    #[test]
    fn the_formatter_is_idempotent_on_what_it_accepts(seed in any::<prop::sample::Index>(), edits in edits()) {
        let files = stack_files();
        let input = mutate(&files[seed.index(files.len())], &edits);
        let Ok(text) = String::from_utf8(input) else { return Ok(()) };
        if let Ok(once) = format_source(&text) {
            let twice = format_source(&once);
            prop_assert_eq!(twice.as_deref().ok(), Some(once.as_str()));
        }
    }

    #[test]
    fn expressions_evaluate_or_fail(seed in any::<prop::sample::Index>(), edits in edits()) {
        let corpus = expressions();
        let input = mutate(&corpus[seed.index(corpus.len())], &edits);
        let Ok(text) = String::from_utf8(input) else { return Ok(()) };
        let Ok(parsed) = hcl_edit::parser::parse_expr(&text) else { return Ok(()) };
        let mut sources = SourceMap::default();
        let file = sources.add("<fuzz>".into(), text.clone());
        let expr = Expr { file, expr: parsed, span: 0..text.len() };
        let functions = FunctionContext {
            base_dir: std::env::temp_dir(),
            plan_timestamp: "2026-12-07T10:00:00Z".to_string(),
            provider_functions: ggplan::cli::registry().functions(),
        };
        let _ = Evaluator::new(&sources, &NoNames, &functions).eval(&expr);
    }

    #[test]
    fn state_files_and_journals_load_or_are_refused(edits in edits(), journal_too in any::<bool>()) {
        let written = written();
        let dir = tempfile::tempdir().unwrap();
        let state = temp_file(dir.path(), "s.json", &mutate(&written.state, &edits));
        let journal = if journal_too { mutate(&written.journal, &edits) } else { written.journal.clone() };
        temp_file(dir.path(), "s.json.journal", &journal);
        let _ = StateStore::new(state).load();
    }

    #[test]
    fn terraform_states_migrate_or_are_refused(seed in any::<prop::sample::Index>(), edits in edits()) {
        let seeds = terraform_states();
        let input = mutate(&seeds[seed.index(seeds.len())], &edits);
        if let Err(e) = ggplan::migrate::migrate(&input, schemas()) {
            let _ = e.to_string();
        }
    }

    #[test]
    fn a_saved_plan_whose_content_changed_is_refused(edits in edits()) {
        let written = written();
        let bytes = mutate(&written.plan, &edits);
        let dir = tempfile::tempdir().unwrap();
        let path = temp_file(dir.path(), "plan.bin", &bytes);
        let read = PlanFile::read(&path, &ggplan::encryption::Target::default());
        let original: serde_json::Value = serde_json::from_slice(&written.plan).unwrap();
        let changed = serde_json::from_slice::<serde_json::Value>(&bytes).map_or(true, |v| v != original);
        prop_assert!(!(changed && read.is_ok()), "a changed plan was read");
    }
}

/// The seeds themselves are read: the edits start from valid inputs.
#[test]
fn the_seeds_are_valid_inputs() {
    let written = written();
    let dir = tempfile::tempdir().unwrap();
    let state = temp_file(dir.path(), "s.json", &written.state);
    temp_file(dir.path(), "s.json.journal", &written.journal);
    let loaded = StateStore::new(state).load().unwrap();
    assert_eq!(loaded.resources.len(), 4, "{loaded:#?}");
    let plan = temp_file(dir.path(), "plan.bin", &written.plan);
    PlanFile::read(&plan, &ggplan::encryption::Target::default()).unwrap();
    for state in terraform_states() {
        ggplan::migrate::migrate(state, schemas()).unwrap();
    }
    assert!(stack_files().len() > 10 && expressions().len() > 100);
}
