//! `ggplan init -migrate-state`: a stack whose `backend` block changed has its state copied from
//! where it was into where the block now says, as Terraform's `init -migrate-state` does, between
//! the local file, `backend "pg"` and `backend "s3"` in any direction. Where it was is the
//! backend the last migration moved the state into, recorded in the stack's
//! `.terraform/ggplan-backend.json` (private, as Terraform's `.terraform/terraform.tfstate`:
//! it holds the block as written), else the local state file (`--state PATH`, or
//! `state/<stack-directory-name>.json`). A backend that already holds a state is replaced only
//! with `-force-copy`. Every workspace moves into the workspace of the same name (`--state PATH`
//! into the selected one). The source is left as it was.

use super::args::LockArgs;
use super::migrate_cmd::holds_anything;
use super::selection;
use super::stack::{load_module, static_encryption_or_report, workspaces_of};
use super::state_cmd::waiting_for_lock;
use super::ui::Ui;
use crate::config::BackendBlock;
use crate::encryption::Target;
use crate::providers::Registry;
use crate::state::{Backend, State, StateStore, create_private};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `init -migrate-state` was asked to do.
pub struct Request<'a> {
    pub dir: &'a Path,
    /// The local state file to copy (`--state`).
    pub local: Option<&'a Path>,
    pub force_copy: bool,
    pub lock: &'a LockArgs,
}

type Failure = (&'static str, String);

/// Copies the state into the configured backend, then initializes as `init` does.
pub async fn migrate(ui: &Ui, registry: &Registry, request: Request<'_>) -> ExitCode {
    let Some(module) = load_module(ui, request.dir) else {
        return ExitCode::from(1);
    };
    // The states are read and written as the stack's encryption says.
    let Some(encryption) = static_encryption_or_report(ui, Some(&module)) else {
        return ExitCode::from(1);
    };
    let target = module.backend.clone();
    if let Err((title, detail)) = migrate_into(ui, &request, target.as_ref(), &encryption.state) {
        ui.error(title, detail);
        return ExitCode::from(1);
    }
    super::misc::init(ui, registry, request.dir, &[]).await
}

/// Copies the state from where it was into `target` (none: the local file), and records
/// `target` as where it now is.
fn migrate_into(
    ui: &Ui,
    request: &Request<'_>,
    target: Option<&BackendBlock>,
    encryption: &Target,
) -> Result<(), Failure> {
    let recorded = recorded_backend(request.dir)?;
    let source = match (request.local, &recorded) {
        (Some(_), _) | (None, None) => None,
        (None, Some(previous)) => previous.as_ref(),
    };
    let from_local_file = request.local.is_some() || recorded.is_none();
    if !from_local_file && source == target {
        ui.out(
            "The backend block is where the last migration put the state: nothing to migrate.\n\n",
        );
        return Ok(());
    }
    if from_local_file && target.is_none() {
        return Err((
            "Nothing to migrate to",
            "-migrate-state copies the stack's state from where it was into the backend its \
             `terraform { backend ... }` block configures, and this stack's state is the local \
             file itself, with no earlier migration recorded in .terraform/ggplan-backend.json. \
             To move a state by hand, run `ggplan state pull > state.json` with the old backend \
             block, then change the block and run `ggplan state push state.json`."
                .into(),
        ));
    }
    let open = |block: Option<&BackendBlock>| {
        workspaces_of(request.dir, block, encryption)
            .map_err(|e| ("Invalid backend configuration", e))
    };
    let to = open(target)?;
    let opened = |e: crate::state::StateError| ("Cannot open the state", e.to_string());
    if let Some(path) = request.local {
        let selected =
            selection::selected(request.dir).map_err(|e| ("Invalid workspace name", e))?;
        let from = StateStore::new(path.to_path_buf()).with_encryption(encryption.clone());
        copy(
            ui,
            &from,
            &*to.open(&selected.name).map_err(opened)?,
            request,
        )?;
    } else {
        let from = open(source)?;
        let listing = |e: crate::state::StateError| ("Cannot list the workspaces", e.to_string());
        for name in from.workspaces().map_err(listing)? {
            let source = from.open(&name).map_err(opened)?;
            copy(ui, &*source, &*to.open(&name).map_err(opened)?, request)?;
        }
    }
    record_backend(request.dir, target)
}

/// The file that records where the last migration put the state.
fn record_path(dir: &Path) -> PathBuf {
    dir.join(".terraform").join("ggplan-backend.json")
}

/// The backend recorded by the last migration: `None` when there was none, `Some(None)` for
/// the local file.
fn recorded_backend(dir: &Path) -> Result<Option<Option<BackendBlock>>, Failure> {
    let path = record_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err((
                "Cannot read the recorded backend",
                format!("{}: {e}", path.display()),
            ));
        }
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        (
            "Cannot read the recorded backend",
            format!(
                "{} is not a backend ggplan recorded ({e}). Delete it to migrate from the \
                 local state file.",
                path.display()
            ),
        )
    })
}

fn record_backend(dir: &Path, target: Option<&BackendBlock>) -> Result<(), Failure> {
    let path = record_path(dir);
    let failed = |e: std::io::Error| {
        (
            "Cannot record the backend",
            format!("{}: {e}", path.display()),
        )
    };
    std::fs::create_dir_all(path.parent().expect("a file in .terraform")).map_err(failed)?;
    let text = serde_json::to_vec_pretty(&target).expect("a backend block encodes");
    create_private(&path, false)
        .and_then(|mut file| file.write_all(&text))
        .map_err(failed)
}

/// Locks both states, and copies `source` over `target` unless the target holds a state and
/// `-force-copy` was not given.
fn copy(
    ui: &Ui,
    source: &dyn Backend,
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
    let (from, to) = (source.location().display(), target.location().display());
    if moved.serial == 0 && !holds_anything(&moved) {
        ui.out(&format!("No state at {from}: nothing to migrate.\n\n"));
        return Ok(());
    }
    let current = target.load().map_err(unreadable)?;
    if holds_anything(&current) && !request.force_copy {
        return Err((
            "The backend already holds a state",
            format!(
                "{to} holds {} resource instance(s) and {} output(s) (serial {}); copying {from} \
                 would replace them. Nothing was changed. Run `ggplan init -migrate-state \
                 -force-copy` to replace it, or put the backend block back as it was.",
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
         {}). {from} was left as it is: the stack now uses {to}; remove the old copy once you \
         no longer need it.\n\n",
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
