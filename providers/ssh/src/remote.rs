//! Running scripts on a resource's host: which host and user (the attributes every resource
//! shares), the clean environment, sudo, and failures as diagnostics.
//!
//! Every script runs as `sh -c SCRIPT` under `env -i` with only `PATH` (the standard system
//! directories), `LC_ALL=C` (stable, parseable messages), `HOME`, `USER`, `LOGNAME` (those of the
//! user the script runs as) and `SHELL=/bin/sh`: nothing from ggplan's own environment or the
//! login user's profile leaks in. With `sudo = true` the script runs through `sudo -n -H`
//! (never prompting: a sudo that wants a password fails with its message).

use crate::connection::{Connection, Output};
use crate::error::SshError;
use crate::pool::{Pool, Target};
use crate::settings::{self, Settings};
use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, Type, Value};
use std::sync::Arc;
use std::time::Duration;

/// `PATH` in the clean environment.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long the provider's own short scripts (stat, write, facts) may take.
pub const SCRIPT_LIMIT: Duration = Duration::from_secs(120);

/// The attributes that say where a resource lives and as whom it acts.
pub fn access_attributes() -> [(&'static str, Attribute); 4] {
    [
        (
            "host",
            Attribute::required(Type::String)
                .force_new()
                .describe("The host's address or name."),
        ),
        (
            "port",
            Attribute::optional(Type::Number).describe("The SSH port; the provider's by default."),
        ),
        (
            "user",
            Attribute::optional(Type::String)
                .describe("The user to log in as; the provider's by default."),
        ),
        (
            "sudo",
            Attribute::optional(Type::Bool)
                .default(Value::Bool(false))
                .describe("Run as root through `sudo -n`."),
        ),
    ]
}

/// The computed attribute that pins the host's key.
pub fn host_key_attribute() -> (&'static str, Attribute) {
    (
        "host_key",
        Attribute::computed(Type::String)
            .describe("The SHA-256 fingerprint of the host's key when the resource was applied."),
    )
}

/// Checks the access attributes of a configuration, the check every type runs first: a port,
/// when set, is one.
pub fn check_access(config: &Value) -> Diagnostics {
    settings::port(config, 22).err().unwrap_or_default()
}

/// Quotes `text` as one word for a POSIX shell.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The command line that runs `script` in the clean environment, as root if `sudo`.
pub fn command_line(script: &str, sudo: bool) -> String {
    let clean = format!(
        "exec env -i PATH={PATH} LC_ALL=C HOME=\"$HOME\" USER=\"$USER\" LOGNAME=\"$LOGNAME\" \
         SHELL=/bin/sh sh -c {}",
        quote(script)
    );
    if sudo {
        format!("sudo -n -H sh -c {}", quote(&clean))
    } else {
        format!("sh -c {}", quote(&clean))
    }
}

/// Where a resource acts.
#[derive(Debug, Clone)]
pub struct Access {
    pub target: Target,
    pub sudo: bool,
}

impl Access {
    /// The access a resource's configuration or state names, with the provider's defaults.
    pub fn of(value: &Value, settings: &Settings) -> Result<Access, Diagnostics> {
        let host = value
            .get("host")
            .as_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("host is not set", "Set host to the address of the machine.")
                        .at_attribute(AttrPath::attr("host")),
                )
            })?;
        Ok(Access {
            target: Target {
                host: host.to_string(),
                port: settings::port(value, settings.port)?,
                user: value
                    .get("user")
                    .as_str()
                    .map_or_else(|| settings.user.clone(), str::to_string),
            },
            sudo: value.get("sudo").as_bool().unwrap_or(false),
        })
    }
}

/// A host ready to run scripts.
pub struct Remote {
    connection: Arc<Connection>,
    sudo: bool,
}

impl Remote {
    /// Connects to the host `value` (a configuration or state) names, with the provider's
    /// defaults, checking the key the state `pinned` recorded.
    pub async fn connect(
        pool: &Pool,
        value: &Value,
        pinned: Option<&Value>,
    ) -> Result<Remote, Diagnostics> {
        let access = Access::of(value, pool.settings())?;
        let pinned = pinned.and_then(|state| state.get("host_key").as_str());
        Remote::open(pool, &access, pinned)
            .await
            .map_err(|e| e.diagnostic(&format!("{}", access.target)))
    }

    /// Connects (or reuses the pooled connection) and checks the host key against `pinned`,
    /// the fingerprint a resource's state recorded.
    async fn open(pool: &Pool, access: &Access, pinned: Option<&str>) -> Result<Remote, SshError> {
        let verifier = &pool.settings().verifier;
        if let Some(pinned) = pinned {
            verifier.pin_from_state(&access.target.host, access.target.port, pinned);
        }
        let connection = pool.connection(&access.target).await?;
        if let Some(pinned) = pinned {
            verifier.check_state_pin(&access.target.host, &connection.host_key, pinned)?;
        }
        Ok(Remote {
            connection,
            sudo: access.sudo,
        })
    }

    /// The fingerprint of the host's key.
    pub fn host_key(&self) -> &str {
        &self.connection.host_key
    }

    /// Runs `script` with `stdin`, waiting at most `limit`.
    pub async fn run(
        &self,
        script: &str,
        stdin: &[u8],
        limit: Duration,
    ) -> Result<Output, SshError> {
        self.connection
            .run(&command_line(script, self.sudo), stdin, limit)
            .await
    }
}

/// The most of stderr a diagnostic shows (the end, where the error usually is).
const STDERR_SHOWN: usize = 4000;

/// A diagnostic for a script that failed: its exit code and the end of its stderr.
pub fn failed(summary: String, output: &Output, hint: &str) -> Diagnostic {
    let code = output.exit_code.map_or_else(
        || "no exit code (killed by a signal)".to_string(),
        |c| format!("exit code {c}"),
    );
    let stderr = output.stderr_text();
    let stderr = stderr.trim_end();
    let shown = match stderr.char_indices().rev().nth(STDERR_SHOWN) {
        Some((cut, _)) => format!("...{}", &stderr[cut..]),
        None => stderr.to_string(),
    };
    let mut detail = format!("It ended with {code}");
    if shown.is_empty() {
        detail.push_str(" and printed nothing on stderr.");
    } else {
        detail.push_str(&format!(". stderr:\n{shown}"));
    }
    if stderr.contains("sudo:") && stderr.contains("password") {
        detail.push_str("\n\nsudo asked for a password: give the user passwordless sudo (NOPASSWD), or log in as root.");
    }
    if !hint.is_empty() {
        detail.push_str("\n\n");
        detail.push_str(hint);
    }
    Diagnostic::error(summary, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        let line = command_line("echo 'a b'", true);
        assert!(line.starts_with("sudo -n -H sh -c '"), "{line}");
        assert!(line.contains("env -i PATH="), "{line}");
    }

    #[test]
    fn a_failure_shows_the_exit_code_and_the_end_of_stderr() {
        let long = format!("{}\nthe real error", "x".repeat(10_000));
        let output = Output {
            stdout: vec![],
            stderr: long.into_bytes(),
            exit_code: Some(3),
        };
        let d = failed("boom".into(), &output, "Fix it.");
        assert!(
            d.detail
                .starts_with("It ended with exit code 3. stderr:\n..."),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("the real error\n\nFix it."));
        assert!(d.detail.len() < 4200);
        let quiet = Output {
            stdout: vec![],
            stderr: vec![],
            exit_code: None,
        };
        assert!(
            failed("x".into(), &quiet, "")
                .detail
                .contains("killed by a signal")
        );
    }
}
