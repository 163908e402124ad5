//! The providers a run can use: a registry of implementations by name, and the configured
//! instances of one run, one per provider configuration (`random`, `random.other`).

use crate::config::{Module, Resource, SourceMap};
use crate::suggest::did_you_mean;
use ggplan_sdk::{
    AttrPath, BlockNesting, Diagnostic, Diagnostics, PathStep, Provider, ProviderFactory,
    ProviderSchema, ResourceKind, Schema, Value,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The provider implementations compiled into this ggplan, by local name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    factories: BTreeMap<&'static str, ProviderFactory>,
}

impl Registry {
    /// A registry of these implementations.
    pub fn new(factories: impl IntoIterator<Item = ProviderFactory>) -> Registry {
        Registry {
            factories: factories.into_iter().map(|f| (f.name, f)).collect(),
        }
    }

    /// A new, unconfigured instance of the provider named `name`.
    pub fn instantiate(&self, name: &str) -> Option<ProviderInstance> {
        let factory = self.factories.get(name)?;
        let provider = (factory.new)();
        let schema = Arc::new(provider.schema());
        Some(ProviderInstance { provider, schema })
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

    /// Checks that every provider and resource type the module uses exists here.
    pub fn check(&self, module: &Module) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        let schemas = self.schemas();
        for provider in module.providers.values() {
            if !schemas.contains_key(provider.name.as_str()) {
                let hint = did_you_mean(&provider.name, self.names());
                diags.push(
                    Diagnostic::error(
                        "Unknown provider",
                        format!(
                            "This ggplan has no provider named {:?}.{hint} Available: {}.",
                            provider.name,
                            self.names().collect::<Vec<_>>().join(", ")
                        ),
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
            let name = provider_name(&resource.provider);
            let Some(schema) = schemas.get(name) else {
                let hint = did_you_mean(name, self.names());
                diags.push(
                    Diagnostic::error(
                        "Unknown provider",
                        format!(
                            "{} needs the provider {name:?}, which this ggplan does not have.{hint} \
                             Available: {}.",
                            resource.addr,
                            self.names().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .at_range(Some(resource.range.clone())),
                );
                continue;
            };
            if resource.provider.contains('.') && !module.providers.contains_key(&resource.provider)
            {
                diags.push(
                    Diagnostic::error(
                        "Provider configuration not present",
                        format!(
                            "{} uses provider {}, but no provider block has that alias. Add \
                             provider \"{name}\" {{ alias = \"{}\" }}.",
                            resource.addr,
                            resource.provider,
                            resource
                                .provider
                                .split_once('.')
                                .map(|(_, a)| a)
                                .unwrap_or_default()
                        ),
                    )
                    .at_range(Some(resource.range.clone())),
                );
            }
            let types = match resource.addr.kind {
                ResourceKind::Managed => &schema.resources,
                ResourceKind::Data => &schema.data_sources,
            };
            if !types.contains_key(&resource.addr.type_name) {
                let hint = did_you_mean(&resource.addr.type_name, types.keys().map(String::as_str));
                let kind = match resource.addr.kind {
                    ResourceKind::Managed => "resource type",
                    ResourceKind::Data => "data source",
                };
                diags.push(
                    Diagnostic::error(
                        format!("Invalid {kind}"),
                        format!(
                            "The provider {name:?} does not support the {kind} {:?}.{hint}",
                            resource.addr.type_name
                        ),
                    )
                    .at_range(Some(resource.range.clone())),
                );
            }
        }
        diags.into_result(())
    }
}

/// The provider name of a configuration key (`random.other` -> `random`).
pub fn provider_name(key: &str) -> &str {
    key.split('.').next().unwrap_or(key)
}

/// One provider instance with its schema, shared by all the calls of a run.
#[derive(Clone)]
pub struct ProviderInstance {
    pub provider: Arc<dyn Provider>,
    pub schema: Arc<ProviderSchema>,
}

impl ProviderInstance {
    /// The schema of a resource type or data source.
    pub fn type_schema(&self, kind: ResourceKind, type_name: &str) -> Option<&Schema> {
        match kind {
            ResourceKind::Managed => self.schema.resources.get(type_name),
            ResourceKind::Data => self.schema.data_sources.get(type_name),
        }
    }

    /// `path` with indexes that follow the blocks as written: a set of blocks is sorted once
    /// evaluated, so an index into one says nothing about which block it was; it is dropped
    /// (the first block of that kind stands for them).
    fn written_order(&self, kind: ResourceKind, type_name: &str, path: &AttrPath) -> AttrPath {
        let Some(PathStep::Key(name)) = path.0.first() else {
            return path.clone();
        };
        let is_set = self
            .type_schema(kind, type_name)
            .and_then(|schema| schema.blocks.get(name))
            .is_some_and(|block| block.nesting == BlockNesting::Set);
        if is_set {
            AttrPath::attr(name)
        } else {
            path.clone()
        }
    }

    /// The provider's own checks of a resource's configuration (Terraform's
    /// ValidateResourceConfig), each placed at the attribute it names in the resource's body,
    /// or at the resource block.
    pub fn validate_resource(
        &self,
        resource: &Resource,
        config: &Value,
        sources: &SourceMap,
    ) -> Diagnostics {
        // Providers see values without sensitive marks; most configurations have none.
        let plain = if config.contains_sensitive() {
            std::borrow::Cow::Owned(config.clone().unmark_deep().0)
        } else {
            std::borrow::Cow::Borrowed(config)
        };
        let addr = &resource.addr;
        Diagnostics(
            self.provider
                .validate(addr.kind, &addr.type_name, &plain)
                .0
                .into_iter()
                .map(|d| {
                    let range = d
                        .attribute
                        .as_ref()
                        .map(|path| self.written_order(addr.kind, &addr.type_name, path))
                        .and_then(|path| resource.body.span_of(&path))
                        .map_or_else(
                            || resource.range.clone(),
                            |span| sources.range(resource.body.file, span),
                        );
                    d.at_range(Some(range))
                })
                .collect(),
        )
    }
}
