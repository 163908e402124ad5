//! A provider for engine tests that records every call it receives.
//!
//! The provider is named `test`. Its resource type `test_thing` has `name` (required, force
//! new), `value` (optional, any type), `fail` (optional: apply fails when true), `delay_ms`
//! (optional: apply sleeps that long; a negative delay makes apply panic, a provider bug; a
//! `value` of "panic on read" makes a refresh panic, "fail on read" makes it fail), and
//! the computed `id` (set on create) and `out` (the
//! `value` after apply; unknown in the plan whenever `value` changes, as `terraform_data`
//! does with its `output`). Its data source `test_lookup` takes a `name` and returns
//! `result = "found-<name>"`. The provider block takes an optional `endpoint`; `configure`
//! is recorded (as `Op::Configure` named by the endpoint), and every other call before it
//! fails, as a real provider's would.
//!
//! Every call is recorded with the instance's `name` and a start and end tick of one logical
//! clock shared by all calls, so a test can tell which call finished before which began
//! without measuring time. The number of apply calls running at once is tracked too.

// Several test binaries include this file; each uses a different part of it.
#![allow(dead_code)]

use async_trait::async_trait;
use ggplan_sdk::{
    ApplyRequest, ApplyResponse, Attribute, Diagnostic, Diagnostics, PlanRequest, PlanResponse,
    Provider, ProviderFactory, ProviderSchema, ReadRequest, Schema, Type, Value,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a recorded call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `read`: a refresh.
    Read,
    Plan,
    Create,
    Update,
    Delete,
    ReadData,
    /// `configure`, named by the provider block's `endpoint` (`""` without one).
    Configure,
}

/// One provider call: what it did, to which instance (by its `name`), and when it started and
/// ended on the shared logical clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub name: String,
    pub start: u64,
    pub end: u64,
}

#[derive(Default)]
struct Log {
    calls: Vec<Call>,
    applying: usize,
    max_applying: usize,
}

/// The calls made to every instance of the test provider, and the world it pretends to manage.
#[derive(Default)]
pub struct Recording {
    clock: AtomicU64,
    log: Mutex<Log>,
    /// Objects deleted behind the engine's back: `read` reports them gone.
    vanished: Mutex<BTreeSet<String>>,
    /// Objects whose delete fails (in use, say).
    undeletable: Mutex<BTreeSet<String>>,
    /// How many objects of each name were created, to give each a distinct, stable id.
    created: Mutex<HashMap<String, usize>>,
}

impl Recording {
    /// A new, empty recording.
    pub fn new() -> Arc<Recording> {
        Arc::new(Recording::default())
    }

    /// The factory of a `test` provider that records into `self`.
    pub fn factory(self: &Arc<Self>) -> ProviderFactory {
        let recording = self.clone();
        ProviderFactory::new("test", move || {
            Arc::new(TestProvider {
                recording: recording.clone(),
                configured: std::sync::OnceLock::new(),
            })
        })
    }

    /// The calls recorded so far, in the order they started; forgets them.
    pub fn take(&self) -> Vec<Call> {
        let mut log = self.log.lock().unwrap();
        let mut calls = std::mem::take(&mut log.calls);
        calls.sort_by_key(|c| c.start);
        calls
    }

    /// The most apply calls (create, update, delete) that ran at once; resets the count.
    pub fn take_max_concurrent_applies(&self) -> usize {
        std::mem::take(&mut self.log.lock().unwrap().max_applying)
    }

    /// Makes the object named `name` disappear, as if someone deleted it by hand.
    pub fn vanish(&self, name: &str) {
        self.vanished.lock().unwrap().insert(name.to_string());
    }

    /// Makes deleting the object named `name` fail (`false`: succeed again).
    pub fn refuse_delete(&self, name: &str, refuse: bool) {
        let mut undeletable = self.undeletable.lock().unwrap();
        if refuse {
            undeletable.insert(name.to_string());
        } else {
            undeletable.remove(name);
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    async fn record<T>(&self, op: Op, name: &str, call: impl Future<Output = T>) -> T {
        let is_apply = matches!(op, Op::Create | Op::Update | Op::Delete);
        if is_apply {
            let mut log = self.log.lock().unwrap();
            log.applying += 1;
            log.max_applying = log.max_applying.max(log.applying);
        }
        let start = self.tick();
        let out = call.await;
        let end = self.tick();
        let mut log = self.log.lock().unwrap();
        if is_apply {
            log.applying -= 1;
        }
        log.calls.push(Call {
            op,
            name: name.to_string(),
            start,
            end,
        });
        out
    }

    fn new_id(&self, name: &str) -> String {
        let mut created = self.created.lock().unwrap();
        let n = created.entry(name.to_string()).or_default();
        *n += 1;
        format!("{name}-id{n}")
    }
}

/// Calls of `calls` with this op and name.
pub fn find<'a>(calls: &'a [Call], op: Op, name: &str) -> Vec<&'a Call> {
    calls
        .iter()
        .filter(|c| c.op == op && c.name == name)
        .collect()
}

/// The one call of `calls` with this op and name.
pub fn only<'a>(calls: &'a [Call], op: Op, name: &str) -> &'a Call {
    match find(calls, op, name).as_slice() {
        [call] => call,
        other => panic!("expected one {op:?} of {name:?}, found {other:?} in {calls:#?}"),
    }
}

/// The names of the instances `calls` did `op` to, in the order the calls started.
pub fn names(calls: &[Call], op: Op) -> Vec<&str> {
    calls
        .iter()
        .filter(|c| c.op == op)
        .map(|c| c.name.as_str())
        .collect()
}

struct TestProvider {
    recording: Arc<Recording>,
    configured: std::sync::OnceLock<()>,
}

impl TestProvider {
    /// Refuses a call that comes before `configure`.
    fn check_configured(&self) -> Result<(), Diagnostics> {
        match self.configured.get() {
            Some(()) => Ok(()),
            None => Err(Diagnostic::error("test provider used before configure", "").into()),
        }
    }
}

fn thing_schema() -> Schema {
    Schema::new(
        "A thing that exists only in the recording.",
        [
            ("name", Attribute::required(Type::String).force_new()),
            ("value", Attribute::optional(Type::Any)),
            ("fail", Attribute::optional(Type::Bool)),
            ("delay_ms", Attribute::optional(Type::Number)),
            ("id", Attribute::computed(Type::String)),
            ("out", Attribute::computed(Type::Any)),
        ],
    )
}

fn lookup_schema() -> Schema {
    Schema::new(
        "Looks a name up.",
        [
            ("name", Attribute::required(Type::String)),
            ("result", Attribute::computed(Type::String)),
        ],
    )
}

fn name_of(value: &Value) -> String {
    value.get("name").as_str().unwrap_or("?").to_string()
}

fn set(value: &mut Value, name: &str, new: Value) {
    value.set_at(&ggplan_sdk::AttrPath::attr(name), new);
}

#[async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> ProviderSchema {
        ProviderSchema {
            provider: Schema::new("", [("endpoint", Attribute::optional(Type::String))]),
            resources: [("test_thing".to_string(), thing_schema())].into(),
            data_sources: [("test_lookup".to_string(), lookup_schema())].into(),
            functions: Default::default(),
        }
    }

    async fn configure(&self, config: &Value) -> Result<(), Diagnostics> {
        let endpoint = config
            .get("endpoint")
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.recording
            .record(Op::Configure, &endpoint, async {
                let _ = self.configured.set(());
            })
            .await;
        Ok(())
    }

    async fn read(&self, request: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
        self.check_configured()?;
        let name = name_of(request.state);
        if request.state.get("value").as_str() == Some("panic on read") {
            panic!("{name}: the test provider panics as asked");
        }
        if request.state.get("value").as_str() == Some("fail on read") {
            let error = Diagnostic::error(format!("{name} cannot be read"), "As asked.");
            return Err(error.into());
        }
        let gone = self.recording.vanished.lock().unwrap().contains(&name);
        let state = (!gone).then(|| request.state.clone());
        self.recording
            .record(Op::Read, &name, async { Ok(state) })
            .await
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
        self.check_configured()?;
        let mut planned = request.proposed.clone();
        let value_changed = request
            .prior
            .is_none_or(|p| p.get("value") != request.config.get("value"));
        if value_changed {
            set(&mut planned, "out", Value::Unknown);
        }
        let name = name_of(request.config);
        self.recording
            .record(Op::Plan, &name, async { Ok(PlanResponse::of(planned)) })
            .await
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
        if let Err(d) = self.check_configured() {
            return ApplyResponse::failed(request.prior, d);
        }
        let (op, subject) = match (request.prior, request.planned) {
            (_, None) => (Op::Delete, request.prior),
            (None, Some(planned)) => (Op::Create, Some(planned)),
            (Some(_), Some(planned)) => (Op::Update, Some(planned)),
        };
        let subject = subject.cloned().unwrap_or_default();
        let name = name_of(&subject);
        let delay = subject
            .get("delay_ms")
            .as_number()
            .and_then(|n| n.as_i64())
            .unwrap_or(0);
        let fails = match op {
            Op::Delete => self.recording.undeletable.lock().unwrap().contains(&name),
            _ => subject.get("fail").as_bool() == Some(true),
        };
        let recording = &self.recording;
        recording
            .record(op, &name, async {
                if delay < 0 {
                    panic!("{name}: the test provider panics as asked");
                }
                tokio::time::sleep(Duration::from_millis(delay as u64)).await;
                if fails {
                    let error = Diagnostic::error(
                        format!("{name} failed as asked"),
                        "The configuration set fail = true.",
                    );
                    return ApplyResponse::failed(request.prior, error.into());
                }
                let Some(mut state) = request.planned.cloned() else {
                    return ApplyResponse::ok(None);
                };
                if state.get("id").is_unknown() {
                    set(&mut state, "id", Value::string(recording.new_id(&name)));
                }
                let value = state.get("value").clone();
                set(&mut state, "out", value);
                ApplyResponse::ok(Some(state))
            })
            .await
    }

    async fn read_data(&self, _type_name: &str, config: &Value) -> Result<Value, Diagnostics> {
        self.check_configured()?;
        let name = name_of(config);
        let mut value = config.clone();
        set(&mut value, "result", Value::string(format!("found-{name}")));
        self.recording
            .record(Op::ReadData, &name, async { Ok(value) })
            .await
    }
}
