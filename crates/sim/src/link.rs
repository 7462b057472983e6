//! A one-way link with latency: what one side sends reaches the other a
//! drawn delay later, in send order, as over one TCP connection.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use kestrel_model::UnixNanos;

use crate::latency::LatencyModel;
use crate::rng::SplitMix64;

/// An item in flight, due at `at`; `seq` keeps equal times in send order.
#[derive(Debug)]
struct InFlight<T> {
    at: UnixNanos,
    seq: u64,
    item: T,
}

impl<T> PartialEq for InFlight<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<T> Eq for InFlight<T> {}
impl<T> PartialOrd for InFlight<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for InFlight<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A FIFO link with a latency model: each item is due at its send time
/// plus a drawn delay, but never before the item sent ahead of it.
#[derive(Debug)]
pub(crate) struct Link<T> {
    latency: LatencyModel,
    queue: BinaryHeap<Reverse<InFlight<T>>>,
    last_due: UnixNanos,
    seq: u64,
}

impl<T> Link<T> {
    pub(crate) fn new(latency: LatencyModel) -> Self {
        Self {
            latency,
            queue: BinaryHeap::new(),
            last_due: UnixNanos::new(0),
            seq: 0,
        }
    }

    pub(crate) fn send(
        &mut self,
        now: UnixNanos,
        rng: &mut SplitMix64,
        items: impl IntoIterator<Item = T>,
    ) {
        let at = now
            .saturating_add_nanos(self.latency.sample(rng))
            .max(self.last_due);
        self.last_due = at;
        for item in items {
            self.seq += 1;
            self.queue.push(Reverse(InFlight {
                at,
                seq: self.seq,
                item,
            }));
        }
    }

    pub(crate) fn next_due(&self) -> Option<UnixNanos> {
        self.queue.peek().map(|Reverse(f)| f.at)
    }

    pub(crate) fn pop_due(&mut self, now: UnixNanos) -> Option<(UnixNanos, T)> {
        if self.next_due()? > now {
            return None;
        }
        self.queue.pop().map(|Reverse(f)| (f.at, f.item))
    }
}
