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

use crate::pool::Pool;
use crate::remote::{self, Remote};
use crate::settings::duration;
use crate::{EXEC, Ssh, hex_sha256};
use async_trait::async_trait;
use ggplan_sdk::typed::{Partial, ResourceType};
use ggplan_sdk::{
    AttrPath, Attribute, Diagnostic, Diagnostics, PlanRequest, Schema, Type, Value, objchange,
};
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

fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = remote::check_access(config);
    if let Err(errors) = duration(config, "timeout", DEFAULT_TIMEOUT) {
        diagnostics.extend(errors);
    }
    diagnostics
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

/// Runs `command` on the planned host unless `check` finds the work done; its output, or
/// empty output when it did not run.
async fn run_command(
    remote: &Remote,
    planned: &Value,
    warnings: &mut Diagnostics,
) -> Result<(String, String), Diagnostics> {
    if check(remote, planned).await? == Some(true) {
        return Ok((String::new(), String::new()));
    }
    let command = planned.get("command").as_str().unwrap_or_default();
    let output = run(remote, planned, command).await?;
    if !output.success() {
        return Err(remote::failed(
            format!("{}: command failed", what(planned)),
            &output,
            "Nothing was recorded: fix the command (or the host) and apply again.",
        )
        .into());
    }
    if check(remote, planned).await? == Some(false) {
        warnings.push(Diagnostic::warning(
            format!(
                "{}: check still fails after command succeeded",
                what(planned)
            ),
            "The next plan will run command again. Make check test exactly what command \
             achieves.",
        ));
    }
    Ok((output.stdout_text(), output.stderr_text()))
}

/// The `ssh_exec` resource.
pub struct Exec;

#[async_trait]
impl ResourceType<Ssh> for Exec {
    fn name(&self) -> &'static str {
        EXEC
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    /// A new or replaced instance runs its command: its outputs are unknown. No connection
    /// (the host may not exist yet).
    async fn modify_plan(
        &self,
        _pool: &Pool,
        request: &PlanRequest<'_>,
        planned: &mut Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Vec<AttrPath>, Diagnostics> {
        // stdout, stderr and exit_code; id and host_key are set below.
        objchange::unknown_when_new(&resource_schema(), request.prior, planned);
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
        planned.set_attr("id", id);
        crate::plan_host_key(request.prior, planned);
        Ok(Vec::new())
    }

    async fn read(&self, pool: &Pool, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let remote = Remote::connect(pool, state, Some(state)).await?;
        Ok(match check(&remote, state).await? {
            Some(false) => None,
            Some(true) | None => Some(state.clone()),
        })
    }

    async fn create(
        &self,
        pool: &Pool,
        planned: &Value,
        warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let (remote, mut state) = crate::connect_to_write(pool, None, planned).await?;
        let (stdout, stderr) = run_command(&remote, planned, warnings).await?;
        state.set_attr("stdout", Value::String(stdout));
        state.set_attr("stderr", Value::String(stderr));
        state.set_attr("exit_code", Value::int(0));
        Ok(state)
    }

    /// Only attributes that do not re-run the command changed: the state follows the plan.
    async fn update(
        &self,
        pool: &Pool,
        prior: &Value,
        planned: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<Value, Partial<Diagnostics>> {
        let (_, state) = crate::connect_to_write(pool, Some(prior), planned).await?;
        Ok(state)
    }

    async fn delete(
        &self,
        pool: &Pool,
        prior: &Value,
        _warnings: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let remote = Remote::connect(pool, prior, Some(prior)).await?;
        let Some(command) = prior.get("destroy_command").as_str() else {
            return Ok(());
        };
        let output = run(&remote, prior, command).await?;
        if output.success() {
            Ok(())
        } else {
            Err(remote::failed(
                format!("{}: destroy_command failed", what(prior)),
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
    use crate::test_support::{configured, plan};

    fn config(command: &str) -> Value {
        Value::object([
            ("host", Value::string("10.0.0.1")),
            ("command", Value::string(command)),
        ])
    }

    #[tokio::test]
    async fn a_new_or_replaced_instance_plans_unknown_outputs() {
        let ssh = configured().await;
        let planned = plan(&ssh, EXEC, None, &config("true")).await;
        assert_eq!(planned.get("stdout"), &Value::Unknown);
        assert_eq!(planned.get("timeout"), &Value::string("10m"));
        assert_eq!(planned.get("id").as_str().map(str::len), Some(16));
        assert_eq!(planned.get("host_key"), &Value::Unknown);

        let mut prior = planned.clone();
        for (name, value) in [
            ("stdout", Value::string("out")),
            ("stderr", Value::string("")),
            ("exit_code", Value::int(0)),
            ("host_key", Value::string("SHA256:x")),
        ] {
            prior.set_attr(name, value);
        }
        let same = plan(&ssh, EXEC, Some(&prior), &config("true")).await;
        assert_eq!(same, prior);
        let changed = plan(&ssh, EXEC, Some(&prior), &config("false")).await;
        assert_eq!(changed.get("stdout"), &Value::Unknown);
        assert_ne!(changed.get("id"), prior.get("id"));
        assert_eq!(changed.get("host_key"), &Value::string("SHA256:x"));
    }

    #[test]
    fn timeouts_and_ports_are_checked() {
        let mut bad = config("true");
        bad.set_attr("timeout", Value::string("soon"));
        bad.set_attr("port", Value::int(0));
        let errors = Exec.validate(&bad);
        let attributes: Vec<_> = errors
            .0
            .iter()
            .filter_map(|d| d.attribute.clone())
            .collect();
        assert_eq!(
            attributes,
            [AttrPath::attr("port"), AttrPath::attr("timeout")]
        );
        assert!(Exec.validate(&config("true")).is_empty());
    }
}
