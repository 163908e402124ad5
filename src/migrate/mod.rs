//! Migration from Terraform: a `terraform.tfstate` (format version 4) brought into ggplan's
//! state, so that the stack Terraform managed is managed by ggplan from then on without
//! creating anything again (`ggplan state migrate`).
//!
//! Every instance keeps its address, provider configuration, attributes (read against ggplan's
//! schema of its type: `attributes`), sensitive paths, dependencies, create-before-destroy
//! flag and tainted status; deposed objects stay deposed; outputs keep their values and
//! sensitivity; lineage and serial carry on. What cannot be carried over is named in the
//! [`Migration`]'s notes or refused as a whole ([`MigrateError`]): nothing is dropped
//! silently, and a refused migration writes nothing.

mod attributes;
mod tfstate;

pub use tfstate::TERRAFORM_STATE_VERSION;

use crate::address::{InstanceAddr, ProviderAddr};
use crate::state::{DeposedObject, InstanceState, OutputState, State};
use attributes::ShapeNotes;
use ggplan_sdk::ResourceKind;
use ggplan_sdk::{ProviderSchema, Schema};
use std::collections::BTreeMap;
use tfstate::{Header, TfInstance, TfResource, TfState};

/// Why a Terraform state cannot be migrated. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("it is not a JSON state document: {0}")]
    NotJson(String),
    #[error(
        "it has format version {0}; ggplan migrates Terraform's format version 4 (Terraform 0.12 \
         and later). Run `terraform apply -refresh-only` with Terraform 0.12 or newer to rewrite \
         it in format 4, then migrate again."
    )]
    Version(String),
    #[error(
        "it holds resources ggplan cannot manage, so nothing was migrated:\n{}\n\
         Either remove them from Terraform's state first (`terraform state rm ADDRESS`, and keep \
         managing them with Terraform in a stack of their own), or wait for a ggplan with their \
         provider or type (`ggplan providers` lists what this one has).",
        .0.iter().map(|line| format!("  - {line}")).collect::<Vec<_>>().join("\n")
    )]
    Unsupported(Vec<String>),
    #[error("it is malformed: {0}")]
    Malformed(String),
}

/// A migrated state and what the user must know about it.
#[derive(Debug)]
pub struct Migration {
    pub state: State,
    /// The Terraform version that wrote the file.
    pub terraform_version: String,
    /// Per object (an instance's current object, or its deposed object of that key), in
    /// address order: what was not carried over exactly.
    pub notes: BTreeMap<ObjectKey, Vec<String>>,
}

/// An object of the state: its instance, and its deposed key if it is a deposed object.
pub type ObjectKey = (InstanceAddr, Option<String>);

/// Reads Terraform's state `bytes` into a ggplan state, checking every resource against the
/// `schemas` of the providers this ggplan has.
pub fn migrate(
    bytes: &[u8],
    schemas: &BTreeMap<&str, ProviderSchema>,
) -> Result<Migration, MigrateError> {
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| MigrateError::NotJson(e.to_string()))?;
    match header.version {
        Some(TERRAFORM_STATE_VERSION) => {}
        Some(v) => return Err(MigrateError::Version(v.to_string())),
        None => return Err(MigrateError::Version("(none)".to_string())),
    }
    let tf: TfState =
        serde_json::from_slice(bytes).map_err(|e| MigrateError::Malformed(e.to_string()))?;
    let resolved = resolve_all(&tf.resources, schemas)?;
    let mut state = State::new();
    if !tf.lineage.is_empty() {
        state.lineage = tf.lineage.clone();
    }
    state.serial = tf.serial;
    let mut notes = BTreeMap::new();
    for (resource, found) in tf.resources.iter().zip(&resolved) {
        for inst in &resource.instances {
            let (object, shape) = object(resource, inst, found)?;
            let lines = note_lines(&object, inst, found, shape);
            if !lines.is_empty() {
                notes.insert((object.addr.clone(), inst.deposed.clone()), lines);
            }
            match &inst.deposed {
                Some(key) => state.deposed.push(DeposedObject {
                    key: key.clone(),
                    object,
                }),
                None => state.set_instance(object),
            }
        }
    }
    resolve_dependencies(&mut state, &tf.resources);
    state.outputs = tf
        .outputs
        .into_iter()
        .map(|(name, o)| {
            (
                name,
                OutputState {
                    value: o.value,
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    Ok(Migration {
        state,
        terraform_version: tf.terraform_version,
        notes,
    })
}

/// A resource's provider and type as ggplan has them.
struct Resolved<'a> {
    provider: ProviderAddr,
    /// The module that configured the provider in Terraform (ggplan configures providers in
    /// the root module only), empty for the root.
    provider_module: String,
    schema: &'a Schema,
}

/// Every resource's provider and schema, or every resource ggplan has no provider or type for.
fn resolve_all<'a>(
    resources: &[TfResource],
    schemas: &'a BTreeMap<&str, ProviderSchema>,
) -> Result<Vec<Resolved<'a>>, MigrateError> {
    let mut resolved = Vec::new();
    let mut unsupported = Vec::new();
    for r in resources {
        match resolve(r, schemas) {
            Ok(found) => resolved.push(found),
            Err(why) => unsupported.push(why),
        }
    }
    if unsupported.is_empty() {
        Ok(resolved)
    } else {
        Err(MigrateError::Unsupported(unsupported))
    }
}

/// A resource's provider and schema, or why ggplan cannot manage it.
fn resolve<'a>(
    r: &TfResource,
    schemas: &'a BTreeMap<&str, ProviderSchema>,
) -> Result<Resolved<'a>, String> {
    let addr = r.instance_addr(None)?;
    let config = r.provider_config().map_err(|e| format!("{addr}: {e}"))?;
    let name = config.type_name();
    let Some(provider) = schemas.get(name) else {
        return Err(format!(
            "{addr}: provider {} (ggplan has no provider {name:?})",
            config.source
        ));
    };
    let types = match addr.resource.kind {
        ResourceKind::Managed => &provider.resources,
        ResourceKind::Data => &provider.data_sources,
    };
    let kind = match addr.resource.kind {
        ResourceKind::Managed => "resource type",
        ResourceKind::Data => "data source",
    };
    let schema = types.get(&r.type_name).ok_or_else(|| {
        let hint = crate::suggest::did_you_mean(&r.type_name, types.keys().map(String::as_str));
        format!(
            "{addr}: ggplan's provider {name:?} has no {kind} {:?}.{hint}",
            r.type_name
        )
    })?;
    Ok(Resolved {
        provider: ProviderAddr {
            name: name.to_string(),
            alias: config.alias,
        },
        provider_module: config.module,
        schema,
    })
}

/// One object, its attributes in ggplan's shape; dependencies are resolved afterwards.
fn object(
    r: &TfResource,
    inst: &TfInstance,
    found: &Resolved<'_>,
) -> Result<(InstanceState, ShapeNotes), MigrateError> {
    let addr = r
        .instance_addr(inst.index_key.as_ref())
        .map_err(MigrateError::Malformed)?;
    let attributes = inst.attributes.as_ref().ok_or_else(|| {
        MigrateError::Malformed(format!(
            "{addr} has no \"attributes\" (a state before Terraform 0.12?)"
        ))
    })?;
    let mut shape = ShapeNotes::default();
    let attributes = attributes::convert(attributes, found.schema, &mut shape);
    let sensitive_paths = inst
        .sensitive_attributes
        .iter()
        .filter_map(|steps| tfstate::attr_path(steps))
        .filter(|path| {
            path.root_attribute()
                .is_some_and(|name| attributes.get(name).is_some())
        })
        .collect();
    let object = InstanceState {
        addr,
        provider: found.provider.clone(),
        attributes,
        sensitive_paths,
        dependencies: Vec::new(),
        schema_version: found.schema.version,
        create_before_destroy: inst.create_before_destroy,
        tainted: inst.status.as_deref() == Some("tainted"),
    };
    Ok((object, shape))
}

/// What a user must know about one migrated object.
fn note_lines(
    object: &InstanceState,
    inst: &TfInstance,
    found: &Resolved<'_>,
    shape: ShapeNotes,
) -> Vec<String> {
    let mut lines = Vec::new();
    if inst.deposed.is_some() {
        lines.push("deposed: the next apply destroys it".to_string());
    }
    if object.tainted {
        lines.push("tainted: the next plan replaces it".to_string());
    }
    if !found.provider_module.is_empty() {
        lines.push(format!(
            "its provider was configured in {}; ggplan configures providers in the root module \
             only, so it uses the root's {}",
            found.provider_module, object.provider
        ));
    }
    let kind = &object.addr.resource.type_name;
    let listed = [
        (
            shape.dropped,
            format!("not carried over (ggplan's {kind} has no such attributes)"),
        ),
        (
            shape.unread,
            "not in Terraform's record, null until the next refresh reads them".to_string(),
        ),
        (
            shape.unset,
            "not in Terraform's record, null: the next plan updates those the configuration sets"
                .to_string(),
        ),
    ];
    for (paths, what) in listed {
        if !paths.is_empty() {
            lines.push(format!("{what}: {}", paths.join(", ")));
        }
    }
    lines
}

/// Terraform records dependencies on whole resources (`module.a.type.name`); ggplan on
/// instances: each becomes every migrated instance of that resource.
fn resolve_dependencies(state: &mut State, resources: &[TfResource]) {
    let mut by_resource: BTreeMap<String, Vec<InstanceAddr>> = BTreeMap::new();
    for addr in state.resources.keys() {
        let mut resource = addr.clone();
        resource.key = None;
        by_resource
            .entry(resource.to_string())
            .or_default()
            .push(addr.clone());
    }
    let deps_of = |inst: &TfInstance| -> Vec<InstanceAddr> {
        inst.dependencies
            .iter()
            .flat_map(|d| by_resource.get(d).cloned().unwrap_or_default())
            .collect()
    };
    let mut found = BTreeMap::new();
    for r in resources {
        for inst in &r.instances {
            if let Ok(addr) = r.instance_addr(inst.index_key.as_ref()) {
                found.insert((addr, inst.deposed.clone()), deps_of(inst));
            }
        }
    }
    for (addr, object) in &mut state.resources {
        object.dependencies = found.remove(&(addr.clone(), None)).unwrap_or_default();
    }
    for deposed in &mut state.deposed {
        let key = (deposed.object.addr.clone(), Some(deposed.key.clone()));
        deposed.object.dependencies = found.remove(&key).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `providers.tfstate.json`: a state in Terraform's format for types of the OpenStack, Kubernetes and MLflow
    /// providers, written from terraform-provider-openstack's documented attributes (v3: every
    /// resource has `region`; blocks of SDKv2 providers are lists, `timeouts` null) and the
    /// hashicorp/kubernetes ones; with an aliased provider, a provider configured in a module,
    /// and a deposed object.
    fn provider_state() -> serde_json::Value {
        let text = include_str!("../../tests/fixtures/terraform_state/providers.tfstate.json");
        serde_json::from_str(text).unwrap()
    }

    fn migrated() -> Migration {
        let schemas = crate::cli::registry().schemas();
        migrate(provider_state().to_string().as_bytes(), &schemas).unwrap()
    }

    fn notes_of(m: &Migration, addr: &str, deposed: Option<&str>) -> Vec<String> {
        let key = (
            InstanceAddr::parse(addr).unwrap(),
            deposed.map(str::to_string),
        );
        m.notes[&key].clone()
    }

    #[test]
    fn openstack_objects_keep_their_attributes_and_name_what_ggplan_lacks() {
        let m = migrated();
        let net = &m.state.resources
            [&InstanceAddr::parse("openstack_networking_network_v2.private").unwrap()];
        assert_eq!(net.provider.to_string(), "openstack.chi");
        assert_eq!(net.attributes["mtu"], 1450);
        assert_eq!(net.attributes["tenant_id"], "p1");
        let notes = notes_of(&m, "openstack_networking_network_v2.private", None).join("\n");
        for dropped in [
            "region",
            "segments",
            "transparent_vlan",
            "dns_domain",
            "qos_policy_id",
            "timeouts",
        ] {
            assert!(
                notes.contains(&format!(" {dropped},")) || notes.ends_with(&format!(" {dropped}")),
                "{dropped} not named:\n{notes}"
            );
        }

        let node = &m.state.resources
            [&InstanceAddr::parse("openstack_compute_instance_v2.node[0]").unwrap()];
        assert_eq!(node.attributes["network"][0]["fixed_ip_v4"], "10.0.0.5");
        assert_eq!(node.attributes["timeouts"], serde_json::Value::Null);
        assert_eq!(
            node.dependencies,
            [InstanceAddr::parse("openstack_networking_network_v2.private").unwrap()]
        );
        let notes = notes_of(&m, "openstack_compute_instance_v2.node[0]", None).join("\n");
        assert!(
            notes.contains(
                "not carried over (ggplan's openstack_compute_instance_v2 has no such \
                 attributes): region, admin_pass, block_device,"
            ),
            "{notes}"
        );
        assert!(notes.contains(" power_state,"), "{notes}");
        // A secret ggplan's type does not have leaves no sensitive path behind it, and its
        // value appears in no note.
        assert!(node.sensitive_paths.is_empty());
        assert!(!notes.contains("s3cret"));
        assert!(node.attributes.get("admin_pass").is_none());
    }

    #[test]
    fn deposed_objects_stay_deposed() {
        let m = migrated();
        assert_eq!(m.state.deposed.len(), 1);
        let deposed = &m.state.deposed[0];
        assert_eq!(deposed.key, "9a1b2c3d");
        assert_eq!(deposed.object.attributes["id"], "srv-0");
        let notes = notes_of(
            &m,
            "openstack_compute_instance_v2.node[0]",
            Some("9a1b2c3d"),
        )
        .join("\n");
        assert!(
            notes.contains("deposed: the next apply destroys it"),
            "{notes}"
        );
        // ggplan's attributes Terraform's (deliberately thin) record lacks are named.
        assert!(
            notes.contains("null until the next refresh reads them: access_ip_v4, access_ip_v6,"),
            "{notes}"
        );
        assert!(
            notes.contains(
                "null: the next plan updates those the configuration sets: config_drive, \
                 key_pair, metadata, tags, user_data, scheduler_hints, timeouts"
            ),
            "{notes}"
        );
    }

    #[test]
    fn kubernetes_and_mlflow_objects_and_module_providers() {
        let m = migrated();
        let ns = &m.state.resources
            [&InstanceAddr::parse("module.platform.kubernetes_namespace_v1.ml").unwrap()];
        assert_eq!(ns.provider.to_string(), "kubernetes");
        assert_eq!(ns.attributes["metadata"][0]["labels"], json!({"app": "gg"}));
        let notes = notes_of(&m, "module.platform.kubernetes_namespace_v1.ml", None);
        assert_eq!(
            notes,
            [
                "its provider was configured in module.platform; ggplan configures providers in \
              the root module only, so it uses the root's kubernetes"
            ]
        );
        let model =
            &m.state.resources[&InstanceAddr::parse("mlflow_registered_model.food").unwrap()];
        assert_eq!(
            model.attributes,
            json!({"id": "food11", "name": "food11", "description": "classifier", "tags": {"team": "ml"}})
        );
        assert!(!m.notes.contains_key(&(model.addr.clone(), None)));
        assert_eq!(m.state.outputs["ip"].value, "10.0.0.5");
        assert_eq!((m.state.serial, m.terraform_version.as_str()), (7, "1.9.8"));
    }

    #[test]
    fn malformed_documents_are_refused() {
        let schemas = crate::cli::registry().schemas();
        let err = migrate(b"{", &schemas).unwrap_err();
        assert!(matches!(err, MigrateError::NotJson(_)), "{err}");
        let err = migrate(br#"{"serial": 1}"#, &schemas).unwrap_err();
        assert!(err.to_string().contains("format version (none)"), "{err}");
        let mut doc = provider_state();
        doc["resources"][3]["instances"][0]
            .as_object_mut()
            .unwrap()
            .remove("attributes");
        let err = migrate(doc.to_string().as_bytes(), &schemas).unwrap_err();
        assert!(
            err.to_string()
                .contains("mlflow_registered_model.food has no \"attributes\""),
            "{err}"
        );
    }
}
