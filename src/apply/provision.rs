//! Provisioners: a resource's `local-exec` commands, run where ggplan runs, after its object
//! is created (`when = create`) or before it is destroyed (`when = destroy`), as Terraform
//! runs them. A new object is recorded tainted until its creation-time provisioners succeed,
//! so that an apply stopped or killed between the two replaces it next time.

use super::Applier;
use crate::address::InstanceAddr;
use crate::config::{OnFailure, Provisioner, ProvisionerWhen, Resource};
use crate::events::Event;
use crate::scope::InstanceContext;
use ggplan_sdk::{Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use std::collections::BTreeMap;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// How much of a failed command's output its error quotes (the end of it).
const OUTPUT_QUOTED: usize = 4096;

/// What a `local-exec` block says, evaluated.
struct LocalExec {
    command: String,
    working_dir: Option<String>,
    interpreter: Vec<String>,
    environment: BTreeMap<String, String>,
    quiet: bool,
    /// The command or its environment holds a sensitive value: neither the command nor its
    /// output is shown anywhere.
    secret: bool,
}

impl Applier {
    /// Runs `resource`'s provisioners for `when`, in order, with `self` = `object`. A failure
    /// ends them: an error for `on_failure = fail`, a warning for `continue`.
    pub(super) async fn provision(
        &self,
        addr: &InstanceAddr,
        resource: &Resource,
        when: ProvisionerWhen,
        object: &Value,
        context: &InstanceContext,
    ) -> Result<(), Diagnostics> {
        let context = InstanceContext {
            this: Some(object.clone()),
            ..context.clone()
        };
        for provisioner in resource.provisioners.iter().filter(|p| p.when == when) {
            let Some(_slot) = self.run.slot().await else {
                return Err(super::not_started());
            };
            let Err(failure) = self.local_exec(addr, provisioner, &context).await else {
                continue;
            };
            match provisioner.on_failure {
                OnFailure::Fail => return Err(failure),
                OnFailure::Continue => self
                    .run
                    .report(Diagnostics(failure.0.into_iter().map(as_warning).collect())),
            }
        }
        Ok(())
    }

    /// Runs the destroy-time provisioners of the object `prior` describes, if its resource
    /// is still configured (as Terraform, a resource removed from the configuration is
    /// destroyed without them).
    pub(super) async fn provision_destroy(
        &self,
        addr: &InstanceAddr,
        prior: &Value,
    ) -> Result<(), Diagnostics> {
        let configured = self.run.config_at(&addr.module.path()).ok();
        let Some(resource) = configured.and_then(|m| m.resources.get(&addr.resource)) else {
            return Ok(());
        };
        if !resource
            .provisioners
            .iter()
            .any(|p| p.when == ProvisionerWhen::Destroy)
        {
            return Ok(());
        }
        let context = InstanceContext::for_key(&addr.key, None);
        self.provision(addr, resource, ProvisionerWhen::Destroy, prior, &context)
            .await
    }

    async fn local_exec(
        &self,
        addr: &InstanceAddr,
        provisioner: &Provisioner,
        context: &InstanceContext,
    ) -> Result<(), Diagnostics> {
        let config = self.run.eval_config(
            &provisioner.body,
            &local_exec_schema(),
            &addr.module,
            context,
            &format!("{addr}'s local-exec provisioner"),
        )?;
        let at = |d: Diagnostic| Diagnostics::from(d.at_range(Some(provisioner.range.clone())));
        if !config.is_wholly_known() {
            return Err(at(Diagnostic::error(
                format!("{addr}: local-exec provisioner configuration unknown"),
                "A value the command depends on was not produced during this apply; see the \
                 errors above.",
            )));
        }
        let exec = LocalExec::from_config(&config).map_err(|detail| {
            at(Diagnostic::error(
                format!("{addr}: invalid local-exec provisioner"),
                detail,
            ))
        })?;
        self.run.emit(Event::ProvisionStarted {
            addr: addr.clone(),
            provisioner: "local-exec",
        });
        let show = !exec.quiet && !exec.secret;
        if show {
            // Terraform's form: ["/bin/sh" "-c" "echo hi"].
            let argv: Vec<String> = exec.argv().iter().map(|a| format!("{a:?}")).collect();
            self.provisioner_output(addr, &format!("Executing: [{}]", argv.join(" ")));
        } else if exec.secret {
            self.provisioner_output(addr, "(output suppressed due to sensitive value in config)");
        }
        let (status, tail) = exec
            .run(|line| {
                if show {
                    self.provisioner_output(addr, line)
                }
            })
            .await
            .map_err(at)?;
        if status.success() {
            return Ok(());
        }
        let detail = if exec.secret {
            format!(
                "The command exited with {status}; its command and output hold a sensitive value and are not shown."
            )
        } else {
            format!(
                "Error running command '{}': {status}. Output: {tail}",
                exec.command
            )
        };
        Err(at(Diagnostic::error(
            format!("{addr}: local-exec provisioner error"),
            detail,
        )))
    }

    fn provisioner_output(&self, addr: &InstanceAddr, line: &str) {
        self.run.emit(Event::ProvisionOutput {
            addr: addr.clone(),
            provisioner: "local-exec",
            line: line.to_string(),
        });
    }
}

impl LocalExec {
    fn from_config(config: &Value) -> Result<LocalExec, String> {
        let secret = ["command", "environment", "working_dir", "interpreter"]
            .iter()
            .any(|name| config.get(name).contains_sensitive());
        let config = config.clone().unmark_deep().0;
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_list()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let interpreter = strings(config.get("interpreter"));
        if config.get("interpreter").as_list().is_some() && interpreter.is_empty() {
            return Err("interpreter names a program and its arguments, as in [\"/bin/bash\", \"-c\"]; it is empty.".into());
        }
        Ok(LocalExec {
            command: config
                .get("command")
                .as_str()
                .unwrap_or_default()
                .to_string(),
            working_dir: config.get("working_dir").as_str().map(str::to_string),
            interpreter,
            environment: match config.get("environment") {
                Value::Map(entries) => entries
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
                _ => BTreeMap::new(),
            },
            quiet: config.get("quiet").as_bool().unwrap_or(false),
            secret,
        })
    }

    /// The program and its arguments: the interpreter (`/bin/sh -c` by default), then the
    /// command.
    fn argv(&self) -> Vec<String> {
        let mut argv = if self.interpreter.is_empty() {
            vec!["/bin/sh".to_string(), "-c".to_string()]
        } else {
            self.interpreter.clone()
        };
        argv.push(self.command.clone());
        argv
    }

    /// Runs the command with its output (both streams, line by line) going to `line`;
    /// returns how it exited and the end of its output. Dropped (a second Ctrl-C), the
    /// command is killed.
    async fn run(
        &self,
        mut line: impl FnMut(&str),
    ) -> Result<(std::process::ExitStatus, String), Diagnostic> {
        let argv = self.argv();
        let mut command = tokio::process::Command::new(&argv[0]);
        command
            .args(&argv[1..])
            .envs(&self.environment)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &self.working_dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().map_err(|e| {
            let program = if self.secret {
                "the interpreter".to_string()
            } else {
                format!("{:?}", argv[0])
            };
            Diagnostic::error(
                "local-exec provisioner error",
                format!("Cannot start {program}: {e}."),
            )
        })?;
        let (lines, mut received) = mpsc::unbounded_channel();
        let readers = [
            tokio::spawn(forward_lines(child.stdout.take(), lines.clone())),
            tokio::spawn(forward_lines(child.stderr.take(), lines)),
        ];
        let mut tail = String::new();
        while let Some(text) = received.recv().await {
            line(&text);
            tail.push_str(&text);
            tail.push('\n');
            if tail.len() > 2 * OUTPUT_QUOTED {
                tail = keep_end(&tail, OUTPUT_QUOTED);
            }
        }
        for reader in readers {
            let _ = reader.await;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| Diagnostic::error("local-exec provisioner error", format!("{e}.")))?;
        Ok((status, keep_end(&tail, OUTPUT_QUOTED)))
    }
}

/// Sends each line `stream` writes (lossily decoded) to `lines`, until it ends.
async fn forward_lines(
    stream: Option<impl AsyncRead + Unpin>,
    lines: mpsc::UnboundedSender<String>,
) {
    let Some(stream) = stream else { return };
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    while matches!(reader.read_until(b'\n', &mut buf).await, Ok(n) if n > 0) {
        let text = String::from_utf8_lossy(&buf);
        let _ = lines.send(text.trim_end_matches(['\n', '\r']).to_string());
        buf.clear();
    }
}

/// The last `max` bytes of `text` (or fewer, to start on a character).
fn keep_end(text: &str, max: usize) -> String {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// The arguments of a `local-exec` block (`when` and `on_failure` are read with the
/// configuration).
fn local_exec_schema() -> Schema {
    Schema::new(
        "local-exec provisioner",
        [
            ("command", Attribute::required(Type::String)),
            ("working_dir", Attribute::optional(Type::String)),
            (
                "interpreter",
                Attribute::optional(Type::List(Box::new(Type::String))),
            ),
            (
                "environment",
                Attribute::optional(Type::Map(Box::new(Type::String))),
            ),
            ("quiet", Attribute::optional(Type::Bool)),
        ],
    )
}

/// A failure of an `on_failure = continue` provisioner, reported as a warning.
fn as_warning(diagnostic: Diagnostic) -> Diagnostic {
    Diagnostic {
        severity: ggplan_sdk::Severity::Warning,
        ..diagnostic
    }
}
