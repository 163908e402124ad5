//! Planning: from configuration, state and providers to a [`Plan`].

mod model;

pub use model::{Action, ActionReason, OutputChange, Plan, ResourceChange};
