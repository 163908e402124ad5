//! `ggplan taint ADDR` and `ggplan untaint ADDR`: set or clear an instance's tainted mark
//! (the next plan replaces a tainted instance), as Terraform's commands of those names.

use super::args::EditArgs;
use super::state_cmd::edit;
use super::ui::Ui;
use crate::address::InstanceAddr;
use std::process::ExitCode;

/// Marks `addr` tainted (`tainted = true`) or clears the mark.
pub fn taint(ui: &Ui, args: &EditArgs, addr: &str, allow_missing: bool, tainted: bool) -> ExitCode {
    let addr = match InstanceAddr::parse(addr) {
        Ok(addr) => addr,
        Err(msg) => {
            ui.error("Invalid address", msg);
            return ExitCode::from(1);
        }
    };
    let (operation, verb) = if tainted {
        ("taint", "marked as tainted")
    } else {
        ("untaint", "successfully untainted")
    };
    let done = || format!("Resource instance {addr} has been {verb}.\n");
    edit(ui, args, operation, |state| {
        let Some(instance) = state.resources.get_mut(&addr) else {
            if allow_missing {
                return Ok(format!(
                    "No such resource instance {addr}; nothing was changed (--allow-missing).\n"
                ));
            }
            return Err(format!(
                "{addr} is not in the state; `ggplan state list` shows what is. (With \
                 --allow-missing a missing instance is not an error.)"
            ));
        };
        if !tainted && !instance.tainted {
            return Err(format!("{addr} is not tainted."));
        }
        if addr.resource.kind == ggplan_sdk::ResourceKind::Data {
            return Err(format!(
                "{addr} is a data source: only managed resources can be tainted."
            ));
        }
        instance.tainted = tainted;
        Ok(done())
    })
}
