//! One authenticated SSH connection, and running commands over it.

use crate::error::SshError;
use crate::host_key::{Verifier, fingerprint};
use russh::ChannelMsg;
use russh::keys::{PublicKey, PublicKeyOrCertificate};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Commands that may run at once on one connection: OpenSSH's `MaxSessions` is 10 by
/// default, and a request past it is refused rather than queued.
const SESSIONS_PER_CONNECTION: usize = 8;

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The exit code; `None` when the command was killed by a signal.
    pub exit_code: Option<u32>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Checks the server's key during the handshake and remembers the verdict, so a refusal can
/// be reported with its reason instead of russh's bare "unknown key".
pub struct KeyCheck {
    pub verifier: Arc<Verifier>,
    pub host: String,
    pub port: u16,
    pub verdict: Arc<Mutex<Option<Result<String, crate::host_key::HostKeyError>>>>,
}

impl russh::client::Handler for KeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => {
                PublicKey::new(cert.public_key().clone(), "")
            }
        };
        let verdict = self
            .verifier
            .check(&self.host, self.port, &key)
            .map(|()| fingerprint(&key));
        let trusted = verdict.is_ok();
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(trusted)
    }
}

/// An authenticated connection to one host as one user.
pub struct Connection {
    pub handle: russh::client::Handle<KeyCheck>,
    /// Where it leads, for messages (`user@host:port`).
    pub name: String,
    /// The fingerprint of the host key the server showed.
    pub host_key: String,
    sessions: Semaphore,
}

impl Connection {
    pub fn new(handle: russh::client::Handle<KeyCheck>, name: String, host_key: String) -> Self {
        Connection {
            handle,
            name,
            host_key,
            sessions: Semaphore::new(SESSIONS_PER_CONNECTION),
        }
    }

    /// Whether the server has closed the connection.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    fn session_error(&self, error: impl std::fmt::Display) -> SshError {
        SshError::Session {
            host: self.name.clone(),
            reason: error.to_string(),
        }
    }

    /// Runs `command` (a shell command line for the login shell), feeding it `stdin`, and
    /// waits at most `limit` for it to finish.
    pub async fn run(
        &self,
        command: &str,
        stdin: &[u8],
        limit: Duration,
    ) -> Result<Output, SshError> {
        let _permit = self
            .sessions
            .acquire()
            .await
            .map_err(|e| self.session_error(e))?;
        match tokio::time::timeout(limit, self.exchange(command, stdin)).await {
            Ok(result) => result,
            Err(_) => Err(SshError::Timeout {
                host: self.name.clone(),
                limit,
            }),
        }
    }

    async fn exchange(&self, command: &str, stdin: &[u8]) -> Result<Output, SshError> {
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| self.session_error(e))?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| self.session_error(e))?;
        if !stdin.is_empty() {
            channel
                .data(stdin)
                .await
                .map_err(|e| self.session_error(e))?;
        }
        channel.eof().await.map_err(|e| self.session_error(e))?;
        let mut output = Output {
            stdout: Vec::new(),
            stderr: Vec::new(),
            exit_code: None,
        };
        // The exit status may arrive before the last data: read until the channel closes.
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Data { data } => output.stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => output.stderr.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => output.exit_code = Some(exit_status),
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    let note = format!("killed by signal {signal_name:?}\n");
                    output.stderr.extend_from_slice(note.as_bytes());
                }
                ChannelMsg::Failure => {
                    return Err(self.session_error("the server refused to run the command"));
                }
                _ => {}
            }
        }
        Ok(output)
    }
}
