//! Planning: from configuration, state and providers to a [`Plan`].

mod model;
mod planner;

pub use model::{Action, ActionReason, OutputChange, Plan, ResourceChange};
pub use planner::{PlannedChange, PlannedRun, plan, with_context};
