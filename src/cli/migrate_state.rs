//! `ggplan init -migrate-state`: a stack that gained a `backend "pg"` block has its local state
//! (`--state PATH`, or `state/<stack-directory-name>.json`) copied into that backend, as
//! Terraform's `init -migrate-state` does when a backend block is added. A backend that already
//! holds a state is replaced only with `-force-copy`. The local file is left as it was.

use super::args::LockArgs;
use super::migrate_cmd::holds_anything;
use super::stack::{backend_or_report, load_module, static_encryption_or_report};
use super::state_cmd::waiting_for_lock;
use super::ui::Ui;
use crate::config::BackendBlock;
use crate::providers::Registry;
use crate::state::{Backend, State, StateStore, default_state_path};
use std::path::Path;
use std::process::ExitCode;

/// What `init -migrate-state` was asked to do.
pub struct Request<'a> {
    pub dir: &'a Path,
    /// The local state file to copy (`--state`).
    pub local: Option<&'a Path>,
    pub force_copy: bool,
    pub lock: &'a LockArgs,
}

/// Copies the local state into the configured backend, then initializes as `init` does.
pub async fn migrate(ui: &Ui, registry: &Registry, request: Request<'_>) -> ExitCode {
    let Some(module) = load_module(ui, request.dir) else {
        return ExitCode::from(1);
    };
    if !matches!(module.backend, Some(BackendBlock::Pg(_))) {
        ui.error(
            "Nothing to migrate to",
            "-migrate-state copies the stack's local state into the backend its `terraform { \
             backend ... }` block configures, and this stack's state is the local file itself. \
             To move a state out of PostgreSQL, run `ggplan state pull > state.json` while the \
             backend \"pg\" block is there, then replace the block and run `ggplan state push \
             state.json`.",
        );
        return ExitCode::from(1);
    }
    let Some(target) = backend_or_report(ui, None, request.dir, Some(&module)) else {
        return ExitCode::from(1);
    };
    // The local state is read as the stack's encryption says (it may be encrypted already).
    let Some(encryption) = static_encryption_or_report(ui, Some(&module)) else {
        return ExitCode::from(1);
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let local_path = request
        .local
        .map_or_else(|| default_state_path(&cwd, request.dir), Path::to_path_buf);
    if !local_path.exists() {
        ui.out(&format!(
            "No local state at {}: nothing to migrate.\n\n",
            local_path.display()
        ));
    } else if let Err((title, detail)) = copy(
        ui,
        &StateStore::new(local_path).with_encryption(encryption.state),
        &*target,
        &request,
    ) {
        ui.error(title, detail);
        return ExitCode::from(1);
    }
    super::misc::init(ui, registry, request.dir, &[]).await
}

type Failure = (&'static str, String);

/// Locks both states, and copies `source` over `target` unless the target holds a state and
/// `-force-copy` was not given.
fn copy(
    ui: &Ui,
    source: &StateStore,
    target: &dyn Backend,
    request: &Request<'_>,
) -> Result<(), Failure> {
    let locked = |backend: &dyn Backend| {
        backend
            .lock_with("init", request.lock.policy(), |held| {
                waiting_for_lock(ui, held, request.lock)
            })
            .map_err(|e| ("Error acquiring the state lock", e.to_string()))
    };
    let _source_lock = locked(source)?;
    let _target_lock = locked(target)?;
    let unreadable = |e: crate::state::StateError| ("Cannot read the state", e.to_string());
    let mut moved = source.load().map_err(unreadable)?;
    let current = target.load().map_err(unreadable)?;
    let (from, to) = (source.path().display(), target.location().display());
    if holds_anything(&current) && !request.force_copy {
        return Err((
            "The backend already holds a state",
            format!(
                "{to} holds {} resource instance(s) and {} output(s) (serial {}); copying {from} \
                 would replace them. Nothing was changed. Run `ggplan init -migrate-state \
                 -force-copy` to replace it, or remove the backend block to keep using the local \
                 file.",
                current.resources.len(),
                current.outputs.len(),
                current.serial
            ),
        ));
    }
    adopt_identity(&mut moved, &current);
    target
        .persist(&mut moved)
        .map_err(|e| ("Cannot save the state", e.to_string()))?;
    ui.out(&format!(
        "Copied the state {from} ({} resource instance(s), {} output(s)) into {to} (serial \
         {}). {from} was left as it is: the stack now uses the backend; remove the file once \
         you no longer need it.\n\n",
        moved.resources.len(),
        moved.outputs.len(),
        moved.serial
    ));
    Ok(())
}

/// A target that was written before keeps its lineage, and the copy is a newer version of it
/// (so saved plans of its old content are refused); a new one takes the source's.
fn adopt_identity(moved: &mut State, current: &State) {
    if current.serial > 0 {
        moved.lineage = current.lineage.clone();
        moved.serial = moved.serial.max(current.serial);
    }
}
