//! What the planner checks of `moved` blocks once it has expanded every resource: a move
//! from an instance that the configuration still declares.

use super::Planner;
use crate::locks::locked;
use crate::moved::instances_still_declared;
use crate::plan::Action;
use ggplan_sdk::Diagnostics;

impl Planner {
    /// An error for each move whose `from` instance is planned from configuration.
    pub(super) fn moved_instances_still_declared(&self) -> Diagnostics {
        let changes = locked(&self.changes);
        let module = self.run.module();
        instances_still_declared(&self.moves, |from| {
            let configured = changes.iter().any(|c| {
                c.change.addr == *from
                    && c.change.deposed.is_none()
                    && c.change.action != Action::Delete
            });
            let resource = module
                .at(&from.module.path())?
                .resources
                .get(&from.resource)?;
            configured.then_some(&resource.range)
        })
    }
}
