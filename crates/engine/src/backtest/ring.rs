//! Events read from the source and not yet delivered to the kernel.
//!
//! A ring of reusable slots: popping keeps a slot's buffers for the next
//! event written into it, so the steady state allocates nothing. It grows
//! only when more events are in flight than ever before.

use kestrel_model::{InstrumentId, UnixNanos};

use super::source::{FeedEvent, MarketSource};

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
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring for events of `instrument`.
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            instrument,
            slots: Vec::new(),
            head: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Reads the next event of `source` into a new back slot; `false` at
    /// the end of the data (nothing added).
    pub fn read(
        &mut self,
        source: &mut impl MarketSource,
    ) -> Result<bool, kestrel_feed::FeedError> {
        if self.len == self.slots.len() {
            // Full: straighten, then add a slot at the end.
            self.slots.rotate_left(self.head);
            self.head = 0;
            self.slots.push(Slot {
                event: FeedEvent::new(self.instrument),
                arrival: UnixNanos::new(0),
            });
        }
        let i = (self.head + self.len) % self.slots.len();
        let added = source.next_into(&mut self.slots[i].event)?;
        if added {
            self.len += 1;
        }
        Ok(added)
    }

    pub fn get(&self, n: usize) -> Option<&Slot> {
        (n < self.len).then(|| &self.slots[(self.head + n) % self.slots.len()])
    }

    pub fn front(&self) -> Option<&Slot> {
        self.get(0)
    }

    /// The newest slot; only after a successful [`Self::read`].
    pub fn back_mut(&mut self) -> &mut Slot {
        let i = (self.head + self.len.saturating_sub(1)) % self.slots.len().max(1);
        &mut self.slots[i]
    }

    pub fn pop_front(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % self.slots.len();
            self.len -= 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Slot> {
        (0..self.len).filter_map(|n| self.get(n))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        let (head, len, cap) = (self.head, self.len, self.slots.len());
        let (tail, start) = self.slots.split_at_mut(head);
        start.iter_mut().chain(tail.iter_mut()).take(len.min(cap))
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
        let mut source = Counter { next: 0, end: 100 };
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
    }
}
