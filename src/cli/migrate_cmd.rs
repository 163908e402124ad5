//! `ggplan state migrate terraform.tfstate`: Terraform's state brought into the stack's
//! ggplan state (see [`crate::migrate`]), under the state lock, refusing to replace a state
//! that holds anything unless asked to.

use super::args::EditArgs;
use super::state_cmd::{edit, store};
use super::ui::Ui;
use crate::migrate::{Migration, migrate as convert};
use crate::providers::Registry;
use crate::state::State;
use std::path::Path;
use std::process::ExitCode;

/// `ggplan state migrate FILE [--force]`.
pub fn migrate(
    ui: &Ui,
    registry: &Registry,
    args: &EditArgs,
    file: &Path,
    force: bool,
) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            ui.error(
                "Cannot read the Terraform state",
                format!("{}: {e}", file.display()),
            );
            return ExitCode::from(1);
        }
    };
    let migration = match convert(&bytes, &registry.schemas()) {
        Ok(m) => m,
        Err(e) => {
            ui.error(
                "Cannot migrate the Terraform state",
                format!(
                    "{} was left untouched and nothing was written: {e}",
                    file.display()
                ),
            );
            return ExitCode::from(1);
        }
    };
    let Some(target) = store(ui, &args.state) else {
        return ExitCode::from(1);
    };
    if same_file(target.location(), file) {
        ui.error(
            "Cannot migrate a state onto itself",
            format!(
                "This stack's ggplan state would be {} itself. ggplan keeps its own state \
                 beside Terraform's: point --state (or the backend \"local\" block's path) at \
                 another file, such as state/<stack>.json, and migrate again. A Terraform \
                 workspace's state (terraform.tfstate.d/NAME/terraform.tfstate) is where \
                 ggplan's workspace NAME keeps its own: move the file aside, then migrate it \
                 from there.",
                file.display()
            ),
        );
        return ExitCode::from(1);
    }
    let target_path = target.location().display().to_string();
    edit(ui, args, "state migrate", |state| {
        // A new state keeps Terraform's lineage; a stored one (written at least once, so its
        // serial is not 0) keeps its own, so that it is replaced as a newer version of itself
        // (and saved plans of the old content are refused).
        let existed = state.serial > 0;
        if holds_anything(state) && !force {
            return Err(format!(
                "the ggplan state {target_path} already holds {} resource instance(s) and {} \
                 output(s). Migrating would replace them: run again with --force to do so (the \
                 current state is kept as {target_path}.backup), or point --state at another file.",
                state.resources.len(),
                state.outputs.len()
            ));
        }
        let text = report(&migration, file, &target_path);
        let (lineage, serial) = (state.lineage.clone(), state.serial);
        *state = migration.state;
        if existed {
            state.lineage = lineage;
            state.serial = serial.max(state.serial);
        }
        Ok(text)
    })
}

/// Whether two paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

pub(super) fn holds_anything(state: &State) -> bool {
    !state.resources.is_empty() || !state.outputs.is_empty() || !state.deposed.is_empty()
}

/// What was migrated, and what the user must know about it.
fn report(migration: &Migration, file: &Path, target: &str) -> String {
    let state = &migration.state;
    let mut out = format!(
        "Migrating Terraform {}'s state {} (serial {}, lineage {}) into {target}:\n",
        migration.terraform_version,
        file.display(),
        state.serial,
        state.lineage
    );
    let objects = state
        .resources
        .keys()
        .map(|addr| (addr.clone(), None))
        .chain(
            state
                .deposed
                .iter()
                .map(|d| (d.object.addr.clone(), Some(d.key.clone()))),
        );
    for key in objects.collect::<std::collections::BTreeSet<_>>() {
        match &key.1 {
            Some(deposed) => out.push_str(&format!("  {} (deposed object {deposed})\n", key.0)),
            None => out.push_str(&format!("  {}\n", key.0)),
        }
        for note in migration.notes.get(&key).into_iter().flatten() {
            out.push_str(&format!("      {note}\n"));
        }
    }
    out.push_str(&format!(
        "\nMigrated {} resource instance(s), {} deposed object(s) and {} output(s). {} was not \
         changed. Run `ggplan plan` on the same files: it should show no changes beyond the \
         ones noted above.\n",
        state.resources.len(),
        state.deposed.len(),
        state.outputs.len(),
        file.display()
    ));
    out
}
