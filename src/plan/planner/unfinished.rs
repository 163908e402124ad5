//! Operations an earlier run began and never recorded the end of (it was killed, or a
//! create's answer was lost): the state keeps them as pending. A create is reconciled here,
//! as Pulumi's pending operations are, by asking the provider for the object it may have
//! made, so that the plan records that object instead of creating a second one. An update or
//! a delete needs nothing: the refresh reads what exists.

use super::Planner;
use super::resources::Instance;
use crate::clock::parse_rfc3339;
use crate::locks::locked;
use crate::state::PendingAction;
use ggplan_sdk::{CLOCK_SLACK, Diagnostic, Diagnostics, Found, Value};
use std::time::UNIX_EPOCH;

impl Planner {
    /// The object an unfinished create of `inst` made, when the provider finds one (then
    /// recorded as refreshed, so that the apply writes it to state); `None` when there is no
    /// such create, or it made nothing, or the provider cannot tell (said in a warning).
    pub(super) async fn find_unfinished(
        &self,
        inst: &Instance<'_>,
        config: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let addr = &inst.addr;
        let Some(op) = self.prior.pending.get(addr) else {
            return Ok(None);
        };
        if op.action != PendingAction::Create || inst.provider.is_deferred() {
            return Ok(None);
        }
        locked(&self.looked_for).insert(addr.clone());
        let began = parse_rfc3339(&op.started).unwrap_or(UNIX_EPOCH);
        let since = began.checked_sub(CLOCK_SLACK).unwrap_or(UNIX_EPOCH);
        let found = inst
            .provider
            .find_created(addr, config, since)
            .await
            .map_err(|d| self.place(inst, d))?;
        let started = &op.started;
        let (found, warning) = match found {
            Found::Object(value) if value.is_wholly_known() => {
                let id = value.get("id").as_str().map(|id| format!(" (id {id})"));
                let warning = Diagnostic::warning(
                    format!("{addr}: found the object an unfinished create made"),
                    format!(
                        "A create of {addr} begun at {started} did not record its outcome. The \
                         provider found the object it made{}; the plan below starts from it, \
                         and the next apply records it in state.",
                        id.unwrap_or_default()
                    ),
                );
                (Some(value), warning)
            }
            Found::Object(_) => (
                None,
                cannot_tell(addr, started, "what it found is incomplete"),
            ),
            Found::Nothing => (
                None,
                Diagnostic::warning(
                    format!("{addr}: an unfinished create made nothing"),
                    format!(
                        "A create of {addr} begun at {started} did not record its outcome; the \
                         provider found no object it made, so the plan creates it again."
                    ),
                ),
            ),
            Found::CannotTell(reason) => (None, cannot_tell(addr, started, &reason)),
        };
        if let Some(value) = &found {
            locked(&self.refreshed).insert(addr.clone(), Some(value.clone()));
        }
        self.run.report(warning.into());
        Ok(found)
    }

    /// Warnings for the unfinished operations the plan did not reconcile: updates and
    /// deletes (the refresh read what exists), and creates it did not plan (outside
    /// `--target`, in a destroy, or of a resource the configuration no longer has).
    pub(super) fn unreconciled_warnings(&self) -> Diagnostics {
        let looked_for = locked(&self.looked_for);
        Diagnostics(
            self.prior
                .pending
                .iter()
                .filter(|(addr, _)| !looked_for.contains(*addr))
                .map(|(addr, op)| {
                    Diagnostic::warning(
                        format!("{addr}: an earlier run stopped during its {}", op.action),
                        format!(
                            "The run that started it at {} did not finish it. The plan below is \
                             based on what the refresh found; if a create made an object after \
                             all, import it (ggplan import) or remove it by hand.",
                            op.started
                        ),
                    )
                })
                .collect(),
        )
    }
}

/// The warning for a create whose object the provider cannot look for.
fn cannot_tell(addr: &crate::address::InstanceAddr, started: &str, reason: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("{addr}: an unfinished create may have made an object"),
        format!(
            "A create of {addr} begun at {started} did not record its outcome, and ggplan cannot \
             tell whether it made the object: {reason}. If it did, the plan below makes a \
             second one: check first, and if it exists bring it in with \
             `ggplan import {addr} ID` before applying."
        ),
    )
}
