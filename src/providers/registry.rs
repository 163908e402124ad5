//! The provider implementations compiled into this ggplan, by local name, and the check that
//! a module uses only providers and types they offer.

use super::ProviderInstance;
use crate::address::ProviderAddr;
use crate::config::{Module, Resource};
use crate::lang::functions::ProviderFunctions;
use crate::suggest::did_you_mean;
use ggplan_sdk::{Diagnostic, Diagnostics, ProviderFactory, ProviderSchema, ResourceKind};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The provider implementations compiled into this ggplan, by local name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    factories: BTreeMap<&'static str, ProviderFactory>,
    /// The providers' functions, made on first use and shared by the clones of the registry,
    /// so that loading the variables and the run use one table.
    functions: Arc<OnceLock<Arc<ProviderFunctions>>>,
}

impl Registry {
    /// A registry of these implementations.
    pub fn new(factories: impl IntoIterator<Item = ProviderFactory>) -> Registry {
        Registry {
            factories: factories.into_iter().map(|f| (f.name, f)).collect(),
            functions: Arc::default(),
        }
    }

    /// A new, unconfigured instance of the provider that serves `addr`.
    pub fn instantiate(&self, addr: &ProviderAddr) -> Result<ProviderInstance, Diagnostics> {
        let factory = self.factories.get(addr.name.as_str()).ok_or_else(|| {
            Diagnostic::error(
                format!("Unknown provider {:?}", addr.name),
                "The state or configuration names a provider this ggplan does not have.",
            )
        })?;
        Ok(ProviderInstance::new((factory.new)()))
    }

    /// The source address of the Terraform provider the implementation named `name` mirrors
    /// (`registry.terraform.io/hashicorp/random`); for a name it does not have, the address
    /// Terraform implies for a local name without a `required_providers` entry.
    pub fn source(&self, name: &str) -> String {
        self.factories.get(name).map_or_else(
            || format!("registry.terraform.io/hashicorp/{name}"),
            |f| f.source.clone(),
        )
    }

    /// The names of the providers it has.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.factories.keys().copied()
    }

    /// Every provider's schema, by name (for `ggplan providers`).
    pub fn schemas(&self) -> BTreeMap<&'static str, ProviderSchema> {
        self.factories
            .iter()
            .map(|(name, f)| (*name, (f.new)().schema()))
            .collect()
    }

    /// The functions of every provider that offers some, for a run's evaluator: one
    /// unconfigured instance each, since functions need no configuration.
    pub fn functions(&self) -> Arc<ProviderFunctions> {
        let table = self.functions.get_or_init(|| {
            let instances = self
                .factories
                .iter()
                .map(|(name, f)| (name.to_string(), (f.new)()));
            Arc::new(ProviderFunctions::new(instances))
        });
        Arc::clone(table)
    }

    /// Checks that every provider and resource type the module uses exists here.
    pub fn check(&self, module: &Module) -> Result<(), Diagnostics> {
        let schemas = self.schemas();
        let mut diags = Diagnostics::new();
        for provider in module.providers.values() {
            if !schemas.contains_key(provider.addr.name.as_str()) {
                diags.push(
                    self.unknown_provider(
                        format!(
                            "This ggplan has no provider named {:?}.",
                            provider.addr.name
                        ),
                        &provider.addr.name,
                    )
                    .at_range(Some(provider.range.clone())),
                );
            }
        }
        for resource in module
            .tree()
            .into_iter()
            .flat_map(|(_, m)| m.resources.values())
        {
            diags.extend(self.check_resource(module, &schemas, resource));
        }
        diags.into_result(())
    }

    /// A resource's provider exists, its alias is configured, and it offers the type.
    fn check_resource(
        &self,
        root: &Module,
        schemas: &BTreeMap<&'static str, ProviderSchema>,
        resource: &Resource,
    ) -> Diagnostics {
        let provider = &resource.provider;
        let at = Some(resource.range.clone());
        let Some(schema) = schemas.get(provider.name.as_str()) else {
            let detail = format!(
                "{} needs the provider {:?}, which this ggplan does not have.",
                resource.addr, provider.name
            );
            return self
                .unknown_provider(detail, &provider.name)
                .at_range(at)
                .into();
        };
        let mut diags = Diagnostics::new();
        if let Some(alias) = &provider.alias
            && !root.providers.contains_key(provider)
        {
            diags.push(
                Diagnostic::error(
                    "Provider configuration not present",
                    format!(
                        "{} uses provider {provider}, but no provider block has that alias. Add \
                         provider \"{}\" {{ alias = \"{alias}\" }}.",
                        resource.addr, provider.name
                    ),
                )
                .at_range(at.clone()),
            );
        }
        let (types, kind) = match resource.addr.kind {
            ResourceKind::Managed => (&schema.resources, "resource type"),
            ResourceKind::Data => (&schema.data_sources, "data source"),
        };
        let type_name = &resource.addr.type_name;
        if !types.contains_key(type_name) {
            let hint = did_you_mean(type_name, types.keys().map(String::as_str));
            diags.push(
                Diagnostic::error(
                    format!("Invalid {kind}"),
                    format!(
                        "The provider {:?} does not support the {kind} {type_name:?}.{hint}",
                        provider.name
                    ),
                )
                .at_range(at),
            );
        }
        diags
    }

    /// "Unknown provider", with a guess at what was meant and what exists.
    fn unknown_provider(&self, detail: String, name: &str) -> Diagnostic {
        let hint = did_you_mean(name, self.names());
        Diagnostic::error(
            "Unknown provider",
            format!(
                "{detail}{hint} Available: {}.",
                self.names().collect::<Vec<_>>().join(", ")
            ),
        )
    }
}
