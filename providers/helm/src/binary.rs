//! The helm binary, as one provider configuration runs it: found on PATH, at `helm_path` or
//! `$HELM_BIN`; given the provider's cluster as a kubeconfig written for the one run (mode
//! 0600 in a private temporary directory, removed when helm exits, never logged); with none
//! of the `HELM_KUBE*` variables of whoever runs ggplan, which would override it.
//!
//! Inputs that must not reach helm's command line (visible to every local user in
//! /proc/PID/cmdline): `values` documents and `set_sensitive` values go in files of the same
//! directory (`-f FILE`, `--set-file NAME=FILE`).

use ggplan_provider_kubernetes::settings::ResolvedKubeconfig;
use std::path::{Path, PathBuf};
use tokio::process::Command;

/// One argument of a helm command: a word, or a file helm reads (written for the run).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Word(String),
    /// `flag` followed by `prefix` + the path of a file holding `content`
    /// (`-f /tmp/x/1.yaml`, `--set-file name=/tmp/x/2`).
    File {
        flag: &'static str,
        prefix: String,
        content: String,
    },
}

impl Arg {
    pub fn word(text: impl Into<String>) -> Arg {
        Arg::Word(text.into())
    }
}

/// The words `[flag, value]`.
pub fn flag(name: &str, value: impl Into<String>) -> [Arg; 2] {
    [Arg::word(name), Arg::Word(value.into())]
}

/// The helm binary and what every run of it gets.
pub struct HelmBinary {
    path: PathBuf,
    /// helm's major version: 4 renamed flags (`--rollback-on-failure` for `--atomic`, wait
    /// strategies).
    pub major: u32,
    /// The provider's cluster as kubeconfig text (JSON, which is YAML), and its context.
    kubeconfig: String,
    context: String,
    /// Flags from the provider block that every command takes (`--repository-config`...).
    global: Vec<String>,
    /// `HELM_DRIVER`, where releases are stored (secret, configmap, sql...).
    driver: Option<String>,
}

/// What a failed run of helm said (its stderr, or stdout when that is empty), redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure(pub String);

impl HelmBinary {
    pub fn new(
        path: PathBuf,
        major: u32,
        cluster: &ResolvedKubeconfig,
        global: Vec<String>,
        driver: Option<String>,
    ) -> Result<HelmBinary, String> {
        let kubeconfig = serde_json::to_string(&cluster.kubeconfig)
            .map_err(|e| format!("cannot write the kubeconfig for helm: {e}"))?;
        Ok(HelmBinary {
            path,
            major,
            kubeconfig,
            context: cluster.context.clone(),
            global,
            driver,
        })
    }

    /// Runs `helm ARGS` against the provider's cluster and returns its stdout; `secrets` are
    /// taken out of whatever helm says on failure.
    pub async fn run(&self, args: &[Arg], secrets: &[String]) -> Result<String, Failure> {
        let scratch = tempfile::Builder::new()
            .prefix("ggplan-helm-")
            .tempdir()
            .map_err(|e| Failure(format!("cannot make a temporary directory for helm: {e}")))?;
        let kubeconfig = write_private(scratch.path(), "kubeconfig", &self.kubeconfig)?;
        let mut words = Vec::new();
        for (index, arg) in args.iter().enumerate() {
            match arg {
                Arg::Word(word) => words.push(word.clone()),
                Arg::File {
                    flag,
                    prefix,
                    content,
                } => {
                    let file = write_private(scratch.path(), &format!("input-{index}"), content)?;
                    words.push(flag.to_string());
                    words.push(format!("{prefix}{}", file.display()));
                }
            }
        }
        let mut command = Command::new(&self.path);
        command
            .args(&words)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--kube-context", &self.context])
            .args(&self.global)
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null());
        clean_environment(&mut command, self.driver.as_deref());
        let output = command
            .output()
            .await
            .map_err(|e| Failure(format!("cannot run {}: {e}", self.path.display())))?;
        // The scratch directory (kubeconfig, values, secrets) goes as soon as helm is done.
        drop(scratch);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = if stderr.trim().is_empty() {
            &stdout
        } else {
            &*stderr
        };
        Err(Failure(redact(said.trim(), secrets)))
    }
}

/// Removes the variables through which helm would reach another cluster or store than the
/// provider's: `HELM_KUBE*` (context, token, API server...), `KUBECONFIG`, and `HELM_DRIVER`
/// unless the provider sets it.
fn clean_environment(command: &mut Command, driver: Option<&str>) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("HELM_KUBE") || name == "KUBECONFIG" || name == "HELM_DRIVER" {
            command.env_remove(&*name);
        }
    }
    if let Some(driver) = driver {
        command.env("HELM_DRIVER", driver);
    }
}

/// Writes `content` to `dir/name`, readable by its owner only.
fn write_private(dir: &Path, name: &str, content: &str) -> Result<PathBuf, Failure> {
    use std::io::Write;
    let path = dir.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&path)
        .and_then(|mut file| file.write_all(content.as_bytes()));
    written.map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// `text` with every non-empty secret replaced.
pub fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), "(sensitive value)")
        })
}

/// The helm binary to use: `configured` (the provider's `helm_path`), else `$HELM_BIN`, else
/// `helm` on PATH; an error with install advice when there is none.
pub fn find(
    configured: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PathBuf, String> {
    let named = configured
        .map(str::to_string)
        .or_else(|| env("HELM_BIN"))
        .filter(|path| !path.is_empty());
    if let Some(path) = named {
        let path = PathBuf::from(path);
        return match path.is_file() {
            true => Ok(path),
            false => Err(format!(
                "{} is not a file. Set helm_path (or HELM_BIN) to the helm binary.{INSTALL}",
                path.display()
            )),
        };
    }
    let on_path = env("PATH").unwrap_or_default();
    std::env::split_paths(&on_path)
        .map(|dir| dir.join("helm"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!("No helm binary on PATH. Set helm_path (or HELM_BIN) to it.{INSTALL}")
        })
}

const INSTALL: &str = " To install helm (3 or 4): https://helm.sh/docs/intro/install/ (a \
                       release archive from https://github.com/helm/helm/releases, or your \
                       package manager: apt install helm, brew install helm).";

/// helm's major version from `helm version --template {{.Version}}` (`v4.3.1`).
pub fn major_version(version: &str) -> Option<u32> {
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_survive_redaction() {
        let said = "Error: values don't meet the specifications: password hunter2 is too short";
        let redacted = redact(said, &["hunter2".into(), String::new()]);
        assert!(!redacted.contains("hunter2"));
        assert!(redacted.contains("(sensitive value)"));
    }

    #[test]
    fn a_missing_helm_says_how_to_install_it() {
        let none = find(None, |var| (var == "PATH").then(|| "/nonexistent".into())).unwrap_err();
        assert!(none.contains("No helm binary on PATH"), "{none}");
        assert!(
            none.contains("https://helm.sh/docs/intro/install/"),
            "{none}"
        );
        let wrong = find(Some("/nonexistent/helm"), |_| None).unwrap_err();
        assert!(wrong.contains("/nonexistent/helm is not a file"), "{wrong}");
        assert_eq!(major_version("v4.3.1\n"), Some(4));
        assert_eq!(major_version("v3.17.0"), Some(3));
    }
}
