//! `ggplan console`: expressions from stdin evaluated against a stack and its state, printed
//! as `terraform console` prints them, errors on stderr without stopping.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_ggplan");

const STACK: &str = r#"
variable "name" {
  default = "web"
}

variable "secret" {
  default   = "pw"
  sensitive = true
}

locals {
  greeting = "hello ${var.name}"
  inputs   = terraform_data.n[*].output
}

resource "terraform_data" "n" {
  count = 2
  input = "${var.name}-${count.index}"
}
"#;

fn ggplan(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stack() -> TempDir {
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("main.tf"), STACK).unwrap();
    tmp
}

#[test]
fn evaluates_each_line_against_variables_locals_and_state() {
    let tmp = stack();
    let applied = ggplan(tmp.path(), &["apply", "--auto-approve"], "");
    assert!(applied.status.success(), "{applied:?}");
    let lines = [
        "local.greeting",
        "var.secret",
        "local.inputs",
        "terraform_data.n[1].input",
        "{a = 1, b = [true, null]}",
        "type({a = [1]})",
        "",
        "7 / 2",
    ];
    let out = ggplan(
        tmp.path(),
        &["console", "--var", "name=db"],
        &lines.join("\n"),
    );
    assert!(out.status.success(), "{out:?}");
    // What Terraform 1.15.5's console prints for the same stack, state and lines.
    let expected = "\"hello db\"\n(sensitive value)\n[\n  \"web-0\",\n  \"web-1\",\n]\n\
                    \"web-1\"\n{\n  \"a\" = 1\n  \"b\" = [\n    true,\n    null,\n  ]\n}\n\
                    object({\n    a: tuple([\n        number,\n    ]),\n})\n3.5\n";
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn errors_go_to_stderr_and_later_lines_still_run() {
    let tmp = stack();
    let out = ggplan(
        tmp.path(),
        &["console"],
        "1 + \"a\"\nterraform_data.m\nterraform_data.n\n\"ok\"\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Nothing applied yet: the counted resource has no instances.
    assert_eq!(stdout, "[]\n\"ok\"\n");
    assert!(
        stderr.contains("Unsuitable value for right operand: a number is required."),
        "{stderr}"
    );
    assert!(stderr.contains("on <console-input> line 1:"), "{stderr}");
    assert!(
        stderr.contains("Did you mean \"terraform_data.n\"?"),
        "{stderr}"
    );
}

#[test]
fn optional_object_attributes_take_their_defaults() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(
        tmp.path().join("main.tf"),
        r#"
variable "nodes" {
  type = map(object({
    flavor = optional(string, "m1.small")
    labels = optional(list(string), [])
    ip     = string
  }))
  default = {
    a = { ip = "10.0.0.1" }
    b = { ip = "10.0.0.2", flavor = "m1.large", labels = ["gpu"] }
  }
}
"#,
    )
    .unwrap();
    let out = ggplan(
        tmp.path(),
        &["console"],
        "var.nodes.a\nvar.nodes.b.labels\n\"caf\\u0065\\u0301\" == \"café\"\n",
    );
    assert!(out.status.success(), "{out:?}");
    // Terraform 1.15.5 prints the same, but for tolist([...]) around the lists: values carry
    // no static types.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\n  \"flavor\" = \"m1.small\"\n  \"ip\" = \"10.0.0.1\"\n  \"labels\" = []\n}\n\
         [\n  \"gpu\",\n]\ntrue\n"
    );
}

#[test]
fn provider_functions_are_callable_from_the_console() {
    let tmp = stack();
    let out = ggplan(
        tmp.path(),
        &["console"],
        "provider::terraform::encode_expr({a = 1, bb = [var.name]})\n\
         provider::terraform::encode_expr(var.secret)\n",
    );
    assert!(out.status.success(), "{out:?}");
    // Terraform prints a multi-line string as a heredoc, and a sensitive result as such.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<<EOT\n{\n  a  = 1\n  bb = [\"web\"]\n}\nEOT\n(sensitive value)\n"
    );
}

/// As Terraform's, the console works where there is no stack at all, for trying functions;
/// it writes nothing there.
#[test]
fn works_in_a_directory_without_stack_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = ggplan(dir.path(), &["console"], "1 + 1\nupper(\"a\")\nvar.nope\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, "2\n\"A\"\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("var.nope"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // A plan there is still told that there is no stack.
    let plan = ggplan(dir.path(), &["plan"], "");
    assert!(String::from_utf8_lossy(&plan.stderr).contains("No stack files"));
}
