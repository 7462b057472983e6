//! Binance futures diff-depth sequencing.

use kestrel_model::UpdateIds;

/// What to do with a diff-depth event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No snapshot yet: keep the event, it may be the one that bridges to it.
    Buffer,
    /// Older than the snapshot: drop it.
    Stale,
    /// In sequence: apply it to the book.
    Apply,
    /// Continuity broken: the book is untrustworthy until a new snapshot.
    Gap {
        /// The `pu` that continuity required (previous event's `u`).
        expected: u64,
        /// The `pu` the event carried (or its `U` if it had none).
        got: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    AwaitingSnapshot,
    /// Snapshot loaded, waiting for the event that straddles its id.
    Bridging {
        last_update_id: u64,
    },
    /// In sync; holds the last applied event's `u`.
    Live {
        last: u64,
    },
}

/// Binance USDⓈ-M and COIN-M futures diff-depth sync, as Binance documents it
/// in "How to manage a local order book correctly":
///
/// 1. Open the `<symbol>@depth` stream and buffer the events received.
/// 2. Fetch a depth snapshot (`GET /fapi/v1/depth`).
/// 3. Drop any event with `u` < the snapshot's `lastUpdateId`.
/// 4. The first event applied must have `U` ≤ `lastUpdateId` ≤ `u`.
/// 5. After that, each event's `pu` must equal the previous event's `u`;
///    otherwise the book is lost: start again from step 2.
/// 6. A level update with quantity 0 removes the level; removing a level the
///    book does not have is normal and ignored (the book does that).
///
/// The step numbers are repeated in the code below. Spot differs (`u` ≤
/// `lastUpdateId` is dropped, the bridge is `U ≤ lastUpdateId + 1 ≤ u`, and
/// continuity is `U == previous u + 1`); it gets its own type.
#[derive(Clone, Debug)]
pub struct FuturesSequencer {
    state: State,
}

impl Default for FuturesSequencer {
    fn default() -> Self {
        Self::new()
    }
}

impl FuturesSequencer {
    /// A sequencer waiting for its first snapshot (step 1).
    pub fn new() -> Self {
        Self {
            state: State::AwaitingSnapshot,
        }
    }

    /// A snapshot was loaded into the book (step 2); buffered events are to
    /// be offered again, in order.
    pub fn on_snapshot(&mut self, last_update_id: u64) {
        self.state = State::Bridging { last_update_id };
    }

    /// Whether the book has bridged the snapshot and is being kept in sync.
    pub fn is_live(&self) -> bool {
        matches!(self.state, State::Live { .. })
    }

    /// Judges one diff-depth event and advances the state when it is applied.
    pub fn on_delta(&mut self, ids: &UpdateIds) -> Verdict {
        match self.state {
            State::AwaitingSnapshot => Verdict::Buffer,
            State::Bridging { last_update_id } => {
                // Step 3.
                if ids.last < last_update_id {
                    return Verdict::Stale;
                }
                // Step 4.
                if ids.first <= last_update_id {
                    self.state = State::Live { last: ids.last };
                    Verdict::Apply
                } else {
                    self.state = State::AwaitingSnapshot;
                    Verdict::Gap {
                        expected: last_update_id,
                        got: ids.first,
                    }
                }
            }
            State::Live { last } => {
                // Step 5.
                let prev = ids.prev.unwrap_or(ids.first);
                if prev == last {
                    self.state = State::Live { last: ids.last };
                    Verdict::Apply
                } else {
                    self.state = State::AwaitingSnapshot;
                    Verdict::Gap {
                        expected: last,
                        got: prev,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(first: u64, last: u64, prev: u64) -> UpdateIds {
        UpdateIds {
            first,
            last,
            prev: Some(prev),
        }
    }

    #[test]
    fn follows_the_documented_steps_on_the_real_capture_ids() {
        // Ids from the USD-M BTCUSDT capture: lastUpdateId 5123107852948.
        let mut s = FuturesSequencer::new();
        assert_eq!(
            s.on_delta(&ids(5123107832006, 5123107837557, 5123107831937)),
            Verdict::Buffer
        );
        s.on_snapshot(5123107852948);
        assert_eq!(
            s.on_delta(&ids(5123107832006, 5123107837557, 5123107831937)),
            Verdict::Stale
        );
        assert_eq!(
            s.on_delta(&ids(5123107850310, 5123107853551, 5123107850300)),
            Verdict::Apply
        );
        assert!(s.is_live());
        assert_eq!(
            s.on_delta(&ids(5123107853560, 5123107854000, 5123107853551)),
            Verdict::Apply
        );
        assert_eq!(
            s.on_delta(&ids(5123107854100, 5123107854200, 5123107854050)),
            Verdict::Gap {
                expected: 5123107854000,
                got: 5123107854050
            }
        );
        assert!(!s.is_live());
        assert_eq!(s.on_delta(&ids(1, 2, 0)), Verdict::Buffer);
    }

    #[test]
    fn a_snapshot_newer_than_every_buffered_event_is_a_gap() {
        let mut s = FuturesSequencer::new();
        s.on_snapshot(100);
        assert_eq!(s.on_delta(&ids(99, 99, 98)), Verdict::Stale);
        assert_eq!(
            s.on_delta(&ids(101, 110, 100)),
            Verdict::Gap {
                expected: 100,
                got: 101
            }
        );
    }

    #[test]
    fn the_bridge_may_start_exactly_at_or_end_exactly_at_the_snapshot() {
        for (first, last) in [(100, 100), (100, 120), (90, 100)] {
            let mut s = FuturesSequencer::new();
            s.on_snapshot(100);
            assert_eq!(
                s.on_delta(&ids(first, last, first - 1)),
                Verdict::Apply,
                "{first}..{last}"
            );
        }
    }
}
