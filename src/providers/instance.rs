//! One provider instance (one `provider` block) with its schemas, and the placement of its
//! configuration checks in the stack's source.

use crate::config::{Resource, SourceMap};
use ggplan_sdk::{
    AttrPath, BlockNesting, Diagnostics, PathStep, Provider, ProviderSchema, ResourceKind, Schema,
    Value,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// A provider instance with its schemas, shared by all the calls of a run.
#[derive(Clone)]
pub struct ProviderInstance {
    pub(super) provider: Arc<dyn Provider>,
    schemas: Arc<Schemas>,
}

/// A provider's schemas, each type's behind its own `Arc` so that a call can hold one cheaply.
struct Schemas {
    provider: Schema,
    resources: HashMap<String, Arc<Schema>>,
    data_sources: HashMap<String, Arc<Schema>>,
}

impl ProviderInstance {
    pub(super) fn new(provider: Arc<dyn Provider>) -> ProviderInstance {
        let ProviderSchema {
            provider: block,
            resources,
            data_sources,
            // A run reaches functions through the registry's table, not its instances.
            functions: _,
        } = provider.schema();
        let shared = |types: std::collections::BTreeMap<String, Schema>| {
            types.into_iter().map(|(n, s)| (n, Arc::new(s))).collect()
        };
        ProviderInstance {
            provider,
            schemas: Arc::new(Schemas {
                provider: block,
                resources: shared(resources),
                data_sources: shared(data_sources),
            }),
        }
    }

    /// The schema of the `provider` block.
    pub fn block_schema(&self) -> &Schema {
        &self.schemas.provider
    }

    /// The schema of a resource type or data source.
    pub fn type_schema(&self, kind: ResourceKind, type_name: &str) -> Option<&Arc<Schema>> {
        match kind {
            ResourceKind::Managed => self.schemas.resources.get(type_name),
            ResourceKind::Data => self.schemas.data_sources.get(type_name),
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
            Cow::Owned(config.clone().unmark_deep().0)
        } else {
            Cow::Borrowed(config)
        };
        let addr = &resource.addr;
        let diagnostics = self.provider.validate(addr.kind, &addr.type_name, &plain);
        self.place(resource, diagnostics, sources)
    }

    /// Diagnostics of a call about a resource, each placed at the attribute it names in the
    /// resource's body, or else at the resource block: as Terraform places a provider's
    /// diagnostics, so that a failure with no attribute to blame (a refused token, a server
    /// that cannot be reached) still says which block of which file it comes from.
    pub fn place(
        &self,
        resource: &Resource,
        diagnostics: Diagnostics,
        sources: &SourceMap,
    ) -> Diagnostics {
        Diagnostics(
            diagnostics
                .0
                .into_iter()
                .map(|d| match d.range {
                    Some(_) => d,
                    None => {
                        let range = self
                            .attribute_range(resource, &d, sources)
                            .unwrap_or_else(|| resource.range.clone());
                        d.at_range(Some(range))
                    }
                })
                .collect(),
        )
    }

    /// Where in the resource's body the attribute a diagnostic names is written.
    fn attribute_range(
        &self,
        resource: &Resource,
        diagnostic: &ggplan_sdk::Diagnostic,
        sources: &SourceMap,
    ) -> Option<ggplan_sdk::SourceRange> {
        let addr = &resource.addr;
        let path = diagnostic.attribute.as_ref()?;
        let path = self.written_order(addr.kind, &addr.type_name, path);
        let span = resource.body.span_of(&path)?;
        Some(sources.range(resource.body.file, span))
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
}
