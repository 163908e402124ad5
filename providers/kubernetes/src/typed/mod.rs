//! hashicorp/kubernetes's typed resources and data sources, on the server-side-apply core
//! that `kubernetes_manifest` uses ([`crate::object`]): each type turns its configuration
//! into a manifest and reads its attributes back from the object the server has.
//!
//! - [`resource`]: what every type that makes its own object shares ([`resource::Typed`]
//!   over an [`resource::ObjectType`]): `metadata`, `id`, plan, read, create, update,
//!   delete, import. The types: [`namespace`], [`secret`], [`config_map`],
//!   [`service_account`], [`cluster_role_binding`].
//! - [`patch`]: what the types that change an object something else made share
//!   ([`patch::Patch`] over a [`patch::PatchKind`]): [`config_map_data`], [`annotations`].
//! - [`data`]: the data sources `kubernetes_resource`, `kubernetes_secret_v1`,
//!   `kubernetes_namespace_v1`.
//!
//! Where ggplan differs from hashicorp/kubernetes, on purpose, for every typed resource:
//! objects are written by server-side apply (hashicorp/kubernetes creates them and sends JSON
//! patches), as field manager [`resource::MANAGER`], taking over whatever it sets; so labels,
//! annotations and data keys that others add to the object are theirs, neither shown as
//! drift nor removed (hashicorp/kubernetes removes all but the cluster's own).

pub mod annotations;
pub mod cluster_role_binding;
pub mod config_map;
pub mod config_map_data;
pub mod data;
mod maps;
mod metadata;
mod names;
pub mod namespace;
pub mod patch;
pub mod resource;
pub mod secret;
pub mod service_account;
