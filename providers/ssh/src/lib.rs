//! The `ssh` provider: files, commands and facts on hosts reached over SSH, as resources that
//! plan, diff and detect drift like any other.
//!
//! | resource   | data source             |
//! |------------|-------------------------|
//! | `ssh_file` | `ssh_file`, `ssh_facts` |
//! | `ssh_exec` |                         |
//!
//! SSH is spoken by russh (pure Rust): the provider holds one connection per host, port and
//! user ([`pool`]), opened on first use and shared by every resource, tunnelled through the
//! `bastion` when there is one, retried for `connect_timeout` while a host boots. Host keys are
//! checked by [`host_key`]; with `accept-new` each resource pins its host's key fingerprint in
//! its state (`host_key`), and a later change is refused. Scripts run in a clean environment
//! ([`remote`]). The private key stays in memory: it is never written to disk, state or logs.

mod connection;
mod error;
mod exec;
mod facts;
mod file;
mod host_key;
mod pool;
mod remote;
mod settings;

use async_trait::async_trait;
use ggplan_sdk::{
    ApplyRequest, ApplyResponse, AttrPath, Diagnostic, Diagnostics, PlanRequest, PlanResponse,
    Provider, ProviderFactory, ProviderSchema, ReadRequest, ResourceKind, Value,
};
use pool::Pool;
use remote::{Access, Remote};
use settings::Settings;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

const FILE: &str = "ssh_file";
const EXEC: &str = "ssh_exec";
const FACTS: &str = "ssh_facts";

/// The `ssh` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ProviderFactory::new("ssh", || -> Arc<dyn Provider> {
        Arc::new(SshProvider::default())
    })
}

/// What a managed resource type does on its host; the provider finds the host and connects.
#[async_trait]
trait Resource: Sync {
    /// The planned state from the proposed one (no connection: the host may not exist yet).
    fn plan(&self, prior: Option<&Value>, proposed: &Value) -> Result<Value, Diagnostics>;
    /// The state refreshed from the host; `None` when the object is gone.
    async fn read(&self, remote: &Remote, state: &Value) -> Result<Option<Value>, Diagnostics>;
    /// Creates (no prior) or updates the object.
    async fn apply(&self, remote: &Remote, prior: Option<&Value>, planned: &Value)
    -> ApplyResponse;
    /// Removes the object.
    async fn delete(&self, remote: &Remote, state: &Value) -> Result<(), Diagnostics>;
}

/// One instance per `provider "ssh"` block.
#[derive(Default)]
pub struct SshProvider {
    pool: OnceLock<Pool>,
}

impl SshProvider {
    fn pool(&self) -> Result<&Pool, Diagnostics> {
        self.pool.get().ok_or_else(|| {
            Diagnostic::error(
                "The ssh provider is not configured",
                "This is a bug in ggplan: the engine calls configure first.",
            )
            .into()
        })
    }

    /// Connects to the host `value` (a configuration or state) names, checking the key its
    /// state pinned.
    async fn remote(&self, value: &Value, pinned: Option<&Value>) -> Result<Remote, Diagnostics> {
        let pool = self.pool()?;
        let access = Access::of(value, pool.settings())?;
        let pinned = pinned.and_then(|state| state.get("host_key").as_str());
        Remote::open(pool, &access, pinned)
            .await
            .map_err(|e| e.diagnostic(&format!("{}", access.target)))
    }
}

fn resource(type_name: &str) -> Result<&'static dyn Resource, Diagnostics> {
    match type_name {
        FILE => Ok(&file::File),
        EXEC => Ok(&exec::Exec),
        _ => Err(unsupported(type_name)),
    }
}

fn unsupported(type_name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("The ssh provider has no type {type_name:?}"),
        "It offers the resources ssh_file and ssh_exec and the data sources ssh_file and ssh_facts.",
    )
    .into()
}

#[async_trait]
impl Provider for SshProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: settings::schema(),
            resources: [
                (FILE.to_string(), file::resource_schema()),
                (EXEC.to_string(), exec::resource_schema()),
            ]
            .into(),
            data_sources: [
                (FILE.to_string(), file::data_schema()),
                (FACTS.to_string(), facts::data_schema()),
            ]
            .into(),
        }
    }

    fn validate(&self, kind: ResourceKind, type_name: &str, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if let Err(errors) = settings::port(config, 22) {
            diagnostics.extend(errors);
        }
        match (kind, type_name) {
            (_, FILE) => diagnostics.extend(file::validate(config)),
            (ResourceKind::Managed, EXEC) => diagnostics.extend(exec::validate(config)),
            (ResourceKind::Data, FACTS) => {}
            _ => diagnostics.extend(unsupported(type_name)),
        }
        diagnostics
    }

    async fn configure(&self, config: &Value) -> Result<(), Diagnostics> {
        let settings = Settings::from_config(config)?;
        // A second configure of the same instance keeps the first pool (and its connections).
        let _ = self.pool.set(Pool::new(Arc::new(settings)));
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        let resource = resource(request.type_name)?;
        let remote = self.remote(request.state, Some(request.state)).await?;
        resource.read(&remote, request.state).await
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        let planned = resource(request.type_name)?.plan(request.prior, request.proposed)?;
        Ok(PlanResponse {
            planned,
            requires_replace: Vec::new(),
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        let resource = match resource(request.type_name) {
            Ok(resource) => resource,
            Err(errors) => return ApplyResponse::failed(request.prior, errors),
        };
        match (request.prior, request.planned) {
            (None, None) => ApplyResponse::ok(None),
            (Some(prior), None) => {
                let deleted = match self.remote(prior, Some(prior)).await {
                    Ok(remote) => resource.delete(&remote, prior).await,
                    Err(errors) => Err(errors),
                };
                match deleted {
                    Ok(()) => ApplyResponse::ok(None),
                    Err(errors) => ApplyResponse::failed(Some(prior), errors),
                }
            }
            (prior, Some(planned)) => match self.remote(planned, prior).await {
                Ok(remote) => resource.apply(&remote, prior, planned).await,
                Err(errors) => ApplyResponse::failed(prior, errors),
            },
        }
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, Diagnostics> {
        let remote = self.remote(config, None).await?;
        match type_name {
            FILE => file::read_data(&remote, config).await,
            FACTS => facts::read_data(&remote, config).await,
            _ => Err(unsupported(type_name)),
        }
    }
}

/// Sets one attribute of an object value.
fn set_attr(value: &mut Value, name: &str, attribute: Value) {
    if let Value::Map(map) = value {
        map.insert(name.to_string(), attribute);
    }
}

/// The SHA-256 of `bytes`, in lower-case hexadecimal.
fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A value that must be known in apply and read, or the error saying so.
fn known<T>(value: Result<Option<T>, Diagnostics>, name: &str) -> Result<T, Diagnostics> {
    value?.ok_or_else(|| {
        Diagnostic::error(
            format!("{name} is not known"),
            "This is a bug in ggplan: the ssh provider needs this value known in apply and read.",
        )
        .at_attribute(AttrPath::attr(name))
        .into()
    })
}

/// The planned `host_key`: the prior pin while the instance stays on the same host and port,
/// unknown (learned on apply) otherwise.
fn plan_host_key(prior: Option<&Value>, planned: &mut Value) {
    let same_host = prior.is_some_and(|prior| {
        prior.get("host") == planned.get("host") && prior.get("port") == planned.get("port")
    });
    let pin = match prior {
        Some(prior) if same_host && !prior.get("host_key").is_null() => {
            prior.get("host_key").clone()
        }
        _ => Value::Unknown,
    };
    set_attr(planned, "host_key", pin);
}

/// Sets the state's `host_key`: the prior pin if there is one (the connection was checked
/// against it), else the key the host showed.
fn record_host_key(prior: Option<&Value>, state: &mut Value, remote: &Remote) {
    let pin = prior
        .map(|p| p.get("host_key").clone())
        .filter(|pin| !pin.is_null())
        .unwrap_or_else(|| Value::string(remote.host_key()));
    set_attr(state, "host_key", pin);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_named_after_the_provider() {
        let schema = (factory().new)().schema();
        let names: Vec<_> = schema
            .resources
            .keys()
            .chain(schema.data_sources.keys())
            .collect();
        assert_eq!(names, ["ssh_exec", "ssh_file", "ssh_facts", "ssh_file"]);
        assert!(schema.provider.attributes["private_key"].sensitive);
    }

    #[test]
    fn host_key_is_kept_on_the_same_host_only() {
        let prior = Value::object([
            ("host", Value::string("a")),
            ("host_key", Value::string("SHA256:k")),
        ]);
        let mut same = Value::object([("host", Value::string("a"))]);
        plan_host_key(Some(&prior), &mut same);
        assert_eq!(same.get("host_key"), &Value::string("SHA256:k"));
        let mut moved = Value::object([("host", Value::string("b"))]);
        plan_host_key(Some(&prior), &mut moved);
        assert_eq!(moved.get("host_key"), &Value::Unknown);
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            hex_sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
