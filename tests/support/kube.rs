//! The Kubernetes control plane of `tests/support/kubernetes.sh` as the tests drive it:
//! its settings (GGPLAN_TEST_KUBE*, with a clear failure when they are missing), fixtures, and
//! kubectl and helm run with nothing of the user's (a temporary HOME, no kubeconfig but the
//! one given). Several test binaries include this file; each uses a different part of it.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;

pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: this test needs the control plane of \
             tests/support/kubernetes.sh. Run scripts/test.sh, or `tests/support/kubernetes.sh \
             start && eval \"$(tests/support/kubernetes.sh env)\"` before cargo test."
        )
    })
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kubernetes")
        .join(name)
}

/// A name no other test (nor an earlier run against the same cluster) uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

pub struct Out {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

pub struct Cluster {
    pub kubeconfig: String,
    pub host: String,
    pub token: String,
    pub ca: String,
    pub cert: String,
    pub key: String,
    pub kubectl: String,
    pub helm: String,
    /// HOME, kubectl's discovery cache and helm's directories: nothing of the user's is read.
    pub home: TempDir,
}

impl Cluster {
    pub fn new() -> Cluster {
        Cluster {
            kubeconfig: var("GGPLAN_TEST_KUBECONFIG"),
            host: var("GGPLAN_TEST_KUBE_HOST"),
            token: var("GGPLAN_TEST_KUBE_TOKEN"),
            ca: var("GGPLAN_TEST_KUBE_CA"),
            cert: var("GGPLAN_TEST_KUBE_CLIENT_CERT"),
            key: var("GGPLAN_TEST_KUBE_CLIENT_KEY"),
            kubectl: var("GGPLAN_TEST_KUBECTL"),
            helm: var("GGPLAN_TEST_HELM"),
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn command(&self, program: &str, args: &[&str], input: Option<&str>) -> Out {
        let home = self.home.path();
        let mut child = Command::new(program)
            .args(args)
            .env("HOME", home)
            // A file that does not exist: only the flags given configure kubectl.
            .env("KUBECONFIG", home.join("no-kubeconfig"))
            .env("HELM_CACHE_HOME", home.join("helm/cache"))
            .env("HELM_CONFIG_HOME", home.join("helm/config"))
            .env("HELM_DATA_HOME", home.join("helm/data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.unwrap_or("").as_bytes()).unwrap();
        drop(stdin);
        let output = child.wait_with_output().unwrap();
        Out {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// kubectl with the server, the CA and `credentials` only (no kubeconfig).
    pub fn kubectl_as(&self, credentials: &[&str], args: &[&str]) -> Out {
        let cache = self.home.path().join("kube-cache");
        let mut all = vec![
            "--server",
            &self.host,
            "--certificate-authority",
            &self.ca,
            "--cache-dir",
            cache.to_str().unwrap(),
            "--request-timeout",
            "30s",
        ];
        all.extend_from_slice(credentials);
        all.extend_from_slice(args);
        self.command(&self.kubectl, &all, None)
    }

    /// kubectl with the admin kubeconfig (its current context: the client certificate).
    pub fn kubectl_input(&self, args: &[&str], input: Option<&str>) -> Out {
        let cache = self.home.path().join("kube-cache");
        let mut all = vec![
            "--kubeconfig",
            &self.kubeconfig,
            "--cache-dir",
            cache.to_str().unwrap(),
            "--request-timeout",
            "30s",
        ];
        all.extend_from_slice(args);
        self.command(&self.kubectl, &all, input)
    }

    pub fn kubectl(&self, args: &[&str]) -> Out {
        self.kubectl_input(args, None)
    }

    /// kubectl that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.ok, "kubectl {args:?} failed:\n{}", out.stderr);
        out.stdout
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let stdout = self.ok(&[args, &["-o", "json"]].concat());
        serde_json::from_str(&stdout).unwrap()
    }

    /// `kubectl patch --type merge` of `object` (the arguments that name it), as `kubectl
    /// edit` changes an object.
    pub fn merge_patch(&self, object: &[&str], patch: &str) {
        self.ok(&[&["patch"][..], object, &["--type", "merge", "-p", patch]].concat());
    }

    /// Whether `kubectl get ARGS` finds nothing; any other failure fails the test.
    pub fn gone(&self, args: &[&str]) -> bool {
        let out = self.kubectl(&[&["get"], args].concat());
        assert!(
            out.ok || out.stderr.contains("NotFound"),
            "kubectl get {args:?} failed:\n{}",
            out.stderr
        );
        !out.ok
    }

    pub fn namespace(&self, prefix: &str) -> Namespace<'_> {
        let namespace = self.leftover(unique(prefix));
        self.ok(&["create", "namespace", &namespace.name]);
        namespace
    }

    /// The namespace `name` that something else (the stack under test) creates and should
    /// delete, deleted all the same when the test ends, in case the test failed first.
    pub fn leftover(&self, name: String) -> Namespace<'_> {
        Namespace {
            cluster: self,
            name,
        }
    }
}

/// A namespace of one test, deleted (without waiting) when the test ends; one already gone is
/// no error.
pub struct Namespace<'a> {
    cluster: &'a Cluster,
    pub name: String,
}

impl Drop for Namespace<'_> {
    fn drop(&mut self) {
        self.cluster.kubectl(&[
            "delete",
            "namespace",
            &self.name,
            "--wait=false",
            "--ignore-not-found",
        ]);
    }
}
