//! The provider configuration: who to log in as, how to authenticate, how to trust hosts.

use crate::host_key::{HostKeyPolicy, Verifier};
use ggplan_sdk::{
    AttrPath, Attribute, BlockNesting, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};
use russh::keys::PrivateKey;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the provider proves who it is.
#[derive(Clone)]
pub struct Credentials {
    /// The private key from `private_key`, decrypted.
    pub key: Option<Arc<PrivateKey>>,
    /// Whether to offer the keys of the agent at `SSH_AUTH_SOCK`.
    pub agent: bool,
}

// Never print key material, not even in debug output.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key.as_ref().map(|_| "(sensitive value)"))
            .field("agent", &self.agent)
            .finish()
    }
}

/// A jump host every connection goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bastion {
    pub host: String,
    pub port: u16,
    pub user: String,
}

/// The configured provider.
#[derive(Debug, Clone)]
pub struct Settings {
    pub user: String,
    pub port: u16,
    pub credentials: Credentials,
    pub bastion: Option<Bastion>,
    pub verifier: Arc<Verifier>,
    /// How long to keep retrying a host that does not answer yet (a VM still booting).
    pub connect_timeout: Duration,
}

/// The schema of the `provider "ssh"` block.
pub fn schema() -> Schema {
    let bastion = Schema::new(
        "A jump host: every connection is tunnelled through it (like OpenSSH's ProxyJump).",
        [
            (
                "host",
                Attribute::required(Type::String).describe("The jump host's address."),
            ),
            (
                "port",
                Attribute::optional(Type::Number)
                    .describe("Its SSH port; the provider's port by default."),
            ),
            (
                "user",
                Attribute::optional(Type::String)
                    .describe("The user to log in as there; the provider's user by default."),
            ),
        ],
    );
    Schema::new(
        "Connects to hosts over SSH (pure Rust, no ssh binary): one connection per host and user, shared by all resources.",
        [
            ("user", Attribute::optional(Type::String).default(Value::string("root")).describe("The user to log in as.")),
            ("port", Attribute::optional(Type::Number).default(Value::int(22)).describe("The SSH port.")),
            (
                "private_key",
                Attribute::optional(Type::String).sensitive().describe("A private key in OpenSSH or PEM format, e.g. file(\"~/.ssh/id_ed25519\")."),
            ),
            (
                "private_key_passphrase",
                Attribute::optional(Type::String).sensitive().describe("The passphrase of an encrypted private_key."),
            ),
            (
                "agent",
                Attribute::optional(Type::Bool).default(Value::Bool(false)).describe("Also offer the keys of the SSH agent at SSH_AUTH_SOCK."),
            ),
            (
                "host_key_policy",
                Attribute::optional(Type::String).default(Value::string("strict")).describe(
                    "\"strict\": only keys in known_hosts_file or host_keys; \"accept-new\": also a host never seen, whose key is then pinned in each resource's state; \"off\": any key (tests only).",
                ),
            ),
            (
                "known_hosts_file",
                Attribute::optional(Type::String).default(Value::string("~/.ssh/known_hosts")).describe("The OpenSSH known_hosts file to trust."),
            ),
            (
                "host_keys",
                Attribute::optional(Type::Map(Box::new(Type::String))).describe(
                    "Pinned host keys: host (or \"host:port\") to a fingerprint (\"SHA256:...\") or public key (\"ssh-ed25519 AAAA...\").",
                ),
            ),
            (
                "connect_timeout",
                Attribute::optional(Type::String).default(Value::string("5m")).describe("How long to keep retrying a host that does not answer yet, e.g. \"30s\", \"5m\"."),
            ),
        ],
    )
    .with_block("bastion", NestedBlock { nesting: BlockNesting::Single, block: bastion, min_items: 0, max_items: Some(1) })
}

fn invalid(attribute: &str, summary: String, detail: &str) -> Diagnostics {
    Diagnostic::error(summary, detail)
        .at_attribute(AttrPath::attr(attribute))
        .into()
}

/// A port number attribute, or `default` when it is null.
pub fn port(value: &Value, default: u16) -> Result<u16, Diagnostics> {
    let port = value.get("port");
    if port.is_null() {
        return Ok(default);
    }
    port.as_number()
        .and_then(|n| n.as_i64())
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            invalid(
                "port",
                format!("Invalid port {}", port.to_json().unwrap_or_default()),
                "port must be a whole number from 1 to 65535.",
            )
        })
}

/// Parses a duration such as `"90s"`, `"5m"`, `"1h"` or `"500ms"`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}

/// A duration attribute, or `default` when it is null.
pub fn duration(value: &Value, name: &str, default: Duration) -> Result<Duration, Diagnostics> {
    match value.get(name).as_str() {
        None => Ok(default),
        Some(text) => parse_duration(text).ok_or_else(|| {
            invalid(
                name,
                format!("Invalid {name} {text:?}"),
                "Write a whole number and a unit: \"500ms\", \"30s\", \"5m\" or \"1h\".",
            )
        }),
    }
}

/// `~/` at the start of a path means the home directory, as in OpenSSH.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn credentials(config: &Value) -> Result<Credentials, Diagnostics> {
    let agent = config.get("agent").as_bool().unwrap_or(false);
    let key = match config.get("private_key").as_str() {
        None => None,
        Some(text) => {
            let passphrase = config.get("private_key_passphrase").as_str();
            // The error names what is wrong with the key, never its content.
            let key = russh::keys::decode_secret_key(text, passphrase).map_err(|error| {
                invalid(
                    "private_key",
                    "The private key cannot be read".to_string(),
                    &format!(
                        "{error}. private_key takes the text of an OpenSSH or PEM private key \
                         (file(\"~/.ssh/id_ed25519\")), not its path; an encrypted key needs \
                         private_key_passphrase."
                    ),
                )
            })?;
            Some(Arc::new(key))
        }
    };
    if key.is_none() && !agent {
        return Err(invalid(
            "private_key",
            "The ssh provider has no way to log in".to_string(),
            "Set private_key (e.g. file(\"~/.ssh/id_rsa\")) or agent = true.",
        ));
    }
    Ok(Credentials { key, agent })
}

fn host_keys(config: &Value) -> BTreeMap<String, String> {
    config
        .get("host_keys")
        .as_map()
        .map(|map| {
            map.iter()
                .filter_map(|(host, key)| Some((host.clone(), key.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl Settings {
    /// Reads the provider block.
    pub fn from_config(config: &Value) -> Result<Settings, Diagnostics> {
        let user = config.get("user").as_str().unwrap_or("root").to_string();
        let port = port(config, 22)?;
        let policy = match config.get("host_key_policy").as_str() {
            None => HostKeyPolicy::Strict,
            Some(text) => HostKeyPolicy::parse(text).ok_or_else(|| {
                invalid(
                    "host_key_policy",
                    format!("Invalid host_key_policy {text:?}"),
                    "host_key_policy is \"strict\", \"accept-new\" or \"off\".",
                )
            })?,
        };
        let known_hosts = expand_home(
            config
                .get("known_hosts_file")
                .as_str()
                .unwrap_or("~/.ssh/known_hosts"),
        );
        let bastion = config.get("bastion");
        let bastion = match bastion.get("host").as_str() {
            None => None,
            Some(host) => Some(Bastion {
                host: host.to_string(),
                port: crate::settings::port(bastion, port)?,
                user: bastion
                    .get("user")
                    .as_str()
                    .map_or_else(|| user.clone(), str::to_string),
            }),
        };
        Ok(Settings {
            credentials: credentials(config)?,
            verifier: Arc::new(Verifier::new(policy, known_hosts, host_keys(config))),
            connect_timeout: duration(config, "connect_timeout", Duration::from_secs(300))?,
            user,
            port,
            bastion,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("1d"), None);
    }

    #[test]
    fn a_provider_without_credentials_is_refused() {
        let err =
            Settings::from_config(&Value::object([("user", Value::string("cc"))])).unwrap_err();
        assert!(err.0[0].detail.contains("agent = true"), "{err}");
    }

    #[test]
    fn a_bad_key_is_refused_without_echoing_it() {
        let secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0IGtleSBtYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n";
        let config = Value::object([("private_key", Value::string(secret))]);
        let err = Settings::from_config(&config).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("cannot be read"), "{text}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
    }

    #[test]
    fn bastion_defaults_to_the_provider_user_and_port() {
        let config = Value::object([
            ("user", Value::string("cc")),
            ("port", Value::int(2222)),
            ("agent", Value::Bool(true)),
            (
                "bastion",
                Value::object([("host", Value::string("10.0.0.1"))]),
            ),
        ]);
        let settings = Settings::from_config(&config).unwrap();
        assert_eq!(
            settings.bastion,
            Some(Bastion {
                host: "10.0.0.1".into(),
                port: 2222,
                user: "cc".into()
            })
        );
        assert!(format!("{:?}", settings.credentials).contains("agent: true"));
    }
}
