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
use ggplan_sdk::typed::{DataSourceType, ResourceType, TypedProvider};
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics, ProviderFactory, Schema, Value};
use pool::Pool;
use remote::Remote;
use settings::Settings;
use sha2::{Digest, Sha256};
use std::sync::Arc;

const FILE: &str = "ssh_file";
const EXEC: &str = "ssh_exec";
const FACTS: &str = "ssh_facts";

/// The `ssh` provider, as the engine instantiates it.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<Ssh>()
}

/// The `ssh` provider: a configured block is one connection [`Pool`]; each type connects to
/// the host its configuration or state names.
pub(crate) struct Ssh;

#[async_trait]
impl TypedProvider for Ssh {
    type Client = Pool;
    type Error = Diagnostics;
    const NAME: &'static str = "ssh";
    // No Terraform provider has these types: the host `ggplan` says they are ggplan's own.
    const SOURCE: &'static str = "ggplan/builtin/ssh";

    fn schema() -> Schema {
        settings::schema()
    }

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![Box::new(file::File), Box::new(exec::Exec)]
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![Box::new(file::FileData), Box::new(facts::Facts)]
    }

    async fn configure(config: &Value) -> Result<Pool, Diagnostics> {
        let settings = Settings::from_config(config)?;
        Ok(Pool::new(Arc::new(settings)))
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
    planned.set_attr("host_key", pin);
}

/// Connects to the host a create or update writes to, checking the pin of `prior` (if any),
/// and starts the new state: `planned` with its `host_key`, the prior pin if there is one (the
/// connection was checked against it), else the key the host showed.
async fn connect_to_write(
    pool: &Pool,
    prior: Option<&Value>,
    planned: &Value,
) -> Result<(Remote, Value), Diagnostics> {
    let remote = Remote::connect(pool, planned, prior).await?;
    let pin = prior
        .map(|p| p.get("host_key").clone())
        .filter(|pin| !pin.is_null())
        .unwrap_or_else(|| Value::string(remote.host_key()));
    let mut state = planned.clone();
    state.set_attr("host_key", pin);
    Ok((remote, state))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Drives the provider through the raw protocol, as the engine does.

    use super::Ssh;
    use ggplan_sdk::Value;
    use ggplan_sdk::typed::TypeTable;

    /// An instance configured to use the SSH agent; planning needs no host.
    pub async fn configured() -> TypeTable<Ssh> {
        let config = Value::object([("agent", Value::Bool(true))]);
        ggplan_sdk::testing::configured::<Ssh>(&config).await
    }

    /// The planned state for `config`, with the proposed state the engine would pass.
    pub async fn plan(
        ssh: &TypeTable<Ssh>,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> Value {
        ggplan_sdk::testing::plan(ssh, type_name, prior, config)
            .await
            .planned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::{Provider, ResourceKind};

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
    fn every_type_checks_the_port() {
        let ssh = ggplan_sdk::typed::TypeTable::<Ssh>::new();
        let config = Value::object([("host", Value::string("h")), ("port", Value::int(70000))]);
        for (kind, type_name) in [
            (ResourceKind::Managed, FILE),
            (ResourceKind::Managed, EXEC),
            (ResourceKind::Data, FILE),
            (ResourceKind::Data, FACTS),
        ] {
            let errors = ssh.validate(kind, type_name, &config);
            assert_eq!(
                errors.0[0].attribute,
                Some(AttrPath::attr("port")),
                "{type_name}"
            );
        }
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
