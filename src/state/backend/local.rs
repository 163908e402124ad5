//! The local backend: one state file, its backup, journal and lock side by side; a workspace
//! other than `default` has its own directory, `<workspace_dir>/<name>/terraform.tfstate`, as
//! Terraform's local backend keeps it.

use super::{Backend, JournalWriter, StateLock, Workspaces};
use crate::encryption::Target;
use crate::state::document::{self, check_replaceable, encode_next};
use crate::state::file::{
    io_error, parent_dir, read_if_exists, remove_if_exists, replace_atomically, sibling,
    sync_parent, write_backup,
};
use crate::state::journal::{self, Journal};
use crate::state::lock::{LockGuard, force_unlock};
use crate::state::{State, StateError, WorkspaceName};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// One state file, e.g. `state/quickstart.json`, with `<state>.backup`, `<state>.journal` and
/// `<state>.lock` beside it. The state, its backup and each journal line are stored as the
/// `state` target of the configuration's encryption says.
#[derive(Debug, Clone)]
pub struct StateStore {
    path: PathBuf,
    encryption: Target,
}

/// The default state file of a stack: `<cwd>/state/<name of the stack directory>.json`.
/// The stack directory is canonicalized to find its name (so `.` works); one that cannot be
/// (it does not exist) is taken as written, relative to `cwd`.
pub fn default_state_path(cwd: &Path, stack_dir: &Path) -> PathBuf {
    let dir = stack_dir
        .canonicalize()
        .unwrap_or_else(|_| cwd.join(stack_dir));
    let name = dir
        .file_name()
        .map_or_else(|| "default".into(), |n| n.to_string_lossy().into_owned());
    cwd.join("state").join(format!("{name}.json"))
}

/// Terraform's default `workspace_dir` of the local backend.
pub const DEFAULT_WORKSPACE_DIR: &str = "terraform.tfstate.d";

/// The state file of a workspace other than `default` within its directory (Terraform's name,
/// whatever the default workspace's file is called).
const WORKSPACE_STATE_FILE: &str = "terraform.tfstate";

/// The local backend's workspaces: `default` is the state file the stack names (its `path`,
/// `--state`, or `state/<stack>.json`); workspace NAME is
/// `<workspace_dir>/NAME/terraform.tfstate`, and exists when its directory does.
#[derive(Debug, Clone)]
pub struct LocalWorkspaces {
    default_path: PathBuf,
    workspace_dir: PathBuf,
    encryption: Target,
}

impl LocalWorkspaces {
    /// The workspaces whose `default` state is `default_path`, the others in `workspace_dir`.
    pub fn new(default_path: PathBuf, workspace_dir: PathBuf) -> LocalWorkspaces {
        LocalWorkspaces {
            default_path,
            workspace_dir,
            encryption: Target::default(),
        }
    }

    /// The workspaces with their states sealed and opened by `encryption`.
    pub fn with_encryption(self, encryption: Target) -> LocalWorkspaces {
        LocalWorkspaces { encryption, ..self }
    }

    /// The state file of workspace `name`.
    pub fn state_path(&self, name: &WorkspaceName) -> PathBuf {
        if name.is_default() {
            return self.default_path.clone();
        }
        self.workspace_dir
            .join(name.as_str())
            .join(WORKSPACE_STATE_FILE)
    }

    /// The store of workspace `name`.
    pub fn store(&self, name: &WorkspaceName) -> StateStore {
        StateStore::new(self.state_path(name)).with_encryption(self.encryption.clone())
    }
}

impl Workspaces for LocalWorkspaces {
    fn open(&self, name: &WorkspaceName) -> Result<Box<dyn Backend>, StateError> {
        Ok(Box::new(self.store(name)))
    }

    fn stored_names(&self) -> Result<Vec<String>, StateError> {
        let entries = match std::fs::read_dir(&self.workspace_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("list", &self.workspace_dir)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list", &self.workspace_dir))?;
            if entry.path().is_dir()
                && let Ok(name) = entry.file_name().into_string()
            {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn delete(&self, name: &WorkspaceName) -> Result<(), StateError> {
        let store = self.store(name);
        let dir = parent_dir(store.path()).to_path_buf();
        {
            let _lock = store.lock("workspace delete")?;
            for file in [
                store.path().to_path_buf(),
                store.backup_path(),
                store.journal_path(),
            ] {
                remove_if_exists(&file)?;
            }
        }
        // Whatever else someone put in the directory is theirs: it is left, and said.
        match std::fs::remove_dir(&dir) {
            Ok(()) => sync_parent(&dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove the workspace directory", &dir)(e)),
        }
    }

    fn location(&self) -> String {
        self.workspace_dir.display().to_string()
    }
}

impl StateStore {
    /// The store of the state file at `path` (which need not exist yet).
    pub fn new(path: PathBuf) -> StateStore {
        StateStore {
            path,
            encryption: Target::default(),
        }
    }

    /// The store with what it writes sealed and what it reads opened by `encryption`.
    pub fn with_encryption(self, encryption: Target) -> StateStore {
        StateStore { encryption, ..self }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal beside the state file.
    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    /// The backup beside the state file.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// Takes the exclusive lock for `operation` (`plan`, `apply`, ...), or fails at once with
    /// [`StateError::Locked`] naming the holder. The lock is released when the guard drops.
    pub fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        LockGuard::acquire(&self.path, operation)
    }

    /// Loads the state: a missing file is a new empty state; a journal left by a crashed run is
    /// replayed onto it (and kept until the next [`persist`](Self::persist)). A file that is
    /// unreadable, corrupt or of an unknown or newer format is refused.
    pub fn load(&self) -> Result<State, StateError> {
        let mut state = match read_if_exists(&self.path)? {
            Some(bytes) => self.parse(&document::open(&self.encryption, &self.path, &bytes)?)?,
            None => State::new(),
        };
        journal::replay(&self.journal_path(), &self.encryption, &mut state)?;
        Ok(state)
    }

    /// Writes the whole state atomically with its serial incremented, keeping the previous file
    /// as `<state>.backup`, then removes the journal, whose entries are now in the file.
    ///
    /// Refuses to replace a file it could not load, one of another lineage, or one with a newer
    /// serial than `state` (written by someone else meanwhile).
    pub fn persist(&self, state: &mut State) -> Result<(), StateError> {
        let stored = read_if_exists(&self.path)?;
        let previous = match &stored {
            Some(bytes) => Some(document::open(&self.encryption, &self.path, bytes)?),
            None => None,
        };
        if let Some(plain) = &previous {
            let on_disk = document::header(&self.path, plain)?;
            check_replaceable(&self.path, on_disk, &state.lineage, state.serial)?;
        }
        let basis = state.serial;
        let bytes = encode_next(&self.path, state)?;
        let written = document::seal(&self.encryption, &self.path, &bytes)
            .and_then(|sealed| replace_atomically(&self.path, &sealed, &self.backup_path()));
        if let Err(e) = written {
            state.serial = basis;
            return Err(e);
        }
        // Moving into encryption: the backup is the plain previous state; it is sealed too,
        // so no secret stays readable beside the encrypted state.
        if let Some(Cow::Borrowed(plain)) = previous
            && self.encryption.encrypts()
        {
            let sealed = document::seal(&self.encryption, &self.path, plain)?;
            write_backup(&self.backup_path(), &sealed)?;
        }
        if remove_if_exists(&self.journal_path())? {
            sync_parent(&self.path)?;
        }
        Ok(())
    }

    /// Opens the journal for appending, creating it if needed.
    pub fn journal(&self) -> Result<Journal, StateError> {
        Journal::open(self.journal_path(), self.encryption.clone())
    }

    /// A state document read from elsewhere (standard input) as this file's would be: every
    /// check of [`load`](Self::load) but the journal.
    pub fn parse(&self, bytes: &[u8]) -> Result<State, StateError> {
        document::decode(&self.path, bytes)
    }
}

impl JournalWriter for Journal {
    fn append(&mut self, entries: &[crate::state::JournalEntry]) -> Result<(), StateError> {
        Journal::append(self, entries)
    }
}

impl Backend for StateStore {
    fn location(&self) -> &Path {
        &self.path
    }

    fn lock(&self, operation: &str) -> Result<StateLock, StateError> {
        StateStore::lock(self, operation).map(StateLock::new)
    }

    fn load(&self) -> Result<State, StateError> {
        StateStore::load(self)
    }

    fn persist(&self, state: &mut State) -> Result<(), StateError> {
        StateStore::persist(self, state)
    }

    fn journal(&self) -> Result<Box<dyn JournalWriter>, StateError> {
        Ok(Box::new(StateStore::journal(self)?))
    }

    fn journal_location(&self) -> String {
        self.journal_path().display().to_string()
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        force_unlock(&self.path, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::OutputState;
    use crate::state::tests::sample_instance;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn store(dir: &tempfile::TempDir) -> StateStore {
        StateStore::new(dir.path().join("state").join("quickstart.json"))
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn missing_file_is_a_new_state_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut state = store.load().unwrap();
        assert_eq!((state.serial, state.resources.len()), (0, 0));
        state.set_instance(sample_instance("random_id.a", "one"));
        state.outputs.insert(
            "pw".into(),
            OutputState {
                value: serde_json::json!("hunter2"),
                sensitive: true,
            },
        );
        store.persist(&mut state).unwrap();
        assert_eq!(state.serial, 1);
        assert_eq!(store.load().unwrap(), state);
        assert_eq!(mode(store.path()), 0o600);
    }

    #[test]
    fn persist_keeps_the_previous_file_as_backup() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut state = State::new();
        store.persist(&mut state).unwrap();
        let first = fs::read(store.path()).unwrap();
        state.set_instance(sample_instance("random_id.a", "one"));
        store.persist(&mut state).unwrap();
        assert_eq!(fs::read(store.backup_path()).unwrap(), first);
        assert_eq!(mode(&store.backup_path()), 0o600);
        assert_eq!(store.load().unwrap().serial, 2);
        let leftovers: Vec<_> = fs::read_dir(store.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_state_path_that_is_a_link_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let shared = dir.path().join("shared").join("team.json");
        fs::create_dir_all(shared.parent().unwrap()).unwrap();
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let mut state = State::new();
        StateStore::new(shared.clone()).persist(&mut state).unwrap();
        std::os::unix::fs::symlink(&shared, store.path()).unwrap();
        state.set_instance(sample_instance("random_id.a", "one"));
        store.persist(&mut state).unwrap();
        let link = fs::symlink_metadata(store.path()).unwrap();
        assert!(link.file_type().is_symlink(), "the link was replaced");
        assert_eq!(StateStore::new(shared).load().unwrap().serial, 2);
        let backup = fs::symlink_metadata(store.backup_path()).unwrap();
        assert!(
            backup.file_type().is_file(),
            "the backup is a copy, not the link"
        );
        assert_eq!(store.load().unwrap().resources.len(), 1);
    }

    #[test]
    fn the_largest_serial_is_refused_instead_of_wrapping_to_zero() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut state = State::new();
        store.persist(&mut state).unwrap();
        let before = fs::read(store.path()).unwrap();
        state.serial = u64::MAX;
        let err = store.persist(&mut state).unwrap_err();
        assert!(matches!(err, StateError::SerialExhausted { .. }), "{err}");
        assert_eq!(state.serial, u64::MAX);
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn corrupt_file_is_refused_and_left_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let garbage = b"{\"version\": 1, \"serial\": 3, \"resources\": [ oops";
        fs::write(store.path(), garbage).unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("quickstart.json") && msg.contains("left untouched"),
            "{msg}"
        );
        assert!(matches!(
            store.persist(&mut State::new()),
            Err(StateError::Corrupt { .. })
        ));
        assert_eq!(fs::read(store.path()).unwrap(), garbage);
        assert!(!store.backup_path().exists());
    }

    #[test]
    fn newer_or_unknown_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let newer = br#"{"version": 7, "ggplan_version": "9.0.0", "serial": 1, "lineage": "x"}"#;
        fs::write(store.path(), newer).unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(err, StateError::TooNew { version: 7, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("ggplan 9.0.0"), "{err}");
        assert!(store.persist(&mut State::new()).is_err());
        assert_eq!(fs::read(store.path()).unwrap(), newer);

        let terraform = br#"{"version": 4, "terraform_version": "1.15.5", "serial": 3}"#;
        fs::write(store.path(), terraform).unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err, StateError::TerraformState { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("is a Terraform state (format version 4, written by Terraform 1.15.5)")
                && msg.contains(&format!("ggplan state migrate {}", store.path().display())),
            "{msg}"
        );
        assert!(!msg.contains("written by ggplan"), "{msg}");
        assert!(store.persist(&mut State::new()).is_err());
        assert_eq!(fs::read(store.path()).unwrap(), terraform);

        fs::write(store.path(), br#"{"serial": 1}"#).unwrap();
        assert!(matches!(store.load(), Err(StateError::Corrupt { .. })));
        fs::write(store.path(), br#"{"version": 0}"#).unwrap();
        assert!(matches!(
            store.load(),
            Err(StateError::UnknownVersion { .. })
        ));
    }

    #[test]
    fn another_lineage_or_a_newer_serial_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut ours = State::new();
        store.persist(&mut ours).unwrap();
        let err = store.persist(&mut State::new()).unwrap_err();
        assert!(matches!(err, StateError::LineageMismatch { .. }), "{err}");
        let mut stale = ours.clone();
        store.persist(&mut ours).unwrap();
        let err = store.persist(&mut stale).unwrap_err();
        assert!(
            matches!(
                err,
                StateError::SerialConflict {
                    on_disk: 2,
                    ours: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(stale.serial, 1);
    }

    /// The cost of persisting and loading 10,000 instances. Not a timed assertion: run with
    /// `cargo test --release --lib state::store -- --ignored --nocapture` and read the figures.
    #[test]
    #[ignore]
    fn persist_and_load_cost() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let mut state = State::new();
        for i in 0..10_000 {
            state.set_instance(sample_instance(&format!("random_id.x[{i}]"), "id"));
        }
        let start = std::time::Instant::now();
        store.persist(&mut state).unwrap();
        store.persist(&mut state).unwrap();
        let persist = start.elapsed() / 2;
        let start = std::time::Instant::now();
        let loaded = store.load().unwrap();
        let load = start.elapsed();
        let size = fs::metadata(store.path()).unwrap().len();
        println!("10,000 instances, {size} bytes: persist {persist:?}, load {load:?}");
        assert_eq!(loaded, state);
    }

    fn workspaces(dir: &tempfile::TempDir) -> LocalWorkspaces {
        LocalWorkspaces::new(
            dir.path().join("state/stack.json"),
            dir.path().join(DEFAULT_WORKSPACE_DIR),
        )
    }

    fn name(text: &str) -> WorkspaceName {
        WorkspaceName::parse(text).unwrap()
    }

    #[test]
    fn each_workspace_has_its_own_file_and_is_listed_by_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let local = workspaces(&dir);
        assert_eq!(
            local.state_path(&name("default")),
            dir.path().join("state/stack.json")
        );
        let dev = dir.path().join("terraform.tfstate.d/dev/terraform.tfstate");
        assert_eq!(local.state_path(&name("dev")), dev);
        let backend: &dyn Workspaces = &local;
        assert_eq!(backend.workspaces().unwrap(), [name("default")]);
        local
            .store(&name("dev"))
            .persist(&mut State::new())
            .unwrap();
        // A file, or a directory whose name no workspace can have, is not a workspace.
        std::fs::write(dir.path().join("terraform.tfstate.d/notes.txt"), "x").unwrap();
        std::fs::create_dir(dir.path().join("terraform.tfstate.d/a b")).unwrap();
        assert_eq!(
            backend.workspaces().unwrap(),
            [name("default"), name("dev")]
        );
        assert!(backend.exists(&name("dev")).unwrap() && !backend.exists(&name("qa")).unwrap());
    }

    #[test]
    fn delete_removes_the_workspace_unless_it_is_locked_and_leaves_what_is_not_its() {
        let dir = tempfile::tempdir().unwrap();
        let local = workspaces(&dir);
        let dev = local.store(&name("dev"));
        let mut state = State::new();
        dev.persist(&mut state).unwrap();
        dev.persist(&mut state).unwrap();
        dev.journal().unwrap();
        assert!(dev.backup_path().exists() && dev.journal_path().exists());
        let held = dev.lock("apply").unwrap();
        let err = local.delete(&name("dev")).unwrap_err();
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        assert!(dev.path().exists(), "a locked workspace is left whole");
        drop(held);
        local.delete(&name("dev")).unwrap();
        assert!(!dev.path().parent().unwrap().exists());

        let qa = local.store(&name("qa"));
        qa.persist(&mut State::new()).unwrap();
        let theirs = qa.path().with_file_name("notes.txt");
        std::fs::write(&theirs, "mine").unwrap();
        let err = local.delete(&name("qa")).unwrap_err();
        assert!(
            err.to_string().contains("remove the workspace directory"),
            "{err}"
        );
        assert!(!qa.path().exists() && theirs.exists());
    }

    #[test]
    fn default_path_is_named_after_the_stack_directory() {
        let dir = tempfile::tempdir().unwrap();
        let stack = dir.path().join("quickstart");
        fs::create_dir(&stack).unwrap();
        let cwd = dir.path();
        assert_eq!(
            default_state_path(cwd, &stack.join(".")),
            cwd.join("state/quickstart.json")
        );
        assert_eq!(
            default_state_path(cwd, Path::new("missing")),
            cwd.join("state/missing.json")
        );
    }
}
