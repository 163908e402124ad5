//! Where a stack's state lives. The engine talks to a [`Backend`]: it locks the state for a run
//! (naming the holder to anyone refused), loads it with any journal a crashed run left replayed,
//! appends each group of completed changes to the backend's journal through a
//! [`JournalWriter`], and persists the whole state at the end (refusing to replace a newer or
//! foreign one, and clearing the journal).
//!
//! - [`StateStore`] (`local`): one JSON file with its backup, journal and lock file beside it.
//! - [`PgBackend`] (`pg`): Terraform's `backend "pg"`, the state in a PostgreSQL table.
//! - [`S3Backend`] (`s3`): Terraform's `backend "s3"`, the state an object of an S3 bucket.

mod local;
mod pg;
mod s3;

pub use local::{StateStore, default_state_path};
pub use pg::{PgBackend, PgSettings};
pub use s3::{S3Backend, S3Settings};

use super::lock::{LockPolicy, wait_for};
use super::{JournalEntry, State, StateError};
use std::path::Path;

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
