//! Events read from the source and not yet delivered to the kernel.
//!
//! A ring of reusable slots: popping keeps a slot's buffers for the next
//! event written into it, so the steady state allocates nothing. It grows
//! only when more events are in flight than ever before. After a burst (the
//! clock-offset prefix, a latency spike) it cycles through fewer slots
//! again, keeping the others, so a few warm slots carry the steady state.

use kestrel_model::{InstrumentId, UnixNanos};

use super::source::{FeedEvent, MarketSource};

/// Slots kept however empty the ring gets.
const MIN_SLOTS: usize = 64;

/// An event and when it reaches the kernel.
#[derive(Clone, Debug)]
pub(super) struct Slot {
    pub event: FeedEvent,
    pub arrival: UnixNanos,
}

/// FIFO of [`Slot`]s over a vector used circularly.
#[derive(Debug)]
pub(super) struct Ring {
    instrument: InstrumentId,
    slots: Vec<Slot>,
    /// Slots in the cycle: `slots[..active]`; the rest wait for a burst.
    active: usize,
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring for events of `instrument`.
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            instrument,
            slots: Vec::new(),
            active: 0,
            head: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The slot `n` places after the head (`n` ≤ the active slots): a
    /// wrap by comparison, where `%` would divide on every event.
    fn slot(&self, n: usize) -> usize {
        let i = self.head + n;
        if i >= self.active { i - self.active } else { i }
    }

    /// Reads the next event of `source` into a new back slot; `false` at
    /// the end of the data (nothing added).
    pub fn read(
        &mut self,
        source: &mut impl MarketSource,
    ) -> Result<bool, kestrel_feed::FeedError> {
        if self.len == self.active {
            // Full: straighten, then take a spare slot or make one.
            self.slots[..self.active].rotate_left(self.head);
            self.head = 0;
            if self.active == self.slots.len() {
                self.slots.push(Slot {
                    event: FeedEvent::new(self.instrument),
                    arrival: UnixNanos::new(0),
                });
            }
            self.active += 1;
        }
        let i = self.slot(self.len);
        let added = source.next_into(&mut self.slots[i].event)?;
        if added {
            self.len += 1;
        }
        Ok(added)
    }

    pub fn get(&self, n: usize) -> Option<&Slot> {
        (n < self.len).then(|| &self.slots[self.slot(n)])
    }

    pub fn front(&self) -> Option<&Slot> {
        self.get(0)
    }

    /// The newest slot; only after a successful [`Self::read`].
    pub fn back_mut(&mut self) -> &mut Slot {
        let i = self.slot(self.len.saturating_sub(1));
        &mut self.slots[i]
    }

    #[inline]
    pub fn pop_front(&mut self) {
        if self.len > 0 {
            self.head = self.slot(1);
            self.len -= 1;
        }
        if self.active > MIN_SLOTS && self.len * 4 <= self.active {
            self.shrink();
        }
    }

    /// Cycles through fewer slots after a burst, keeping the others.
    #[inline(never)]
    fn shrink(&mut self) {
        self.slots[..self.active].rotate_left(self.head);
        self.head = 0;
        self.active = (self.len * 2).max(MIN_SLOTS);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Slot> {
        (0..self.len).filter_map(|n| self.get(n))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        let (head, len) = (self.head, self.len);
        let (tail, start) = self.slots[..self.active].split_at_mut(head);
        start.iter_mut().chain(tail.iter_mut()).take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::source::FeedKind;

    /// Counts up from 0 as trades, one per call, to `end`.
    struct Counter {
        next: u64,
        end: u64,
    }

    impl MarketSource for Counter {
        fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, kestrel_feed::FeedError> {
            if self.next == self.end {
                return Ok(false);
            }
            slot.kind = FeedKind::Trade;
            slot.trade.trade_id = self.next;
            self.next += 1;
            Ok(true)
        }
    }

    #[test]
    fn keeps_fifo_order_across_wraps_and_growth() {
        let mut ring = Ring::new(kestrel_model::testing::instrument("1", "1").id);
        let mut source = Counter { next: 0, end: 1000 };
        let mut expected = 0;
        for round in 0..30 {
            for _ in 0..(round % 4 + 1) {
                assert!(ring.read(&mut source).unwrap_or(false));
            }
            let ids: Vec<u64> = ring.iter_mut().map(|s| s.event.trade.trade_id).collect();
            let by_get: Vec<u64> = ring.iter().map(|s| s.event.trade.trade_id).collect();
            assert_eq!(ids, by_get);
            for _ in 0..(round % 3 + 1).min(ring.len()) {
                assert_eq!(ring.front().map(|s| s.event.trade.trade_id), Some(expected));
                ring.pop_front();
                expected += 1;
            }
        }
        assert!(ring.slots.len() < 20, "grew to {}", ring.slots.len());
        // A burst past the minimum, then back to the minimum cycle.
        for _ in 0..200 {
            assert!(ring.read(&mut source).unwrap_or(false) || source.next == source.end);
        }
        while ring.len() > 0 {
            ring.pop_front();
        }
        assert_eq!(ring.active, MIN_SLOTS);
    }
}
