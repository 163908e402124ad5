//! `removed` blocks (Terraform 1.7): which objects of state they name, and the check that
//! what they name is no longer declared. The planner destroys those objects as any object
//! without configuration, or, with `destroy = false`, forgets them (`Action::Forget`: dropped
//! from state by the apply, the real object left as it is).

use crate::address::{InstanceAddr, ModulePath};
use crate::config::{Module, Removed, RemovedTarget};
use ggplan_sdk::{Diagnostic, Diagnostics};

/// The `removed` block that names the instance `inst` (its resource, or a module it is in).
pub fn naming<'m>(root: &'m Module, inst: &InstanceAddr) -> Option<&'m Removed> {
    let at = inst.module.path();
    root.tree().into_iter().find_map(|(path, module)| {
        module.removed.iter().find(|r| match &r.from {
            RemovedTarget::Resource(rel, addr) => {
                *addr == inst.resource && joined(&path, rel) == at
            }
            RemovedTarget::Module(rel) => at.0.starts_with(&joined(&path, rel).0),
        })
    })
}

fn joined(path: &ModulePath, rel: &ModulePath) -> ModulePath {
    ModulePath(path.0.iter().chain(&rel.0).cloned().collect())
}

/// An error for each `removed` block whose resource or module call is still declared, at the
/// declaration (as Terraform places it).
pub fn still_declared(root: &Module) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (path, module) in root.tree() {
        for r in &module.removed {
            let declared = match &r.from {
                RemovedTarget::Resource(rel, addr) => root
                    .at(&joined(&path, rel))
                    .and_then(|m| m.resources.get(addr))
                    .map(|resource| ("Removed resource still exists", resource.range.clone())),
                RemovedTarget::Module(rel) => {
                    joined(&path, rel).split_last().and_then(|(parent, name)| {
                        let call = root.at(&parent).and_then(|m| m.calls.get(name))?;
                        Some(("Removed module still exists", call.range.clone()))
                    })
                }
            };
            if let Some((summary, range)) = declared {
                diags.push(
                    Diagnostic::error(
                        summary,
                        format!(
                            "This statement declares that {} was removed, but it is still \
                             declared in configuration.",
                            r.from
                        ),
                    )
                    .at_range(Some(range)),
                );
            }
        }
    }
    diags
}

/// The warning a plan that forgets objects carries (Terraform's).
pub fn forgotten_warning(forgotten: &[InstanceAddr]) -> Diagnostics {
    if forgotten.is_empty() {
        return Diagnostics::new();
    }
    let list: Vec<String> = forgotten.iter().map(|a| format!(" - {a}")).collect();
    Diagnostic::warning(
        "Some objects will no longer be managed by ggplan",
        format!(
            "If you apply this plan, ggplan will discard its tracking information for the \
             following objects, but it will not delete them:\n{}\n\nAfter applying this plan, \
             ggplan will no longer manage these objects. You will need to import them into \
             ggplan to manage them again.",
            list.join("\n")
        ),
    )
    .into()
}
