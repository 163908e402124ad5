//! `plan -generate-config-out=FILE`: before the plan, the configuration of what `import`
//! blocks bring into undeclared resources is written to FILE (`crate::genconfig`), which the
//! plan then reads as part of the stack.

use super::args::PlanCommand;
use super::pipeline::lock_and_load;
use super::stack;
use super::ui::Ui;
use crate::events::Discard;
use crate::genconfig::{self, Generated};
use crate::providers::Registry;
use crate::run::RunOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Writes FILE for `request` and returns the blocks it holds (none, and no file, when no
/// import block needs configuration); `None` when something was refused (printed), in which
/// case nothing was written.
pub async fn generate(
    ui: &Ui,
    registry: &Registry,
    request: &PlanCommand,
    file: &Path,
) -> Option<Vec<Generated>> {
    let target = target_file(ui, &request.dir, file)?;
    let mut module = stack::load_module(ui, &request.dir)?;
    let blocks = match genconfig::take_undeclared(&mut module) {
        Ok(blocks) if blocks.is_empty() => return Some(Vec::new()),
        Ok(blocks) => blocks,
        Err(diags) => {
            ui.diagnostics(&diags, &[&module.sources]);
            return None;
        }
    };
    let stack = stack::load_with(ui, registry, &request.dir, &request.run, module)?;
    let (_lock, state) = lock_and_load(ui, &*stack.store, "plan", &request.run.lock)?;
    let extra = genconfig::providers(&blocks);
    let options = RunOptions::default();
    let generated = match stack.run_with(registry, &state, extra, options, Arc::new(Discard)) {
        Ok(run) => genconfig::generate(&run, &state, &blocks).await,
        Err(diags) => Err(diags),
    };
    let generated = match generated {
        Ok(generated) => generated,
        Err(diags) => {
            ui.diagnostics(&diags, &[&stack.module.sources]);
            return None;
        }
    };
    if let Err(e) = write_new(&target, &genconfig::file_text(&generated)) {
        ui.error("Cannot write the generated configuration", e.to_string());
        return None;
    }
    Some(generated)
}

/// FILE as a path: a new `.tf` file directly in the stack directory (a relative FILE is
/// relative to it), so that the plan reads it as part of the stack.
fn target_file(ui: &Ui, dir: &Path, file: &Path) -> Option<PathBuf> {
    let target = dir.join(file);
    let in_stack = target.parent().and_then(|p| p.canonicalize().ok()) == dir.canonicalize().ok();
    if !in_stack || target.extension().is_none_or(|e| e != "tf") {
        ui.error(
            "Invalid -generate-config-out",
            format!(
                "ggplan plans with the generated configuration as part of the stack, so FILE \
                 must be a .tf file directly in the stack directory, not {}.",
                file.display()
            ),
        );
        return None;
    }
    if target.exists() {
        ui.error(
            "Target generated file already exists",
            "ggplan can only write generated config into a new file. Either choose a different \
             target location or move all existing configuration out of the target file, delete \
             it and try again.",
        );
        return None;
    }
    Some(target)
}

/// Writes `text` to a file that must not exist yet (never replacing one made meanwhile).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
