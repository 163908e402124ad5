//! The one connection a run keeps to PostgreSQL. The synchronous `postgres` driver runs its own
//! small runtime, which cannot be entered from the engine's tokio threads, so the connection
//! lives on a thread of its own and every query is a job sent to it (the engine's calls block,
//! as they do on the local file).
//!
//! One connection, because the state lock is a session-level advisory lock: it lasts exactly as
//! long as this connection. So a lost connection is never silently replaced: every later call
//! fails, since the lock went with it.

use super::settings::PgSettings;
use crate::state::StateError;
use postgres::Client;
use std::sync::mpsc;

/// Why a job failed: the database, or a check of the state itself.
pub(super) enum Failure {
    Db(postgres::Error),
    State(StateError),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Self {
        Failure::State(e)
    }
}

/// The connection as the session thread sees it.
struct Connection {
    settings: PgSettings,
    /// SQL run once, right after connecting (creating the schema and tables).
    setup: String,
    client: Option<Client>,
    /// Why the connection is gone, once it is: nothing is retried after that.
    lost: Option<String>,
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the session thread; the thread and its connection end when it is dropped.
pub(super) struct Session {
    jobs: mpsc::Sender<Job>,
    location: String,
}

impl Session {
    /// Starts the thread; it connects on the first job.
    pub fn start(settings: PgSettings, setup: String, location: String) -> Session {
        let (jobs, queue) = mpsc::channel::<Job>();
        let mut connection = Connection {
            settings,
            setup,
            client: None,
            lost: None,
        };
        std::thread::spawn(move || {
            for job in queue {
                job(&mut connection);
            }
        });
        Session { jobs, location }
    }

    /// Runs `job` with the connection and waits for its result; database errors become
    /// [`StateError::Remote`] with every secret scrubbed.
    pub fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Client) -> Result<R, Failure> + Send + 'static,
    ) -> Result<R, StateError> {
        let (reply, answer) = mpsc::channel();
        let location = self.location.clone();
        let boxed: Job = Box::new(move |connection: &mut Connection| {
            let result = match connection.client() {
                Ok(client) => job(client).map_err(|e| connection.describe(e)),
                Err(detail) => Err(detail),
            };
            let _ = reply.send(result.map_err(|detail| match detail {
                Described::State(e) => e,
                Described::Db(detail) => StateError::Remote { location, detail },
            }));
        });
        let stopped = || StateError::Remote {
            location: self.location.clone(),
            detail: "the database session thread has stopped".into(),
        };
        self.jobs.send(boxed).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}

/// A failure said for the user.
enum Described {
    State(StateError),
    Db(String),
}

impl Connection {
    /// The client, connecting (and setting up the schema) the first time.
    fn client(&mut self) -> Result<&mut Client, Described> {
        if let Some(why) = &self.lost {
            return Err(Described::Db(format!(
                "the connection to PostgreSQL was lost earlier in this run ({why}), and the \
                 state lock with it, so nothing more is written in this run. What was recorded \
                 before is kept in the database; run again once it is reachable."
            )));
        }
        if self.client.is_none() {
            let connected = self
                .settings
                .config
                .connect(self.settings.tls.clone())
                .and_then(|mut client| {
                    client.batch_execute(&self.setup)?;
                    Ok(client)
                });
            match connected {
                Ok(client) => self.client = Some(client),
                Err(e) => {
                    return Err(Described::Db(self.settings.scrub(&format!(
                        "could not connect to PostgreSQL and set up schema {:?}: {}. Check \
                         conn_str (or PG_CONN_STR) and that the server is running and \
                         reachable.",
                        self.settings.schema_name,
                        error_text(&e)
                    ))));
                }
            }
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    fn describe(&mut self, failure: Failure) -> Described {
        let e = match failure {
            Failure::State(e) => return Described::State(e),
            Failure::Db(e) => e,
        };
        let text = self.settings.scrub(&error_text(&e));
        if self.client.as_ref().is_some_and(Client::is_closed) || e.is_closed() {
            self.client = None;
            self.lost = Some(text.clone());
            return Described::Db(format!(
                "the connection to PostgreSQL was lost ({text}), and the state lock with it. \
                 What was recorded before is kept in the database; run again once it is \
                 reachable."
            ));
        }
        Described::Db(format!("PostgreSQL answered: {text}"))
    }
}

/// The driver's error with its causes (its own text is only "db error" or "error connecting
/// to server"): the server's message, or the I/O error.
fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text += &format!(": {c}");
        cause = c.source();
    }
    text
}
