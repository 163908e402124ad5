//! Terraform's `backend "s3"`: the state of a workspace as one object of an S3 (or
//! S3-compatible) bucket, with what ggplan keeps beside it under the same key:
//!
//! - the lock: with `use_lockfile = true`, the `KEY.tflock` object Terraform 1.10+ writes,
//!   created by a conditional PUT (`If-None-Match: *`) and holding Terraform's lock info JSON
//!   (ggplan's holder details in its `Info`), so a refusal names the holder and Terraform and
//!   ggplan exclude each other. Without `use_lockfile` Terraform takes no lock on S3 at all;
//!   ggplan refuses to run unlocked unless told (`-lock=false`).
//! - the write-ahead journal: one object `KEY.ggplan-journal/GENERATION-SEQUENCE` per group
//!   commit (a run's generation is one past the last one there, so names sort in write order),
//!   replayed by `load` and deleted after the `persist` that folds it in;
//! - compare-and-swap writes: `persist` reads the stored state and its ETag, checks the serial
//!   and lineage, and writes with `If-Match` (or `If-None-Match: *` for a first state), so a
//!   stale writer never replaces a newer state even when locking is off.
//!
//! Under state encryption the state and each journal object hold encryption envelopes.

mod client;
mod settings;
mod sigv4;

pub use settings::S3Settings;

use super::{Backend, JournalWriter, StateLock, WorkspaceName, Workspaces};
use crate::clock::now_rfc3339;
use crate::encryption::Target;
use crate::state::document::{self, check_replaceable, encode_next};
use crate::state::lock::{LockInfo, is_stale};
use crate::state::{Batch, JournalEntry, State, StateError};
use client::{Client, Condition, Failure, Object};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The objects of one workspace's state.
pub struct S3Backend {
    client: Arc<Client>,
    keys: Arc<Keys>,
    location: PathBuf,
    use_lockfile: bool,
    encryption: Target,
}

/// The keys of the state, its lock and its journal, and how to name them in messages.
struct Keys {
    state: String,
    lock: String,
    /// Ends with `/`.
    journal: String,
    location: String,
}

/// The workspaces of one s3 backend, as Terraform's s3 backend keeps them: `default` at `key`,
/// workspace NAME at `<workspace_key_prefix>/NAME/<key>`.
pub struct S3Workspaces {
    settings: S3Settings,
    client: Arc<Client>,
    encryption: Target,
}

impl S3Workspaces {
    /// The workspaces of `settings`' bucket and key; it connects on first use.
    pub fn new(settings: S3Settings) -> S3Workspaces {
        S3Workspaces {
            client: Arc::new(Client::start(settings.clone())),
            settings,
            encryption: Target::default(),
        }
    }

    /// The workspaces with their states and journals sealed and opened by `encryption`.
    pub fn with_encryption(self, encryption: Target) -> S3Workspaces {
        S3Workspaces { encryption, ..self }
    }

    fn backend(&self, name: &WorkspaceName) -> S3Backend {
        S3Backend::on(self.client.clone(), &self.settings, name.as_str())
            .with_encryption(self.encryption.clone())
    }
}

impl Workspaces for S3Workspaces {
    fn open(&self, name: &WorkspaceName) -> Result<Box<dyn Backend>, StateError> {
        Ok(Box::new(self.backend(name)))
    }

    /// Terraform's listing: the objects under `<workspace_key_prefix>/` named
    /// `<prefix>/NAME/<key>`.
    fn stored_names(&self) -> Result<Vec<String>, StateError> {
        let prefix = format!("{}/", self.settings.workspace_key_prefix);
        let suffix = format!("/{}", self.settings.key);
        let backend = self.backend(&WorkspaceName::default());
        let keys = backend.list(&prefix)?;
        Ok(keys
            .iter()
            .filter_map(|k| k[prefix.len()..].strip_suffix(&suffix))
            .filter(|name| !name.is_empty() && !name.contains('/'))
            .map(str::to_string)
            .collect())
    }

    fn delete(&self, name: &WorkspaceName) -> Result<(), StateError> {
        let backend = self.backend(name);
        // The run lock, as a run would take it: refused while another run holds it (without
        // use_lockfile there is no lock to respect, as with Terraform).
        let _lock = match backend.use_lockfile {
            true => Some(Backend::lock(&backend, "workspace delete")?),
            false => None,
        };
        for key in backend.list(&backend.keys.journal)? {
            backend.delete_object(&key)?;
        }
        backend.delete_object(&backend.keys.state)
    }

    fn location(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.settings.key)
    }
}

impl S3Backend {
    /// The backend of `workspace`'s state; it connects on first use.
    pub fn new(settings: S3Settings, workspace: &str) -> S3Backend {
        let client = Arc::new(Client::start(settings.clone()));
        S3Backend::on(client, &settings, workspace)
    }

    /// The backend of `workspace`'s state through `client`.
    fn on(client: Arc<Client>, settings: &S3Settings, workspace: &str) -> S3Backend {
        let state = settings.workspace_key(workspace);
        let location = format!("s3://{}/{state}", settings.bucket);
        let keys = Keys {
            lock: format!("{state}.tflock"),
            journal: format!("{state}.ggplan-journal/"),
            state,
            location: location.clone(),
        };
        S3Backend {
            use_lockfile: settings.use_lockfile,
            client,
            keys: Arc::new(keys),
            location: PathBuf::from(location),
            encryption: Target::default(),
        }
    }

    /// The backend with the state and journal objects sealed and opened by `encryption`.
    pub fn with_encryption(self, encryption: Target) -> S3Backend {
        S3Backend { encryption, ..self }
    }
}

impl Keys {
    /// `bucket/key` of `key`, for messages.
    fn location_of(&self, key: &str) -> String {
        let bucket = self.location.trim_start_matches("s3://");
        let bucket = bucket.split('/').next().unwrap_or_default();
        format!("{bucket}/{key}")
    }

    fn remote(&self, failure: Failure) -> StateError {
        let detail = match failure {
            Failure::Precondition => "another writer changed the object first".to_string(),
            Failure::Other(detail) => detail,
        };
        StateError::Remote {
            location: self.location.clone(),
            detail,
        }
    }
}

/// Terraform's lock info, as its s3 backend writes `KEY.tflock` (Go field names).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TerraformLock {
    #[serde(rename = "ID")]
    id: String,
    operation: String,
    /// ggplan's own holder details, as JSON; Terraform leaves it empty.
    #[serde(default)]
    info: String,
    who: String,
    version: String,
    created: String,
    path: String,
}

impl TerraformLock {
    fn of(info: &LockInfo, path: &str) -> TerraformLock {
        TerraformLock {
            id: info.id.clone(),
            operation: info.operation.clone(),
            info: serde_json::to_string(info).expect("a lock holder encodes"),
            who: format!("{}@{}", info.user, info.host),
            version: format!("ggplan {}", info.ggplan_version),
            created: info.created.clone(),
            path: path.to_string(),
        }
    }

    /// The holder: ggplan's details when ggplan wrote it, else what Terraform says.
    fn holder(self) -> LockInfo {
        if let Ok(ours) = serde_json::from_str::<LockInfo>(&self.info)
            && ours.id == self.id
        {
            return ours;
        }
        let (user, host) = self.who.split_once('@').unwrap_or((&self.who, "unknown"));
        LockInfo {
            id: self.id.clone(),
            operation: self.operation.clone(),
            pid: 0,
            host: host.to_string(),
            user: user.to_string(),
            created: self.created.clone(),
            ggplan_version: format!("(not ggplan: Terraform {})", self.version),
        }
    }
}

/// The `KEY.tflock` object of a run, deleted when dropped if it is still ours.
struct S3Lock {
    client: Arc<Client>,
    keys: Arc<Keys>,
    id: String,
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        // Only our own lock: after a force-unlock the object may belong to another run.
        if let Ok(Some(holder)) = read_holder(&self.client, &self.keys)
            && holder.id == self.id
        {
            let _ = self.client.delete(&self.keys.lock);
        }
    }
}

fn read_holder(client: &Client, keys: &Keys) -> Result<Option<LockInfo>, StateError> {
    let Some(object) = client.get(&keys.lock).map_err(|f| keys.remote(f))? else {
        return Ok(None);
    };
    serde_json::from_slice::<TerraformLock>(&object.body)
        .map(|lock| Some(lock.holder()))
        .map_err(|e| StateError::LockUnreadable {
            path: PathBuf::from(format!("s3://{}", keys.location_of(&keys.lock))),
            detail: e.to_string(),
        })
}

impl Backend for S3Backend {
    fn location(&self) -> &Path {
        &self.location
    }

    fn lock(&self, operation: &str) -> Result<StateLock, StateError> {
        if !self.use_lockfile {
            return Err(StateError::Remote {
                location: self.keys.location.clone(),
                detail: "the s3 backend locks the state only with use_lockfile = true (the \
                         KEY.tflock object; ggplan has no DynamoDB locking). Set use_lockfile = \
                         true in the backend block, or run with -lock=false to go on without a \
                         lock, as Terraform does without one."
                    .into(),
            });
        }
        let info = LockInfo::for_this_run(operation);
        let lock = TerraformLock::of(&info, &self.keys.location_of(&self.keys.state));
        let body = serde_json::to_vec(&lock).expect("a lock encodes");
        // Two attempts: the holder may release the lock between our write and our reads.
        for _ in 0..2 {
            match self
                .client
                .put(&self.keys.lock, body.clone(), Condition::Absent)
            {
                Ok(()) => {
                    return Ok(StateLock::new(S3Lock {
                        client: self.client.clone(),
                        keys: self.keys.clone(),
                        id: info.id,
                    }));
                }
                Err(Failure::Precondition) => {
                    let Some(holder) = read_holder(&self.client, &self.keys)? else {
                        continue;
                    };
                    let stale = is_stale(&holder);
                    // A holder that ended after its lock was read has released it (or left
                    // it): only a lock still there after its holder ended is a dead run's.
                    let same = |now: Option<LockInfo>| now.is_some_and(|now| now.id == holder.id);
                    if stale && !same(read_holder(&self.client, &self.keys)?) {
                        continue;
                    }
                    return Err(StateError::LockedObject {
                        location: self.keys.location.clone(),
                        stale,
                        info: Box::new(holder),
                    });
                }
                Err(other) => return Err(self.keys.remote(other)),
            }
        }
        Err(StateError::LockUnreadable {
            path: PathBuf::from(self.keys.location_of(&self.keys.lock)),
            detail: "it appeared and disappeared again while being read".into(),
        })
    }

    fn load(&self) -> Result<State, StateError> {
        let stored = self.get(&self.keys.state)?;
        let mut state = match stored {
            Some(object) => {
                let plain = document::open(&self.encryption, &self.location, &object.body)?;
                document::decode(&self.location, &plain)?
            }
            None => State::new(),
        };
        self.replay(&mut state)?;
        Ok(state)
    }

    fn persist(&self, state: &mut State) -> Result<(), StateError> {
        let basis = state.serial;
        let written = self.write_state(state);
        if written.is_err() {
            state.serial = basis;
        }
        written?;
        // The state now holds every journal entry: the journal objects go. Were this cut
        // short, the next load replays them onto the state that holds them, which changes
        // nothing.
        let keys = self.list(&self.keys.journal)?;
        for key in keys {
            self.delete_object(&key)?;
        }
        Ok(())
    }

    fn journal(&self) -> Result<Box<dyn JournalWriter>, StateError> {
        let last = self
            .list(&self.keys.journal)?
            .iter()
            .filter_map(|key| generation(&key[self.keys.journal.len()..]))
            .max()
            .unwrap_or(0);
        Ok(Box::new(S3Journal {
            client: self.client.clone(),
            keys: self.keys.clone(),
            location: self.journal_location(),
            encryption: self.encryption.clone(),
            generation: last + 1,
            sequence: 0,
            poisoned: false,
        }))
    }

    fn journal_location(&self) -> String {
        format!("s3://{}", self.keys.location_of(&self.keys.journal))
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        match read_holder(&self.client, &self.keys)? {
            None => Err(StateError::NotLocked {
                state: self.location.clone(),
                lock: PathBuf::from(format!("s3://{}", self.keys.location_of(&self.keys.lock))),
            }),
            Some(holder) if holder.id != id => Err(StateError::LockIdMismatch {
                path: self.location.clone(),
                given: id.to_string(),
                holder: Box::new(holder),
            }),
            Some(_) => self
                .client
                .delete(&self.keys.lock)
                .map_err(|f| self.keys.remote(f)),
        }
    }
}

impl S3Backend {
    fn get(&self, key: &str) -> Result<Option<Object>, StateError> {
        self.client.get(key).map_err(|f| self.keys.remote(f))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        self.client.list(prefix).map_err(|f| self.keys.remote(f))
    }

    fn delete_object(&self, key: &str) -> Result<(), StateError> {
        self.client.delete(key).map_err(|f| self.keys.remote(f))
    }

    /// Writes `state` with its serial incremented, if the stored one is still the one it may
    /// replace.
    fn write_state(&self, state: &mut State) -> Result<(), StateError> {
        let (lineage, basis) = (state.lineage.clone(), state.serial);
        let stored = self.get(&self.keys.state)?;
        let condition = match &stored {
            Some(object) => {
                self.check_stored(object, &lineage, basis)?;
                Condition::Unchanged(object.etag.clone())
            }
            None => Condition::Absent,
        };
        let plain = encode_next(&self.location, state)?;
        let sealed = document::seal(&self.encryption, &self.location, &plain)?;
        match self
            .client
            .put(&self.keys.state, sealed.into_owned(), condition)
        {
            Ok(()) => Ok(()),
            Err(Failure::Precondition) => {
                // Another writer came between our read and our write: say what it wrote.
                if let Some(now) = self.get(&self.keys.state)? {
                    self.check_stored(&now, &lineage, basis)?;
                }
                Err(self.keys.remote(Failure::Precondition))
            }
            Err(other) => Err(self.keys.remote(other)),
        }
    }

    /// Refuses to replace the stored `object` (foreign, newer, another lineage).
    fn check_stored(&self, object: &Object, lineage: &str, basis: u64) -> Result<(), StateError> {
        let plain = document::open(&self.encryption, &self.location, &object.body)?;
        let on_disk = document::header(&self.location, &plain)?;
        check_replaceable(&self.location, on_disk, lineage, basis)
    }

    /// Applies the journal objects, in the order they were written.
    fn replay(&self, state: &mut State) -> Result<(), StateError> {
        let location = PathBuf::from(self.journal_location());
        for (n, key) in self.list(&self.keys.journal)?.iter().enumerate() {
            // Deleted since listed: a persist folded it into the state just read... or into a
            // newer one, which the next load sees.
            let Some(object) = self.get(key)? else {
                continue;
            };
            let plain = document::open(&self.encryption, &location, &object.body)?;
            let batch: Batch<'_> =
                serde_json::from_slice(&plain).map_err(|e| StateError::JournalCorrupt {
                    path: location.join(&key[self.keys.journal.len()..]),
                    line: n + 1,
                    detail: e.to_string(),
                })?;
            for entry in batch.entries.iter() {
                entry.apply_at(state, &batch.at);
            }
        }
        Ok(())
    }
}

/// The generation of a journal object's name (`GENERATION-SEQUENCE`).
fn generation(name: &str) -> Option<u64> {
    name.split_once('-').and_then(|(g, _)| g.parse().ok())
}

/// The journal as objects: one conditional PUT per group commit, durable when it returns.
struct S3Journal {
    client: Arc<Client>,
    keys: Arc<Keys>,
    location: String,
    encryption: Target,
    generation: u64,
    sequence: u64,
    poisoned: bool,
}

impl JournalWriter for S3Journal {
    fn append(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        if self.poisoned {
            return Err(StateError::JournalPoisoned {
                path: PathBuf::from(&self.location),
            });
        }
        if entries.is_empty() {
            return Ok(());
        }
        let batch = Batch {
            at: Cow::Owned(now_rfc3339()),
            entries: Cow::Borrowed(entries),
        };
        let plain = serde_json::to_vec(&batch).expect("journal entries encode");
        let sealed = document::seal(&self.encryption, Path::new(&self.location), &plain)?;
        self.sequence += 1;
        let key = format!(
            "{}{:010}-{:010}",
            self.keys.journal, self.generation, self.sequence
        );
        // Never over another run's object: a name taken means a second writer.
        let appended = self
            .client
            .put(&key, sealed.into_owned(), Condition::Absent)
            .map_err(|f| self.keys.remote(f));
        self.poisoned = appended.is_err();
        appended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_object_names_sort_in_write_order() {
        let names = ["0000000002-0000000001", "0000000001-0000000010"];
        assert_eq!(generation(names[0]), Some(2));
        assert!(names[1] < names[0]);
        assert_eq!(generation("garbage"), None);
    }

    #[test]
    fn a_terraform_lock_names_its_holder() {
        let terraform = r#"{"ID":"5b1c","Operation":"OperationTypeApply","Info":"",
            "Who":"ana@laptop","Version":"1.10.5","Created":"2026-01-02T03:04:05Z",
            "Path":"b/k"}"#;
        let holder = serde_json::from_str::<TerraformLock>(terraform)
            .unwrap()
            .holder();
        assert_eq!(
            (holder.user.as_str(), holder.host.as_str()),
            ("ana", "laptop")
        );
        assert_eq!(holder.id, "5b1c");
        let ours = LockInfo::for_this_run("apply");
        let written = serde_json::to_string(&TerraformLock::of(&ours, "b/k")).unwrap();
        assert!(
            written.contains("\"ID\":") && written.contains("\"Who\":"),
            "{written}"
        );
        let read = serde_json::from_str::<TerraformLock>(&written)
            .unwrap()
            .holder();
        assert_eq!(read, ours);
    }
}
