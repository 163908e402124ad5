//! The write-ahead journal beside a state file (`<state>.journal`).
//!
//! Each [`Journal::append`] writes one line, `{"at": <RFC 3339>, "entries": [...]}`, and
//! fdatasyncs it: a batch is durable when `append` returns and is all-or-nothing on disk, since
//! a line is either complete or torn. Replay applies the batches in order; a torn last line (a
//! batch whose `append` never returned) is ignored, a bad line before the last is an error.
//! Under state encryption each line is an encryption envelope of that batch instead, so no
//! line holds an attribute value in clear; a torn last line is then not JSON at all.
//! Every entry overwrites what it names, so replaying onto a state that already contains some
//! of the entries (a crash between `persist` and the journal's removal) changes nothing.

use super::document::encryption_error;
use super::file::{PRIVATE_MODE, io_error, parent_dir, read_if_exists, sync_parent};
use super::{InstanceState, OutputState, PendingAction, PendingOp, State, StateError};
use crate::address::InstanceAddr;
use crate::clock::now_rfc3339;
use crate::encryption::Target;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// One recorded change to the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum JournalEntry {
    /// An operation on `addr` is about to start (becomes [`State::pending`]).
    Begin {
        #[serde(rename = "address")]
        addr: InstanceAddr,
        action: PendingAction,
    },
    /// An instance's new state; ends its pending operation.
    Set(InstanceState),
    /// An instance is gone; ends its pending operation.
    Remove {
        #[serde(rename = "address")]
        addr: InstanceAddr,
    },
    /// A create-before-destroy replacement sets the current object aside before creating the
    /// new one (becomes a [`State::deposed`] object).
    Depose { key: String, object: InstanceState },
    /// The replacement was not created: the deposed object is current again; ends its pending
    /// operation.
    Restore { key: String, object: InstanceState },
    /// A deposed object was destroyed.
    RemoveDeposed {
        #[serde(rename = "address")]
        addr: InstanceAddr,
        key: String,
    },
    /// A root output's new value, or `None` when it was removed.
    Output {
        name: String,
        output: Option<OutputState>,
    },
}

impl JournalEntry {
    /// Applies the change to an in-memory state (a `Begin` is stamped with the current time).
    pub fn apply_to(&self, state: &mut State) {
        self.apply_at(state, &now_rfc3339());
    }

    /// Applies the change as recorded at time `at`.
    pub(crate) fn apply_at(&self, state: &mut State, at: &str) {
        match self {
            JournalEntry::Begin { addr, action } => {
                let op = PendingOp {
                    action: *action,
                    started: at.to_string(),
                };
                state.pending.insert(addr.clone(), op);
            }
            JournalEntry::Set(inst) => {
                state.pending.remove(&inst.addr);
                state.set_instance(inst.clone());
            }
            JournalEntry::Remove { addr } => {
                state.pending.remove(addr);
                state.remove_instance(addr);
            }
            JournalEntry::Depose { key, object } => state.depose(key, object),
            JournalEntry::Restore { key, object } => {
                state.pending.remove(&object.addr);
                state.restore_deposed(key, object);
            }
            JournalEntry::RemoveDeposed { addr, key } => state.remove_deposed(addr, key),
            JournalEntry::Output { name, output } => match output {
                Some(output) => {
                    state.outputs.insert(name.clone(), output.clone());
                }
                None => {
                    state.outputs.remove(name);
                }
            },
        }
    }
}

/// One line of the journal: the entries of one `append`.
#[derive(Serialize, Deserialize)]
pub(crate) struct Batch<'a> {
    pub(crate) at: Cow<'a, str>,
    pub(crate) entries: Cow<'a, [JournalEntry]>,
}

/// The complete batches of a journal and the length of the bytes that hold them.
struct Parsed {
    batches: Vec<Batch<'static>>,
    valid_len: u64,
}

fn parse(path: &Path, encryption: &Target, bytes: &[u8]) -> Result<Parsed, StateError> {
    let mut batches = Vec::new();
    let mut pos = 0;
    for (index, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let last = pos + line.len() == bytes.len();
        // A torn last line is the batch of an append that never returned: it was never
        // acknowledged, so it is dropped. Only the last line can lack its newline.
        if !line.ends_with(b"\n") {
            break;
        }
        let plain = match encryption.open(line) {
            Ok(plain) => plain,
            Err(_) if last && serde_json::from_slice::<IgnoredAny>(line).is_err() => break,
            // A whole line the key does not open: refused, never cut as torn.
            Err(source) => return Err(encryption_error(path, source)),
        };
        match serde_json::from_slice::<Batch>(&plain) {
            Ok(batch) => batches.push(batch),
            Err(_) if last => break,
            Err(e) => {
                return Err(StateError::JournalCorrupt {
                    path: path.to_path_buf(),
                    line: index + 1,
                    detail: e.to_string(),
                });
            }
        }
        pos += line.len();
    }
    Ok(Parsed {
        batches,
        valid_len: pos as u64,
    })
}

/// Replays the journal at `path`, if there is one, onto `state`.
pub(crate) fn replay(
    path: &Path,
    encryption: &Target,
    state: &mut State,
) -> Result<(), StateError> {
    let Some(bytes) = read_if_exists(path)? else {
        return Ok(());
    };
    for batch in parse(path, encryption, &bytes)?.batches {
        for entry in batch.entries.iter() {
            entry.apply_at(state, &batch.at);
        }
    }
    Ok(())
}

/// The journal, open for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Device and inode of `file`: when `persist` has removed the journal, the next append
    /// starts a new one instead of writing into the removed file.
    identity: (u64, u64),
    /// How each line is sealed.
    encryption: Target,
    /// An append failed: what reached the disk is unknown, so nothing more is written.
    poisoned: bool,
}

impl Journal {
    /// Opens the journal at `path`, creating it and its directory (mode 0600, directory synced)
    /// if needed. A torn
    /// last line left by a crash is cut off first, so that new lines do not continue it.
    pub(crate) fn open(path: PathBuf, encryption: Target) -> Result<Journal, StateError> {
        let dir = parent_dir(&path);
        std::fs::create_dir_all(dir).map_err(io_error("create directory", dir))?;
        if let Some(bytes) = read_if_exists(&path)? {
            let valid_len = parse(&path, &encryption, &bytes)?.valid_len;
            if valid_len < bytes.len() as u64 {
                OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| {
                        f.set_len(valid_len)?;
                        f.sync_data()
                    })
                    .map_err(io_error("cut the torn last line of", &path))?;
            }
        }
        let (file, identity) = open_append(&path)?;
        Ok(Journal {
            path,
            file,
            identity,
            encryption,
            poisoned: false,
        })
    }

    /// Appends the entries with one write and one fdatasync: when this returns `Ok`, they are
    /// durable. Callers batch every change that is ready into one call (group commit), and
    /// must not call it while [`StateStore::persist`](super::StateStore::persist) runs.
    pub fn append(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        if self.poisoned {
            return Err(StateError::JournalPoisoned {
                path: self.path.clone(),
            });
        }
        if entries.is_empty() {
            return Ok(());
        }
        self.reopen_if_removed()?;
        let batch = Batch {
            at: Cow::Owned(now_rfc3339()),
            entries: Cow::Borrowed(entries),
        };
        let plain = serde_json::to_vec(&batch)
            .map_err(io::Error::other)
            .map_err(io_error("encode an entry of", &self.path))?;
        let mut line = self
            .encryption
            .seal(&plain)
            .map_err(|source| encryption_error(&self.path, source))?
            .into_owned();
        line.push(b'\n');
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            self.poisoned = true;
            return Err(io_error("append to", &self.path)(e));
        }
        Ok(())
    }

    fn reopen_if_removed(&mut self) -> Result<(), StateError> {
        let current = match std::fs::metadata(&self.path) {
            Ok(meta) => Some((meta.dev(), meta.ino())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error("inspect", &self.path)(e)),
        };
        if current != Some(self.identity) {
            (self.file, self.identity) = open_append(&self.path)?;
        }
        Ok(())
    }
}

/// Opens `path` for appending; a file it creates gets mode 0600 and a synced directory entry.
fn open_append(path: &Path) -> Result<(File, (u64, u64)), StateError> {
    let mut options = OpenOptions::new();
    options.append(true).mode(PRIVATE_MODE);
    let (file, created) = match options.clone().create_new(true).open(path) {
        Ok(file) => (file, true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            (options.open(path).map_err(io_error("open", path))?, false)
        }
        Err(e) => return Err(io_error("create", path)(e)),
    };
    let meta = file.metadata().map_err(io_error("inspect", path))?;
    if created {
        file.set_permissions(Permissions::from_mode(PRIVATE_MODE))
            .map_err(io_error("set the mode of", path))?;
        sync_parent(path)?;
    }
    Ok((file, (meta.dev(), meta.ino())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateStore;
    use crate::state::tests::{addr, sample_instance};
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Instant;

    fn store(dir: &tempfile::TempDir) -> StateStore {
        StateStore::new(dir.path().join("state").join("s.json"))
    }

    fn begin(address: &str) -> JournalEntry {
        JournalEntry::Begin {
            addr: addr(address),
            action: PendingAction::Create,
        }
    }

    /// A run that persisted once, then recorded more changes and "crashed": its journal and
    /// state are left on disk, as after `kill -9` (nothing is flushed at drop).
    fn crashed_run(store: &StateStore) -> State {
        let mut state = store.load().unwrap();
        state.set_instance(sample_instance("random_id.kept", "k"));
        state.set_instance(sample_instance("random_id.cbd", "old"));
        store.persist(&mut state).unwrap();
        let mut journal = store.journal().unwrap();
        let batches = [
            vec![
                begin("random_id.a"),
                begin("random_id.b"),
                begin("random_id.gone"),
            ],
            vec![
                JournalEntry::Set(sample_instance("random_id.a", "a1")),
                JournalEntry::Remove {
                    addr: addr("random_id.kept"),
                },
            ],
            vec![
                JournalEntry::Set(sample_instance("random_id.a", "a2")),
                JournalEntry::Output {
                    name: "id".into(),
                    output: Some(OutputState {
                        value: serde_json::json!("a2"),
                        sensitive: false,
                    }),
                },
                JournalEntry::Remove {
                    addr: addr("random_id.gone"),
                },
            ],
            // A create-before-destroy that crashed after creating the replacement, before
            // destroying the old object.
            vec![JournalEntry::Depose {
                key: "0a1b2c3d".into(),
                object: sample_instance("random_id.cbd", "old"),
            }],
            vec![JournalEntry::Set(sample_instance("random_id.cbd", "new"))],
        ];
        for batch in &batches {
            journal.append(batch).unwrap();
            for entry in batch {
                entry.apply_to(&mut state);
            }
        }
        drop(journal);
        state
    }

    #[test]
    fn a_crash_after_append_loses_nothing_and_replay_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let in_memory = crashed_run(&store);

        let loaded = store.load().unwrap();
        assert_eq!(loaded.resources, in_memory.resources);
        assert_eq!(loaded.outputs, in_memory.outputs);
        assert_eq!(
            loaded.pending.keys().collect::<Vec<_>>(),
            [&addr("random_id.b")]
        );
        assert_eq!(
            loaded.pending[&addr("random_id.b")].action,
            PendingAction::Create
        );
        assert_eq!(
            loaded
                .instance_value(&addr("random_id.a"))
                .unwrap()
                .get("id")
                .as_str(),
            Some("a2")
        );
        assert_eq!(loaded.deposed, in_memory.deposed);
        assert_eq!(loaded.deposed.len(), 1);
        assert_eq!(loaded.deposed[0].object.attributes["id"], "old");
        assert_eq!(
            loaded.resources[&addr("random_id.cbd")].attributes["id"],
            "new"
        );
        assert!(
            store.load().unwrap() == loaded,
            "loading twice must give the same state"
        );
        let mode = fs::metadata(store.journal_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        // A crash between persisting and removing the journal replays it onto a state that
        // already holds its entries: nothing changes.
        let journal_bytes = fs::read(store.journal_path()).unwrap();
        let mut persisted = loaded.clone();
        store.persist(&mut persisted).unwrap();
        assert!(!store.journal_path().exists());
        fs::write(store.journal_path(), journal_bytes).unwrap();
        assert_eq!(store.load().unwrap(), persisted);
    }

    #[test]
    fn encrypted_lines_hold_no_value_in_clear_and_a_wrong_key_cuts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("s.json");
        let key = crate::encryption::test_target("journal passphrase, long");
        let store = StateStore::new(path.clone()).with_encryption(key.clone());
        let mut journal = store.journal().unwrap();
        journal
            .append(&[JournalEntry::Set(sample_instance(
                "random_id.a",
                "hunter2-secret",
            ))])
            .unwrap();
        journal
            .append(&[JournalEntry::Set(sample_instance("random_id.b", "b"))])
            .unwrap();
        drop(journal);
        let bytes = fs::read(store.journal_path()).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(
            text.lines()
                .all(|l| l.starts_with("{\"encryption_version\"")),
            "{text}"
        );
        assert!(
            !text.contains("hunter2") && !text.contains("random_id"),
            "{text}"
        );
        assert_eq!(store.load().unwrap().resources.len(), 2);

        // A torn last line is still dropped.
        fs::write(
            store.journal_path(),
            [&bytes[..], b"{\"encryption_ver"].concat(),
        )
        .unwrap();
        assert_eq!(store.load().unwrap().resources.len(), 2);
        store.journal().unwrap();

        // Another key: refused, and the journal is neither replayed nor cut.
        let other = crate::encryption::test_target("another passphrase, long");
        let wrong = StateStore::new(path).with_encryption(other);
        for err in [wrong.load().unwrap_err(), wrong.journal().unwrap_err()] {
            assert!(matches!(err, StateError::Encryption { .. }), "{err}");
        }
        assert_eq!(fs::read(store.journal_path()).unwrap(), bytes);
    }

    /// One journal line, as a reviewer reads it.
    #[test]
    fn line_format() {
        let entries = [
            begin("random_id.a"),
            JournalEntry::Set(sample_instance("random_id.a", "a")),
            JournalEntry::Remove {
                addr: addr("random_id.old[0]"),
            },
            JournalEntry::Output {
                name: "id".into(),
                output: None,
            },
        ];
        let batch = Batch {
            at: "2025-01-31T12:34:56Z".into(),
            entries: Cow::Borrowed(&entries),
        };
        insta::assert_snapshot!(serde_json::to_string(&batch).unwrap());
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let expected = store.load().map(|_| crashed_run(&store)).unwrap();
        let whole = fs::read(store.journal_path()).unwrap();

        let torn_line = br#"{"at":"2025-01-01T00:00:00Z","entries":[{"op":"remove","addr"#;
        for tail in [&torn_line[..], b"{\"at\": \"x\", \"entr\n", b"\0\0\0\0"] {
            let mut bytes = whole.clone();
            bytes.extend_from_slice(tail);
            fs::write(store.journal_path(), &bytes).unwrap();
            assert_eq!(store.load().unwrap().resources, expected.resources);
        }

        // Appending after a crash must not glue the new line onto the torn one.
        let mut journal = store.journal().unwrap();
        journal
            .append(&[JournalEntry::Set(sample_instance("random_id.c", "c"))])
            .unwrap();
        let loaded = store.load().unwrap();
        assert!(loaded.resources.contains_key(&addr("random_id.c")));
        assert_eq!(loaded.resources.len(), expected.resources.len() + 1);
    }

    #[test]
    fn a_corrupt_line_before_the_last_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        crashed_run(&store);
        let text = String::from_utf8(fs::read(store.journal_path()).unwrap()).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1] = "{\"at\": \"x\", \"entries\": [{\"op\": \"explode\"}]}";
        fs::write(store.journal_path(), lines.join("\n") + "\n").unwrap();

        let err = store.load().unwrap_err();
        assert!(
            matches!(err, StateError::JournalCorrupt { line: 2, .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("s.json.journal is corrupt at line 2"),
            "{err}"
        );
        assert!(matches!(
            store.journal(),
            Err(StateError::JournalCorrupt { .. })
        ));
    }

    #[test]
    fn appends_after_a_persist_go_to_a_new_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut state = store.load().unwrap();
        let mut journal = store.journal().unwrap();
        let first = JournalEntry::Set(sample_instance("random_id.a", "a"));
        journal.append(std::slice::from_ref(&first)).unwrap();
        first.apply_to(&mut state);
        store.persist(&mut state).unwrap();
        journal
            .append(&[JournalEntry::Set(sample_instance("random_id.b", "b"))])
            .unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.resources.len(), 2);
        assert_eq!(loaded.serial, 1);
    }

    /// The cost of one durable append on this disk. Not a timed assertion: run with
    /// `cargo test --lib state::journal -- --ignored --nocapture` and read the figures.
    #[test]
    #[ignore]
    fn append_cost() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut journal = store.journal().unwrap();
        for batch_size in [1u32, 10, 100] {
            let appends = 1000u32;
            let start = Instant::now();
            for i in 0..appends {
                let batch: Vec<_> = (0..batch_size)
                    .map(|j| {
                        JournalEntry::Set(sample_instance(
                            &format!("random_id.x[{}]", i * batch_size + j),
                            "id",
                        ))
                    })
                    .collect();
                journal.append(&batch).unwrap();
            }
            let per = start.elapsed() / appends;
            println!(
                "batch of {batch_size:>3}: {per:?} per append, {:?} per entry",
                per / batch_size
            );
            assert_eq!(
                store.load().unwrap().resources.len(),
                (appends * batch_size) as usize
            );
            fs::remove_file(store.journal_path()).unwrap();
        }
    }
}
