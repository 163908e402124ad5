//! `ssh_exec`: a command run once on a host, like an Ansible task.
//!
//! - create runs `check` first (when set): exit 0 means the work is already done and
//!   `command` is not run; otherwise `command` runs, and a non-zero exit is an error that
//!   leaves no state (the next apply tries again);
//! - refresh runs `check` (when set): a non-zero exit means the work was undone on the host,
//!   which is drift, planned as a create; without `check` there is nothing to probe;
//! - `command`, `triggers` and `host` changes replace the instance: `destroy_command` (when
//!   set) runs for the old one, then `command` for the new one; other changes update the state
//!   only;
//! - `stdout`, `stderr` and `exit_code` are those of `command` (empty and 0 when `check`
//!   found the work done).

use crate::remote::{self, Remote};
use crate::settings::duration;
use crate::{Resource, hex_sha256, set_attr};
use ggplan_sdk::{ApplyResponse, Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use std::time::Duration;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

pub fn resource_schema() -> Schema {
    let attributes = [
        (
            "command",
            Attribute::required(Type::String)
                .force_new()
                .describe("The shell command to run (sh -c, clean environment)."),
        ),
        (
            "check",
            Attribute::optional(Type::String).describe(
                "A shell command whose exit 0 means the work is done: it skips command on create \
                 and probes for drift on refresh.",
            ),
        ),
        (
            "destroy_command",
            Attribute::optional(Type::String)
                .describe("A shell command run when the instance is destroyed or replaced."),
        ),
        (
            "triggers",
            Attribute::optional(Type::Map(Box::new(Type::String)))
                .force_new()
                .describe("Values whose change runs the command again (by replacement)."),
        ),
        (
            "timeout",
            Attribute::optional(Type::String)
                .default(Value::string("10m"))
                .describe("How long each command may run, e.g. \"30s\", \"10m\"."),
        ),
        (
            "stdout",
            Attribute::computed(Type::String).describe("What command printed on stdout."),
        ),
        (
            "stderr",
            Attribute::computed(Type::String).describe("What command printed on stderr."),
        ),
        (
            "exit_code",
            Attribute::computed(Type::Number).describe("command's exit code (0)."),
        ),
        (
            "id",
            Attribute::computed(Type::String)
                .describe("A digest of host and command (stable across runs)."),
        ),
        remote::host_key_attribute(),
    ];
    Schema::new(
        "A command run on a host reached over SSH, guarded by an optional check.",
        remote::access_attributes().into_iter().chain(attributes),
    )
}

pub fn validate(config: &Value) -> Diagnostics {
    duration(config, "timeout", DEFAULT_TIMEOUT)
        .err()
        .unwrap_or_default()
}

fn what(value: &Value) -> String {
    format!("ssh_exec on {}", value.get("host").as_str().unwrap_or("?"))
}

/// Runs one of the instance's commands (`command`, `check`, `destroy_command`).
async fn run(
    remote: &Remote,
    value: &Value,
    script: &str,
) -> Result<crate::connection::Output, Diagnostics> {
    let limit = duration(value, "timeout", DEFAULT_TIMEOUT)?;
    remote
        .run(script, &[], limit)
        .await
        .map_err(|e| e.diagnostic(&what(value)))
}

/// Whether the instance's `check` passes; `None` when it has none.
async fn check(remote: &Remote, value: &Value) -> Result<Option<bool>, Diagnostics> {
    match value.get("check").as_str() {
        None => Ok(None),
        Some(check) => Ok(Some(run(remote, value, check).await?.success())),
    }
}

/// The `ssh_exec` resource.
pub struct Exec;

#[async_trait::async_trait]
impl Resource for Exec {
    fn plan(&self, prior: Option<&Value>, proposed: &Value) -> Result<Value, Diagnostics> {
        let schema = resource_schema();
        let mut planned = schema.with_defaults(proposed.clone());
        let runs = prior.is_none_or(|prior| {
            !ggplan_sdk::objchange::replace_paths(&schema, prior, &planned).is_empty()
        });
        if runs {
            for name in ["stdout", "stderr", "exit_code"] {
                set_attr(&mut planned, name, Value::Unknown);
            }
        }
        let id = match (
            planned.get("host").as_str(),
            planned.get("command").as_str(),
        ) {
            (Some(host), Some(command)) => {
                let digest = hex_sha256(format!("{host}\n{command}").as_bytes());
                Value::String(digest[..16].to_string())
            }
            _ => Value::Unknown,
        };
        set_attr(&mut planned, "id", id);
        crate::plan_host_key(prior, &mut planned);
        Ok(planned)
    }

    async fn read(&self, remote: &Remote, state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(match check(remote, state).await? {
            Some(false) => None,
            Some(true) | None => Some(state.clone()),
        })
    }

    async fn apply(
        &self,
        remote: &Remote,
        prior: Option<&Value>,
        planned: &Value,
    ) -> ApplyResponse {
        let mut state = planned.clone();
        crate::record_host_key(prior, &mut state, remote);
        if prior.is_some() {
            // Only attributes that do not re-run the command changed.
            return ApplyResponse::ok(Some(state));
        }
        let mut diagnostics = Diagnostics::new();
        let result = async {
            let (stdout, stderr) = if check(remote, planned).await? == Some(true) {
                (String::new(), String::new())
            } else {
                let command = planned.get("command").as_str().unwrap_or_default();
                let output = run(remote, planned, command).await?;
                if !output.success() {
                    return Err(Diagnostics::from(remote::failed(
                        format!("{}: command failed", what(planned)),
                        &output,
                        "Nothing was recorded: fix the command (or the host) and apply again.",
                    )));
                }
                if check(remote, planned).await? == Some(false) {
                    diagnostics.push(Diagnostic::warning(
                        format!(
                            "{}: check still fails after command succeeded",
                            what(planned)
                        ),
                        "The next plan will run command again. Make check test exactly what \
                         command achieves.",
                    ));
                }
                (output.stdout_text(), output.stderr_text())
            };
            set_attr(&mut state, "stdout", Value::String(stdout));
            set_attr(&mut state, "stderr", Value::String(stderr));
            set_attr(&mut state, "exit_code", Value::int(0));
            Ok(())
        }
        .await;
        match result {
            Ok(()) => ApplyResponse {
                new_state: Some(state),
                diagnostics,
            },
            Err(errors) => ApplyResponse::failed(None, errors),
        }
    }

    async fn delete(&self, remote: &Remote, state: &Value) -> Result<(), Diagnostics> {
        let Some(command) = state.get("destroy_command").as_str() else {
            return Ok(());
        };
        let output = run(remote, state, command).await?;
        if output.success() {
            Ok(())
        } else {
            Err(remote::failed(
                format!("{}: destroy_command failed", what(state)),
                &output,
                "The instance stays in the state; fix destroy_command (or the host) and try again.",
            )
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(command: &str) -> Value {
        Value::object([
            ("host", Value::string("10.0.0.1")),
            ("command", Value::string(command)),
        ])
    }

    #[test]
    fn a_new_or_replaced_instance_plans_unknown_outputs() {
        let schema = resource_schema();
        let proposed = ggplan_sdk::objchange::proposed_new(&schema, None, &config("true"));
        let planned = Exec.plan(None, &proposed).unwrap();
        assert_eq!(planned.get("stdout"), &Value::Unknown);
        assert_eq!(planned.get("timeout"), &Value::string("10m"));
        assert_eq!(planned.get("id").as_str().map(str::len), Some(16));

        let mut prior = planned.clone();
        for (name, value) in [
            ("stdout", Value::string("out")),
            ("stderr", Value::string("")),
            ("exit_code", Value::int(0)),
            ("host_key", Value::string("SHA256:x")),
        ] {
            set_attr(&mut prior, name, value);
        }
        let same = Exec
            .plan(
                Some(&prior),
                &ggplan_sdk::objchange::proposed_new(&schema, Some(&prior), &config("true")),
            )
            .unwrap();
        assert_eq!(same, prior);
        let changed = Exec
            .plan(
                Some(&prior),
                &ggplan_sdk::objchange::proposed_new(&schema, Some(&prior), &config("false")),
            )
            .unwrap();
        assert_eq!(changed.get("stdout"), &Value::Unknown);
        assert_ne!(changed.get("id"), prior.get("id"));
    }

    #[test]
    fn timeouts_are_checked() {
        let mut bad = config("true");
        set_attr(&mut bad, "timeout", Value::string("soon"));
        assert!(validate(&bad).has_errors());
        assert!(validate(&config("true")).is_empty());
    }
}
