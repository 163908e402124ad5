//! `import`: bringing an existing object under management at an address the stack declares.

use crate::address::InstanceAddr;
use crate::config::{Module, Resource};
use crate::events::Discard;
use crate::providers::Registry;
use crate::run::{Run, RunOptions};
use crate::state::{InstanceState, JournalEntry, State};
use ggplan_sdk::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The resource block `addr` is an instance of, or the error saying to declare it first.
pub fn declared<'a>(module: &'a Module, addr: &InstanceAddr) -> Result<&'a Resource, Diagnostics> {
    module.resources.get(&addr.resource).ok_or_else(|| {
        Diagnostic::error(
            "Import to non-existent resource",
            format!(
                "{} is not declared in the stack; add its resource block first, then import.",
                addr.resource
            ),
        )
        .into()
    })
}

/// Reads the object `id` names through the provider of `addr`'s resource and records it in
/// `state` at `addr`. Refused when the stack does not declare the resource, when `state`
/// already has `addr`, and while the provider's configuration waits for an apply.
pub async fn import(
    module: Arc<Module>,
    registry: Registry,
    variables: BTreeMap<String, Value>,
    state: &mut State,
    addr: &InstanceAddr,
    id: &str,
) -> Result<(), Diagnostics> {
    let resource = declared(&module, addr)?;
    if state.resources.contains_key(addr) {
        return Err(Diagnostic::error(
            "Resource already managed",
            format!(
                "{addr} is already in the state; remove it with `ggplan state rm {addr}` to \
                 import another object there."
            ),
        )
        .into());
    }
    let provider_addr = resource.provider.clone();
    let create_before_destroy = resource.lifecycle.create_before_destroy;
    let options = RunOptions::default();
    let run = Run::new(module, registry, variables, &[], options, Arc::new(Discard))?;
    run.configure_provider(&provider_addr).await?;
    let provider = run
        .providers()
        .for_resource(&provider_addr, &addr.resource)?;
    if provider.is_deferred() {
        return Err(Diagnostic::error(
            format!("Cannot import into {addr}"),
            format!(
                "The configuration of provider \"{provider_addr}\" refers to values known only \
                 after apply; apply what it refers to first, then import."
            ),
        )
        .into());
    }
    let value = provider.import(addr, id).await?;
    let instance = InstanceState::from_value(
        addr.clone(),
        provider_addr,
        value,
        Vec::new(),
        provider.schema().version,
        create_before_destroy,
    );
    JournalEntry::Set(instance).apply_to(state);
    Ok(())
}
