//! ggplan's OpenStack provider: the resource types and data sources of Terraform's
//! `terraform-provider-openstack` that the GourmetGram stack uses, with the same names,
//! attributes and meanings, so its `.tf` files plan and apply unchanged.
//!
//! | resource types                               | data sources                          |
//! |----------------------------------------------|---------------------------------------|
//! | `openstack_networking_network_v2`            | `openstack_networking_network_v2`     |
//! | `openstack_networking_subnet_v2`             | `openstack_networking_subnet_v2`      |
//! | `openstack_networking_port_v2`               | `openstack_networking_secgroup_v2`    |
//! | `openstack_networking_floatingip_v2`         | `openstack_images_image_v2`           |
//! | `openstack_networking_router_v2`             | `openstack_compute_flavor_v2`         |
//! | `openstack_networking_router_interface_v2`   |                                       |
//! | `openstack_networking_secgroup_v2`           |                                       |
//! | `openstack_networking_secgroup_rule_v2`      |                                       |
//! | `openstack_compute_keypair_v2`               |                                       |
//! | `openstack_compute_instance_v2`              |                                       |
//! | `openstack_blazar_lease` (ggplan's own)      |                                       |
//!
//! The provider talks to Keystone v3, Neutron, Nova, Glance and Blazar over one authenticated
//! [`session::Session`]; credentials come from `clouds.yaml`, `OS_*` variables or the provider
//! block ([`cloud`]).

mod cloud;
mod compute;
mod convert;
mod error;
mod networking;
mod reservation;
mod resource;
mod session;
mod wait;

use async_trait::async_trait;
use ggplan_sdk::{
    ApplyRequest, ApplyResponse, Attribute, Diagnostic, Diagnostics, PlanRequest, PlanResponse,
    Provider, ProviderFactory, ProviderSchema, ReadRequest, ResourceKind, Schema, Type, Value,
};
use resource::{DataType, ManagedType};
use session::Session;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The provider's name in stack files.
const NAME: &str = "openstack";

/// The factory the engine instantiates once per `provider "openstack"` block.
pub fn factory() -> ProviderFactory {
    ProviderFactory::new(NAME, || -> Arc<dyn Provider> {
        Arc::new(OpenStack::default())
    })
}

/// The managed resource type called `name`.
fn managed(name: &str) -> Option<&'static dyn ManagedType> {
    Some(match name {
        "openstack_networking_network_v2" => &networking::Network,
        "openstack_networking_subnet_v2" => &networking::Subnet,
        "openstack_networking_port_v2" => &networking::Port,
        "openstack_networking_floatingip_v2" => &networking::FloatingIp,
        "openstack_networking_router_v2" => &networking::Router,
        "openstack_networking_router_interface_v2" => &networking::RouterInterface,
        "openstack_networking_secgroup_v2" => &networking::Secgroup,
        "openstack_networking_secgroup_rule_v2" => &networking::SecgroupRule,
        "openstack_compute_keypair_v2" => &compute::Keypair,
        "openstack_compute_instance_v2" => &compute::Instance,
        "openstack_blazar_lease" => &reservation::Lease,
        _ => return None,
    })
}

const MANAGED: &[&str] = &[
    "openstack_networking_network_v2",
    "openstack_networking_subnet_v2",
    "openstack_networking_port_v2",
    "openstack_networking_floatingip_v2",
    "openstack_networking_router_v2",
    "openstack_networking_router_interface_v2",
    "openstack_networking_secgroup_v2",
    "openstack_networking_secgroup_rule_v2",
    "openstack_compute_keypair_v2",
    "openstack_compute_instance_v2",
    "openstack_blazar_lease",
];

/// The data source called `name`.
fn data(name: &str) -> Option<&'static dyn DataType> {
    Some(match name {
        "openstack_networking_network_v2" => &networking::NetworkData,
        "openstack_networking_subnet_v2" => &networking::SubnetData,
        "openstack_networking_secgroup_v2" => &networking::SecgroupData,
        "openstack_images_image_v2" => &compute::ImageData,
        "openstack_compute_flavor_v2" => &compute::FlavorData,
        _ => return None,
    })
}

const DATA: &[&str] = &[
    "openstack_networking_network_v2",
    "openstack_networking_subnet_v2",
    "openstack_networking_secgroup_v2",
    "openstack_images_image_v2",
    "openstack_compute_flavor_v2",
];

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unsupported {kind} {name}"),
        format!("The openstack provider has no {kind} named {name}."),
    )
    .into()
}

fn provider_schema() -> Schema {
    let mut attributes = vec![(
        "cloud",
        Attribute::optional(Type::String)
            .describe("The entry of clouds.yaml to use (default: OS_CLOUD)."),
    )];
    for (attribute, _, variable) in cloud::PROVIDER_ATTRIBUTES {
        let mut spec =
            Attribute::optional(Type::String).describe(&format!("Overrides {variable}."));
        if attribute.contains("password") || attribute.contains("secret") {
            spec = spec.sensitive();
        }
        attributes.push((attribute, spec));
    }
    Schema::new(
        "Credentials and endpoints of an OpenStack cloud.",
        attributes,
    )
}

/// One configured provider instance.
#[derive(Default)]
pub struct OpenStack {
    session: OnceCell<Session>,
}

impl OpenStack {
    fn session(&self) -> Result<&Session, Diagnostics> {
        self.session.get().ok_or_else(|| {
            Diagnostic::error(
                "The openstack provider is not configured",
                "This is a bug in ggplan: configure runs before any other call.",
            )
            .into()
        })
    }
}

#[async_trait]
impl Provider for OpenStack {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: provider_schema(),
            resources: MANAGED
                .iter()
                .filter_map(|n| managed(n).map(|r| (n.to_string(), r.schema())))
                .collect(),
            data_sources: DATA
                .iter()
                .filter_map(|n| data(n).map(|d| (n.to_string(), d.schema())))
                .collect(),
        }
    }

    fn validate(&self, kind: ResourceKind, type_name: &str, config: &Value) -> Diagnostics {
        match (kind, managed(type_name)) {
            (ResourceKind::Managed, Some(resource)) => resource.validate(config),
            _ => Diagnostics::new(),
        }
    }

    async fn configure(&self, config: &Value) -> Result<(), Diagnostics> {
        let context = "Cannot configure the openstack provider";
        let cloud = cloud::resolve(config, &cloud::ProcessEnvironment)
            .map_err(|e| e.diagnostics(context))?;
        let session = Session::open(cloud)
            .await
            .map_err(|e| e.diagnostics(context))?;
        // A second configure of the same instance keeps the first session.
        let _ = self.session.set(session);
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        let resource = managed(request.type_name)
            .ok_or_else(|| unknown_type("resource type", request.type_name))?;
        resource
            .read(self.session()?, request.state)
            .await
            .map_err(|e| e.diagnostics(&format!("Cannot read {}", request.type_name)))
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        let resource = managed(request.type_name)
            .ok_or_else(|| unknown_type("resource type", request.type_name))?;
        let mut planned = resource::plan(
            resource,
            &resource.schema(),
            request.prior,
            request.config,
            request.proposed,
        );
        let requires_replace = resource.refine_plan(request.prior, request.config, &mut planned);
        Ok(PlanResponse {
            planned,
            requires_replace,
        })
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        let Some(resource) = managed(request.type_name) else {
            return ApplyResponse::failed(
                request.prior,
                unknown_type("resource type", request.type_name),
            );
        };
        let session = match self.session() {
            Ok(s) => s,
            Err(d) => return ApplyResponse::failed(request.prior, d),
        };
        let type_name = request.type_name;
        match (request.prior, request.planned) {
            (Some(prior), None) => match resource.delete(session, prior).await {
                Ok(()) => ApplyResponse::ok(None),
                Err(e) => ApplyResponse::failed(
                    Some(prior),
                    e.diagnostics(&format!("Cannot delete {type_name}")),
                ),
            },
            (None, Some(planned)) => match resource.create(session, planned).await {
                Ok(state) => ApplyResponse::ok(Some(state)),
                Err(partial) => ApplyResponse {
                    new_state: partial.state,
                    diagnostics: partial
                        .error
                        .diagnostics(&format!("Cannot create {type_name}")),
                },
            },
            (Some(prior), Some(planned)) => match resource.update(session, prior, planned).await {
                Ok(state) => ApplyResponse::ok(Some(state)),
                Err(partial) => ApplyResponse {
                    new_state: partial.state.or_else(|| Some(prior.clone())),
                    diagnostics: partial
                        .error
                        .diagnostics(&format!("Cannot update {type_name}")),
                },
            },
            (None, None) => ApplyResponse::ok(None),
        }
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, Diagnostics> {
        let source = data(type_name).ok_or_else(|| unknown_type("data source", type_name))?;
        source
            .read(self.session()?, config)
            .await
            .map_err(|e| e.diagnostics(&format!("Cannot read data source {type_name}")))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        let resource =
            managed(type_name).ok_or_else(|| unknown_type("resource type", type_name))?;
        // Keypairs are addressed by name; everything else by id.
        let key = if type_name == "openstack_compute_keypair_v2" {
            "name"
        } else {
            "id"
        };
        let state = Value::object([(key, Value::string(id))]);
        match resource.read(self.session()?, &state).await {
            Ok(Some(state)) => Ok(resource::imported(&resource.schema(), state)),
            Ok(None) => Err(Diagnostic::error(
                format!("Cannot import {type_name} {id}"),
                "No such object exists in the cloud: check the id.",
            )
            .into()),
            Err(e) => Err(e.diagnostics(&format!("Cannot import {type_name} {id}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_has_a_schema_and_secrets_are_sensitive() {
        let schema = OpenStack::default().schema();
        assert_eq!(schema.resources.len(), MANAGED.len());
        assert_eq!(schema.data_sources.len(), DATA.len());
        assert!(schema.provider.attributes["application_credential_secret"].sensitive);
        assert!(schema.provider.attributes["password"].sensitive);
        assert!(
            schema.resources["openstack_compute_keypair_v2"].attributes["private_key"].sensitive
        );
    }

    #[tokio::test]
    async fn unconfigured_provider_and_unknown_types_are_clear_errors() {
        let provider = OpenStack::default();
        let err = provider
            .read_data("openstack_nope", &Value::Null)
            .await
            .unwrap_err();
        assert!(err.0[0].summary.contains("openstack_nope"));
        let err = provider
            .read_data("openstack_images_image_v2", &Value::Null)
            .await
            .unwrap_err();
        assert!(err.0[0].summary.contains("not configured"));
    }
}
