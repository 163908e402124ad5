//! Where a stack's state lives. The engine talks to a [`Backend`]: it locks the state for a run
//! (naming the holder to anyone refused), loads it with any journal a crashed run left replayed,
//! appends each group of completed changes to the backend's journal through a
//! [`JournalWriter`], and persists the whole state at the end (refusing to replace a newer or
//! foreign one, and clearing the journal).
//!
//! - [`StateStore`] (`local`): one JSON file with its backup, journal and lock file beside it.
//! - [`PgBackend`] (`pg`): Terraform's `backend "pg"`, the state in a PostgreSQL table.
//! - [`S3Backend`] (`s3`): Terraform's `backend "s3"`, the state an object of an S3 bucket.
//!
//! A configured backend is a [`Workspaces`]: it opens the [`Backend`] of each workspace of the
//! stack (Terraform's workspaces: one state each), lists and deletes them.

mod local;
mod pg;
mod s3;

pub use local::{DEFAULT_WORKSPACE_DIR, LocalWorkspaces, StateStore, default_state_path};
pub use pg::{PgBackend, PgSettings, PgWorkspaces};
pub use s3::{S3Backend, S3Settings, S3Workspaces};

use super::lock::{LockPolicy, wait_for};
use super::{JournalEntry, State, StateError, WorkspaceName};
use std::path::Path;

/// The workspaces of one configured backend (`backend "..."` with its settings). A new backend
/// implements this and [`Backend`]; the names it is given are already valid
/// ([`WorkspaceName::parse`]) and the CLI makes the checks Terraform makes (`default` is never
/// deleted, nor the selected workspace, nor a non-empty one without `-force`).
pub trait Workspaces: Send + Sync {
    /// The state of workspace `name`, existing or not: persisting it makes the workspace exist
    /// (that is how `workspace new` creates one). `default` maps to the backend's own setting
    /// (its path, row or key); another name to where the backend keeps that workspace.
    fn open(&self, name: &WorkspaceName) -> Result<Box<dyn Backend>, StateError>;

    /// The names of the stored workspaces, in any order; `default` may be among them or not.
    /// [`workspaces`](dyn Workspaces::workspaces) makes them a listing.
    fn stored_names(&self) -> Result<Vec<String>, StateError>;

    /// Removes everything workspace `name` (never `default`) stores: its state and journal,
    /// and where the backend has them, its backup and its directory or lock record. Refuses
    /// with [`StateError::Locked`] (or `LockedInDatabase`) while a run holds its lock.
    fn delete(&self, name: &WorkspaceName) -> Result<(), StateError>;

    /// Where the workspaces are, for messages (never a secret).
    fn location(&self) -> String;
}

impl dyn Workspaces + '_ {
    /// The workspaces as `workspace list` shows them: `default` first, then by name.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceName>, StateError> {
        let stored = self.stored_names()?;
        Ok(super::listing(stored.iter().map(String::as_str)))
    }

    /// Whether `name` exists: `default` always does.
    pub fn exists(&self, name: &WorkspaceName) -> Result<bool, StateError> {
        Ok(name.is_default() || self.workspaces()?.contains(name))
    }
}

/// A place that keeps one state (one workspace of a stack).
pub trait Backend: Send + Sync {
    /// Where the state is, for messages and saved plans: the state file, or for a database a
    /// name such as `pg:terraform_remote_state/default` (never a secret).
    fn location(&self) -> &Path;

    /// Takes the exclusive lock for `operation` (`plan`, `apply`, ...), or fails at once
    /// naming the holder. The lock is released when the returned guard drops.
    fn lock(&self, operation: &str) -> Result<StateLock, StateError>;

    /// Loads the state, with the journal of a crashed run replayed onto it; a missing state is
    /// a new empty one. A corrupt, foreign or newer state is refused and left as it is.
    fn load(&self) -> Result<State, StateError>;

    /// Writes the whole state with its serial incremented and clears the journal, whose
    /// entries it now holds. Refuses to replace a state of another lineage or a newer serial.
    fn persist(&self, state: &mut State) -> Result<(), StateError>;

    /// The journal, open for appending.
    fn journal(&self) -> Result<Box<dyn JournalWriter>, StateError>;

    /// Where the journal is, for messages.
    fn journal_location(&self) -> String;

    /// Breaks the lock held with `id` by a run that died.
    fn force_unlock(&self, id: &str) -> Result<(), StateError>;
}

impl dyn Backend + '_ {
    /// Takes the lock for `operation` as `policy` says (`-lock`, `-lock-timeout`): `None` when
    /// locking is off; `waiting` is told once when the run starts waiting for another.
    pub fn lock_with(
        &self,
        operation: &str,
        policy: LockPolicy,
        waiting: impl FnOnce(&StateError),
    ) -> Result<Option<StateLock>, StateError> {
        wait_for(policy, waiting, || self.lock(operation))
    }
}

/// The write-ahead journal of a backend: the engine appends each group of completed changes
/// before anything that depends on them starts.
pub trait JournalWriter: Send {
    /// Makes `entries` durable, all or none; when this returns `Ok`, a crash loses none of
    /// them. After an error nothing more is written (what reached the store is unknown).
    fn append(&mut self, entries: &[JournalEntry]) -> Result<(), StateError>;
}

/// A held state lock of any backend, released when dropped.
pub struct StateLock {
    /// Held only to be dropped: each backend's guard releases its lock on drop.
    _guard: Box<dyn Send>,
}

impl StateLock {
    pub(crate) fn new(guard: impl Send + 'static) -> StateLock {
        StateLock {
            _guard: Box::new(guard),
        }
    }
}
