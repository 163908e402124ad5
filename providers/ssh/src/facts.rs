//! `ssh_facts`: what a host says about itself (name, OS, IPv4 addresses per interface).

use crate::pool::Pool;
use crate::remote::{self, Remote, SCRIPT_LIMIT};
use crate::{FACTS, Ssh};
use async_trait::async_trait;
use ggplan_sdk::typed::DataSourceType;
use ggplan_sdk::{Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use std::collections::BTreeMap;

fn data_schema() -> Schema {
    let strings = || Type::List(Box::new(Type::String));
    let attributes = [
        (
            "hostname",
            Attribute::computed(Type::String).describe("The host's name (`hostname`)."),
        ),
        (
            "os",
            Attribute::computed(Type::String)
                .describe("ID from /etc/os-release (\"ubuntu\", \"debian\"...)."),
        ),
        (
            "os_version",
            Attribute::computed(Type::String).describe("VERSION_ID from /etc/os-release."),
        ),
        (
            "ipv4_addresses",
            Attribute::computed(strings()).describe(
                "Every IPv4 address but loopback's, in the order `ip -4 addr` lists them.",
            ),
        ),
        (
            "interfaces",
            Attribute::computed(Type::Map(Box::new(strings())))
                .describe("Each interface's IPv4 addresses, loopback included."),
        ),
    ];
    Schema::new(
        "Facts about a host reached over SSH; it needs `ip` (iproute2) there.",
        remote::access_attributes().into_iter().chain(attributes),
    )
}

const SCRIPT: &str = r#"hostname
( . /etc/os-release 2>/dev/null; echo "${ID:-unknown}"; echo "${VERSION_ID:-}" )
ip -o -4 addr show
"#;

/// The facts in the script's output.
#[derive(Debug, PartialEq)]
struct HostFacts {
    hostname: String,
    os: String,
    os_version: String,
    /// (interface, address) in the order listed.
    addresses: Vec<(String, String)>,
}

fn parse(stdout: &str) -> HostFacts {
    let mut lines = stdout.lines();
    let mut next = || lines.next().unwrap_or_default().trim().to_string();
    let (hostname, os, os_version) = (next(), next(), next());
    // `2: eth0    inet 10.56.0.5/24 brd 10.56.0.255 scope global eth0\       valid_lft ...`
    let addresses = stdout
        .lines()
        .skip(3)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [_, name, "inet", cidr, ..] => {
                    let name = name.split('@').next().unwrap_or(name);
                    let address = cidr.split('/').next().unwrap_or(cidr);
                    Some((name.to_string(), address.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    HostFacts {
        hostname,
        os,
        os_version,
        addresses,
    }
}

/// The `ssh_facts` data source.
pub struct Facts;

#[async_trait]
impl DataSourceType<Ssh> for Facts {
    fn name(&self) -> &'static str {
        FACTS
    }

    fn schema(&self) -> Schema {
        data_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        remote::check_access(config)
    }

    async fn read(&self, pool: &Pool, config: &Value) -> Result<Value, Diagnostics> {
        let remote = Remote::connect(pool, config, None).await?;
        read_data(&remote, config).await
    }
}

/// Reads the facts from the host.
async fn read_data(remote: &Remote, config: &Value) -> Result<Value, Diagnostics> {
    let what = format!(
        "ssh_facts on {}",
        config.get("host").as_str().unwrap_or("?")
    );
    let output = remote
        .run(SCRIPT, &[], SCRIPT_LIMIT)
        .await
        .map_err(|e| e.diagnostic(&what))?;
    if !output.success() {
        return Err(remote::failed(
            format!("{what}: cannot read the host's facts"),
            &output,
            "The host needs hostname and ip (Debian/Ubuntu package iproute2).",
        )
        .into());
    }
    let facts = parse(&output.stdout_text());
    let mut interfaces: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (name, address) in &facts.addresses {
        interfaces
            .entry(name.clone())
            .or_default()
            .push(Value::string(address));
    }
    let external = facts
        .addresses
        .iter()
        .filter(|(_, address)| !address.starts_with("127."))
        .map(|(_, address)| Value::string(address))
        .collect();
    let mut value = data_schema().with_defaults(config.clone());
    value.set_attr("hostname", Value::String(facts.hostname));
    value.set_attr("os", Value::String(facts.os));
    value.set_attr("os_version", Value::String(facts.os_version));
    value.set_attr("ipv4_addresses", Value::List(external));
    value.set_attr(
        "interfaces",
        Value::Map(
            interfaces
                .into_iter()
                .map(|(k, v)| (k, Value::List(v)))
                .collect(),
        ),
    );
    if value.get("hostname").as_str() == Some("") {
        return Err(Diagnostic::error(
            format!("{what}: the host printed no hostname"),
            "Check that the login shell runs commands (no forced command, no menu).",
        )
        .into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hostname_os_and_addresses() {
        let out = "node1\nubuntu\n24.04\n\
            1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n\
            2: eno1    inet 10.56.2.10/22 brd 10.56.3.255 scope global eno1\\       valid_lft forever\n\
            3: eth1@if9    inet 192.168.1.11/24 scope global eth1\n";
        let facts = parse(out);
        assert_eq!(facts.hostname, "node1");
        assert_eq!(
            (facts.os.as_str(), facts.os_version.as_str()),
            ("ubuntu", "24.04")
        );
        assert_eq!(
            facts.addresses,
            vec![
                ("lo".into(), "127.0.0.1".into()),
                ("eno1".into(), "10.56.2.10".into()),
                ("eth1".into(), "192.168.1.11".into()),
            ]
        );
    }
}
