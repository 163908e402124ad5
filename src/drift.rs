//! Drift: what changed outside ggplan since the last apply. The planner already refreshes
//! every managed instance and keeps those whose real object differs from the state
//! ([`PlannedRun::refreshed`]); this turns them into changes a renderer can show.

use crate::plan::{Action, PlannedRun, ResourceChange};
use ggplan_sdk::ResourceKind;

/// The managed instances that changed outside ggplan, sorted by address: an `Update` from
/// the recorded value to the real one, or a `Delete` when the object is gone.
pub fn changes(planned: &PlannedRun) -> Vec<ResourceChange> {
    planned
        .refreshed
        .iter()
        .filter(|(addr, _)| addr.resource.kind == ResourceKind::Managed)
        .filter_map(|(addr, now)| {
            let recorded = planned.prior.resources.get(addr)?;
            Some(ResourceChange {
                addr: addr.clone(),
                provider: recorded.provider.clone(),
                action: if now.is_some() {
                    Action::Update
                } else {
                    Action::Delete
                },
                before: Some(recorded.value()),
                after: now.clone(),
                replace_paths: Vec::new(),
                reason: None,
                deposed: None,
                planned_without_provider: false,
                moved_from: None,
                importing: None,
                generated_config: None,
            })
        })
        .collect()
}

/// How many managed objects the state records (what a drift check looked at).
pub fn checked(planned: &PlannedRun) -> usize {
    planned
        .prior
        .resources
        .keys()
        .filter(|a| a.resource.kind == ResourceKind::Managed)
        .count()
}
