//! Working copies of a stack whose state is in a remote backend (pg, s3), for the backends'
//! CLI tests: a `terraform_data` stack whose provisioners sleep, so that runs can be watched,
//! raced and killed mid-apply.

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

use super::binary::{BIN, Run};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A working copy of a stack of `count` `terraform_data` instances whose provisioner sleeps
/// `sleep` seconds, run with `env` set; `secret` never appears in what ggplan prints.
pub struct Copy {
    pub dir: tempfile::TempDir,
    pub count: usize,
    pub sleep: &'static str,
    pub env: Vec<(String, String)>,
    pub secret: String,
}

impl Copy {
    /// The copy with `backend` (a `backend "..." { ... }` block, or empty for the local file).
    pub fn new(
        backend: &str,
        count: usize,
        sleep: &'static str,
        env: Vec<(String, String)>,
        secret: String,
    ) -> Copy {
        let copy = Copy {
            dir: tempfile::TempDir::new().unwrap(),
            count,
            sleep,
            env,
            secret,
        };
        copy.write(backend);
        copy
    }

    /// Writes the stack with its state where `backend` says (empty: the local file).
    pub fn write(&self, backend: &str) {
        let (count, sleep) = (self.count, self.sleep);
        let terraform = if backend.is_empty() {
            String::new()
        } else {
            format!("terraform {{\n{backend}}}\n\n")
        };
        let main = format!(
            "{terraform}resource \"terraform_data\" \"n\" {{\n  count = {count}\n  input = count.index\n\n  \
             provisioner \"local-exec\" {{\n    command = \"sleep {sleep}\"\n  }}\n}}\n\n\
             output \"first\" {{\n  value = terraform_data.n[0].id\n}}\n"
        );
        std::fs::write(self.dir.path().join("main.tf"), main).unwrap();
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs ggplan to the end; nothing it prints holds the secret.
    pub fn run(&self, args: &[&str]) -> Run {
        let run = Run::of(self.command(args).output().unwrap());
        assert!(!run.all().contains(&self.secret), "{}", run.all());
        run
    }

    /// Starts ggplan with its standard output piped.
    pub fn spawn(&self, args: &[&str]) -> (Child, BufReader<ChildStdout>) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        (child, out)
    }

    pub fn instances(&self) -> Vec<String> {
        let listed = self.run(&["state", "list"]).expect(0).stdout;
        listed.lines().map(str::to_string).collect()
    }

    /// The `id` of each instance in the stored state.
    pub fn ids(&self) -> Vec<(String, String)> {
        let pulled = self.run(&["state", "pull"]).expect(0).stdout;
        let state: serde_json::Value = serde_json::from_str(&pulled).unwrap();
        state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let id = r["attributes"]["id"].as_str().unwrap().to_string();
                (r["address"].as_str().unwrap().to_string(), id)
            })
            .collect()
    }

    pub fn local_state_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("state")
    }

    /// The ids of the instances at `completed` (those reported complete before a kill or a
    /// cut: the others may have been tainted mid-provisioner, and are rightly replaced).
    pub fn completed_ids(&self, completed: &[String]) -> Vec<(String, String)> {
        let ids: Vec<_> = self
            .ids()
            .into_iter()
            .filter(|(addr, _)| completed.contains(addr))
            .collect();
        assert_eq!(ids.len(), completed.len(), "{ids:?}");
        ids
    }
}

/// Reads `out` until `wanted` lines containing `marker` have been seen; returns the addresses
/// (the text before `: `) of those lines.
pub fn read_until(out: &mut BufReader<ChildStdout>, marker: &str, wanted: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut line = String::new();
    while seen.len() < wanted {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "ggplan ended before {wanted} lines with {marker:?}");
        if line.contains(marker) {
            seen.push(line.split(": ").next().unwrap().to_string());
        }
    }
    seen
}

/// Waits for a spawned run and collects what it printed.
pub fn finish(mut child: Child, mut out: BufReader<ChildStdout>) -> Run {
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut out, &mut stdout).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// The encryption block of the backends' encryption tests, with `passphrase`.
pub fn encryption_block(passphrase: &str) -> String {
    format!(
        "  encryption {{\n    key_provider \"pbkdf2\" \"k\" {{\n      passphrase = \"{passphrase}\"\n      \
         iterations = 200000\n    }}\n    method \"aes_gcm\" \"k\" {{\n      keys = key_provider.pbkdf2.k\n    }}\n    \
         state {{\n      method = method.aes_gcm.k\n    }}\n  }}\n"
    )
}
