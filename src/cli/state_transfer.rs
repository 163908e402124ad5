//! `ggplan state pull` and `ggplan state push`: the whole state document out (for a backup,
//! a script, or another stack's `terraform_remote_state`) and back in, with Terraform's
//! checks: a pushed state must be the same state (lineage) and not older (serial).

use super::args::{EditArgs, StateArgs};
use super::state_cmd::{edit, load};
use super::ui::Ui;
use crate::state::{State, StateStore};
use std::path::Path;
use std::process::ExitCode;

/// `ggplan state pull`.
pub fn pull(ui: &Ui, args: &StateArgs) -> ExitCode {
    let Some((_, state)) = load(ui, args) else {
        return ExitCode::from(1);
    };
    match serde_json::to_string_pretty(&state) {
        Ok(text) => {
            ui.out(&format!("{text}\n"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            ui.error("Cannot encode the state", e.to_string());
            ExitCode::from(1)
        }
    }
}

/// Reads the state to push: a file (every check of a state load applies, so a Terraform
/// state is sent to `state migrate`), or standard input for `-`.
fn read_pushed(file: &Path) -> Result<State, String> {
    if file != Path::new("-") {
        return StateStore::new(file.to_path_buf())
            .load()
            .map_err(|e| e.to_string());
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| e.to_string())?;
    StateStore::new("standard input".into())
        .parse(&bytes)
        .map_err(|e| e.to_string())
}

/// `ggplan state push FILE [--force]`.
pub fn push(ui: &Ui, args: &EditArgs, file: &Path, force: bool) -> ExitCode {
    let pushed = match read_pushed(file) {
        Ok(state) => state,
        Err(e) => {
            ui.error("Cannot read the state to push", e);
            return ExitCode::from(1);
        }
    };
    edit(ui, args, "state push", |current| {
        let fresh = current.serial == 0 && current.resources.is_empty();
        if !force && !fresh {
            if pushed.lineage != current.lineage {
                return Err(format!(
                    "the pushed state belongs to another state (lineage {}, not {}); pushing \
                     it would replace this one. Run again with --force if that is what you \
                     mean.",
                    pushed.lineage, current.lineage
                ));
            }
            if pushed.serial < current.serial
                || (pushed.serial == current.serial && pushed != *current)
            {
                return Err(format!(
                    "the pushed state (serial {}) is not newer than the current one (serial \
                     {}); pushing it would lose what was written since. Run again with \
                     --force if that is what you mean.",
                    pushed.serial, current.serial
                ));
            }
        }
        // Written as the next version of the current file, which is kept as the backup.
        let (lineage, serial) = (current.lineage.clone(), current.serial.max(pushed.serial));
        *current = pushed;
        current.lineage = lineage;
        current.serial = serial;
        Ok(format!(
            "Pushed {} resource instance(s) and {} output(s).\n",
            current.resources.len(),
            current.outputs.len()
        ))
    })
}
