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

/// The resource block `addr` is an instance of, or the error saying to declare it (or the
/// module it is in) first.
pub fn declared<'a>(module: &'a Module, addr: &InstanceAddr) -> Result<&'a Resource, Diagnostics> {
    let path = addr.module.path();
    let Some(declaring) = module.at(&path) else {
        return Err(Diagnostic::error(
            "Import to non-existent module",
            format!(
                "{path} is not defined in the configuration. Please add configuration for this \
                 module before importing into it."
            ),
        )
        .into());
    };
    let resource = &addr.resource;
    declaring.resources.get(resource).ok_or_else(|| {
        let place = match path.is_root() {
            true => "the root module".to_string(),
            false => path.to_string(),
        };
        let (kind, name) = (&resource.type_name, &resource.name);
        Diagnostic::error(
            "Import to non-existent resource",
            format!(
                "resource address \"{}\" does not exist in the configuration. Before \
                 importing this resource, create its configuration in {place}. For \
                 example:\n\nresource \"{kind}\" \"{name}\" {{\n  # (resource arguments)\n}}",
                addr.config_resource()
            ),
        )
        .into()
    })
}

/// Refuses `addr` unless its module instance is one the configuration has, with the module
/// calls' `count` and `for_each` evaluated from `state` as `console` sees them.
fn check_module_instance(run: &Run, state: &State, addr: &InstanceAddr) -> Result<(), Diagnostics> {
    if addr.module.is_root() {
        return Ok(());
    }
    let unevaluated = run.evaluate_from_state(state);
    let path = addr.module.path();
    let instances = run.instances_of(&path);
    if instances.iter().any(|(m, _)| *m == addr.module) {
        return Ok(());
    }
    if instances.is_empty() && unevaluated.has_errors() {
        return Err(unevaluated);
    }
    Err(Diagnostic::error(
        "Configuration for import target does not exist",
        format!(
            "The configuration for the given import {addr} does not exist. All target \
             instances must have an associated configuration to be imported."
        ),
    )
    .into())
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
    check_module_instance(&run, state, addr)?;
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
