//! Terraform's `backend "pg"`: the state of each workspace in a row of `<schema>.states`
//! (Terraform's own table: `id`, `name`, `data`), with what ggplan adds beside it in the same
//! schema:
//!
//! - the lock: a session-level advisory lock on the workspace, held by the run's connection
//!   (so a run that dies releases it), with the holder's details in `ggplan_locks` to name it;
//! - the write-ahead journal: one `ggplan_journal` row per group commit, replayed by `load`
//!   and deleted in the same transaction as the `persist` that folds it in;
//! - compare-and-swap writes: `persist` reads the stored serial and writes in one transaction
//!   under a transaction-level advisory lock, so a stale state never replaces a newer one even
//!   when a run turned locking off.
//!
//! Under state encryption the `data` column and each journal row's `entries` hold encryption
//! envelopes, so no row carries an attribute value in clear.

mod session;
mod settings;
mod tls;

pub use settings::PgSettings;

use super::{Backend, JournalWriter, StateLock, Workspaces};
use crate::clock::now_rfc3339;
use crate::encryption::Target;
use crate::state::document::{self, check_replaceable, encode_next};
use crate::state::lock::LockInfo;
use crate::state::{JournalEntry, State, StateError, WorkspaceName};
use postgres::IsolationLevel;
use session::Session;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The advisory lock classes (the first key of the two-key form), so that ggplan's locks
/// collide with nothing else in the database.
const RUN_LOCK: i32 = 0x6767_0001;
const WRITE_LOCK: i32 = 0x6767_0002;
const SETUP_LOCK: i32 = 0x6767_0003;

/// The state of one workspace in PostgreSQL.
pub struct PgBackend {
    session: Arc<Session>,
    tables: Arc<Tables>,
    location: PathBuf,
    encryption: Target,
}

/// The qualified names the queries use, and the keys of the workspace's locks.
struct Tables {
    states: String,
    journal: String,
    locks: String,
    workspace: String,
    /// Hashed by the server into the second key of the advisory locks.
    lock_key: String,
}

/// The workspaces of one pg backend: the rows of its `states` table, each opened on the one
/// session of the run (so the lock a run holds and its reads and writes share a connection).
pub struct PgWorkspaces {
    session: Arc<Session>,
    schema_name: String,
    schema_sql: String,
    server: String,
    encryption: Target,
}

impl PgWorkspaces {
    /// The workspaces of the backend `settings` configures; it connects on first use.
    pub fn new(settings: PgSettings) -> PgWorkspaces {
        let schema_sql = settings.schema_sql();
        let schema_name = settings.schema_name.clone();
        let server = settings.server();
        let location = format!("pg://{server}/{schema_name}.states");
        let setup = setup_sql(&settings, &schema_sql);
        PgWorkspaces {
            session: Arc::new(Session::start(settings, setup, location)),
            schema_name,
            schema_sql,
            server,
            encryption: Target::default(),
        }
    }

    /// The workspaces with state and journal rows sealed and opened by `encryption`.
    pub fn with_encryption(self, encryption: Target) -> PgWorkspaces {
        PgWorkspaces { encryption, ..self }
    }

    /// The backend of workspace `name`: its row, its journal rows and its advisory lock.
    pub fn backend(&self, name: &WorkspaceName) -> PgBackend {
        let schema = &self.schema_sql;
        let tables = Tables {
            states: format!("{schema}.states"),
            journal: format!("{schema}.ggplan_journal"),
            locks: format!("{schema}.ggplan_locks"),
            workspace: name.to_string(),
            lock_key: format!("{}/{name}", self.schema_name),
        };
        let location = format!("pg://{}/{}.states[{name}]", self.server, self.schema_name);
        PgBackend {
            session: self.session.clone(),
            tables: Arc::new(tables),
            location: PathBuf::from(location),
            encryption: self.encryption.clone(),
        }
    }
}

impl Workspaces for PgWorkspaces {
    fn open(&self, name: &WorkspaceName) -> Result<Box<dyn Backend>, StateError> {
        Ok(Box::new(self.backend(name)))
    }

    fn stored_names(&self) -> Result<Vec<String>, StateError> {
        let states = format!("{}.states", self.schema_sql);
        self.session.run(move |c| {
            let rows = c.query(&format!("SELECT name FROM {states} ORDER BY name"), &[])?;
            Ok(rows
                .iter()
                .filter_map(|r| r.get::<_, Option<String>>(0))
                .collect())
        })
    }

    fn delete(&self, name: &WorkspaceName) -> Result<(), StateError> {
        let backend = self.backend(name);
        // The run lock, as a run would take it: refused while another run holds it.
        let _lock = Backend::lock(&backend, "workspace delete")?;
        let tables = backend.tables.clone();
        backend.session.run(move |c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&WRITE_LOCK, &tables.lock_key],
            )?;
            for table in [&tables.states, &tables.journal] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE name = $1"),
                    &[&tables.workspace],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn location(&self) -> String {
        format!("pg://{}/{}.states", self.server, self.schema_name)
    }
}

impl PgBackend {
    /// The backend of the `default` workspace for `settings`; it connects on first use.
    pub fn new(settings: PgSettings) -> PgBackend {
        PgWorkspaces::new(settings).backend(&WorkspaceName::default())
    }

    /// The backend with the state and journal rows sealed and opened by `encryption`.
    pub fn with_encryption(self, encryption: Target) -> PgBackend {
        PgBackend { encryption, ..self }
    }

    fn location_text(&self) -> String {
        self.location.display().to_string()
    }
}

/// Creates what is missing, as Terraform's backend does (unless told to skip), under a lock so
/// that two first runs do not race.
fn setup_sql(settings: &PgSettings, schema: &str) -> String {
    let mut sql = format!(
        "BEGIN;\nSELECT pg_advisory_xact_lock({SETUP_LOCK}, hashtext('{}'));\n",
        settings.schema_name.replace('\'', "''")
    );
    if !settings.skip_schema_creation {
        sql += &format!("CREATE SCHEMA IF NOT EXISTS {schema};\n");
    }
    if !settings.skip_table_creation {
        sql += &format!(
            "CREATE TABLE IF NOT EXISTS {schema}.states (id bigserial PRIMARY KEY, name text, \
             data text);\n\
             CREATE TABLE IF NOT EXISTS {schema}.ggplan_journal (id bigserial PRIMARY KEY, \
             name text NOT NULL, at text NOT NULL, entries text NOT NULL);\n\
             CREATE TABLE IF NOT EXISTS {schema}.ggplan_locks (name text PRIMARY KEY, \
             info text NOT NULL);\n"
        );
    }
    if !settings.skip_index_creation {
        sql += &format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON {schema}.states (name);\n"
        );
    }
    sql + "COMMIT;"
}

/// The advisory lock of a run, released when dropped (and by the server if the run dies).
struct PgLock {
    session: Arc<Session>,
    tables: Arc<Tables>,
    info: String,
}

impl Drop for PgLock {
    fn drop(&mut self) {
        let tables = self.tables.clone();
        let info = std::mem::take(&mut self.info);
        let _ = self.session.run(move |c| {
            c.execute(
                &format!("DELETE FROM {} WHERE name = $1 AND info = $2", tables.locks),
                &[&tables.workspace, &info],
            )?;
            c.execute(
                "SELECT pg_advisory_unlock($1, hashtext($2))",
                &[&RUN_LOCK, &tables.lock_key],
            )?;
            Ok(())
        });
    }
}

impl Backend for PgBackend {
    fn location(&self) -> &Path {
        &self.location
    }

    fn lock(&self, operation: &str) -> Result<StateLock, StateError> {
        let info = serde_json::to_string(&LockInfo::for_this_run(operation))
            .expect("a lock holder encodes");
        let tables = self.tables.clone();
        let ours = info.clone();
        let holder = self.session.run(move |c| {
            let taken: bool = c
                .query_one(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    &[&RUN_LOCK, &tables.lock_key],
                )?
                .get(0);
            if taken {
                c.execute(
                    &format!(
                        "INSERT INTO {} (name, info) VALUES ($1, $2) \
                         ON CONFLICT (name) DO UPDATE SET info = EXCLUDED.info",
                        tables.locks
                    ),
                    &[&tables.workspace, &ours],
                )?;
                return Ok(None);
            }
            let row = c.query_opt(
                &format!("SELECT info FROM {} WHERE name = $1", tables.locks),
                &[&tables.workspace],
            )?;
            Ok(Some(row.map(|r| r.get::<_, String>(0))))
        })?;
        match holder {
            None => Ok(StateLock::new(PgLock {
                session: self.session.clone(),
                tables: self.tables.clone(),
                info,
            })),
            Some(found) => Err(StateError::LockedInDatabase {
                location: self.location_text(),
                info: Box::new(holder_info(found.as_deref())),
            }),
        }
    }

    fn load(&self) -> Result<State, StateError> {
        let tables = self.tables.clone();
        let (data, journal) = self.session.run(move |c| {
            // One snapshot: a persist between the two reads must not hide the journal's
            // entries from the state they were folded into, nor the reverse.
            let mut tx = c
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let data = tx
                .query_opt(
                    &format!("SELECT data FROM {} WHERE name = $1", tables.states),
                    &[&tables.workspace],
                )?
                .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default());
            let journal: Vec<(i64, String, String)> = tx
                .query(
                    &format!(
                        "SELECT id, at, entries FROM {} WHERE name = $1 ORDER BY id",
                        tables.journal
                    ),
                    &[&tables.workspace],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            tx.commit()?;
            Ok((data, journal))
        })?;
        let mut state = match data {
            Some(text) => {
                let plain = document::open(&self.encryption, &self.location, text.as_bytes())?;
                document::decode(&self.location, &plain)?
            }
            None => State::new(),
        };
        self.replay(&journal, &mut state)?;
        Ok(state)
    }

    fn persist(&self, state: &mut State) -> Result<(), StateError> {
        let (lineage, basis) = (state.lineage.clone(), state.serial);
        let plain = encode_next(&self.location, state)?;
        let text = match document::seal(&self.encryption, &self.location, &plain) {
            Ok(sealed) => String::from_utf8(sealed.into_owned()).expect("JSON is UTF-8"),
            Err(e) => {
                state.serial = basis;
                return Err(e);
            }
        };
        let tables = self.tables.clone();
        let location = self.location.clone();
        let encryption = self.encryption.clone();
        let written = self.session.run(move |c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&WRITE_LOCK, &tables.lock_key],
            )?;
            let stored = tx.query_opt(
                &format!("SELECT data FROM {} WHERE name = $1", tables.states),
                &[&tables.workspace],
            )?;
            let write = match stored {
                Some(row) => {
                    let data: String = row.get::<_, Option<String>>(0).unwrap_or_default();
                    let plain = document::open(&encryption, &location, data.as_bytes())?;
                    let on_disk = document::header(&location, &plain)?;
                    check_replaceable(&location, on_disk, &lineage, basis)?;
                    "UPDATE {} SET data = $2 WHERE name = $1"
                }
                None => "INSERT INTO {} (name, data) VALUES ($1, $2)",
            };
            tx.execute(
                &write.replace("{}", &tables.states),
                &[&tables.workspace, &text],
            )?;
            tx.execute(
                &format!("DELETE FROM {} WHERE name = $1", tables.journal),
                &[&tables.workspace],
            )?;
            tx.commit()?;
            Ok(())
        });
        if written.is_err() {
            state.serial = basis;
        }
        written
    }

    fn journal(&self) -> Result<Box<dyn JournalWriter>, StateError> {
        Ok(Box::new(PgJournal {
            session: self.session.clone(),
            tables: self.tables.clone(),
            location: self.journal_location(),
            encryption: self.encryption.clone(),
            poisoned: false,
        }))
    }

    fn journal_location(&self) -> String {
        format!(
            "{} (workspace {})",
            self.tables.journal, self.tables.workspace
        )
    }

    fn force_unlock(&self, _id: &str) -> Result<(), StateError> {
        Err(StateError::Remote {
            location: self.location_text(),
            detail: "the pg backend's lock is a PostgreSQL advisory lock: it is released as \
                     soon as the session of the run that holds it ends, and no other run can \
                     break it. If that run hangs, stop it, or end its session in the database \
                     (pg_terminate_backend on the pid that pg_locks shows for the advisory \
                     lock)."
                .into(),
        })
    }
}

impl PgBackend {
    /// Applies the journal rows (id, time, entries) in order.
    fn replay(&self, rows: &[(i64, String, String)], state: &mut State) -> Result<(), StateError> {
        let location = PathBuf::from(self.journal_location());
        for (id, at, stored) in rows {
            let entries = document::open(&self.encryption, &location, stored.as_bytes())?;
            let entries: Vec<JournalEntry> =
                serde_json::from_slice(&entries).map_err(|e| StateError::JournalCorrupt {
                    path: location.clone(),
                    line: usize::try_from(*id).unwrap_or(0),
                    detail: e.to_string(),
                })?;
            for entry in &entries {
                entry.apply_at(state, at);
            }
        }
        Ok(())
    }
}

/// The holder named in `ggplan_locks`, or an unknown one (it had not written it yet).
fn holder_info(found: Option<&str>) -> LockInfo {
    found
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| LockInfo {
            id: "unknown".into(),
            operation: "unknown".into(),
            pid: 0,
            host: "unknown (the holder has not recorded itself yet)".into(),
            user: "unknown".into(),
            created: "unknown".into(),
            ggplan_version: "unknown".into(),
        })
}

/// The journal as rows of `ggplan_journal`: one INSERT per group commit, durable when it
/// returns (a committed transaction).
struct PgJournal {
    session: Arc<Session>,
    tables: Arc<Tables>,
    location: String,
    encryption: Target,
    poisoned: bool,
}

impl JournalWriter for PgJournal {
    fn append(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        if self.poisoned {
            return Err(StateError::JournalPoisoned {
                path: PathBuf::from(&self.location),
            });
        }
        if entries.is_empty() {
            return Ok(());
        }
        let plain = serde_json::to_vec(entries).expect("journal entries encode");
        let location = Path::new(&self.location);
        let sealed = document::seal(&self.encryption, location, &plain)?;
        let text = String::from_utf8(sealed.into_owned()).expect("JSON is UTF-8");
        let tables = self.tables.clone();
        let at = now_rfc3339();
        let appended = self.session.run(move |c| {
            c.execute(
                &format!(
                    "INSERT INTO {} (name, at, entries) VALUES ($1, $2, $3)",
                    tables.journal
                ),
                &[&tables.workspace, &at, &text],
            )?;
            Ok(())
        });
        self.poisoned = appended.is_err();
        appended
    }
}
