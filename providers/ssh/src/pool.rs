//! The connection pool: one connection per host, port and user, opened on first use, shared
//! by every resource, retried while a host boots, and tunnelled through the bastion when the
//! provider has one.

use crate::connection::{Connection, KeyCheck};
use crate::error::SshError;
use crate::settings::Settings;
use russh::client::AuthResult;
use russh::keys::PrivateKeyWithHashAlg;
use russh::keys::agent::client::AgentClient;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Where to connect, as whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}", self.user, self.host, self.port)
    }
}

/// The longest single attempt (TCP connect, handshake, login) before trying again.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(20);

/// What a pool slot holds: nothing yet, a connection, or the failure every later caller gets
/// at once (so a hundred resources on a dead host do not each wait out connect_timeout).
enum Slot {
    Empty,
    Open(Arc<Connection>),
    Failed(SshError),
}

/// The provider's connections.
pub struct Pool {
    settings: Arc<Settings>,
    slots: Mutex<HashMap<Target, Arc<tokio::sync::Mutex<Slot>>>>,
}

impl Pool {
    pub fn new(settings: Arc<Settings>) -> Pool {
        Pool {
            settings,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The connection to `target`, opened (through the bastion, if any) when there is none.
    pub async fn connection(&self, target: &Target) -> Result<Arc<Connection>, SshError> {
        let via = match &self.settings.bastion {
            Some(bastion) => {
                let jump = Target {
                    host: bastion.host.clone(),
                    port: bastion.port,
                    user: bastion.user.clone(),
                };
                Some(self.pooled(&jump, None).await?)
            }
            None => None,
        };
        self.pooled(target, via).await
    }

    async fn pooled(
        &self,
        target: &Target,
        via: Option<Arc<Connection>>,
    ) -> Result<Arc<Connection>, SshError> {
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| SshError::Session {
                host: target.to_string(),
                reason: "the connection pool is poisoned by an earlier panic".to_string(),
            })?;
            slots
                .entry(target.clone())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Slot::Empty)))
                .clone()
        };
        // Callers for one target wait here while the first one connects.
        let mut slot = slot.lock().await;
        match &*slot {
            Slot::Open(connection) if !connection.is_closed() => return Ok(connection.clone()),
            Slot::Failed(error) => return Err(error.clone()),
            _ => {}
        }
        let result = self.connect_with_retries(target, via.as_deref()).await;
        *slot = match &result {
            Ok(connection) => Slot::Open(connection.clone()),
            Err(error) => Slot::Failed(error.clone()),
        };
        result
    }

    async fn connect_with_retries(
        &self,
        target: &Target,
        via: Option<&Connection>,
    ) -> Result<Arc<Connection>, SshError> {
        let started = Instant::now();
        let deadline = started + self.settings.connect_timeout;
        let mut pause = Duration::from_millis(250);
        loop {
            let limit = deadline
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_secs(1), ATTEMPT_LIMIT);
            let error = match tokio::time::timeout(limit, self.connect(target, via)).await {
                Ok(Ok(connection)) => return Ok(Arc::new(connection)),
                Ok(Err(error)) if !error.is_transient() => return Err(error),
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer within {limit:?}"),
            };
            if Instant::now() + pause >= deadline {
                return Err(SshError::Unreachable {
                    host: target.to_string(),
                    waited: started.elapsed(),
                    last: error,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    /// One attempt: TCP (or a tunnel through `via`), handshake, host key check, login.
    async fn connect(
        &self,
        target: &Target,
        via: Option<&Connection>,
    ) -> Result<Connection, SshError> {
        let session_error = |reason: String| SshError::Session {
            host: target.to_string(),
            reason,
        };
        let verdict = Arc::new(Mutex::new(None));
        let check = KeyCheck {
            verifier: self.settings.verifier.clone(),
            host: target.host.clone(),
            port: target.port,
            verdict: verdict.clone(),
        };
        let config = Arc::new(russh::client::Config {
            // Keep idle pooled connections alive through NAT and firewalls.
            keepalive_interval: Some(Duration::from_secs(30)),
            // Commands are small request/response exchanges: do not let Nagle hold them back.
            nodelay: true,
            ..Default::default()
        });
        let handshake = match via {
            None => {
                russh::client::connect(config, (target.host.as_str(), target.port), check).await
            }
            Some(jump) => {
                let channel = jump
                    .handle
                    .channel_open_direct_tcpip(
                        target.host.as_str(),
                        target.port.into(),
                        "127.0.0.1",
                        0,
                    )
                    .await
                    .map_err(|e| {
                        session_error(format!("the bastion {} cannot reach it: {e}", jump.name))
                    })?;
                russh::client::connect_stream(config, channel.into_stream(), check).await
            }
        };
        let seen = verdict.lock().ok().and_then(|mut v| v.take());
        let (mut handle, host_key) = match (handshake, seen) {
            (_, Some(Err(refused))) => return Err(refused.into()),
            (Ok(handle), Some(Ok(host_key))) => (handle, host_key),
            (Ok(_), None) => return Err(session_error("the server showed no host key".into())),
            (Err(error), _) => return Err(session_error(error.to_string())),
        };
        self.login(&mut handle, target).await?;
        Ok(Connection::new(handle, target.to_string(), host_key))
    }

    async fn login(
        &self,
        handle: &mut russh::client::Handle<KeyCheck>,
        target: &Target,
    ) -> Result<(), SshError> {
        let credentials = &self.settings.credentials;
        let session_error = |e: russh::Error| SshError::Session {
            host: target.to_string(),
            reason: e.to_string(),
        };
        if let Some(key) = &credentials.key {
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(session_error)?
                .flatten();
            let key = PrivateKeyWithHashAlg::new(key.clone(), hash);
            let result = handle
                .authenticate_publickey(&target.user, key)
                .await
                .map_err(session_error)?;
            if matches!(result, AuthResult::Success) {
                return Ok(());
            }
        }
        if credentials.agent {
            let mut agent = AgentClient::connect_env()
                .await
                .map_err(|e| SshError::Agent(e.to_string()))?;
            let identities = agent
                .request_identities()
                .await
                .map_err(|e| SshError::Agent(e.to_string()))?;
            for identity in identities {
                let result = handle
                    .authenticate_publickey_with(
                        &target.user,
                        identity.public_key().into_owned(),
                        None,
                        &mut agent,
                    )
                    .await
                    .map_err(|e| SshError::Agent(e.to_string()))?;
                if matches!(result, AuthResult::Success) {
                    return Ok(());
                }
            }
        }
        Err(SshError::Auth {
            user: target.user.clone(),
            host: format!("{}:{}", target.host, target.port),
            agent: if credentials.agent {
                " and the agent's keys"
            } else {
                ""
            },
        })
    }
}
