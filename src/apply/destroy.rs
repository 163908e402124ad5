//! The destroy step of a change: an instance's object, the old half of a replacement, or a
//! deposed object an earlier create-before-destroy left behind.

use super::Applier;
use crate::address::{InstanceAddr, ProviderAddr};
use crate::events::Event;
use crate::locks::locked;
use crate::plan::{Action, ActionReason, PlannedChange};
use crate::state::{JournalEntry, PendingAction};
use ggplan_sdk::{Diagnostics, Value};
use std::time::Instant;

impl Applier {
    /// Destroys the object a change's `before` describes and records that it is gone.
    pub(super) async fn destroy(&self, c: &PlannedChange) -> Result<(), Diagnostics> {
        let addr = &c.change.addr;
        let prior = c.change.before.clone().unwrap_or_default();
        // A deposed object (left by an earlier create-before-destroy, or by this apply's
        // create half): the instance's current object is another one and stays as it is.
        let deposed_key = match (&c.change.deposed, c.change.action) {
            (Some(key), _) => Some(Some(key.clone())),
            (None, Action::CreateThenDelete) => Some(locked(&self.deposed_keys).get(addr).cloned()),
            _ => None,
        };
        // As in Terraform, a tainted object goes without its destroy-time provisioners
        // (its creation-time ones never finished).
        if c.change.reason != Some(ActionReason::ReplaceBecauseTainted) {
            self.provision_destroy(addr, &prior).await?;
        }
        if let Some(key) = deposed_key {
            self.delete_object(addr, &c.change.provider, &prior).await?;
            if let Some(key) = key {
                let addr = addr.clone();
                self.commit(JournalEntry::RemoveDeposed { addr, key })
                    .await?;
            }
            self.count(Action::Delete);
            return Ok(());
        }
        self.commit(JournalEntry::Begin {
            addr: addr.clone(),
            action: PendingAction::Delete,
        })
        .await?;
        if let Err(diagnostics) = self.delete_object(addr, &c.change.provider, &prior).await {
            self.commit(JournalEntry::Set(self.instance_state(c, prior)))
                .await?;
            return Err(diagnostics);
        }
        self.commit(JournalEntry::Remove { addr: addr.clone() })
            .await?;
        // A destroy-then-create counts when its create half is done.
        if c.change.action != Action::DeleteThenCreate {
            self.count(Action::Delete);
        }
        Ok(())
    }

    /// Asks the provider to delete the object `prior` describes, with progress and events.
    async fn delete_object(
        &self,
        addr: &InstanceAddr,
        provider: &ProviderAddr,
        prior: &Value,
    ) -> Result<(), Diagnostics> {
        let provider = self
            .run
            .provider_for_apply(provider, &addr.resource)
            .await?;
        // Taken after the journal's begin (committed with every other instance's at once);
        // not started, the caller records the object as still there.
        let Some(_slot) = self.run.slot().await else {
            return Err(super::not_started());
        };
        self.run.emit(Event::ApplyStarted {
            addr: addr.clone(),
            action: Action::Delete,
            id: prior.get("id").as_str().map(str::to_string),
        });
        let started = Instant::now();
        let deleted = provider.apply(addr, Some(prior), None, &Value::Null);
        let applied = self.run.with_progress(addr, Action::Delete, deleted).await;
        if applied.diagnostics.has_errors() {
            self.run.emit(Event::ApplyFailed {
                addr: addr.clone(),
                action: Action::Delete,
            });
            return Err(applied.diagnostics);
        }
        self.run.report(applied.diagnostics);
        self.run.emit(Event::ApplyFinished {
            addr: addr.clone(),
            action: Action::Delete,
            elapsed: started.elapsed(),
            id: None,
        });
        Ok(())
    }
}
