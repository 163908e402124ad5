//! The exclusive lock on a state file: `<state>.lock`, a small JSON document naming its holder,
//! created with `O_EXCL` so that exactly one run can hold it.

use super::StateError;
use super::file::{
    create_private, io_error, parent_dir, read_if_exists, remove_if_exists, sibling,
};
use super::id::random_uuid;
use crate::clock::now_rfc3339;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a command takes the state lock: Terraform's `-lock` and `-lock-timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// `-lock=false` turns locking off (the user vouches that nothing else writes the state).
    pub enabled: bool,
    /// How long to wait for a lock another run holds; zero fails at once.
    pub timeout: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            enabled: true,
            timeout: Duration::ZERO,
        }
    }
}

/// How often a waiting run looks at the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Who holds a lock: shown to anyone who finds the state locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random; `force-unlock` must name it, so that only this lock can be broken by it.
    pub id: String,
    /// The command that took it: `plan`, `apply`, ...
    pub operation: String,
    pub pid: u32,
    pub host: String,
    pub user: String,
    /// When it was taken, RFC 3339 in UTC.
    pub created: String,
    pub ggplan_version: String,
}

impl LockInfo {
    /// This process as the holder of a lock taken now for `operation`.
    pub(crate) fn for_this_run(operation: &str) -> LockInfo {
        LockInfo {
            id: random_uuid(),
            operation: operation.to_string(),
            pid: std::process::id(),
            host: hostname(),
            user: user(),
            created: now_rfc3339(),
            ggplan_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// A held lock, released when dropped.
#[derive(Debug)]
pub struct LockGuard {
    lock_path: PathBuf,
    info: LockInfo,
    /// The state's directory did not exist before the lock: a run that wrote nothing (bad
    /// input) leaves no trace.
    made_dir: bool,
}

impl LockGuard {
    /// Takes the lock of the state at `state_path` for `operation`, or reports who holds it.
    pub(crate) fn acquire(state_path: &Path, operation: &str) -> Result<LockGuard, StateError> {
        let lock_path = sibling(state_path, ".lock");
        let dir = parent_dir(&lock_path);
        let made_dir = !dir.exists();
        std::fs::create_dir_all(dir).map_err(io_error("create directory", dir))?;
        let info = LockInfo::for_this_run(operation);
        let mut bytes = serde_json::to_vec_pretty(&info)
            .map_err(io::Error::other)
            .map_err(io_error("encode", &lock_path))?;
        bytes.push(b'\n');
        // Two attempts: the holder may release the lock between our create and our read.
        for _ in 0..2 {
            match create_private(&lock_path, true) {
                Ok(mut file) => {
                    if let Err(e) = file.write_all(&bytes) {
                        // A lock nobody can read would block everyone: take it back.
                        drop(file);
                        std::fs::remove_file(&lock_path).ok();
                        return Err(io_error("write", &lock_path)(e));
                    }
                    return Ok(LockGuard {
                        lock_path,
                        info,
                        made_dir,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if let Some(holder) = read_holder(&lock_path)? {
                        return Err(StateError::Locked {
                            path: state_path.to_path_buf(),
                            stale: is_stale(&holder),
                            info: Box::new(holder),
                        });
                    }
                }
                Err(e) => return Err(io_error("create", &lock_path)(e)),
            }
        }
        Err(StateError::LockUnreadable {
            path: lock_path,
            detail: "it appeared and disappeared again while being read".to_string(),
        })
    }

    /// The holder details written in the lock file.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Only our own lock: after a force-unlock the file may belong to another run.
        if let Ok(Some(holder)) = read_holder(&self.lock_path)
            && holder.id == self.info.id
        {
            std::fs::remove_file(&self.lock_path).ok();
        }
        if self.made_dir {
            // Fails, as it should, when the run wrote anything there.
            std::fs::remove_dir(parent_dir(&self.lock_path)).ok();
        }
    }
}

/// Takes a lock with `acquire` as `policy` says, for any backend: `None` when locking is off;
/// while another live run holds it, retries until `policy.timeout` has passed, calling
/// `waiting` once with the holder's error first. A lock whose holder died is reported at once:
/// it is never released by waiting.
pub(crate) fn wait_for<T>(
    policy: LockPolicy,
    waiting: impl FnOnce(&StateError),
    mut acquire: impl FnMut() -> Result<T, StateError>,
) -> Result<Option<T>, StateError> {
    if !policy.enabled {
        return Ok(None);
    }
    let deadline = Instant::now() + policy.timeout;
    let mut waiting = Some(waiting);
    loop {
        match acquire() {
            Err(e) if e.is_held_by_a_live_run() => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(e);
                }
                if let Some(report) = waiting.take() {
                    report(&e);
                }
                std::thread::sleep(RETRY_EVERY.min(deadline - now));
            }
            other => return other.map(Some),
        }
    }
}

/// Removes the lock on the state at `state_path`, which must be held with `id` (the id shown
/// when the lock was reported). For locks left by runs that died.
pub fn force_unlock(state_path: &Path, id: &str) -> Result<(), StateError> {
    let lock_path = sibling(state_path, ".lock");
    match read_holder(&lock_path)? {
        None => Err(StateError::NotLocked {
            state: state_path.to_path_buf(),
            lock: lock_path,
        }),
        Some(holder) if holder.id != id => Err(StateError::LockIdMismatch {
            path: state_path.to_path_buf(),
            given: id.to_string(),
            holder: Box::new(holder),
        }),
        Some(_) => remove_if_exists(&lock_path).map(|_| ()),
    }
}

/// The holder of the lock at `lock_path`, or `None` when there is no lock.
fn read_holder(lock_path: &Path) -> Result<Option<LockInfo>, StateError> {
    let Some(bytes) = read_if_exists(lock_path)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StateError::LockUnreadable {
            path: lock_path.to_path_buf(),
            detail: e.to_string(),
        })
}

/// Whether the holder ran on this host and its process is gone. (A recycled pid makes a dead
/// holder look alive; the message then just asks to wait or force-unlock.)
pub(crate) fn is_stale(holder: &LockInfo) -> bool {
    let proc_fs = Path::new("/proc");
    holder.host == hostname()
        && proc_fs.join("self").exists()
        && !proc_fs.join(holder.pid.to_string()).exists()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

fn user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown-user".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateStore;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn store(dir: &tempfile::TempDir) -> StateStore {
        StateStore::new(dir.path().join("state").join("s.json"))
    }

    fn lock_path(store: &StateStore) -> PathBuf {
        sibling(store.path(), ".lock")
    }

    #[test]
    fn a_second_holder_is_refused_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let guard = store.lock("apply").unwrap();
        let mode = fs::metadata(lock_path(&store))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let err = store.lock("plan").unwrap_err();
        let StateError::Locked { stale, .. } = &err else {
            panic!("{err}")
        };
        assert!(!stale);
        let msg = err.to_string();
        let info = guard.info();
        for part in [
            &info.id,
            "apply",
            &info.pid.to_string(),
            &info.host,
            &info.user,
            &info.created,
        ] {
            assert!(msg.contains(part), "{part:?} missing from:\n{msg}");
        }
        assert!(msg.contains("Wait for that run to finish"), "{msg}");

        drop(guard);
        assert!(!lock_path(&store).exists());
        store.lock("plan").unwrap();
    }

    fn write_lock(store: &StateStore, pid: u32, host: String) -> LockInfo {
        let info = LockInfo {
            id: "1b4e28ba-2fa1-41d2-883f-0016d3cca427".into(),
            operation: "apply".into(),
            pid,
            host,
            user: "alice".into(),
            created: "2025-01-01T00:00:00Z".into(),
            ggplan_version: "0.1.0".into(),
        };
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        fs::write(lock_path(store), serde_json::to_vec(&info).unwrap()).unwrap();
        info
    }

    #[test]
    fn a_dead_holder_on_this_host_is_reported_as_stale() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        // Above any Linux pid_max, so certainly not running.
        let info = write_lock(&store, 0x7fff_fff0, hostname());
        let err = store.lock("apply").unwrap_err();
        assert!(
            matches!(err, StateError::Locked { stale: true, .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("no longer runs on this host"), "{msg}");
        assert!(
            msg.contains(&format!(
                "ggplan force-unlock {} --state {}",
                info.id,
                store.path().display()
            )),
            "{msg}"
        );

        write_lock(&store, 0x7fff_fff0, "elsewhere".into());
        assert!(matches!(
            store.lock("apply"),
            Err(StateError::Locked { stale: false, .. })
        ));
    }

    #[test]
    fn force_unlock_needs_the_holders_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let first = store.lock("apply").unwrap();
        let id = first.info().id.clone();

        let err = force_unlock(store.path(), "not-the-id").unwrap_err();
        assert!(matches!(err, StateError::LockIdMismatch { .. }), "{err}");
        assert!(err.to_string().contains(&id), "{err}");
        assert!(lock_path(&store).exists());

        force_unlock(store.path(), &id).unwrap();
        assert!(matches!(
            force_unlock(store.path(), &id),
            Err(StateError::NotLocked { .. })
        ));
        // The broken guard must not release the lock of the run that took it next.
        let second = store.lock("apply").unwrap();
        drop(first);
        assert!(lock_path(&store).exists());
        drop(second);
        assert!(!lock_path(&store).exists());
    }

    #[test]
    fn a_waiting_run_takes_the_lock_once_it_is_released_or_gives_up_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let path = store.path().to_path_buf();
        let held = store.lock("apply").unwrap();
        let policy = |ms| LockPolicy {
            enabled: true,
            timeout: Duration::from_millis(ms),
        };
        let mut reported = 0;
        let err = wait_for(
            policy(300),
            |_| reported += 1,
            || LockGuard::acquire(&path, "plan"),
        )
        .unwrap_err();
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        assert_eq!(reported, 1);

        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(held);
        });
        let guard = wait_for(policy(30_000), |_| (), || LockGuard::acquire(&path, "plan")).unwrap();
        assert_eq!(guard.unwrap().info().operation, "plan");
        releaser.join().unwrap();

        let off = LockPolicy {
            enabled: false,
            timeout: Duration::ZERO,
        };
        let _held = store.lock("apply").unwrap();
        assert!(
            wait_for(off, |_| (), || LockGuard::acquire(&path, "plan"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_dead_holder_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        write_lock(&store, 0x7fff_fff0, hostname());
        let start = Instant::now();
        let policy = LockPolicy {
            enabled: true,
            timeout: Duration::from_secs(60),
        };
        let err =
            wait_for(policy, |_| (), || LockGuard::acquire(store.path(), "plan")).unwrap_err();
        assert!(
            matches!(err, StateError::Locked { stale: true, .. }),
            "{err}"
        );
        assert!(start.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn an_unreadable_lock_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        fs::write(lock_path(&store), b"").unwrap();
        let err = store.lock("apply").unwrap_err();
        assert!(matches!(err, StateError::LockUnreadable { .. }), "{err}");
        assert!(err.to_string().contains("delete the file by hand"), "{err}");
    }
}
