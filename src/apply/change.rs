//! The main step of a change: a data source read during apply, or a create, an update or
//! the create half of a replacement, planned again with the values now known.

use super::Applier;
use crate::address::InstanceAddr;
use crate::checks::scoped_data_failure;
use crate::conditions::Kind;
use crate::config::{ProvisionerWhen, Resource};
use crate::events::Event;
use crate::locks::locked;
use crate::plan::{Action, PlannedChange};
use crate::providers::{Applied, ResourceProvider};
use crate::scope::InstanceContext;
use crate::state::{InstanceState, JournalEntry, PendingAction, deposed_key};
use ggplan_sdk::{Diagnostic, Diagnostics, Schema, Value, objchange};
use std::time::Instant;

impl Applier {
    /// Carries out a change's create, update or read, between its conditions.
    pub(super) async fn main(&self, c: &PlannedChange) -> Result<(), Diagnostics> {
        let addr = &c.change.addr;
        if c.change.action == Action::Forget {
            // No provider is asked anything: the object stays as it is, unmanaged.
            return self
                .commit(JournalEntry::Remove { addr: addr.clone() })
                .await;
        }
        if c.change.importing.is_some() {
            locked(&self.counts).imported += 1;
        }
        if let (Action::NoOp, Some(imported)) = (c.change.action, &c.change.before) {
            // Imported while planning, and nothing to change: the object is recorded.
            let recorded = self.instance_state(c, imported.clone());
            return self.commit(JournalEntry::Set(recorded)).await;
        }
        let resource: &Resource = self
            .run
            .config_at(&addr.module.path())?
            .resources
            .get(&addr.resource)
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    format!("{addr} has no configuration"),
                    "",
                ))
            })?;
        let provider = self
            .run
            .provider_for_apply(&resource.provider, &addr.resource)
            .await?;
        let config = self.run.eval_config(
            &resource.body,
            provider.schema(),
            &addr.module,
            &c.context,
            &addr.to_string(),
        )?;
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("{addr}: configuration still unknown"),
                "A value it depends on was not produced during this apply; see the errors above.",
            )
            .at_range(Some(resource.range.clone()))
            .into());
        }
        // The conditions again, with every value known now (and `self` the new object).
        let (lifecycle, module) = (&resource.lifecycle, &addr.module);
        let pre = &lifecycle.preconditions;
        self.run
            .check(pre, Kind::ResourcePrecondition, module, &c.context)?;
        let done = if c.change.action == Action::Read {
            let Some(_slot) = self.run.slot().await else {
                return Err(super::not_started());
            };
            self.read_now(c, &provider, &config).await
        } else {
            self.write(c, resource, &provider, config).await
        };
        // Whatever names an attribute is shown at it in the resource's block.
        let done = done.map_err(|d| provider.place(resource, d, &self.run.module().sources));
        let value = match (done, &resource.check) {
            (Ok(value), _) => value,
            (Err(diagnostics), Some(check)) => {
                // A check's data source fails the check, as a warning; the apply goes on.
                let (warnings, outcome) = scoped_data_failure(diagnostics);
                self.run.report(warnings);
                self.run.record_check(module, check, outcome);
                return Ok(());
            }
            (Err(diagnostics), None) => return Err(diagnostics),
        };
        let context = InstanceContext {
            this: Some(value),
            ..c.context.clone()
        };
        let post = &lifecycle.postconditions;
        self.run
            .check(post, Kind::ResourcePostcondition, module, &context)
    }

    /// Reads a data source whose configuration was not known at plan time.
    async fn read_now(
        &self,
        c: &PlannedChange,
        provider: &ResourceProvider<'_>,
        config: &Value,
    ) -> Result<Value, Diagnostics> {
        let addr = &c.change.addr;
        let started = Instant::now();
        self.run.emit(Event::ApplyStarted {
            addr: addr.clone(),
            action: Action::Read,
            id: None,
        });
        let read = provider.read_data(addr, config);
        let value = self.run.with_progress(addr, Action::Read, read).await?;
        self.commit(JournalEntry::Set(self.instance_state(c, value.clone())))
            .await?;
        self.finished(c, Action::Read, started, &value);
        self.run.set_instance(addr, c.expansion, value.clone());
        Ok(value)
    }

    /// Creates or updates the object: planned again with the values now known (the provider
    /// may only fill in what was unknown), journaled as begun, applied, recorded.
    async fn write(
        &self,
        c: &PlannedChange,
        resource: &Resource,
        provider: &ResourceProvider<'_>,
        config: Value,
    ) -> Result<Value, Diagnostics> {
        let addr = &c.change.addr;
        let started = Instant::now();
        let (shown, prior) = match c.change.action {
            Action::Update => (Action::Update, c.change.before.as_ref()),
            _ => (Action::Create, None),
        };
        // The plan keeps what ignore_changes names; the provider's apply gets the
        // configuration as written (as in Terraform), with its marks.
        let planning = match prior {
            Some(prior) => {
                let ignore = &resource.lifecycle.ignore_changes;
                ignore.keep_prior(config.clone(), prior, provider.schema())
            }
            None => config.clone(),
        };
        // The plan's warnings were shown with the plan; this final plan's add nothing.
        let planned = provider.plan(addr, prior, &planning).await?.value;
        if !c.change.planned_without_provider {
            check_final_plan(c, provider.schema(), &planned)?;
        }
        let deposed = self.begin(c, prior.is_some()).await?;
        // The slot is taken after the journal's begin, which commits with every other
        // instance's at once; stopped before the provider is asked, the object is as it was.
        let Some(slot) = self.run.slot().await else {
            let untouched = Applied {
                new_state: prior.cloned(),
                diagnostics: Diagnostics::new(),
                outcome_unknown: false,
            };
            self.record_write(c, shown, untouched, deposed, false)
                .await?;
            return Err(super::not_started());
        };
        self.run.emit(Event::ApplyStarted {
            addr: addr.clone(),
            action: shown,
            id: prior.and_then(|p| p.get("id").as_str().map(str::to_string)),
        });
        let applied = self
            .run
            .with_progress(
                addr,
                shown,
                provider.apply(addr, prior, Some(&planned), &config),
            )
            .await;
        // The provider's part is done: another instance may start while this one's record
        // waits for the journal (which commits every waiting record at once).
        drop(slot);
        // A new object is tainted until its provisioners have run.
        let provisioned = shown == Action::Create
            && resource
                .provisioners
                .iter()
                .any(|p| p.when == ProvisionerWhen::Create);
        let value = self
            .record_write(c, shown, applied, deposed, provisioned)
            .await?;
        if provisioned {
            self.provision(addr, resource, ProvisionerWhen::Create, &value, &c.context)
                .await?;
            self.commit(JournalEntry::Set(self.instance_state(c, value.clone())))
                .await?;
        }
        // A create-before-destroy's create counts as an add now, its destroy when it is done.
        self.count(match c.change.action {
            Action::CreateThenDelete => Action::Create,
            other => other,
        });
        self.finished(c, shown, started, &value);
        self.run.set_instance(addr, c.expansion, value.clone());
        Ok(value)
    }

    /// Journals the write as begun; a create-before-destroy first sets the old object aside
    /// (deposes it), so that it stays recorded, and is destroyed by a later apply, whatever
    /// happens before its own destroy. Returns the deposed object and its key.
    async fn begin(
        &self,
        c: &PlannedChange,
        update: bool,
    ) -> Result<Option<(String, InstanceState)>, Diagnostics> {
        let addr = &c.change.addr;
        let deposed = if c.change.action == Action::CreateThenDelete {
            self.depose(addr)
        } else {
            None
        };
        let mut entries = Vec::new();
        if let Some((key, object)) = &deposed {
            entries.push(JournalEntry::Depose {
                key: key.clone(),
                object: object.clone(),
            });
        }
        entries.push(JournalEntry::Begin {
            addr: addr.clone(),
            action: if update {
                PendingAction::Update
            } else {
                PendingAction::Create
            },
        });
        self.commit_all(entries).await?;
        Ok(deposed)
    }

    /// Journals what a write left (the new object, `tainted` or not; nothing, which makes a
    /// deposed object current again; or an object the provider could not fully describe,
    /// which is refused) and returns the new value, or the write's errors.
    async fn record_write(
        &self,
        c: &PlannedChange,
        shown: Action,
        applied: Applied,
        deposed: Option<(String, InstanceState)>,
        tainted: bool,
    ) -> Result<Value, Diagnostics> {
        let addr = &c.change.addr;
        let restore = deposed.map(|(key, object)| JournalEntry::Restore { key, object });
        if let Some(value) = &applied.new_state
            && !value.is_wholly_known()
        {
            // What the provider made cannot be recorded: the old object stays current.
            if let Some(restore) = restore {
                self.commit(restore).await?;
            }
            let mut errors = applied.diagnostics;
            errors.push(Diagnostic::error(
                format!("{addr}: provider returned unknown values after apply"),
                "This is a bug in the provider.",
            ));
            return Err(errors);
        }
        if applied.outcome_unknown && applied.new_state.is_none() {
            // The create stays pending (and a deposed object deposed): the next plan asks the
            // provider for what it made rather than making a second one.
            return Err(self.failed_unknown(addr, shown, applied.diagnostics));
        }
        let entry = match &applied.new_state {
            Some(value) => {
                JournalEntry::Set(self.instance_state(c, value.clone()).tainted(tainted))
            }
            // Nothing was created: the old object is current again.
            None => restore.unwrap_or(JournalEntry::Remove { addr: addr.clone() }),
        };
        self.commit(entry).await?;
        if applied.diagnostics.has_errors() {
            self.run.emit(Event::ApplyFailed {
                addr: addr.clone(),
                action: shown,
            });
            return Err(applied.diagnostics);
        }
        self.run.report(applied.diagnostics);
        Ok(applied.new_state.unwrap_or_default())
    }

    /// The errors of a create whose outcome the provider cannot tell, saying what happens next.
    fn failed_unknown(
        &self,
        addr: &InstanceAddr,
        shown: Action,
        mut errors: Diagnostics,
    ) -> Diagnostics {
        self.run.emit(Event::ApplyFailed {
            addr: addr.clone(),
            action: shown,
        });
        errors.push(Diagnostic::error(
            format!("{addr}: the create's outcome is unknown"),
            "The request was sent but its answer was lost, so the object may exist. The state \
             records the create as unfinished; the next plan asks the provider for the object \
             and records it if it exists, instead of creating a second one.",
        ));
        errors
    }

    /// The key for deposing the current object of `addr` and that object, remembered for the
    /// destroy half; `None` when state has no object there.
    fn depose(&self, addr: &InstanceAddr) -> Option<(String, InstanceState)> {
        let object = crate::locks::locked(&self.state)
            .resources
            .get(addr)
            .cloned()?;
        let key = deposed_key();
        crate::locks::locked(&self.deposed_keys).insert(addr.clone(), key.clone());
        Some((key, object))
    }

    pub(super) fn finished(
        &self,
        c: &PlannedChange,
        action: Action,
        started: Instant,
        value: &Value,
    ) {
        let addr = &c.change.addr;
        self.run
            .emit(Event::finished(addr, action, started.elapsed(), value));
    }
}

/// Refuses a final plan that changes a value known in the plan that was shown.
fn check_final_plan(
    c: &PlannedChange,
    schema: &Schema,
    planned: &Value,
) -> Result<(), Diagnostics> {
    let Some(original) = &c.change.after else {
        return Ok(());
    };
    let changed = objchange::incompatible_paths(schema, original, planned);
    if changed.is_empty() {
        return Ok(());
    }
    Err(Diagnostic::error(
        format!(
            "{}: provider produced an inconsistent final plan",
            c.change.addr
        ),
        format!(
            "Values known at plan time changed before apply: {}. This is a bug in the provider \
             or a value changed while ggplan ran; plan again.",
            changed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .into())
}
