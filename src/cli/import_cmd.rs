//! `ggplan import ADDR ID`.

use super::args::RunArgs;
use super::pipeline::lock_and_load;
use super::stack;
use super::ui::Ui;
use crate::address::InstanceAddr;
use crate::providers::Registry;
use std::path::Path;
use std::process::ExitCode;

/// Imports the object `id` at `addr_text` under the state lock, and saves the state.
pub async fn import(
    ui: &Ui,
    registry: &Registry,
    dir: &Path,
    args: &RunArgs,
    addr_text: &str,
    id: &str,
) -> ExitCode {
    let addr = match InstanceAddr::parse(addr_text) {
        Ok(addr) => addr,
        Err(msg) => {
            ui.error("Invalid address", msg);
            return ExitCode::from(1);
        }
    };
    let Some(stack) = stack::load(ui, registry, dir, args) else {
        return ExitCode::from(1);
    };
    if let Err(diags) = crate::import::declared(&stack.module, &addr) {
        ui.diagnostics(&diags, &[&stack.module.sources]);
        return ExitCode::from(1);
    }
    let Some((_lock, mut state)) = lock_and_load(ui, &*stack.store, "import", &args.lock) else {
        return ExitCode::from(1);
    };
    let module = stack.module.clone();
    let imported = crate::import::import(
        module,
        registry.clone(),
        stack.variables.clone(),
        &mut state,
        &addr,
        id,
    )
    .await;
    if let Err(diags) = imported {
        ui.diagnostics(&diags, &[&stack.module.sources]);
        return ExitCode::from(1);
    }
    if let Err(e) = stack.store.persist(&mut state) {
        ui.error("Cannot save the state", e.to_string());
        return ExitCode::from(1);
    }
    ui.out(&format!(
        "{addr}: Import prepared!\n\nImport successful!\n\nThe object imported above is now in \
         the state; run ggplan plan to see how it differs from the configuration.\n"
    ));
    ExitCode::SUCCESS
}
