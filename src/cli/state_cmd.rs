//! Commands that read or edit the state: `show`, `output`, `state list|show|rm|mv`,
//! `force-unlock`.

use super::args::{EditArgs, StateArgs};
use super::stack::backend_or_report;
use super::ui::Ui;
use crate::address::{InstanceAddr, ModuleInstance};
use crate::config::load_dir;
use crate::render;
use crate::state::{Backend, State};
use ggplan_sdk::Value;
use std::process::ExitCode;

/// The stack's backend (its error printed).
pub(super) fn store(ui: &Ui, args: &StateArgs) -> Option<Box<dyn Backend>> {
    // The stack is read only for its backend and encryption blocks; errors in it do not
    // matter here (with --state, only its encryption block is used).
    let module = load_dir(&args.stack).ok();
    backend_or_report(ui, args.state.as_deref(), &args.stack, module.as_ref())
        .map(|(store, _)| store)
}

pub(super) fn load(ui: &Ui, args: &StateArgs) -> Option<(Box<dyn Backend>, State)> {
    let store = store(ui, args)?;
    match store.load() {
        Ok(state) => Some((store, state)),
        Err(e) => {
            ui.error("Cannot read the state", e.to_string());
            None
        }
    }
}

/// `ggplan show`.
pub fn show(ui: &Ui, args: &StateArgs) -> ExitCode {
    let Some((_, state)) = load(ui, args) else {
        return ExitCode::from(1);
    };
    ui.out(&render::state::state(&state, &ui.style));
    ExitCode::SUCCESS
}

/// The `Outputs:` section printed after apply (sensitive values hidden).
pub fn outputs_text(state: &State) -> String {
    if state.outputs.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nOutputs:\n\n");
    for (name, o) in &state.outputs {
        let v = Value::from_json(&o.value);
        let v = if o.sensitive { v.into_sensitive() } else { v };
        out.push_str(&format!("{name} = {}\n", render::value(&v)));
    }
    out
}

/// `ggplan output [NAME]`. A named output is printed in full even when sensitive (that is
/// what asking for it by name means, as in Terraform); listings hide sensitive values.
pub fn output(ui: &Ui, args: &StateArgs, name: Option<&str>, json: bool, raw: bool) -> ExitCode {
    let Some((_, state)) = load(ui, args) else {
        return ExitCode::from(1);
    };
    match name {
        Some(name) => {
            let Some(o) = state.outputs.get(name) else {
                let hint =
                    crate::suggest::did_you_mean(name, state.outputs.keys().map(String::as_str));
                ui.error(
                    "Output not found",
                    format!(
                        "The state has no output {name:?}.{hint} Apply the stack to create it."
                    ),
                );
                return ExitCode::from(1);
            };
            let text = if json {
                o.value.to_string()
            } else if raw {
                match &o.value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => {
                        ui.error(
                            "Unsupported value for raw output",
                            "--raw prints strings, numbers and bools; use --json for collections.",
                        );
                        return ExitCode::from(1);
                    }
                }
            } else {
                render::value(&Value::from_json(&o.value))
            };
            ui.out(&format!("{text}\n"));
        }
        None if json => {
            let all: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    // Terraform prints sensitive values here; ggplan prints one only when it
                    // is asked for by name (`output -json NAME`), so a listing never shows one.
                    let value = if o.sensitive {
                        serde_json::Value::Null
                    } else {
                        o.value.clone()
                    };
                    let ty = render::json::type_of(&Value::from_json(&o.value));
                    let output = serde_json::json!({
                        "sensitive": o.sensitive,
                        "type": ty,
                        "value": value,
                    });
                    (k.clone(), output)
                })
                .collect();
            ui.out(&format!("{}\n", serde_json::Value::Object(all)));
        }
        None => ui.out(outputs_text(&state).trim_start_matches("\nOutputs:\n\n")),
    }
    ExitCode::SUCCESS
}

/// `ggplan state list`.
pub fn list(ui: &Ui, args: &StateArgs, filters: &[String]) -> ExitCode {
    let Some((_, state)) = load(ui, args) else {
        return ExitCode::from(1);
    };
    let mut out = String::new();
    for addr in state.resources.keys() {
        let text = addr.to_string();
        if filters.is_empty() || filters.iter().any(|f| text.starts_with(f.as_str())) {
            out.push_str(&text);
            out.push('\n');
        }
    }
    ui.out(&out);
    ExitCode::SUCCESS
}

fn parse(ui: &Ui, text: &str) -> Option<InstanceAddr> {
    InstanceAddr::parse(text)
        .map_err(|msg| ui.error("Invalid address", msg))
        .ok()
}

/// `ggplan state show ADDR`.
pub fn show_instance(ui: &Ui, args: &StateArgs, addr: &str) -> ExitCode {
    let Some(addr) = parse(ui, addr) else {
        return ExitCode::from(1);
    };
    let Some((_, state)) = load(ui, args) else {
        return ExitCode::from(1);
    };
    match state.resources.get(&addr) {
        Some(inst) => {
            ui.out(&render::state::instance(inst, &ui.style));
            ExitCode::SUCCESS
        }
        None => {
            ui.error(
                "No instance found",
                format!("{addr} is not in the state; `ggplan state list` shows what is."),
            );
            ExitCode::from(1)
        }
    }
}

/// Locks, loads, edits with `edit` and persists the state.
pub(super) fn edit(
    ui: &Ui,
    args: &EditArgs,
    operation: &str,
    edit: impl FnOnce(&mut State) -> Result<String, String>,
) -> ExitCode {
    let Some(store) = store(ui, &args.state) else {
        return ExitCode::from(1);
    };
    let _lock = match store.lock_with(operation, args.lock.policy(), |held| {
        waiting_for_lock(ui, held, &args.lock)
    }) {
        Ok(l) => l,
        Err(e) => {
            ui.error("Error acquiring the state lock", e.to_string());
            return ExitCode::from(1);
        }
    };
    let mut state = match store.load() {
        Ok(s) => s,
        Err(e) => {
            ui.error("Cannot read the state", e.to_string());
            return ExitCode::from(1);
        }
    };
    let message = match edit(&mut state) {
        Ok(m) => m,
        Err(e) => {
            ui.error("Nothing changed", e);
            return ExitCode::from(1);
        }
    };
    if let Err(e) = store.persist(&mut state) {
        ui.error("Cannot save the state", e.to_string());
        return ExitCode::from(1);
    }
    ui.out(&message);
    ExitCode::SUCCESS
}

/// Says, once, that the run waits for a lock another run holds.
pub(super) fn waiting_for_lock(
    ui: &Ui,
    held: &crate::state::StateError,
    lock: &super::args::LockArgs,
) {
    ui.note(&format!(
        "{held}\nWaiting up to {:?} for the lock (--lock-timeout)...\n",
        lock.timeout
    ));
}

/// The instances an address names: one instance, or every instance of a resource when the
/// address has no key.
fn matching(state: &State, addr: &InstanceAddr) -> Vec<InstanceAddr> {
    state
        .resources
        .keys()
        .filter(|a| {
            *a == addr
                || (addr.key.is_none() && a.resource == addr.resource && a.module == addr.module)
        })
        .cloned()
        .collect()
}

/// `ggplan state rm ADDR...`.
pub fn rm(ui: &Ui, args: &EditArgs, addrs: &[String]) -> ExitCode {
    let Some(addrs) = addrs
        .iter()
        .map(|a| parse(ui, a))
        .collect::<Option<Vec<_>>>()
    else {
        return ExitCode::from(1);
    };
    edit(ui, args, "state rm", |state| {
        let mut removed = Vec::new();
        for addr in &addrs {
            let found = matching(state, addr);
            if found.is_empty() {
                return Err(format!("{addr} is not in the state."));
            }
            removed.extend(found);
        }
        let mut out = String::new();
        for a in &removed {
            state.remove_instance(a);
            // Its deposed objects go with it: ggplan forgets the whole instance.
            state.deposed.retain(|d| &d.object.addr != a);
            out.push_str(&format!("Removed {a}\n"));
        }
        out.push_str(&format!(
            "Successfully removed {} resource instance(s).\n",
            removed.len()
        ));
        Ok(out)
    })
}

/// `ggplan state mv SOURCE DESTINATION`.
pub fn mv(ui: &Ui, args: &EditArgs, source: &str, destination: &str) -> ExitCode {
    if let (Some(src), Some(dst)) = (
        ModuleInstance::parse(source),
        ModuleInstance::parse(destination),
    ) {
        return mv_module(ui, args, &src, &dst);
    }
    let (Some(src), Some(dst)) = (parse(ui, source), parse(ui, destination)) else {
        return ExitCode::from(1);
    };
    edit(ui, args, "state mv", |state| {
        let found = matching(state, &src);
        if found.is_empty() {
            return Err(format!("{src} is not in the state."));
        }
        if src.resource.kind != dst.resource.kind
            || src.resource.type_name != dst.resource.type_name
        {
            return Err(format!(
                "{src} and {dst} are of different types; an object can only move to an address of its own type."
            ));
        }
        let moves: Vec<(InstanceAddr, InstanceAddr)> = found
            .into_iter()
            .map(|from| {
                let to = if src.key.is_none() && dst.key.is_none() {
                    dst.resource.instance_in(&dst.module, from.key.clone())
                } else {
                    dst.clone()
                };
                (from, to)
            })
            .collect();
        apply_moves(state, &moves)
    })
}

/// Applies moves of instances, refusing to overwrite an address that is not itself moved.
fn apply_moves(
    state: &mut State,
    moves: &[(InstanceAddr, InstanceAddr)],
) -> Result<String, String> {
    let mut targets = std::collections::BTreeSet::new();
    for (from, to) in moves {
        if !targets.insert(to) {
            return Err(format!(
                "More than one object would move to {to} (one of them from {from}); move them one \
                 at a time to distinct addresses."
            ));
        }
    }
    for (_, to) in moves {
        if state.resources.contains_key(to) && !moves.iter().any(|(f, _)| f == to) {
            return Err(format!(
                "{to} is already in the state; remove it first or choose another address."
            ));
        }
    }
    let taken: Vec<_> = moves
        .iter()
        .filter_map(|(f, t)| state.resources.remove(f).map(|i| (f.clone(), t.clone(), i)))
        .collect();
    for deposed in &mut state.deposed {
        if let Some((_, to)) = moves.iter().find(|(f, _)| f == &deposed.object.addr) {
            deposed.object.addr = to.clone();
        }
    }
    let mut out = String::new();
    for (from, to, mut inst) in taken {
        inst.addr = to.clone();
        state.set_instance(inst);
        out.push_str(&format!(
            "Move {:?} to {:?}\n",
            from.to_string(),
            to.to_string()
        ));
    }
    out.push_str(&format!("Successfully moved {} object(s).\n", moves.len()));
    Ok(out)
}

/// `ggplan state mv module.a module.b`: every instance in a module instance (and the modules
/// it calls) moves under another.
fn mv_module(ui: &Ui, args: &EditArgs, src: &ModuleInstance, dst: &ModuleInstance) -> ExitCode {
    edit(ui, args, "state mv", |state| {
        let moves: Vec<(InstanceAddr, InstanceAddr)> = state
            .resources
            .keys()
            .filter(|a| a.module.within(src))
            .map(|a| {
                let mut to = a.clone();
                to.module = a.module.rebase(src, dst);
                (a.clone(), to)
            })
            .collect();
        if moves.is_empty() {
            return Err(format!("{src} has no instances in the state."));
        }
        apply_moves(state, &moves)
    })
}

/// `ggplan force-unlock ID`.
pub fn force_unlock(ui: &Ui, args: &StateArgs, id: &str) -> ExitCode {
    let Some(store) = store(ui, args) else {
        return ExitCode::from(1);
    };
    match store.force_unlock(id) {
        Ok(()) => {
            ui.out("ggplan state has been successfully unlocked!\n");
            ExitCode::SUCCESS
        }
        Err(e) => {
            ui.error("Cannot unlock the state", e.to_string());
            ExitCode::from(1)
        }
    }
}
