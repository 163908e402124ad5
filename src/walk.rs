//! Walking a dependency graph concurrently: each node starts as soon as all of its
//! dependencies have finished, a failed node's dependents are skipped (independent branches
//! go on), and a stop request lets running nodes finish but starts no new one.
//!
//! Plan and apply both walk with this; what a visit does is theirs. Each visit runs with its
//! node's ticket for the run's parallelism slots (`slots`), of the node's priority: the
//! number of steps on the longest chain of dependents behind it. The slots go to the highest
//! first, so a long chain starts its next step before independent work that can wait; a
//! node's ticket is given back only once the walk has started its dependents, the one with
//! the longest chain behind it inheriting the node's claim on a slot (the baton).

use crate::slots::Slots;
use ggplan_sdk::{Diagnostic, Diagnostics};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinSet;

/// For each node, the number of nodes on the longest chain of its dependents (0 for a node
/// nothing depends on).
fn chain_lengths(dependents: &[Vec<usize>], waiting: &[usize]) -> Vec<u32> {
    // Kahn's order from the roots; then lengths from the leaves back.
    let mut waiting = waiting.to_vec();
    let mut order: Vec<usize> = (0..waiting.len()).filter(|i| waiting[*i] == 0).collect();
    let mut next = 0;
    while let Some(&node) = order.get(next) {
        next += 1;
        for &d in &dependents[node] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                order.push(d);
            }
        }
    }
    let mut lengths = vec![0u32; dependents.len()];
    for &node in order.iter().rev() {
        let longest = dependents[node].iter().map(|d| lengths[*d] + 1).max();
        lengths[node] = longest.unwrap_or(0);
    }
    lengths
}

/// Set to ask a walk to stop starting nodes (Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Asks the walk to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What happened to the nodes of a walk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WalkOutcome {
    /// Nodes whose visit failed.
    pub failed: BTreeSet<usize>,
    /// Nodes not visited: a dependency failed, or a stop was asked for.
    pub skipped: BTreeSet<usize>,
    /// Failed nodes whose visit panicked (a bug): they said nothing of their failure.
    pub panicked: BTreeSet<usize>,
}

impl WalkOutcome {
    /// Whether every node was visited successfully.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }

    /// An error for each visit that panicked, named by `name`: a run with one must fail,
    /// never report success.
    pub fn panics(&self, name: impl Fn(usize) -> String) -> Diagnostics {
        let errors = self
            .panicked
            .iter()
            .flat_map(|node| panic_error(&name(*node)).0);
        Diagnostics(errors.collect())
    }
}

/// The error for a step (named `what`) that panicked.
pub fn panic_error(what: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Internal error while working on {what}"),
        "ggplan stopped this step on a bug (a panic); its dependents were skipped, and every \
         change completed before it is recorded. Please report it.",
    )
    .into()
}

/// Visits every node of the graph given by `deps` (for each node, the nodes it depends on),
/// each visit with its node's ticket for `slots`. `visit` returns whether the node succeeded.
pub async fn walk<F, Fut>(
    deps: &[BTreeSet<usize>],
    stop: &StopFlag,
    slots: &Slots,
    visit: F,
) -> WalkOutcome
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (node, ds) in deps.iter().enumerate() {
        for d in ds {
            dependents[*d].push(node);
        }
    }
    let priorities = chain_lengths(&dependents, &waiting);
    let mut outcome = WalkOutcome::default();
    let mut running = JoinSet::new();
    let mut tickets = HashMap::new();
    let mut ready: Vec<usize> = (0..n).rev().filter(|i| waiting[*i] == 0).collect();
    // The last finished node's ticket, given back once its dependents have started, and the
    // dependent that inherits its claim.
    let mut finished = None;
    let mut baton = None;
    loop {
        while let Some(node) = ready.pop() {
            if stop.is_stopped() {
                skip_with_dependents(node, &dependents, &mut outcome.skipped);
                continue;
            }
            let ticket = slots.ticket(priorities[node], baton == Some(node));
            let handle = running.spawn(ticket.scope(visit(node)));
            tickets.insert(handle.id(), (node, ticket));
        }
        drop(finished.take());
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        // A panicking visit counts as a failed one; the other branches go on.
        let (id, ok, panicked) = match joined {
            Ok((id, ok)) => (id, ok, false),
            Err(e) => (e.id(), false, e.is_panic()),
        };
        let Some((node, ticket)) = tickets.remove(&id) else {
            continue;
        };
        if panicked {
            outcome.panicked.insert(node);
        }
        baton = None;
        if ok {
            let before = ready.len();
            for d in &dependents[node] {
                waiting[*d] -= 1;
                if waiting[*d] == 0 && !outcome.skipped.contains(d) {
                    ready.push(*d);
                }
            }
            let started = ready[before..].iter().copied();
            baton = started.max_by_key(|d| priorities[*d]);
            baton = baton.filter(|_| ticket.passes_baton());
        } else {
            outcome.failed.insert(node);
            for d in &dependents[node] {
                skip_with_dependents(*d, &dependents, &mut outcome.skipped);
            }
        }
        finished = Some(ticket);
    }
    outcome
}

fn skip_with_dependents(node: usize, dependents: &[Vec<usize>], skipped: &mut BTreeSet<usize>) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if skipped.insert(n) {
            stack.extend(dependents[n].iter().copied());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn deps(edges: &[(usize, usize)], n: usize) -> Vec<BTreeSet<usize>> {
        let mut d = vec![BTreeSet::new(); n];
        for (from, to) in edges {
            d[*from].insert(*to);
        }
        d
    }

    #[test]
    fn a_node_s_priority_is_the_length_of_the_longest_chain_behind_it() {
        // 0 <- 1 <- 2 <- 3, 0 <- 4, and 5 alone.
        let d = deps(&[(1, 0), (2, 1), (3, 2), (4, 0)], 6);
        let mut dependents = vec![Vec::new(); d.len()];
        for (node, ds) in d.iter().enumerate() {
            for dep in ds {
                dependents[*dep].push(node);
            }
        }
        let waiting: Vec<usize> = d.iter().map(BTreeSet::len).collect();
        assert_eq!(chain_lengths(&dependents, &waiting), [3, 2, 1, 0, 0, 0]);
    }

    #[tokio::test]
    async fn dependencies_finish_first() {
        // 0 <- 1 <- 3, 0 <- 2 <- 3
        let d = deps(&[(1, 0), (2, 0), (3, 1), (3, 2)], 4);
        let log = Arc::new(Mutex::new(Vec::new()));
        let outcome = walk(&d, &StopFlag::default(), &Slots::new(1), |n| {
            let log = log.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(5 * (3 - n as u64))).await;
                log.lock().unwrap().push(n);
                true
            }
        })
        .await;
        assert!(outcome.is_complete());
        let log = log.lock().unwrap();
        assert_eq!(log.first(), Some(&0));
        assert_eq!(log.last(), Some(&3));
    }

    #[tokio::test]
    async fn a_failure_skips_only_its_dependents() {
        // 1 depends on 0 (fails); 2 is independent; 3 depends on 1.
        let d = deps(&[(1, 0), (3, 1)], 4);
        let visited = Arc::new(Mutex::new(BTreeSet::new()));
        let outcome = walk(&d, &StopFlag::default(), &Slots::new(1), |n| {
            let visited = visited.clone();
            async move {
                visited.lock().unwrap().insert(n);
                n != 0
            }
        })
        .await;
        assert_eq!(outcome.failed, BTreeSet::from([0]));
        assert_eq!(outcome.skipped, BTreeSet::from([1, 3]));
        assert_eq!(*visited.lock().unwrap(), BTreeSet::from([0, 2]));
    }

    #[tokio::test]
    async fn a_stop_lets_running_nodes_finish() {
        let d = deps(&[(1, 0), (2, 1)], 3);
        let stop = StopFlag::default();
        let finished = Arc::new(AtomicUsize::new(0));
        let outcome = walk(&d, &stop, &Slots::new(1), |_| {
            let stop = stop.clone();
            let finished = finished.clone();
            async move {
                stop.stop();
                tokio::time::sleep(Duration::from_millis(10)).await;
                finished.fetch_add(1, Ordering::SeqCst);
                true
            }
        })
        .await;
        assert_eq!(finished.load(Ordering::SeqCst), 1);
        assert_eq!(outcome.skipped, BTreeSet::from([1, 2]));
    }

    #[tokio::test]
    async fn a_panic_is_a_failure() {
        let d = deps(&[(1, 0)], 3);
        let outcome = walk(&d, &StopFlag::default(), &Slots::new(1), |n| async move {
            if n == 0 {
                panic!("boom");
            }
            true
        })
        .await;
        assert_eq!(outcome.failed, BTreeSet::from([0]));
        assert_eq!(outcome.skipped, BTreeSet::from([1]));
        assert_eq!(outcome.panicked, BTreeSet::from([0]));
        let errors = outcome.panics(|n| format!("node {n}"));
        assert!(errors.has_errors());
        assert_eq!(
            errors.0[0].summary,
            "Internal error while working on node 0"
        );
    }
}
