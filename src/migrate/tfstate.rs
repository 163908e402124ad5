//! Terraform's state document, format version 4 (what Terraform 0.12 to 1.15 write), as far
//! as a migration reads it: the shapes, and the strings inside it that are addresses
//! (`module`, `provider["..."]`, `dependencies`, `sensitive_attributes` steps).

use crate::address::{InstanceAddr, InstanceKey};
use ggplan_sdk::{AttrPath, PathStep};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The only format version a migration reads.
pub const TERRAFORM_STATE_VERSION: u64 = 4;

/// The fields read first, to refuse another format before interpreting the rest.
#[derive(Deserialize)]
pub struct Header {
    pub version: Option<u64>,
}

/// The whole document.
#[derive(Deserialize)]
pub struct TfState {
    #[serde(default)]
    pub terraform_version: String,
    #[serde(default)]
    pub serial: u64,
    #[serde(default)]
    pub lineage: String,
    #[serde(default)]
    pub outputs: BTreeMap<String, TfOutput>,
    #[serde(default)]
    pub resources: Vec<TfResource>,
}

/// A root output: its value, its type (which ggplan does not keep: the next run recomputes
/// it) and whether it is sensitive.
#[derive(Deserialize)]
pub struct TfOutput {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

/// One resource (every instance of one block in one module instance).
#[derive(Deserialize)]
pub struct TfResource {
    /// `module.a["k"].module.b`; absent in the root module.
    #[serde(default)]
    pub module: String,
    /// `managed` or `data`.
    pub mode: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    /// `provider["registry.terraform.io/hashicorp/openstack"]`, maybe with `.alias` after it
    /// and `module.x.` before it.
    pub provider: String,
    #[serde(default)]
    pub instances: Vec<TfInstance>,
}

/// One object of a resource: its current object, or a deposed one (`deposed` set).
#[derive(Deserialize)]
pub struct TfInstance {
    /// A number under `count`, a string under `for_each`, absent otherwise.
    #[serde(default)]
    pub index_key: Option<serde_json::Value>,
    /// `tainted`, or absent.
    #[serde(default)]
    pub status: Option<String>,
    /// The deposed key of an object a create-before-destroy set aside.
    #[serde(default)]
    pub deposed: Option<String>,
    /// Absent only in states of Terraform before 0.12 (`attributes_flat`), which format 4
    /// never holds.
    #[serde(default)]
    pub attributes: Option<serde_json::Value>,
    #[serde(default)]
    pub sensitive_attributes: Vec<Vec<TfPathStep>>,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub create_before_destroy: bool,
}

/// One step of a path in `sensitive_attributes`: `{"type": "get_attr", "value": "name"}` or
/// `{"type": "index", "value": {"value": 0, "type": "number"}}`.
#[derive(Deserialize)]
pub struct TfPathStep {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: serde_json::Value,
}

impl TfResource {
    /// The address of the instance with `index_key`, in ggplan's spelling (Terraform's is the
    /// same); the error says what is malformed.
    pub fn instance_addr(
        &self,
        index_key: Option<&serde_json::Value>,
    ) -> Result<InstanceAddr, String> {
        let mut text = String::new();
        if !self.module.is_empty() {
            text.push_str(&self.module);
            text.push('.');
        }
        match self.mode.as_str() {
            "managed" => {}
            "data" => text.push_str("data."),
            other => {
                return Err(format!(
                    "resource mode {other:?} is neither managed nor data"
                ));
            }
        }
        text.push_str(&format!("{}.{}", self.type_name, self.name));
        let mut addr = InstanceAddr::parse(&text)?;
        addr.key = match index_key {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(InstanceKey::Str(s.clone())),
            Some(n) => Some(InstanceKey::Int(
                n.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        format!("index_key {n} of {text} is neither a string nor a count index")
                    })?,
            )),
        };
        Ok(addr)
    }

    /// The provider's configuration: the source address (`registry.terraform.io/hashicorp/
    /// openstack`), its alias, and the module that configures it (empty for the root).
    pub fn provider_config(&self) -> Result<ProviderConfig, String> {
        let bad = || {
            format!(
                "provider {:?} is not a provider[\"SOURCE\"] address",
                self.provider
            )
        };
        let start = self.provider.find("provider[\"").ok_or_else(bad)?;
        let module = self.provider[..start].trim_end_matches('.').to_string();
        let rest = &self.provider[start + "provider[\"".len()..];
        let (source, after) = rest.split_once("\"]").ok_or_else(bad)?;
        let alias = match after {
            "" => None,
            _ => Some(after.strip_prefix('.').ok_or_else(bad)?.to_string()),
        };
        Ok(ProviderConfig {
            source: source.to_string(),
            alias,
            module,
        })
    }
}

/// A provider configuration as Terraform's state names it.
#[derive(Debug, PartialEq)]
pub struct ProviderConfig {
    pub source: String,
    pub alias: Option<String>,
    pub module: String,
}

impl ProviderConfig {
    /// The provider's type, the last part of its source (`openstack`), which is the local
    /// name ggplan knows it by.
    pub fn type_name(&self) -> &str {
        self.source.rsplit('/').next().unwrap_or(&self.source)
    }
}

/// A `sensitive_attributes` path as ggplan's path. A step it cannot read ends the path there,
/// so the whole value around it stays sensitive; `None` when not even the first step reads.
pub fn attr_path(steps: &[TfPathStep]) -> Option<AttrPath> {
    let path: Vec<PathStep> = steps
        .iter()
        .map_while(|step| match (step.kind.as_str(), &step.value) {
            ("get_attr", serde_json::Value::String(name)) => Some(PathStep::Key(name.clone())),
            ("index", key) => match key.get("value").unwrap_or(key) {
                serde_json::Value::String(k) => Some(PathStep::Key(k.clone())),
                n => n
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .map(PathStep::Index),
            },
            _ => None,
        })
        .collect();
    (!path.is_empty()).then_some(AttrPath(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(module: &str, mode: &str, provider: &str) -> TfResource {
        TfResource {
            module: module.into(),
            mode: mode.into(),
            type_name: "openstack_networking_port_v2".into(),
            name: "p".into(),
            provider: provider.into(),
            instances: vec![],
        }
    }

    #[test]
    fn addresses_read_as_ggplan_spells_them() {
        let r = resource("module.net[\"a b\"]", "managed", "");
        let addr = r.instance_addr(Some(&serde_json::json!("x\"y"))).unwrap();
        assert_eq!(
            addr.to_string(),
            "module.net[\"a b\"].openstack_networking_port_v2.p[\"x\\\"y\"]"
        );
        let r = resource("", "data", "");
        assert_eq!(
            r.instance_addr(Some(&serde_json::json!(3)))
                .unwrap()
                .to_string(),
            "data.openstack_networking_port_v2.p[3]"
        );
        assert!(r.instance_addr(Some(&serde_json::json!(-1))).is_err());
        assert!(resource("", "ephemeral", "").instance_addr(None).is_err());
    }

    #[test]
    fn provider_addresses_give_source_alias_and_module() {
        let p = resource(
            "",
            "managed",
            "module.a.provider[\"registry.terraform.io/terraform-provider-openstack/openstack\"].chi",
        )
        .provider_config()
        .unwrap();
        assert_eq!(
            p,
            ProviderConfig {
                source: "registry.terraform.io/terraform-provider-openstack/openstack".into(),
                alias: Some("chi".into()),
                module: "module.a".into(),
            }
        );
        assert_eq!(p.type_name(), "openstack");
        let builtin = resource(
            "",
            "managed",
            "provider[\"terraform.io/builtin/terraform\"]",
        )
        .provider_config()
        .unwrap();
        assert_eq!(
            (
                builtin.type_name(),
                builtin.alias.as_deref(),
                builtin.module.as_str()
            ),
            ("terraform", None, "")
        );
        assert!(resource("", "managed", "aws").provider_config().is_err());
    }

    #[test]
    fn sensitive_paths_convert_steps() {
        let steps: Vec<TfPathStep> = serde_json::from_value(serde_json::json!([
            {"type": "get_attr", "value": "data"},
            {"type": "index", "value": {"value": "password", "type": "string"}},
            {"type": "index", "value": {"value": 2, "type": "number"}}
        ]))
        .unwrap();
        assert_eq!(
            attr_path(&steps).unwrap(),
            AttrPath::attr("data").key("password").index(2)
        );
        let odd: Vec<TfPathStep> = serde_json::from_value(serde_json::json!([
            {"type": "get_attr", "value": "data"},
            {"type": "future_step", "value": 1}
        ]))
        .unwrap();
        assert_eq!(attr_path(&odd).unwrap(), AttrPath::attr("data"));
        assert!(attr_path(&odd[1..]).is_none());
    }
}
