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
use ggplan_sdk::typed::{DataSourceType, ResourceType, TypedProvider};
use ggplan_sdk::{Attribute, Diagnostics, ProviderFactory, Schema, Type, Value};
use session::Session;

/// The factory the engine instantiates once per `provider "openstack"` block.
pub fn factory() -> ProviderFactory {
    ggplan_sdk::typed::factory::<OpenStack>()
}

/// The OpenStack provider: its types, and the session every call gets once configured.
pub struct OpenStack;

#[async_trait]
impl TypedProvider for OpenStack {
    type Client = Session;
    type Error = error::ApiError;
    const NAME: &'static str = "openstack";
    const SOURCE: &'static str = "registry.terraform.io/terraform-provider-openstack/openstack";

    fn schema() -> Schema {
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

    fn resources() -> Vec<Box<dyn ResourceType<Self>>> {
        vec![
            Box::new(networking::Network),
            Box::new(networking::Subnet),
            Box::new(networking::Port),
            Box::new(networking::FloatingIp),
            Box::new(networking::Router),
            Box::new(networking::RouterInterface),
            Box::new(networking::Secgroup),
            Box::new(networking::SecgroupRule),
            Box::new(compute::Keypair),
            Box::new(compute::Instance),
            Box::new(reservation::Lease),
        ]
    }

    fn data_sources() -> Vec<Box<dyn DataSourceType<Self>>> {
        vec![
            Box::new(networking::NetworkData),
            Box::new(networking::SubnetData),
            Box::new(networking::SecgroupData),
            Box::new(compute::ImageData),
            Box::new(compute::FlavorData),
        ]
    }

    async fn configure(config: &Value) -> Result<Session, Diagnostics> {
        let context = "Cannot configure the openstack provider";
        let cloud = cloud::resolve(config, &cloud::ProcessEnvironment)
            .map_err(|e| e.diagnostics(context))?;
        Session::open(cloud)
            .await
            .map_err(|e| e.diagnostics(context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ggplan_sdk::Provider;
    use ggplan_sdk::typed::TypeTable;
    use std::collections::BTreeSet;

    /// The type names in one column of the crate documentation's table.
    fn documented(column: usize) -> BTreeSet<String> {
        include_str!("lib.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//! |"))
            .filter_map(|row| row.split('|').nth(column))
            .filter_map(|cell| cell.split('`').nth(1))
            .filter(|name| name.starts_with("openstack_"))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_type_is_documented_once_and_secrets_are_sensitive() {
        let schema = (factory().new)().schema();
        assert_eq!(factory().name, "openstack");
        assert_eq!(schema.resources.len(), OpenStack::resources().len());
        assert_eq!(schema.data_sources.len(), OpenStack::data_sources().len());
        let resources: BTreeSet<String> = schema.resources.keys().cloned().collect();
        let data_sources: BTreeSet<String> = schema.data_sources.keys().cloned().collect();
        assert_eq!(resources, documented(0));
        assert_eq!(data_sources, documented(1));
        assert!(schema.provider.attributes["application_credential_secret"].sensitive);
        assert!(schema.provider.attributes["password"].sensitive);
        assert!(
            schema.resources["openstack_compute_keypair_v2"].attributes["private_key"].sensitive
        );
    }

    #[tokio::test]
    async fn unconfigured_provider_and_unknown_types_are_clear_errors() {
        let provider = TypeTable::<OpenStack>::new();
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
