//! The event stream of a run: what is being refreshed, created, updated, destroyed, and how
//! it ended. Renderers turn it into progress lines (human) or JSON lines (machines).

use crate::address::InstanceAddr;
use crate::plan::Action;
use ggplan_sdk::Value;
use std::sync::Mutex;
use std::time::Duration;

/// Something that happened during a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Refreshing one instance from its provider.
    Refreshing {
        addr: InstanceAddr,
        id: Option<String>,
    },
    /// An instance was refreshed (`id` is none when the object is gone).
    Refreshed {
        addr: InstanceAddr,
        id: Option<String>,
    },
    /// A change started.
    ApplyStarted {
        addr: InstanceAddr,
        action: Action,
        id: Option<String>,
    },
    /// A change is still running (sent every 10 seconds).
    ApplyProgress {
        addr: InstanceAddr,
        action: Action,
        elapsed: Duration,
    },
    /// A change finished and is durable in the state.
    ApplyFinished {
        addr: InstanceAddr,
        action: Action,
        elapsed: Duration,
        id: Option<String>,
    },
    /// A change failed; its diagnostics are reported with the run's.
    ApplyFailed { addr: InstanceAddr, action: Action },
    /// A provisioner of an instance started.
    ProvisionStarted {
        addr: InstanceAddr,
        provisioner: &'static str,
    },
    /// A line a provisioner printed (or said of itself).
    ProvisionOutput {
        addr: InstanceAddr,
        provisioner: &'static str,
        line: String,
    },
}

impl Event {
    /// The end of a change to `addr` that took `elapsed` and left `value`, naming its id
    /// unless the id is a secret.
    pub fn finished(
        addr: &InstanceAddr,
        action: Action,
        elapsed: Duration,
        value: &Value,
    ) -> Event {
        Event::ApplyFinished {
            addr: addr.clone(),
            action,
            elapsed,
            id: Event::id_of(value),
        }
    }

    /// The `id` attribute of an object, unless it is unknown or a secret.
    pub fn id_of(value: &Value) -> Option<String> {
        value
            .peel()
            .get("id")
            .as_str()
            .map(str::to_string)
            .filter(|_| !value.get("id").is_sensitive())
    }
}

/// Where events go.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}

/// Discards events.
pub struct Discard;

impl EventSink for Discard {
    fn emit(&self, _event: Event) {}
}

/// Keeps events in memory (tests, and callers that render them afterwards).
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Event>>);

impl EventSink for Recorder {
    fn emit(&self, event: Event) {
        crate::locks::locked(&self.0).push(event);
    }
}
