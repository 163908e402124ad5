//! The run's parallelism slots, handed out by priority: when more steps wait than there are
//! slots, the one with the longest chain of steps still behind it goes first, so that a long
//! dependency chain is not kept waiting behind independent work (which would make the whole
//! run longer than the graph allows). Equal priorities go first come, first served.
//!
//! The priority is the walk's (`walk::priority`): the step asking is the task the walker
//! started for it.

use crate::locks::locked;
use std::collections::BinaryHeap;
use std::sync::Mutex;
use tokio::sync::oneshot;

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
}

#[derive(Debug)]
struct Waiter {
    priority: u32,
    arrival: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Waiter) -> bool {
        (self.priority, self.arrival) == (other.priority, other.arrival)
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Waiter) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// The greatest is served first: the highest priority, then the earliest arrival.
    fn cmp(&self, other: &Waiter) -> std::cmp::Ordering {
        self.priority
            .cmp(&other.priority)
            .then(other.arrival.cmp(&self.arrival))
    }
}

/// A waiter's side of the handover. Dropped before it took its slot (its task was
/// cancelled), it refuses further handovers and passes on a slot already handed to it.
struct Waiting<'a> {
    slots: &'a Slots,
    woken: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut woken) = self.woken.take() {
            woken.close();
            if woken.try_recv().is_ok() {
                self.slots.release();
            }
        }
    }
}

/// A held slot; dropping it hands it to the next waiter.
#[derive(Debug)]
pub struct Slot<'a> {
    slots: &'a Slots,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.release();
    }
}

impl Slots {
    pub fn new(capacity: usize) -> Slots {
        Slots {
            state: Mutex::new(SlotsState {
                free: capacity.max(1),
                waiting: BinaryHeap::new(),
                arrivals: 0,
            }),
        }
    }

    /// Waits for a slot, served before lower `priority`.
    pub async fn acquire(&self, priority: u32) -> Slot<'_> {
        let woken = {
            let mut state = locked(&self.state);
            if state.free > 0 && state.waiting.is_empty() {
                state.free -= 1;
                return Slot { slots: self };
            }
            let (wake, woken) = oneshot::channel();
            state.arrivals += 1;
            let arrival = state.arrivals;
            state.waiting.push(Waiter {
                priority,
                arrival,
                wake,
            });
            woken
        };
        let mut waiting = Waiting {
            slots: self,
            woken: Some(woken),
        };
        if let Some(woken) = waiting.woken.as_mut() {
            // The sender is dropped unsent only with the whole `Slots`.
            let _ = woken.await;
        }
        waiting.woken = None;
        Slot { slots: self }
    }

    /// Hands a freed slot to the best waiter still waiting, or keeps it free.
    fn release(&self) {
        let mut state = locked(&self.state);
        while let Some(waiter) = state.waiting.pop() {
            if waiter.wake.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::mpsc;

    /// Starts a task per priority, in order, each waiting for a slot of `slots` (whose only
    /// slot the caller holds) and then sending its priority; returns the receiving end.
    async fn waiters(slots: &Arc<Slots>, priorities: &[u32]) -> mpsc::UnboundedReceiver<u32> {
        let (served, order) = mpsc::unbounded_channel();
        for (queued, &priority) in priorities.iter().enumerate() {
            let (shared, served) = (slots.clone(), served.clone());
            tokio::spawn(async move {
                let _slot = shared.acquire(priority).await;
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
        let held = slots.acquire(0).await;
        let mut order = waiters(&slots, &[1, 7, 3, 5]).await;
        drop(held);
        let mut served = Vec::new();
        for _ in 0..4 {
            served.push(order.recv().await.unwrap());
        }
        assert_eq!(served, [7, 5, 3, 1]);
        assert_eq!(locked(&slots.state).free, 1);
    }

    #[tokio::test]
    async fn a_walk_serves_the_longest_chain_first() {
        use crate::walk::{StopFlag, priority, walk};
        use std::collections::BTreeSet;
        // 0, 1, 2 alone and a chain 3 <- 4 <- 5; one slot, held until the four ready wait.
        let mut deps = vec![BTreeSet::new(); 6];
        deps[4].insert(3);
        deps[5].insert(4);
        let slots = Arc::new(Slots::new(1));
        let held = slots.acquire(0).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let stop = StopFlag::default();
        let walked = walk(&deps, &stop, |node| {
            let (slots, order) = (slots.clone(), order.clone());
            async move {
                let _slot = slots.acquire(priority()).await;
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
        // The chain's head goes first, though it came last. Its next step becomes ready only
        // once it has finished, when its slot has gone to a step already waiting.
        assert_eq!(*locked(&order), [3, 0, 1, 2, 4, 5]);
    }

    #[tokio::test]
    async fn never_more_holders_than_slots() {
        let slots = Slots::new(2);
        let a = slots.acquire(0).await;
        let _b = slots.acquire(0).await;
        let third = slots.acquire(9);
        tokio::pin!(third);
        assert!(futures::poll!(third.as_mut()).is_pending());
        drop(a);
        assert!(futures::poll!(third.as_mut()).is_ready());
    }

    #[tokio::test]
    async fn a_cancelled_waiter_passes_its_slot_on() {
        let slots = Slots::new(1);
        let held = slots.acquire(0).await;
        let mut cancelled = Box::pin(slots.acquire(5));
        assert!(futures::poll!(cancelled.as_mut()).is_pending());
        let next = slots.acquire(1);
        tokio::pin!(next);
        assert!(futures::poll!(next.as_mut()).is_pending());
        // Handed to the cancelled waiter, which is dropped before it takes it.
        drop(held);
        drop(cancelled);
        assert!(futures::poll!(next.as_mut()).is_ready());
    }
}
