//! `ggplan workspace new|select|list|show|delete`: Terraform's workspace commands, with its
//! checks and messages. The selection is the stack's `.terraform/environment` ([`selection`]);
//! the workspaces themselves are the backend's ([`Workspaces`]).

use super::args::{LockArgs, WorkspaceCommand};
use super::pipeline::lock_and_load;
use super::selection::{self, Selected};
use super::stack::{static_encryption_or_report, workspaces};
use super::ui::Ui;
use crate::config::load_dir;
use crate::encryption::Target;
use crate::state::{State, StateStore, WorkspaceName, Workspaces};
use ggplan_sdk::ResourceKind;
use std::path::Path;
use std::process::ExitCode;

/// The backend of the stack in `dir` and how its states are sealed; errors printed.
fn open(ui: &Ui, dir: &Path) -> Option<(Box<dyn Workspaces>, Target)> {
    // The stack is read only for its backend and encryption blocks, as the state commands do.
    let module = load_dir(dir).ok();
    let encryption = static_encryption_or_report(ui, module.as_ref())?;
    match workspaces(dir, module.as_ref(), &encryption.state) {
        Ok(backend) => Some((backend, encryption.state)),
        Err(e) => {
            ui.error("Invalid backend configuration", e);
            None
        }
    }
}

/// Runs one workspace command.
pub fn workspace(ui: &Ui, command: WorkspaceCommand) -> ExitCode {
    let done = match command {
        WorkspaceCommand::Show { stack } => show(ui, &stack),
        WorkspaceCommand::List { stack } => list(ui, &stack),
        WorkspaceCommand::New {
            name,
            state,
            lock,
            stack,
        } => new(ui, &stack, &name, state.as_deref(), &lock),
        WorkspaceCommand::Select {
            name,
            or_create,
            stack,
        } => select(ui, &stack, &name, or_create),
        WorkspaceCommand::Delete {
            name,
            force,
            lock,
            stack,
        } => delete(ui, &stack, &name, force, &lock),
    };
    if done.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn selected(ui: &Ui, dir: &Path) -> Option<Selected> {
    selection::selected(dir)
        .map_err(|e| ui.error("Invalid workspace name", e))
        .ok()
}

fn valid(ui: &Ui, name: &str) -> Option<WorkspaceName> {
    WorkspaceName::parse(name)
        .map_err(|e| ui.error("Invalid workspace name", e.to_string()))
        .ok()
}

/// Whether workspace `name` exists; errors printed.
fn exists(ui: &Ui, backend: &dyn Workspaces, name: &WorkspaceName) -> Option<bool> {
    backend
        .exists(name)
        .map_err(|e| ui.error("Cannot list the workspaces", e.to_string()))
        .ok()
}

/// Terraform's message for a workspace that is not there.
fn missing(ui: &Ui, name: &WorkspaceName) -> Option<()> {
    ui.error(
        "Workspace does not exist",
        format!(
            "Workspace {:?} doesn't exist.\n\nYou can create this workspace with the \"new\" \
             subcommand or include the \"-or-create\" flag with the \"select\" subcommand.",
            name.as_str()
        ),
    );
    None
}

/// `workspace show`: the selected workspace's name.
fn show(ui: &Ui, dir: &Path) -> Option<()> {
    ui.out(&format!("{}\n", selected(ui, dir)?.name));
    Some(())
}

/// `workspace list`: every workspace, the selected one marked `*`.
fn list(ui: &Ui, dir: &Path) -> Option<()> {
    let current = selected(ui, dir)?;
    let (backend, _) = open(ui, dir)?;
    let names = backend
        .workspaces()
        .map_err(|e| ui.error("Cannot list the workspaces", e.to_string()))
        .ok()?;
    let mut out = String::new();
    for name in names {
        let mark = if name == current.name { '*' } else { ' ' };
        out.push_str(&format!("{mark} {name}\n"));
    }
    out.push('\n');
    if let selection::Source::Variable(variable) = current.source {
        out.push_str(&format!(
            "The active workspace is being overridden using the {variable} environment \
             variable.\n"
        ));
    }
    ui.out(&out);
    Some(())
}

/// `workspace new NAME [-state PATH]`: creates the workspace (its empty state, or a copy of
/// the state at PATH) and selects it.
fn new(ui: &Ui, dir: &Path, name: &str, copy: Option<&Path>, lock: &LockArgs) -> Option<()> {
    let name = valid(ui, name)?;
    if let Some((variable, value)) = selection::overriding_variable()
        && value != name.as_str()
    {
        ui.error(
            "Workspace selection is overridden",
            format!(
                "The workspace is currently overridden using the {variable} environment \
                 variable. You cannot create a new workspace when using this setting.\n\nTo \
                 create a new workspace, either unset this environment variable or update it \
                 to match the workspace name you are trying to create, and then run this \
                 command again."
            ),
        );
        return None;
    }
    let (backend, encryption) = open(ui, dir)?;
    if exists(ui, &*backend, &name)? {
        ui.error(
            "Workspace already exists",
            format!("Workspace {:?} already exists", name.as_str()),
        );
        return None;
    }
    let mut state = match copy {
        Some(path) => load_copy(ui, path, encryption)?,
        None => State::new(),
    };
    create(ui, &*backend, &name, &mut state, lock)?;
    if selection::overriding_variable().is_none() {
        selection::select(dir, &name)
            .map_err(|e| ui.error("Cannot select the workspace", e))
            .ok()?;
    }
    ui.out(&ui.style_bold_green(&format!(
        "Created and switched to workspace {:?}!\n\nYou're now on a new, empty workspace. \
         Workspaces isolate their state,\nso if you run \"ggplan plan\" ggplan will not see any \
         existing state\nfor this configuration.\n",
        name.as_str()
    )));
    Some(())
}

/// The state `workspace new -state PATH` copies: a ggplan state file, with its lineage.
fn load_copy(ui: &Ui, path: &Path, encryption: Target) -> Option<State> {
    if !path.exists() {
        ui.error(
            "Cannot read the state to copy",
            format!("{}: no such file", path.display()),
        );
        return None;
    }
    StateStore::new(path.to_path_buf())
        .with_encryption(encryption)
        .load()
        .map_err(|e| ui.error("Cannot read the state to copy", e.to_string()))
        .ok()
}

/// Makes workspace `name` exist by persisting `state` as its first version, under its lock.
fn create(
    ui: &Ui,
    backend: &dyn Workspaces,
    name: &WorkspaceName,
    state: &mut State,
    lock: &LockArgs,
) -> Option<()> {
    let store = backend
        .open(name)
        .map_err(|e| ui.error("Cannot open the state", e.to_string()))
        .ok()?;
    let (_lock, _) = lock_and_load(ui, &*store, "workspace new", lock)?;
    store
        .persist(state)
        .map_err(|e| ui.error("Cannot save the state", e.to_string()))
        .ok()
}

/// `workspace select NAME [-or-create]`.
fn select(ui: &Ui, dir: &Path, name: &str, or_create: bool) -> Option<()> {
    if let Some((variable, _)) = selection::overriding_variable() {
        ui.error(
            "Workspace selection is overridden",
            format!(
                "The selected workspace is currently overridden using the {variable} \
                 environment variable.\n\nTo select a new workspace, either update this \
                 environment variable or unset it and then run this command again."
            ),
        );
        return None;
    }
    let name = valid(ui, name)?;
    let (backend, _) = open(ui, dir)?;
    if !exists(ui, &*backend, &name)? {
        if !or_create {
            return missing(ui, &name);
        }
        return new(ui, dir, name.as_str(), None, &default_lock());
    }
    if selected(ui, dir)?.name == name {
        return Some(());
    }
    selection::select(dir, &name)
        .map_err(|e| ui.error("Cannot select the workspace", e))
        .ok()?;
    ui.out(&ui.style_bold_green(&format!("Switched to workspace {:?}.\n", name.as_str())));
    Some(())
}

/// `-lock=true -lock-timeout=0s`, for `select -or-create` (which takes neither flag).
fn default_lock() -> LockArgs {
    LockArgs {
        enabled: true,
        timeout: std::time::Duration::ZERO,
    }
}

/// `workspace delete [-force] NAME`: refuses the selected workspace, `default`, and one that
/// still tracks objects (unless `-force`), as Terraform does.
fn delete(ui: &Ui, dir: &Path, name: &str, force: bool, lock: &LockArgs) -> Option<()> {
    let name = valid(ui, name)?;
    let (backend, _) = open(ui, dir)?;
    if !exists(ui, &*backend, &name)? {
        return missing(ui, &name);
    }
    if name.is_default() {
        ui.error(
            "Cannot delete the default workspace",
            "The default workspace always exists.",
        );
        return None;
    }
    if selected(ui, dir)?.name == name {
        ui.error(
            "Workspace is selected",
            format!(
                "Workspace {:?} is your active workspace.\n\nYou cannot delete the currently \
                 active workspace. Please switch to another workspace and try again.",
                name.as_str()
            ),
        );
        return None;
    }
    let tracked = tracked_objects(ui, &*backend, &name, lock)?;
    if !tracked.is_empty() && !force {
        ui.error("Workspace is not empty", not_empty_message(&name, &tracked));
        return None;
    }
    backend
        .delete(&name)
        .map_err(|e| ui.error("Cannot delete the workspace", e.to_string()))
        .ok()?;
    let mut out = ui.style_bold_green(&format!("Deleted workspace {:?}!\n", name.as_str()));
    if !tracked.is_empty() {
        out.push_str(&format!(
            "WARNING: {:?} was non-empty. The resources managed by the deleted workspace may \
             still exist,\nbut are no longer manageable by ggplan since the state has been \
             deleted.\n",
            name.as_str()
        ));
    }
    ui.out(&out);
    Some(())
}

/// The managed objects workspace `name` tracks (instances, deposed objects, operations left
/// pending), read under its lock, which is released before the workspace is deleted (as
/// Terraform does).
fn tracked_objects(
    ui: &Ui,
    backend: &dyn Workspaces,
    name: &WorkspaceName,
    lock: &LockArgs,
) -> Option<Vec<String>> {
    let store = backend
        .open(name)
        .map_err(|e| ui.error("Cannot open the state", e.to_string()))
        .ok()?;
    let (_lock, state) = lock_and_load(ui, &*store, "workspace delete", lock)?;
    let managed = state
        .resources
        .keys()
        .filter(|a| a.resource.kind == ResourceKind::Managed)
        .map(ToString::to_string);
    let deposed = state
        .deposed
        .iter()
        .map(|d| format!("{} (deposed object {})", d.object.addr, d.key));
    let pending = state
        .pending
        .keys()
        .map(|a| format!("{a} (an operation left unfinished)"));
    Some(managed.chain(deposed).chain(pending).collect())
}

fn not_empty_message(name: &WorkspaceName, tracked: &[String]) -> String {
    let list: String = tracked.iter().map(|a| format!("\n  - {a}")).collect();
    format!(
        "Workspace {:?} is currently tracking the following resource instances:{list}\n\n\
         Deleting this workspace would cause ggplan to lose track of any associated remote \
         objects, which would then require you to delete them manually outside of ggplan. You \
         should destroy these objects with ggplan (`ggplan workspace select {name}`, then \
         `ggplan destroy`) before deleting the workspace.\n\nIf you want to delete this \
         workspace anyway, and have ggplan forget about these managed objects, use the -force \
         option to disable this safety check.",
        name.as_str()
    )
}
