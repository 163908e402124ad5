//! Running the `ggplan` binary from integration tests.

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ggplan");

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The outcome of a finished process (-1 when a signal ended it).
    pub fn of(output: std::process::Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the run exited with `code`.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Everything the run printed.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A stack (`main.tf`) in its own temporary directory, with a `log/` directory its commands
/// may write to; the binary runs there, as a user runs it.
pub struct StackDir {
    tmp: tempfile::TempDir,
}

impl StackDir {
    pub fn new(main_tf: &str) -> StackDir {
        let tmp = tempfile::TempDir::new().unwrap();
        std::fs::write(tmp.path().join("main.tf"), main_tf).unwrap();
        std::fs::create_dir(tmp.path().join("log")).unwrap();
        StackDir { tmp }
    }

    pub fn dir(&self) -> &std::path::Path {
        self.tmp.path()
    }

    /// Runs `ggplan ARGS` in the stack's directory, without colours.
    pub fn ggplan(&self, args: &[&str]) -> Run {
        self.ggplan_with(&[], args)
    }

    /// Runs `ggplan ARGS` in the stack's directory, without colours, with the environment
    /// variables `env` set (and no workspace selected by this process's environment).
    pub fn ggplan_with(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        Run::of(
            std::process::Command::new(BIN)
                .args(args)
                .current_dir(self.dir())
                .env("NO_COLOR", "1")
                .env_remove("TF_WORKSPACE")
                .env_remove("GGPLAN_WORKSPACE")
                .envs(env.iter().copied())
                .output()
                .unwrap(),
        )
    }

    /// Runs `ggplan plan`, which must fail with `expected` said at a line of `main.tf`.
    pub fn plan_is_refused(&self, expected: &str) {
        let run = self.ggplan(&["plan"]).expect(1);
        let all = run.all();
        assert!(all.contains(expected), "{expected}: {all}");
        assert!(all.contains("main.tf line"), "{expected}: {all}");
    }

    /// A file of `log/` (empty when missing).
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir().join("log").join(name)).unwrap_or_default()
    }

    /// The state document (named after the stack's directory).
    pub fn state(&self) -> serde_json::Value {
        let name = self.dir().file_name().unwrap().to_str().unwrap();
        let path = self.dir().join(format!("state/{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }
}
