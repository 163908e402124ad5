//! The state: what ggplan last knew about every object it manages, and how that knowledge is kept
//! safe on disk.
//!
//! - [`State`] is the JSON document itself (`version`, `serial`, `lineage`, `outputs`,
//!   `resources`, and `pending` operations that were in flight).
//! - [`Backend`] is where a state lives, as the engine sees it (lock, load, journal, persist);
//!   `backend/` holds its implementations, the local file and PostgreSQL.
//! - [`StateStore`] (the local backend) owns one state file: [`StateStore::load`] refuses
//!   anything unreadable, corrupt or newer and never overwrites it; [`StateStore::persist`]
//!   replaces the file atomically and keeps the previous one as `<state>.backup`.
//! - [`Journal`] is the write-ahead log beside it (`<state>.journal`): the engine appends each
//!   completed change before anything depends on it, so a crash loses no completed work;
//!   `load` replays it and the next `persist` folds it in.
//! - [`LockGuard`] is the exclusive lock (`<state>.lock`) with its holder's details, and
//!   [`force_unlock`] removes a lock left by a run that died.
//! - `document` holds the checks every backend makes on a stored document (format, lineage,
//!   serial).
//! - [`WorkspaceName`] (`workspace`): Terraform's workspace names; a backend's [`Workspaces`]
//!   opens the [`Backend`] of each, lists and deletes them.
//!
//! Secrets are stored in plain text (as Terraform does) with their paths recorded in
//! `sensitive_paths`; every file this module writes has mode 0600.

mod backend;
mod document;
mod error;
mod file;
mod id;
mod journal;
mod lock;
mod workspace;

pub use backend::{
    Backend, DEFAULT_WORKSPACE_DIR, JournalWriter, LocalWorkspaces, PgBackend, PgSettings,
    PgWorkspaces, S3Backend, S3Settings, S3Workspaces, StateLock, StateStore, Workspaces,
    default_state_path,
};
pub use error::StateError;
pub(crate) use file::create_private;
pub(crate) use journal::Batch;
pub use journal::{Journal, JournalEntry};
pub use lock::{LockGuard, LockInfo, LockPolicy, force_unlock};
pub use workspace::{DEFAULT_WORKSPACE, InvalidWorkspaceName, WorkspaceName, listing};

use crate::address::{InstanceAddr, ProviderAddr};
use ggplan_sdk::{AttrPath, Number, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// A fresh key for a deposed object: 8 random hex digits, as Terraform's.
pub fn deposed_key() -> String {
    id::random_uuid()[..8].to_string()
}

/// The format version this build reads and writes.
pub const STATE_VERSION: u32 = 1;

/// The state document, as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version, [`STATE_VERSION`].
    pub version: u32,
    /// The ggplan version that last wrote the file.
    pub ggplan_version: String,
    /// Incremented on every persisted write.
    pub serial: u64,
    /// A random id fixed when the state is created: two files with different lineages are
    /// different states, never two versions of one.
    pub lineage: String,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// Stored as a JSON array sorted by address.
    #[serde(default, with = "resources_as_list")]
    pub resources: BTreeMap<InstanceAddr, InstanceState>,
    /// Operations started but not known to have finished (see [`Journal`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<InstanceAddr, PendingOp>,
    /// Objects a create-before-destroy replacement set aside and has not yet destroyed (a
    /// failed or interrupted delete): the next apply destroys them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedObject>,
}

/// An object replaced by create-before-destroy and still to be destroyed, as Terraform's
/// deposed objects: the new object is the instance's current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeposedObject {
    /// Tells several deposed objects of one instance apart (8 hex digits).
    pub key: String,
    pub object: InstanceState,
}

/// The last value of one root output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

/// One resource instance as it was after its last apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    #[serde(rename = "address")]
    pub addr: InstanceAddr,
    /// The provider configuration that manages it: `random` or `random.alias`.
    pub provider: ProviderAddr,
    /// Wholly known and without sensitive marks; see `sensitive_paths`.
    pub attributes: serde_json::Value,
    /// The parts of `attributes` that are sensitive.
    #[serde(default)]
    pub sensitive_paths: Vec<AttrPath>,
    /// The instances it depended on when it was last applied (so it can be destroyed in the
    /// right order once its configuration is gone).
    #[serde(default)]
    pub dependencies: Vec<InstanceAddr>,
    #[serde(default)]
    pub schema_version: u64,
    #[serde(default)]
    pub create_before_destroy: bool,
    /// Created, but a provisioner of it failed: the next plan replaces it (Terraform's
    /// tainted status).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tainted: bool,
}

/// What an operation left pending was doing to its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingAction {
    Create,
    Update,
    Delete,
}

impl std::fmt::Display for PendingAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PendingAction::Create => "create",
            PendingAction::Update => "update",
            PendingAction::Delete => "delete",
        })
    }
}

/// An operation on an instance that was started and not yet recorded as finished. Left behind
/// by a crash, it tells the next run that the real object may exist without being in `resources`
/// (an interrupted create) or may be half changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOp {
    pub action: PendingAction,
    /// When it started, RFC 3339 in UTC.
    pub started: String,
}

impl State {
    /// An empty state with a fresh lineage and serial 0.
    pub fn new() -> State {
        State {
            version: STATE_VERSION,
            ggplan_version: env!("CARGO_PKG_VERSION").to_string(),
            serial: 0,
            lineage: id::random_uuid(),
            outputs: BTreeMap::new(),
            resources: BTreeMap::new(),
            pending: BTreeMap::new(),
            deposed: Vec::new(),
        }
    }

    /// The attributes of an instance as a value, with its sensitive marks restored.
    pub fn instance_value(&self, addr: &InstanceAddr) -> Option<Value> {
        self.resources.get(addr).map(InstanceState::value)
    }

    /// Records an instance, replacing what was known about it.
    pub fn set_instance(&mut self, inst: InstanceState) {
        self.resources.insert(inst.addr.clone(), inst);
    }

    /// Forgets an instance.
    pub fn remove_instance(&mut self, addr: &InstanceAddr) {
        self.resources.remove(addr);
    }

    /// Sets `object` aside as deposed under `key`; it stops being its instance's current
    /// object if it still is (so recording it twice changes nothing).
    pub fn depose(&mut self, key: &str, object: &InstanceState) {
        if self.resources.get(&object.addr) == Some(object) {
            self.resources.remove(&object.addr);
        }
        self.remove_deposed(&object.addr, key);
        self.deposed.push(DeposedObject {
            key: key.to_string(),
            object: object.clone(),
        });
    }

    /// Makes a deposed object its instance's current one again (its replacement was never
    /// created).
    pub fn restore_deposed(&mut self, key: &str, object: &InstanceState) {
        self.remove_deposed(&object.addr, key);
        self.set_instance(object.clone());
    }

    /// Forgets a deposed object (it was destroyed).
    pub fn remove_deposed(&mut self, addr: &InstanceAddr, key: &str) {
        self.deposed
            .retain(|d| !(d.key == key && &d.object.addr == addr));
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl InstanceState {
    /// This instance holding `value`, as a refresh found it.
    pub fn refreshed(&self, value: Value) -> InstanceState {
        InstanceState::from_value(
            self.addr.clone(),
            self.provider.clone(),
            value,
            self.dependencies.clone(),
            self.schema_version,
            self.create_before_destroy,
        )
        .tainted(self.tainted)
    }

    /// This instance, tainted or not.
    pub fn tainted(self, tainted: bool) -> InstanceState {
        InstanceState { tainted, ..self }
    }

    /// An instance from the value a provider returned; its sensitive marks become
    /// `sensitive_paths`. A provider must not return unknowns after apply: any that remain are
    /// stored as null.
    pub fn from_value(
        addr: InstanceAddr,
        provider: ProviderAddr,
        value: Value,
        dependencies: Vec<InstanceAddr>,
        schema_version: u64,
        create_before_destroy: bool,
    ) -> InstanceState {
        let (plain, sensitive_paths) = value.unmark_deep();
        InstanceState {
            addr,
            provider,
            attributes: known_json(&plain),
            sensitive_paths,
            dependencies,
            schema_version,
            create_before_destroy,
            tainted: false,
        }
    }

    /// The attributes as a value, with sensitive marks restored.
    pub fn value(&self) -> Value {
        Value::from_json(&self.attributes).mark_paths(&self.sensitive_paths)
    }
}

/// JSON of an unmarked value, unknowns as null.
fn known_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null | Value::Unknown => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(Number::Int(i)) => serde_json::Value::from(*i),
        Value::Number(Number::Float(f)) => serde_json::Value::from(*f),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::List(items) => serde_json::Value::Array(items.iter().map(known_json).collect()),
        Value::Map(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), known_json(v)))
                .collect(),
        ),
        Value::Sensitive(inner) => known_json(inner),
    }
}

/// `resources` on disk: a list sorted by address (the map's order), each entry carrying its own
/// address; a duplicate address is an error rather than a silent overwrite.
mod resources_as_list {
    use super::*;
    use serde::de::Error;

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<InstanceAddr, InstanceState>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<InstanceAddr, InstanceState>, D::Error> {
        let list = Vec::<InstanceState>::deserialize(deserializer)?;
        let mut map = BTreeMap::new();
        for inst in list {
            let addr = inst.addr.clone();
            if map.insert(addr.clone(), inst).is_some() {
                return Err(D::Error::custom(format!(
                    "resource {addr} appears more than once"
                )));
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn addr(text: &str) -> InstanceAddr {
        InstanceAddr::parse(text).unwrap()
    }

    /// An instance with a plain `id` and a sensitive `result`.
    pub(crate) fn sample_instance(address: &str, id: &str) -> InstanceState {
        InstanceState::from_value(
            addr(address),
            crate::address::ProviderAddr::default_of("random"),
            Value::object([
                ("id", Value::string(id)),
                ("result", Value::string("hunter2").into_sensitive()),
            ]),
            vec![],
            0,
            false,
        )
    }

    /// The on-disk document, as a reviewer reads it.
    #[test]
    fn document_format() {
        let mut state = State::new();
        state.lineage = "1b4e28ba-2fa1-41d2-883f-0016d3cca427".into();
        state.ggplan_version = "0.1.0".into();
        state.serial = 4;
        let mut inst = sample_instance("random_password.pg[\"main\"]", "none");
        inst.dependencies = vec![addr("random_id.suffix")];
        state.set_instance(inst);
        state.outputs.insert(
            "pg_password".into(),
            OutputState {
                value: serde_json::json!("hunter2"),
                sensitive: true,
            },
        );
        insta::assert_snapshot!(serde_json::to_string_pretty(&state).unwrap());
    }

    #[test]
    fn instance_keeps_sensitive_paths_and_restores_marks() {
        let value = Value::object([
            ("id", Value::string("abc")),
            ("result", Value::string("s3cret").into_sensitive()),
            ("later", Value::Unknown),
        ]);
        let inst = InstanceState::from_value(
            addr("random_password.pg"),
            crate::address::ProviderAddr::default_of("random"),
            value,
            vec![addr("random_id.x")],
            0,
            false,
        );
        assert_eq!(inst.sensitive_paths, vec![AttrPath::attr("result")]);
        assert_eq!(
            inst.attributes,
            serde_json::json!({"id": "abc", "later": null, "result": "s3cret"})
        );
        let mut state = State::new();
        state.set_instance(inst);
        let restored = state.instance_value(&addr("random_password.pg")).unwrap();
        assert!(restored.get("result").is_sensitive());
        assert!(!restored.get("id").is_sensitive());
        state.remove_instance(&addr("random_password.pg"));
        assert!(state.instance_value(&addr("random_password.pg")).is_none());
    }

    #[test]
    fn deposing_restoring_and_removing_are_each_safe_to_repeat() {
        let old = sample_instance("random_id.a", "old");
        let new = sample_instance("random_id.a", "new");
        let mut state = State::new();
        state.set_instance(old.clone());
        state.depose("0a1b2c3d", &old);
        assert!(state.resources.is_empty());
        state.set_instance(new.clone());
        // Replayed after the replacement was recorded: the new object stays current.
        state.depose("0a1b2c3d", &old);
        assert_eq!(state.resources.get(&old.addr), Some(&new));
        assert_eq!(state.deposed.len(), 1);
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["deposed"][0]["key"], "0a1b2c3d");
        assert_eq!(json["deposed"][0]["object"]["attributes"]["id"], "old");
        assert_eq!(serde_json::from_value::<State>(json).unwrap(), state);
        state.remove_deposed(&old.addr, "0a1b2c3d");
        state.remove_deposed(&old.addr, "0a1b2c3d");
        assert!(state.deposed.is_empty());

        let mut failed = State::new();
        failed.depose("0a1b2c3d", &old);
        failed.restore_deposed("0a1b2c3d", &old);
        failed.restore_deposed("0a1b2c3d", &old);
        assert_eq!(failed.resources.get(&old.addr), Some(&old));
        assert!(failed.deposed.is_empty());
    }

    #[test]
    fn resources_are_a_sorted_list_and_duplicates_are_refused() {
        let mut state = State::new();
        for a in ["random_id.b", "data.local_file.a", "random_id.a[\"k\"]"] {
            state.set_instance(InstanceState::from_value(
                addr(a),
                crate::address::ProviderAddr::default_of("random"),
                Value::object([("id", Value::string(a))]),
                vec![],
                0,
                false,
            ));
        }
        let json = serde_json::to_value(&state).unwrap();
        let order: Vec<&str> = json["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap())
            .collect();
        assert_eq!(
            order,
            ["random_id.a[\"k\"]", "random_id.b", "data.local_file.a"]
        );
        assert_eq!(
            serde_json::from_value::<State>(json.clone()).unwrap(),
            state
        );

        let mut doubled = json;
        let first = doubled["resources"][0].clone();
        doubled["resources"].as_array_mut().unwrap().push(first);
        let err = serde_json::from_value::<State>(doubled).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
    }
}
