//! What can go wrong talking to a host, and how it reads as a diagnostic.

use crate::host_key::HostKeyError;
use ggplan_sdk::{Diagnostic, Diagnostics};
use std::time::Duration;

/// A failure to reach a host or to run something on it. Cloneable because one failed
/// connection answers every resource waiting for it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SshError {
    #[error("{0}")]
    HostKey(#[from] HostKeyError),
    #[error(
        "the server refused every key offered for {user}@{host} (private_key{agent}). Check \
         that the user exists and that its authorized_keys holds the public key"
    )]
    Auth {
        user: String,
        host: String,
        agent: &'static str,
    },
    #[error("no ssh agent: {0}. Start one (ssh-agent) and add the key, or set private_key")]
    Agent(String),
    #[error("{host} did not accept an SSH connection within {waited:?}: {last}")]
    Unreachable {
        host: String,
        waited: Duration,
        last: String,
    },
    #[error("the SSH connection to {host} failed: {reason}")]
    Session { host: String, reason: String },
    #[error("the command on {host} did not finish within {limit:?}")]
    Timeout { host: String, limit: Duration },
}

impl SshError {
    /// Whether trying again later can help (a host still booting, a refused connection).
    pub fn is_transient(&self) -> bool {
        // An unknown key on a fresh VM can be cloud-init not having written authorized_keys
        // yet, so authentication is retried too; host key problems never are.
        matches!(self, SshError::Auth { .. } | SshError::Session { .. })
    }

    /// The error as a diagnostic about `what` (e.g. `ssh_file on 10.0.0.1`).
    pub fn diagnostic(&self, what: &str) -> Diagnostics {
        let summary = match self {
            SshError::HostKey(_) => format!("{what}: host key refused"),
            SshError::Auth { .. } | SshError::Agent(_) => format!("{what}: cannot log in"),
            SshError::Unreachable { .. } | SshError::Session { .. } => {
                format!("{what}: cannot connect")
            }
            SshError::Timeout { .. } => format!("{what}: timed out"),
        };
        let mut detail = self.to_string();
        detail.push('.');
        Diagnostic::error(summary, detail).into()
    }
}
