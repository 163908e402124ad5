//! The run's parallelism slots, handed out by priority: when more steps want a slot than
//! there are slots, the one with the longest chain of steps still behind it goes first, so
//! that a long dependency chain is not kept waiting behind independent work (which would make
//! the whole run longer than the graph allows).
//!
//! A slot is not only handed to steps already waiting for one: a freed slot is kept for a
//! step of higher priority that the walk has started but that has not asked yet (it is still
//! evaluating, or planning, or its predecessor's state is being journaled), and a step that
//! gave its slot back keeps one for its dependents until the walk has started them. The
//! dependent with the longest chain behind it inherits that claim (the *baton*) and wins ties
//! against steps already waiting: a chain goes on in its slot instead of queueing behind
//! independent steps of equal priority. Equal claims go first come, first served.
//!
//! The walk (`walk`) takes a [`Ticket`] for each step it starts; the step's visit runs in the
//! ticket's scope, which is how [`Slots::acquire`] knows who is asking.

use crate::locks::locked;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::future::Future;
use std::ops::Bound;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

tokio::task_local! {
    static TASK: TaskKey;
}

/// Which walk step a task is.
#[derive(Debug, Clone, Copy)]
struct TaskKey {
    id: u64,
}

/// Ticket numbers, unique in the process (a ticket of another `Slots` is not one of ours).
static TICKETS: AtomicU64 = AtomicU64::new(0);

/// A claim on the next free slot: its priority, then whether it holds the baton (wins ties).
type Claim = (u32, bool);

/// At most `capacity` holders at once.
#[derive(Debug)]
pub struct Slots {
    state: Mutex<SlotsState>,
}

#[derive(Debug)]
struct SlotsState {
    free: usize,
    waiting: BinaryHeap<Waiter>,
    /// Arrival order, to keep equal priorities first come, first served.
    arrivals: u64,
    /// The walk's started steps, by ticket.
    tasks: HashMap<u64, Task>,
    /// How many started steps that hold and wait for no slot have each claim.
    expected: BTreeMap<Claim, usize>,
}

/// A started step of the walk.
#[derive(Debug)]
struct Task {
    priority: u32,
    /// Inherited from the predecessor that gave its slot back.
    baton: bool,
    /// Slots held and asked for.
    holding: usize,
    /// Whether it held a slot: its claim is then its dependents'.
    held: bool,
}

impl Task {
    /// Its claim on a freed slot, while it holds and waits for none.
    fn expects(&self) -> Option<Claim> {
        match (self.holding, self.held) {
            (0, false) => Some((self.priority, self.baton)),
            (0, true) => Some((self.priority.saturating_sub(1), true)),
            _ => None,
        }
    }

    /// Whether its dependent with the longest chain inherits a claim.
    fn passes_baton(&self) -> bool {
        self.held || self.baton
    }
}

#[derive(Debug)]
struct Waiter {
    claim: Claim,
    arrival: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Waiter) -> bool {
        (self.claim, self.arrival) == (other.claim, other.arrival)
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Waiter) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// The greatest is served first: the best claim, then the earliest arrival.
    fn cmp(&self, other: &Waiter) -> std::cmp::Ordering {
        self.claim
            .cmp(&other.claim)
            .then(other.arrival.cmp(&self.arrival))
    }
}

impl SlotsState {
    /// Runs `change` on the task `id` (if it is still one of the walk's), keeping the
    /// expected claims up to date.
    fn update_task(&mut self, id: Option<u64>, change: impl FnOnce(&mut Task)) {
        let Some(task) = id.and_then(|id| self.tasks.get_mut(&id)) else {
            return;
        };
        let before = task.expects();
        change(task);
        let after = task.expects();
        if before != after {
            self.unexpect(before);
            self.expect(after);
        }
    }

    fn expect(&mut self, claim: Option<Claim>) {
        if let Some(claim) = claim {
            *self.expected.entry(claim).or_default() += 1;
        }
    }

    fn unexpect(&mut self, claim: Option<Claim>) {
        let Some(claim) = claim else { return };
        if let Some(count) = self.expected.get_mut(&claim) {
            *count -= 1;
            if *count == 0 {
                self.expected.remove(&claim);
            }
        }
    }

    /// Whether a step asking with `claim` may have a free slot now: fewer started steps
    /// with a better claim than it have not asked yet than there are free slots.
    fn may_take(&self, claim: Claim) -> bool {
        let better = (Bound::Excluded(claim), Bound::Unbounded);
        let ahead: usize = self.expected.range(better).map(|(_, n)| n).sum();
        ahead < self.free
    }

    /// Hands free slots to the best waiters, as far as better claims leave them free.
    fn hand_out(&mut self) {
        while let Some(best) = self.waiting.peek() {
            if !self.may_take(best.claim) {
                return;
            }
            if let Some(waiter) = self.waiting.pop()
                && waiter.wake.send(()).is_ok()
            {
                self.free -= 1;
            }
        }
    }

    /// A slot of task `id` is free again.
    fn release(&mut self, id: Option<u64>) {
        self.free += 1;
        self.update_task(id, |task| task.holding -= 1);
        self.hand_out();
    }
}

/// A waiter's side of the handover. Dropped before it took its slot (its task was
/// cancelled), it refuses further handovers and passes on a slot already handed to it.
struct Waiting<'a> {
    slots: &'a Slots,
    task: Option<u64>,
    woken: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut woken) = self.woken.take() {
            let mut state = locked(&self.slots.state);
            woken.close();
            if woken.try_recv().is_ok() {
                state.release(self.task);
            } else {
                state.update_task(self.task, |task| task.holding -= 1);
                state.hand_out();
            }
        }
    }
}

/// A held slot; dropping it hands it to the next waiter.
#[derive(Debug)]
pub struct Slot<'a> {
    slots: &'a Slots,
    task: Option<u64>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        locked(&self.slots.state).release(self.task);
    }
}

/// A step the walk started: until it is dropped (when the walk has started the step's
/// dependents), the step's claim keeps a freed slot from a waiter of lower priority.
#[derive(Debug)]
pub struct Ticket<'a> {
    slots: &'a Slots,
    key: TaskKey,
}

impl Ticket<'_> {
    /// Runs the step's visit as this ticket's step.
    pub fn scope<F: Future>(&self, visit: F) -> impl Future<Output = F::Output> + use<F> {
        TASK.scope(self.key, visit)
    }

    /// Whether the step's dependent with the longest chain behind it inherits its claim:
    /// the step held a slot, or inherited the claim itself.
    pub fn passes_baton(&self) -> bool {
        let state = locked(&self.slots.state);
        state
            .tasks
            .get(&self.key.id)
            .is_some_and(Task::passes_baton)
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut state = locked(&self.slots.state);
        if let Some(task) = state.tasks.remove(&self.key.id) {
            state.unexpect(task.expects());
            state.hand_out();
        }
    }
}

impl Slots {
    pub fn new(capacity: usize) -> Slots {
        Slots {
            state: Mutex::new(SlotsState {
                free: capacity.max(1),
                waiting: BinaryHeap::new(),
                arrivals: 0,
                tasks: HashMap::new(),
                expected: BTreeMap::new(),
            }),
        }
    }

    /// A ticket for a step the walk starts, of `priority`; `baton` when it inherits its
    /// predecessor's claim.
    pub fn ticket(&self, priority: u32, baton: bool) -> Ticket<'_> {
        let id = TICKETS.fetch_add(1, Ordering::Relaxed);
        let task = Task {
            priority,
            baton,
            holding: 0,
            held: false,
        };
        let mut state = locked(&self.state);
        state.expect(task.expects());
        state.tasks.insert(id, task);
        Ticket {
            slots: self,
            key: TaskKey { id },
        }
    }

    /// Waits for a slot, served before lower claims: the priority of the walk step asking
    /// and its baton (priority 0 outside a walk).
    pub async fn acquire(&self) -> Slot<'_> {
        let task = TASK.try_with(|key| key.id).ok();
        let woken = {
            let mut state = locked(&self.state);
            let claim = task
                .and_then(|id| state.tasks.get(&id))
                .map_or((0, false), |task| (task.priority, task.baton));
            state.update_task(task, |task| {
                task.holding += 1;
                task.held = true;
            });
            if state.waiting.is_empty() && state.may_take(claim) {
                state.free -= 1;
                return Slot { slots: self, task };
            }
            let (wake, woken) = oneshot::channel();
            state.arrivals += 1;
            let arrival = state.arrivals;
            state.waiting.push(Waiter {
                claim,
                arrival,
                wake,
            });
            state.hand_out();
            woken
        };
        let mut waiting = Waiting {
            slots: self,
            task,
            woken: Some(woken),
        };
        if let Some(woken) = waiting.woken.as_mut() {
            // The sender is dropped unsent only with the whole `Slots`.
            let _ = woken.await;
        }
        waiting.woken = None;
        Slot { slots: self, task }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::mpsc;

    /// Starts a task per priority, in order, each a walk step of that priority waiting for a
    /// slot of `slots` (whose only slot the caller holds) and then sending its priority;
    /// returns the receiving end.
    async fn waiters(slots: &Arc<Slots>, priorities: &[u32]) -> mpsc::UnboundedReceiver<u32> {
        let (served, order) = mpsc::unbounded_channel();
        for (queued, &priority) in priorities.iter().enumerate() {
            let (shared, served) = (slots.clone(), served.clone());
            tokio::spawn(async move {
                let ticket = shared.ticket(priority, false);
                let _slot = ticket.scope(shared.acquire()).await;
                served.send(priority).unwrap();
            });
            // Let it queue before the next arrives.
            while locked(&slots.state).waiting.len() <= queued {
                tokio::task::yield_now().await;
            }
        }
        order
    }

    #[tokio::test]
    async fn the_highest_priority_goes_first_and_equal_ones_in_arrival_order() {
        let slots = Arc::new(Slots::new(1));
        let held = slots.acquire().await;
        let mut order = waiters(&slots, &[1, 7, 3, 5]).await;
        drop(held);
        let mut served = Vec::new();
        for _ in 0..4 {
            served.push(order.recv().await.unwrap());
        }
        assert_eq!(served, [7, 5, 3, 1]);
        let state = locked(&slots.state);
        assert_eq!(
            (state.free, state.tasks.len(), state.expected.len()),
            (1, 0, 0)
        );
    }

    #[tokio::test]
    async fn a_freed_slot_waits_for_a_started_step_of_higher_priority() {
        let slots = Slots::new(1);
        let held = slots.acquire().await;
        let low = slots.ticket(1, false);
        let waiting = low.scope(slots.acquire());
        tokio::pin!(waiting);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        // Started, still evaluating: it has not asked.
        let high = slots.ticket(4, false);
        drop(held);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        let taken = high.scope(slots.acquire()).await;
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        drop(taken);
        // Its slot is kept for its dependents (they would have priority 3) until the walk
        // has started them, when the ticket is dropped.
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        drop(high);
        assert!(futures::poll!(waiting.as_mut()).is_ready());
    }

    #[tokio::test]
    async fn the_baton_wins_ties_against_earlier_waiters() {
        let slots = Slots::new(1);
        let held = slots.acquire().await;
        let earlier = slots.ticket(2, false);
        let waiting = earlier.scope(slots.acquire());
        tokio::pin!(waiting);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        // Of equal priority, without the baton: it would queue behind the earlier one.
        let equal = slots.ticket(2, false);
        assert!(!equal.passes_baton());
        drop(equal);
        let chain = slots.ticket(2, true);
        assert!(chain.passes_baton());
        drop(held);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        let taken = chain.scope(slots.acquire()).await;
        drop(taken);
        // Its dependents would have priority 1: the earlier waiter's turn.
        assert!(futures::poll!(waiting.as_mut()).is_ready());
    }

    #[tokio::test]
    async fn a_walk_keeps_the_longest_chain_going() {
        use crate::walk::{StopFlag, walk};
        use std::collections::BTreeSet;
        // 0, 1, 2 alone and a chain 3 <- 4 <- 5; one slot, held until the four ready wait.
        let mut deps = vec![BTreeSet::new(); 6];
        deps[4].insert(3);
        deps[5].insert(4);
        let slots = Arc::new(Slots::new(1));
        let held = slots.acquire().await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let stop = StopFlag::default();
        let walked = walk(&deps, &stop, &slots, |node| {
            let (slots, order) = (slots.clone(), order.clone());
            async move {
                let _slot = slots.acquire().await;
                locked(&order).push(node);
                true
            }
        });
        let release = async {
            while locked(&slots.state).waiting.len() < 4 {
                tokio::task::yield_now().await;
            }
            drop(held);
        };
        let (outcome, ()) = tokio::join!(walked, release);
        assert!(outcome.is_complete());
        // The chain's head goes first, though it came last, and each of its steps hands its
        // slot to the next, which the walk starts only once its predecessor has finished.
        assert_eq!(*locked(&order), [3, 4, 5, 0, 1, 2]);
    }

    #[tokio::test]
    async fn never_more_holders_than_slots() {
        let slots = Slots::new(2);
        let a = slots.acquire().await;
        let _b = slots.acquire().await;
        let urgent = slots.ticket(9, false);
        let third = urgent.scope(slots.acquire());
        tokio::pin!(third);
        assert!(futures::poll!(third.as_mut()).is_pending());
        drop(a);
        assert!(futures::poll!(third.as_mut()).is_ready());
    }

    #[tokio::test]
    async fn a_cancelled_waiter_passes_its_slot_on() {
        let slots = Slots::new(1);
        let held = slots.acquire().await;
        let (first, second) = (slots.ticket(5, false), slots.ticket(1, false));
        let mut cancelled = Box::pin(first.scope(slots.acquire()));
        assert!(futures::poll!(cancelled.as_mut()).is_pending());
        let next = second.scope(slots.acquire());
        tokio::pin!(next);
        assert!(futures::poll!(next.as_mut()).is_pending());
        // Handed to the cancelled waiter, which is dropped before it takes it (its step is
        // over: the walk drops its ticket).
        drop(held);
        drop(cancelled);
        drop(first);
        assert!(futures::poll!(next.as_mut()).is_ready());
    }
}
