//! Everything that can go wrong with a state file, said so that the user knows what to do.

use super::lock::LockInfo;
use std::path::PathBuf;

/// An error of the state store. Each message names the file, what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "state file {} is not a valid ggplan state: {detail}\n\
         It has been left untouched. {}, or move it aside to start from an empty state.",
        path.display(), restore_hint(path)
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "state file {} has format version {version}, written by ggplan {writer}; this ggplan \
         ({}) reads format {} and older.\nUpgrade ggplan to use this state; the file has been \
         left untouched.",
        path.display(), env!("CARGO_PKG_VERSION"), super::STATE_VERSION
    )]
    TooNew {
        path: PathBuf,
        version: u64,
        writer: String,
    },

    #[error(
        "state file {} is a Terraform state (format version {version}, written by Terraform \
         {terraform_version}), not a ggplan state; it has been left untouched.\nBring it into \
         ggplan once with `ggplan state migrate {}` (run in the stack's directory: it writes \
         the stack's ggplan state and leaves this file as it is), then run ggplan with its own \
         state: no --state or backend \"local\" path naming the Terraform file.",
        path.display(), path.display()
    )]
    TerraformState {
        path: PathBuf,
        version: u64,
        terraform_version: String,
    },

    #[error(
        "state file {} has format version {version}, which no ggplan release ever wrote.\n\
         It has been left untouched. {}.",
        path.display(), restore_hint(path)
    )]
    UnknownVersion { path: PathBuf, version: u64 },

    #[error(
        "refusing to overwrite state file {}: it belongs to another state (lineage {on_disk}, \
         not {ours}).\nIt has been left untouched. If it is not needed, move it aside and run \
         again.",
        path.display()
    )]
    LineageMismatch {
        path: PathBuf,
        on_disk: String,
        ours: String,
    },

    #[error(
        "refusing to overwrite state file {}: it has serial {on_disk}, newer than the {ours} \
         this run started from, so another run wrote it meanwhile.\nRun the command again so \
         that it starts from the newer state.",
        path.display()
    )]
    SerialConflict {
        path: PathBuf,
        on_disk: u64,
        ours: u64,
    },

    #[error(
        "state {} has the largest serial there is (2^64 - 1), so no newer state can follow it; \
         it was left untouched. Edit the serial down (and the lineage, so that no saved plan \
         applies against the old one) before writing to it again.",
        path.display()
    )]
    SerialExhausted { path: PathBuf },

    #[error(
        "journal {} is corrupt at line {line}: {detail}\nIt records changes a crashed run made \
         after the state was last saved, so the state has not been loaded. Inspect the file; \
         if its changes can be lost, move it aside and run `ggplan plan` to see what drifted.",
        path.display()
    )]
    JournalCorrupt {
        path: PathBuf,
        line: usize,
        detail: String,
    },

    #[error(
        "journal {} can no longer be trusted after an earlier write to it failed; no further \
         changes can be recorded in this run.\nFix the cause (disk full? read-only file \
         system?) and run again: changes recorded before the failure are kept.",
        path.display()
    )]
    JournalPoisoned { path: PathBuf },

    #[error("{}", locked_message(path, info, *stale))]
    Locked {
        path: PathBuf,
        info: Box<LockInfo>,
        /// The holder ran on this host and is no longer alive.
        stale: bool,
    },

    #[error(
        "state {location} is locked by another ggplan run\n  \
         ID:        {}\n  \
         Operation: {}\n  \
         Who:       {}@{}\n  \
         PID:       {}\n  \
         Since:     {}\n  \
         Version:   ggplan {}\n\
         The lock is a PostgreSQL advisory lock held by that run's database session: it is \
         released as soon as that run ends or its connection closes, so it is never left \
         behind. Wait for that run to finish (or run again with -lock-timeout=DURATION to wait).",
        info.id, info.operation, info.user, info.host, info.pid, info.created, info.ggplan_version
    )]
    LockedInDatabase {
        location: String,
        info: Box<LockInfo>,
    },

    /// The lock object of a store (the s3 backend's `KEY.tflock`) is held; `stale` as in
    /// [`StateError::Locked`].
    #[error("{}", locked_object_message(location, info, *stale))]
    LockedObject {
        location: String,
        info: Box<LockInfo>,
        stale: bool,
    },

    /// The database (or another remote store) failed or could not be reached; `detail` never
    /// holds a secret of the connection settings.
    #[error("{location}: {detail}")]
    Remote { location: String, detail: String },

    /// The stored state, journal or backup cannot be read or written under the configured
    /// encryption; nothing was written.
    #[error("{location} cannot be used: {source}. Nothing was changed.")]
    Encryption {
        location: String,
        source: crate::encryption::EncryptionError,
    },

    #[error(
        "lock file {} exists but cannot be read ({detail}), so its holder is unknown.\n\
         If no ggplan run is using this state, delete the file by hand.",
        path.display()
    )]
    LockUnreadable { path: PathBuf, detail: String },

    #[error("state {} is not locked: there is no {}", state.display(), lock.display())]
    NotLocked { state: PathBuf, lock: PathBuf },

    #[error(
        "lock id {given} does not match the lock on {}, which is held with id {}.\n\
         Check the id in the message of the run that reported the lock.",
        path.display(), holder.id
    )]
    LockIdMismatch {
        path: PathBuf,
        given: String,
        holder: Box<LockInfo>,
    },
}

impl StateError {
    /// The lock is held by a run that is still alive: worth waiting for (`-lock-timeout`).
    pub fn is_held_by_a_live_run(&self) -> bool {
        matches!(
            self,
            StateError::Locked { stale: false, .. }
                | StateError::LockedInDatabase { .. }
                | StateError::LockedObject { stale: false, .. }
        )
    }
}

fn locked_message(path: &std::path::Path, info: &LockInfo, stale: bool) -> String {
    // Named by its state file, the command works from wherever this one was run.
    let unlock = format!("ggplan force-unlock {} --state {}", info.id, path.display());
    holder_message(&path.display().to_string(), info, stale, &unlock)
}

fn locked_object_message(location: &str, info: &LockInfo, stale: bool) -> String {
    // Run in the stack's directory, the command finds the same backend block.
    holder_message(
        location,
        info,
        stale,
        &format!("ggplan force-unlock {}", info.id),
    )
}

/// Who holds the lock on the state at `location`, and what to do (`unlock`: the command that
/// breaks it).
fn holder_message(location: &str, info: &LockInfo, stale: bool, unlock: &str) -> String {
    let advice = if stale {
        format!(
            "Process {} no longer runs on this host, so the lock was left by a run that died.\n\
             Run `{unlock}` to remove it, then run `ggplan plan` to see what that run left \
             unfinished.",
            info.pid
        )
    } else {
        format!(
            "Wait for that run to finish. If it is gone for good (a lost machine or container), \
             run `{unlock}`."
        )
    };
    format!(
        "state {} is locked by another ggplan run\n  \
         ID:        {}\n  \
         Operation: {}\n  \
         Who:       {}@{}\n  \
         PID:       {}\n  \
         Since:     {}\n  \
         Version:   ggplan {}\n\
         {advice}",
        location,
        info.id,
        info.operation,
        info.user,
        info.host,
        info.pid,
        info.created,
        info.ggplan_version
    )
}

/// How to get a good state back: the backup when there is one.
fn restore_hint(path: &std::path::Path) -> String {
    let mut backup = path.as_os_str().to_owned();
    backup.push(".backup");
    let backup = PathBuf::from(backup);
    if backup.exists() {
        format!("Restore it from {} or from your own copy", backup.display())
    } else {
        "Restore it from your own copy (there is no backup yet)".to_string()
    }
}
