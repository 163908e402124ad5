//! Group commit: changes are appended to the journal by one writer thread, which takes every
//! batch waiting at that moment and makes them durable with one write and one sync. A change
//! is acknowledged (and only then reported complete, and only then may its dependents start)
//! once it is durable.

use crate::state::{JournalEntry, JournalWriter, State};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

struct Batch {
    entries: Vec<JournalEntry>,
    done: oneshot::Sender<Result<(), String>>,
}

/// A handle to the writer thread.
#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<Batch>,
}

impl Committer {
    /// Starts the writer. Committed entries are applied to `state` after they are durable.
    pub fn start(
        mut journal: Box<dyn JournalWriter>,
        state: Arc<Mutex<State>>,
    ) -> (Committer, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Batch>();
        let handle = std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batches = vec![first];
                batches.extend(rx.try_iter());
                // Taken, not copied: the batches keep only their acknowledgement channels.
                let entries: Vec<JournalEntry> = batches
                    .iter_mut()
                    .flat_map(|b| std::mem::take(&mut b.entries))
                    .collect();
                let result = journal.append(&entries).map_err(|e| e.to_string());
                if result.is_ok() {
                    let mut state = crate::locks::locked(&state);
                    for entry in &entries {
                        entry.apply_to(&mut state);
                    }
                }
                for batch in batches {
                    let _ = batch.done.send(result.clone());
                }
            }
        });
        (Committer { tx }, handle)
    }

    /// Makes `entries` durable; returns once they are.
    pub async fn commit(&self, entries: Vec<JournalEntry>) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Batch { entries, done })
            .map_err(|_| "the state journal writer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the state journal writer has stopped".to_string())?
    }
}
