//! Provider configurations: evaluated from their `provider` blocks when the plan reaches
//! them, configured then, or during apply once what they refer to exists.

use super::Run;
use crate::address::{ModuleInstance, ProviderAddr, ResourceAddr};
use crate::config::{Body, FileId};
use crate::providers::{ConfigureOutcome, ProviderInstance, ResourceProvider};
use crate::scope::InstanceContext;
use ggplan_sdk::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

impl Run {
    /// Evaluates and configures the provider configuration `addr`, or defers it to the apply
    /// (with a warning) when it refers to values known only then.
    pub async fn configure_provider(&self, addr: &ProviderAddr) -> Result<(), Diagnostics> {
        let instance = self.providers.registry().instantiate(addr)?;
        let block = self.module.providers.get(addr);
        if block.is_none() {
            check_needs_no_block(addr, &instance)?;
        }
        let config = self.provider_config(addr, &instance)?;
        let configured = self
            .providers
            .configure(addr, instance, &config)
            .await
            .map_err(|d| self.place_in_block(addr, d))?;
        if configured == ConfigureOutcome::DuringApply {
            self.report(
                Diagnostic::warning(
                    format!("Provider \"{addr}\" is configured during apply"),
                    "Its configuration refers to values known only after apply. The resources \
                     it manages are planned from their configuration alone, and planned again \
                     by the provider when the apply reaches them.",
                )
                .at_range(block.map(|b| b.range.clone()))
                .into(),
            );
        }
        Ok(())
    }

    /// The door to provider `addr` for the instances of `resource` during apply: a provider
    /// deferred to the apply is configured first, now that the apply has made what its
    /// configuration refers to.
    pub async fn provider_for_apply(
        &self,
        addr: &ProviderAddr,
        resource: &ResourceAddr,
    ) -> Result<ResourceProvider<'_>, Diagnostics> {
        self.ensure_configured(addr).await?;
        self.providers.for_resource(addr, resource)
    }

    /// Configures a provider deferred to the apply; nothing for one configured at plan time.
    async fn ensure_configured(&self, addr: &ProviderAddr) -> Result<(), Diagnostics> {
        self.providers
            .configure_deferred(addr, |instance| {
                let config = self.provider_config(addr, instance)?;
                if config.is_wholly_known() {
                    return Ok(config);
                }
                let block = self.module.providers.get(addr);
                Err(Diagnostic::error(
                    format!("Provider \"{addr}\" is still not known during apply"),
                    "Its configuration refers to values that this apply did not produce (a \
                     failed or skipped resource); fix that, then apply again.",
                )
                .at_range(block.map(|b| b.range.clone()))
                .into())
            })
            .await
            .map_err(|d| self.place_in_block(addr, d))
    }

    /// A provider's diagnostics about its configuration, placed in its block as Terraform
    /// places them: at the attribute they name, or else at the block (a provider without a
    /// block leaves them as they are).
    fn place_in_block(&self, addr: &ProviderAddr, diagnostics: Diagnostics) -> Diagnostics {
        let Some(block) = self.module.providers.get(addr) else {
            return diagnostics;
        };
        let place = |d: Diagnostic| {
            let span = d
                .attribute
                .as_ref()
                .and_then(|path| block.body.span_of(path));
            let range = span.map(|span| self.module.sources.range(block.body.file, span));
            d.at_range(Some(range.unwrap_or_else(|| block.range.clone())))
        };
        Diagnostics(diagnostics.0.into_iter().map(place).collect())
    }

    /// The configuration of provider `addr` evaluated with the values known so far (an empty
    /// body when the stack has no block for it).
    fn provider_config(
        &self,
        addr: &ProviderAddr,
        instance: &ProviderInstance,
    ) -> Result<Value, Diagnostics> {
        let empty = Body {
            file: FileId(0),
            syntax: Default::default(),
            attributes: BTreeMap::new(),
            blocks: Vec::new(),
            span: 0..0,
        };
        let body = self.module.providers.get(addr).map_or(&empty, |b| &b.body);
        self.eval_config(
            body,
            instance.block_schema(),
            &ModuleInstance::root(),
            &InstanceContext::default(),
            &format!("provider \"{addr}\""),
        )
    }
}

/// A provider used without a `provider` block must need no settings.
fn check_needs_no_block(
    addr: &ProviderAddr,
    instance: &ProviderInstance,
) -> Result<(), Diagnostics> {
    let required: Vec<&str> = instance
        .block_schema()
        .attributes
        .iter()
        .filter(|(_, a)| a.required)
        .map(|(n, _)| n.as_str())
        .collect();
    if required.is_empty() {
        return Ok(());
    }
    Err(Diagnostic::error(
        format!("Provider \"{addr}\" needs configuration"),
        format!(
            "Add a provider \"{}\" block that sets {}.",
            addr.name,
            required.join(", ")
        ),
    )
    .into())
}
