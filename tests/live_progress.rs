//! Progress of a large apply: on a terminal, a bounded number of lines a second and a summary
//! of the rest; piped into a log, every line.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, StackDir};
use std::process::Command;

const INSTANCES: usize = 1000;

fn stack() -> StackDir {
    StackDir::new(&format!(
        "resource \"terraform_data\" \"n\" {{\n  count = {INSTANCES}\n  input = count.index\n}}\n"
    ))
}

fn completions(output: &str) -> usize {
    output.matches("Creation complete").count()
}

#[test]
fn a_terminal_gets_a_summary_instead_of_a_line_per_change() {
    let stack = stack();
    // `script` gives the binary a terminal (util-linux).
    let output = Command::new("script")
        .args(["-qec", &format!("{BIN} apply -auto-approve"), "/dev/null"])
        .current_dir(stack.dir())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("Apply complete! Resources: 1000 added"),
        "{text}"
    );
    assert!(text.contains("more progress lines not shown"), "{text}");
    // 20 lines a second: all 2,000 would take 100 seconds.
    let progress = completions(&text) + text.matches("Creating...").count();
    assert!(
        progress < INSTANCES,
        "{progress} progress lines on the terminal"
    );
}

#[test]
fn a_log_gets_every_line() {
    let stack = stack();
    let apply = stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    assert_eq!(completions(&apply.stdout), INSTANCES);
    assert!(!apply.stdout.contains("not shown"));
}
