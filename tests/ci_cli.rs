//! The commands and flags a CI script written for Terraform uses: `-lock-timeout` (a run
//! waits for a held lock, then proceeds), `-lock=false`, `-input=false`, `init`,
//! `taint`/`untaint`, `state pull`/`state push`, `version -json`, `apply -destroy`, `refresh`
//! `validate -json`, `-compact-warnings`, the questions for missing variables on a terminal and
//! shell completion.

#[path = "support/binary.rs"]
mod binary;

use binary::{BIN, Run, StackDir};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TWO: &str = r#"
resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "b" {
  input = terraform_data.a.output
}
"#;

fn state_file(stack: &StackDir) -> PathBuf {
    let name = stack.dir().file_name().unwrap().to_str().unwrap();
    stack.dir().join(format!("state/{name}.json"))
}

/// A lock held by a live process on this host (this test), as another run leaves it.
fn hold_lock(stack: &StackDir) -> PathBuf {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let lock = PathBuf::from(format!("{}.lock", state_file(stack).display()));
    let info = serde_json::json!({
        "id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "operation": "apply",
        "pid": std::process::id(), "host": host.trim(), "user": "ci",
        "created": "2026-01-01T00:00:00Z", "ggplan_version": "0.1.0"
    });
    std::fs::write(&lock, info.to_string()).unwrap();
    lock
}

#[test]
fn a_run_with_lock_timeout_waits_for_the_lock_and_then_proceeds() {
    let stack = StackDir::new(TWO);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let lock = hold_lock(&stack);

    let refused = stack.ggplan(&["plan"]).expect(1);
    assert!(
        refused.stderr.contains("is locked by another ggplan run"),
        "{}",
        refused.stderr
    );

    let started = Instant::now();
    let waiting = std::process::Command::new(BIN)
        .args([
            "plan",
            "-lock-timeout=60s",
            "-detailed-exitcode",
            "-input=false",
        ])
        .current_dir(stack.dir())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::remove_file(&lock).unwrap();
    let run = Run::of(waiting.wait_with_output().unwrap()).expect(0);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(
        run.stderr.contains("Waiting up to 60s for the lock"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);

    // A lock that outlives the timeout fails the run, naming the holder.
    hold_lock(&stack);
    let run = stack.ggplan(&["plan", "-lock-timeout=300ms"]).expect(1);
    assert!(run.stderr.contains("PID:       "), "{}", run.stderr);
    // -lock=false does not look at it.
    stack
        .ggplan(&["plan", "-lock=false", "-detailed-exitcode"])
        .expect(0);
    let bad = stack.ggplan(&["plan", "-lock-timeout=-1s"]).expect(1);
    assert!(bad.stderr.contains("cannot be negative"), "{}", bad.stderr);
}

#[test]
fn init_checks_the_stack_and_refuses_backend_settings() {
    let stack = StackDir::new(TWO);
    let run = stack
        .ggplan(&["init", "-input=false", "-upgrade"])
        .expect(0);
    assert!(
        run.stdout
            .contains("ggplan has been successfully initialized!"),
        "{}",
        run.stdout
    );
    assert!(!stack.dir().join("state").exists());
    let run = stack
        .ggplan(&["init", "-backend-config=bucket=x"])
        .expect(1);
    assert!(
        run.stderr
            .contains("-backend-config=bucket=x would be ignored"),
        "{}",
        run.stderr
    );
    let broken = StackDir::new("resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n");
    let run = broken.ggplan(&["init"]).expect(1);
    assert!(run.stderr.contains("missing"), "{}", run.stderr);
}

#[test]
fn validate_json_is_terraforms_document() {
    let stack = StackDir::new(TWO);
    let run = stack.ggplan(&["validate", "-json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"format_version": "1.0", "valid": true, "error_count": 0,
                           "warning_count": 0, "diagnostics": []})
    );
    let broken = StackDir::new("resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n");
    let run = broken.ggplan(&["validate", "-json"]).expect(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (doc["valid"].clone(), doc["error_count"].clone()),
        (false.into(), 1.into())
    );
    let diag = &doc["diagnostics"][0];
    assert_eq!(diag["severity"], "error");
    assert_eq!(diag["range"]["start"]["line"], 2);
    assert!(
        diag["range"]["filename"]
            .as_str()
            .unwrap()
            .ends_with("main.tf"),
        "{diag}"
    );
    assert_eq!(diag["snippet"]["code"], "  input = var.missing");
    // A file that does not even parse is a diagnostic in the document too.
    let unparsable = StackDir::new("resource \"terraform_data\" {\n");
    let run = unparsable.ggplan(&["validate", "-json"]).expect(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["valid"], false);
}

#[test]
fn taint_replaces_and_untaint_restores() {
    let stack = StackDir::new(TWO);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let run = stack.ggplan(&["taint", "terraform_data.a"]).expect(0);
    assert_eq!(
        run.stdout,
        "Resource instance terraform_data.a has been marked as tainted.\n"
    );
    let plan = stack.ggplan(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("# terraform_data.a is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
    stack.ggplan(&["untaint", "terraform_data.a"]).expect(0);
    stack.ggplan(&["plan", "-detailed-exitcode"]).expect(0);

    let run = stack.ggplan(&["taint", "terraform_data.zz"]).expect(1);
    assert!(
        run.stderr.contains("terraform_data.zz is not in the state"),
        "{}",
        run.stderr
    );
    stack
        .ggplan(&["taint", "-allow-missing", "terraform_data.zz"])
        .expect(0);
    let run = stack.ggplan(&["untaint", "terraform_data.b"]).expect(1);
    assert!(run.stderr.contains("is not tainted"), "{}", run.stderr);
}

#[test]
fn state_pull_and_push_keep_terraforms_checks() {
    let stack = StackDir::new(TWO);
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    let pulled = stack.ggplan(&["state", "pull"]).expect(0).stdout;
    let doc: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    assert_eq!(doc, stack.state());

    // An older copy is refused; a newer one of the same state is taken.
    stack.ggplan(&["taint", "terraform_data.a"]).expect(0);
    let old = stack.dir().join("old.json");
    std::fs::write(&old, &pulled).unwrap();
    let run = stack.ggplan(&["state", "push", "old.json"]).expect(1);
    assert!(
        run.stderr.contains("is not newer than the current one"),
        "{}",
        run.stderr
    );
    let mut newer = doc.clone();
    newer["serial"] = serde_json::json!(doc["serial"].as_u64().unwrap() + 5);
    newer["resources"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["address"] == "terraform_data.a");
    std::fs::write(stack.dir().join("newer.json"), newer.to_string()).unwrap();
    stack.ggplan(&["state", "push", "newer.json"]).expect(0);
    let state = stack.state();
    assert_eq!(state["resources"].as_array().unwrap().len(), 1);
    assert_eq!(state["lineage"], doc["lineage"]);

    // Another state's file, and a Terraform state, are refused with what to do.
    let mut other = doc.clone();
    other["lineage"] = serde_json::json!("00000000-0000-0000-0000-000000000000");
    other["serial"] = serde_json::json!(999);
    std::fs::write(stack.dir().join("other.json"), other.to_string()).unwrap();
    let run = stack.ggplan(&["state", "push", "other.json"]).expect(1);
    assert!(
        run.stderr.contains("belongs to another state"),
        "{}",
        run.stderr
    );
    // `-` reads standard input, with the same checks.
    let mut child = std::process::Command::new(BIN)
        .args(["state", "push", "-"])
        .current_dir(stack.dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        other.to_string().as_bytes(),
    )
    .unwrap();
    let run = Run::of(child.wait_with_output().unwrap()).expect(1);
    assert!(
        run.stderr.contains("belongs to another state"),
        "{}",
        run.stderr
    );
    let forced = stack
        .ggplan(&["state", "push", "--force", "other.json"])
        .expect(0);
    assert!(
        forced.stdout.contains("Pushed 2 resource instance(s)"),
        "{}",
        forced.stdout
    );
    let tf = r#"{"version": 4, "terraform_version": "1.15.5", "serial": 1, "lineage": "x", "resources": []}"#;
    std::fs::write(stack.dir().join("terraform.tfstate"), tf).unwrap();
    let run = stack
        .ggplan(&["state", "push", "terraform.tfstate"])
        .expect(1);
    assert!(
        run.stderr
            .contains("ggplan state migrate terraform.tfstate"),
        "{}",
        run.stderr
    );
}

#[test]
fn version_json_apply_destroy_and_refresh() {
    let run = StackDir::new("").ggplan(&["version", "-json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["ggplan_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        doc["platform"].as_str().unwrap().starts_with("linux_"),
        "{doc}"
    );
    assert!(
        doc["provider_selections"]["ggplan/terraform"].is_string(),
        "{doc}"
    );

    // refresh accepts a file deleted by hand into the state, without asking.
    let stack = StackDir::new(
        "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/log/f.txt\"\n  content  = \"x\"\n}\n",
    );
    stack.ggplan(&["apply", "-auto-approve"]).expect(0);
    std::fs::remove_file(stack.dir().join("log/f.txt")).unwrap();
    let run = stack.ggplan(&["refresh", "-input=false"]).expect(0);
    assert!(run.stdout.contains("local_file.f"), "{}", run.stdout);
    assert!(
        stack.state()["resources"].as_array().unwrap().is_empty(),
        "{}",
        stack.state()
    );

    let two = StackDir::new(TWO);
    two.ggplan(&["apply", "-auto-approve"]).expect(0);
    let run = two
        .ggplan(&["apply", "-destroy", "-auto-approve"])
        .expect(0);
    assert!(run.stdout.contains("2 destroyed"), "{}", run.stdout);
    assert!(two.state()["resources"].as_array().unwrap().is_empty());
}

#[test]
fn compact_warnings_list_each_warning_with_where_it_is_and_leave_errors_whole() {
    let stack = StackDir::new(TWO);
    std::fs::write(stack.dir().join("terraform.tfvars"), "unknown = 1\n").unwrap();
    let full = stack.ggplan(&["plan", "."]).expect(0);
    assert!(
        full.stderr
            .contains("Warning: Value for undeclared variable"),
        "{}",
        full.stderr
    );
    let compact = stack.ggplan(&["plan", ".", "-compact-warnings"]).expect(0);
    assert!(
        compact.stderr.contains(
            "Warnings:\n\n- Value for undeclared variable\n  on terraform.tfvars line 1\n"
        ) && compact
            .stderr
            .contains("run ggplan without --compact-warnings"),
        "{}",
        compact.stderr
    );
    assert!(!compact.stderr.contains("Warning: "), "{}", compact.stderr);
    // With an error among them, every diagnostic is shown in full, as Terraform does.
    std::fs::write(
        stack.dir().join("broken.tf"),
        "output \"x\" {\n  value = nope\n}\n",
    )
    .unwrap();
    let failed = stack.ggplan(&["plan", ".", "-compact-warnings"]).expect(1);
    assert!(failed.stderr.contains("Error: "), "{}", failed.stderr);
}

/// Runs `ggplan ARGS` on a terminal (util-linux's `script` gives it one), answering each
/// "Enter a value: " with the next of `answers` once it is asked, as a person would; returns
/// what the terminal showed and the exit code.
fn on_terminal(stack: &StackDir, args: &str, answers: &[&str]) -> (String, i32) {
    use std::io::{Read, Write};
    let mut child = std::process::Command::new("script")
        .args(["-qec", &format!("{BIN} {args} -no-color"), "/dev/null"])
        .current_dir(stack.dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script");
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let (mut shown, mut answered, mut buf) = (String::new(), 0, [0u8; 4096]);
    loop {
        let n = stdout.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        shown.push_str(&String::from_utf8_lossy(&buf[..n]));
        if shown.matches("Enter a value: ").count() > answered
            && let (Some(answer), Some(input)) = (answers.get(answered), stdin.as_mut())
        {
            // A person answers after the question is asked: by then a secret's echo is off.
            std::thread::sleep(Duration::from_millis(300));
            input.write_all(format!("{answer}\n").as_bytes()).unwrap();
            answered += 1;
        }
    }
    drop(stdin);
    (shown, child.wait().unwrap().code().unwrap_or(-1))
}

#[test]
fn missing_variables_are_asked_on_a_terminal_and_never_otherwise() {
    let stack = StackDir::new(
        "variable \"greeting\" {\n  description = \"Who to greet\"\n}\n\
         variable \"password\" {\n  sensitive = true\n}\n\
         output \"o\" {\n  value = var.greeting\n}\n\
         output \"p\" {\n  value     = var.password\n  sensitive = true\n}\n",
    );
    let (shown, code) = on_terminal(&stack, "plan", &["world", "s3cr3t-answer"]);
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("var.greeting\r\n  Who to greet\r\n\r\n  Enter a value: world")
            && shown.contains("var.password\r\n\r\n  Enter a value: ")
            && shown.contains("o = \"world\"")
            && shown.contains("p = (sensitive value)"),
        "{shown}"
    );
    // The sensitive answer is neither echoed nor printed.
    assert!(!shown.contains("s3cr3t-answer"), "{shown}");
    // -input=false, --json and a standard input that is not a terminal: an error, no question.
    let (shown, code) = on_terminal(&stack, "plan -input=false", &[]);
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("No value for required variable") && !shown.contains("Enter a value"));
    let (shown, code) = on_terminal(&stack, "plan --json", &[]);
    assert_eq!(code, 1, "{shown}");
    assert!(!shown.contains("Enter a value"), "{shown}");
    let piped = stack.ggplan(&["plan", "."]).expect(1);
    assert!(
        piped.stderr.contains("No value for required variable"),
        "{}",
        piped.stderr
    );
}

/// `ggplan completion bash`, sourced by bash, completes commands and their flags.
#[test]
fn the_bash_completion_script_completes_commands_and_flags() {
    let script = format!(
        "source <({BIN} completion bash)\n\
         COMP_WORDS=(ggplan pl); COMP_CWORD=1; _ggplan ggplan pl ggplan; echo \"${{COMPREPLY[@]}}\"\n\
         COMP_WORDS=(ggplan plan --refresh-o); COMP_CWORD=2; _ggplan ggplan --refresh-o plan; \
         echo \"${{COMPREPLY[@]}}\"\n"
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "plan\n--refresh-only\n"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let stack = StackDir::new(TWO);
        let run = stack.ggplan(&["completion", shell]).expect(0);
        assert!(run.stdout.contains("refresh-only"), "{shell}");
    }
}

/// `GGPLAN_LOG` (or `TF_LOG`) logs every provider call with its duration, and the plan and
/// apply, and never a value: a sensitive one stays out of the log.
#[test]
fn the_debug_log_shows_provider_calls_and_timings_without_values() {
    let stack = StackDir::new(
        "variable \"pw\" {\n  default   = \"hunter2-in-the-log\"\n  sensitive = true\n}\n\
         resource \"terraform_data\" \"a\" {\n  input = var.pw\n}\n",
    );
    let run = std::process::Command::new(BIN)
        .args(["apply", ".", "-auto-approve"])
        .current_dir(stack.dir())
        .env("GGPLAN_LOG", "debug")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{log}");
    assert!(
        log.contains("provider call call=\"apply\" subject=terraform_data.a")
            && log.contains("elapsed_us=")
            && log.contains("plan finished")
            && log.contains("apply finished added=1"),
        "{log}"
    );
    assert!(!log.contains("hunter2-in-the-log"), "{log}");
    // TF_LOG=json to TF_LOG_PATH: JSON lines in the file, nothing on standard error.
    let path = stack.dir().join("ggplan.log");
    let run = std::process::Command::new(BIN)
        .args(["plan", "."])
        .current_dir(stack.dir())
        .env("TF_LOG", "json")
        .env("TF_LOG_PATH", &path)
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(!String::from_utf8_lossy(&run.stderr).contains("provider call"));
    let file = std::fs::read_to_string(&path).unwrap();
    let first: serde_json::Value = serde_json::from_str(file.lines().next().unwrap()).unwrap();
    assert_eq!(first["fields"]["message"], "provider call");
    assert!(!file.contains("hunter2-in-the-log"));
    let bad = std::process::Command::new(BIN)
        .args(["plan", "."])
        .current_dir(stack.dir())
        .env("GGPLAN_LOG", "verbose")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
}
