//! Planning: from configuration, state and providers to a [`Plan`].

pub mod json;
mod model;
mod planner;

pub use model::{Action, ActionReason, OutputChange, Plan, ResourceChange};
pub use planner::{PlannedChange, PlannedRun, plan};
