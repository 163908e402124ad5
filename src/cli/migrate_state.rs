//! `ggplan init -migrate-state`: a stack that gained a `backend "pg"` block has its local state
//! (`--state PATH`, or `state/<stack-directory-name>.json`) copied into that backend, as
//! Terraform's `init -migrate-state` does when a backend block is added, each local workspace
//! into the backend's workspace of the same name. A backend workspace that already holds a
//! state is replaced only with `-force-copy`. The local files are left as they were.

use super::args::LockArgs;
use super::migrate_cmd::holds_anything;
use super::selection;
use super::stack::{load_module, static_encryption_or_report, workspaces};
use super::state_cmd::waiting_for_lock;
use super::ui::Ui;
use crate::config::BackendBlock;
use crate::encryption::Target;
use crate::providers::Registry;
use crate::state::{
    Backend, DEFAULT_WORKSPACE_DIR, LocalWorkspaces, State, StateStore, WorkspaceName, Workspaces,
    default_state_path,
};
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
    // The local states are read as the stack's encryption says (they may be encrypted already).
    let Some(encryption) = static_encryption_or_report(ui, Some(&module)) else {
        return ExitCode::from(1);
    };
    let target = match workspaces(request.dir, Some(&module), &encryption.state) {
        Ok(target) => target,
        Err(e) => {
            ui.error("Invalid backend configuration", e);
            return ExitCode::from(1);
        }
    };
    let Some(moves) = local_states(ui, &request, encryption.state) else {
        return ExitCode::from(1);
    };
    for (name, source) in moves {
        if !source.path().exists() {
            ui.out(&format!(
                "No local state at {}: nothing to migrate.\n\n",
                source.path().display()
            ));
            continue;
        }
        let copied = target
            .open(&name)
            .map_err(|e| ("Cannot open the state", e.to_string()))
            .and_then(|target| copy(ui, &source, &*target, &request));
        if let Err((title, detail)) = copied {
            ui.error(title, detail);
            return ExitCode::from(1);
        }
    }
    super::misc::init(ui, registry, request.dir, &[]).await
}

type Failure = (&'static str, String);

/// The local states to copy, each with the workspace it goes to: `--state PATH` into the
/// selected workspace; else every local workspace into the workspace of the same name
/// (`state/<stack>.json` into `default`, `terraform.tfstate.d/NAME/terraform.tfstate` into
/// NAME), as Terraform's `init -migrate-state` moves all workspaces.
fn local_states(
    ui: &Ui,
    request: &Request<'_>,
    encryption: Target,
) -> Option<Vec<(WorkspaceName, StateStore)>> {
    let selected = selection::selected(request.dir)
        .map_err(|e| ui.error("Invalid workspace name", e))
        .ok()?;
    if let Some(path) = request.local {
        let store = StateStore::new(path.to_path_buf()).with_encryption(encryption);
        return Some(vec![(selected.name, store)]);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let local = LocalWorkspaces::new(
        default_state_path(&cwd, request.dir),
        request.dir.join(DEFAULT_WORKSPACE_DIR),
    )
    .with_encryption(encryption);
    let names = (&local as &dyn Workspaces)
        .workspaces()
        .map_err(|e| ui.error("Cannot list the local workspaces", e.to_string()))
        .ok()?;
    Some(
        names
            .into_iter()
            .map(|n| (n.clone(), local.store(&n)))
            .collect(),
    )
}

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
