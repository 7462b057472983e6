//! Binance diff-depth sequencing, spot and futures, as Binance documents it
//! in "How to manage a local order book correctly". The two differ in three
//! places, marked below.

use kestrel_model::UpdateIds;

use kestrel_feed::sequence::{SequenceState, Sequencer, Verdict};

/// Binance USDⓈ-M and COIN-M futures:
///
/// 1. Open the `<symbol>@depth` stream and buffer the events received.
/// 2. Fetch a depth snapshot (`GET /fapi/v1/depth`, `/dapi/v1/depth`).
/// 3. Drop any event with `u` **<** the snapshot's `lastUpdateId`.
/// 4. The first event applied must have `U` ≤ `lastUpdateId` ≤ `u`.
/// 5. After that, each event's `pu` must equal the previous event's `u`
///    (update ids are shared across symbols, so `U` ≠ previous `u` + 1);
///    otherwise the book is lost: start again from step 2.
/// 6. A level update with quantity 0 removes the level; removing a level the
///    book does not have is normal and ignored (the book does that).
///
/// One addition: once live, an event whose `u` is not past the last applied
/// one is a duplicate and is dropped instead of forcing a resync.
#[derive(Clone, Debug)]
pub struct FuturesSequencer {
    state: SequenceState,
}

/// Binance spot:
///
/// 1. Open the `<symbol>@depth` stream and buffer the events received.
/// 2. Fetch a depth snapshot (`GET /api/v3/depth`).
/// 3. Drop any event with `u` **≤** the snapshot's `lastUpdateId`.
/// 4. The first event applied must have `U` ≤ `lastUpdateId` **+ 1** ≤ `u`.
/// 5. After that, each event's `U` must be the previous event's `u` **+ 1**
///    (spot sends no `pu`); otherwise start again from step 2.
/// 6. Quantity 0 removes a level; an unknown level's removal is ignored.
///
/// The same duplicate rule as [`FuturesSequencer`] applies once live.
#[derive(Clone, Debug)]
pub struct SpotSequencer {
    state: SequenceState,
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
            state: SequenceState::AwaitingSnapshot,
        }
    }
}

impl Sequencer for FuturesSequencer {
    fn state(&self) -> SequenceState {
        self.state
    }

    fn continues(&self, ids: &UpdateIds) -> bool {
        // Step 5: each diff's `pu` is the previous diff's `u`.
        matches!(self.state, SequenceState::Live { last } if ids.prev.unwrap_or(ids.first) == last)
    }

    fn on_snapshot(&mut self, last_update_id: u64) {
        // Step 2.
        self.state = SequenceState::Bridging {
            snapshot: last_update_id,
        };
    }

    fn on_delta(&mut self, ids: &UpdateIds) -> Verdict {
        let (verdict, next) = match self.state {
            SequenceState::AwaitingSnapshot => return Verdict::Buffer,
            SequenceState::Bridging { snapshot } => {
                if ids.last < snapshot {
                    // Step 3.
                    return Verdict::Stale;
                }
                if ids.first <= snapshot {
                    // Step 4 (`snapshot` ≤ `u` holds after step 3).
                    (Verdict::Apply, SequenceState::Live { last: ids.last })
                } else {
                    let gap = Verdict::Gap {
                        expected: snapshot,
                        got: ids.first,
                    };
                    (gap, SequenceState::AwaitingSnapshot)
                }
            }
            SequenceState::Live { last } => {
                // Step 5.
                let prev = ids.prev.unwrap_or(ids.first);
                if self.continues(ids) {
                    (Verdict::Apply, SequenceState::Live { last: ids.last })
                } else if ids.last <= last {
                    return Verdict::Stale;
                } else {
                    let gap = Verdict::Gap {
                        expected: last,
                        got: prev,
                    };
                    (gap, SequenceState::AwaitingSnapshot)
                }
            }
        };
        self.state = next;
        verdict
    }

    fn reset(&mut self) {
        self.state = SequenceState::AwaitingSnapshot;
    }
}

impl Default for SpotSequencer {
    fn default() -> Self {
        Self::new()
    }
}

impl SpotSequencer {
    /// A sequencer waiting for its first snapshot (step 1).
    pub fn new() -> Self {
        Self {
            state: SequenceState::AwaitingSnapshot,
        }
    }
}

impl Sequencer for SpotSequencer {
    fn state(&self) -> SequenceState {
        self.state
    }

    fn continues(&self, ids: &UpdateIds) -> bool {
        // Step 5: each diff's `U` is the previous diff's `u` + 1.
        matches!(self.state, SequenceState::Live { last } if ids.first == last.saturating_add(1))
    }

    fn on_snapshot(&mut self, last_update_id: u64) {
        // Step 2.
        self.state = SequenceState::Bridging {
            snapshot: last_update_id,
        };
    }

    fn on_delta(&mut self, ids: &UpdateIds) -> Verdict {
        let (verdict, next) = match self.state {
            SequenceState::AwaitingSnapshot => return Verdict::Buffer,
            SequenceState::Bridging { snapshot } => {
                if ids.last <= snapshot {
                    // Step 3.
                    return Verdict::Stale;
                }
                if ids.first <= snapshot.saturating_add(1) {
                    // Step 4 (`snapshot` + 1 ≤ `u` holds after step 3).
                    (Verdict::Apply, SequenceState::Live { last: ids.last })
                } else {
                    let gap = Verdict::Gap {
                        expected: snapshot.saturating_add(1),
                        got: ids.first,
                    };
                    (gap, SequenceState::AwaitingSnapshot)
                }
            }
            SequenceState::Live { last } => {
                // Step 5.
                if self.continues(ids) {
                    (Verdict::Apply, SequenceState::Live { last: ids.last })
                } else if ids.last <= last {
                    return Verdict::Stale;
                } else {
                    let gap = Verdict::Gap {
                        expected: last.saturating_add(1),
                        got: ids.first,
                    };
                    (gap, SequenceState::AwaitingSnapshot)
                }
            }
        };
        self.state = next;
        verdict
    }

    fn reset(&mut self) {
        self.state = SequenceState::AwaitingSnapshot;
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

    fn spot_ids(first: u64, last: u64) -> UpdateIds {
        UpdateIds {
            first,
            last,
            prev: None,
        }
    }

    #[test]
    fn futures_follow_the_documented_steps_on_the_real_capture_ids() {
        // Ids from the USD-M BTCUSDT capture: lastUpdateId 5123107852948.
        let mut s = FuturesSequencer::new();
        let early = ids(5123107832006, 5123107837557, 5123107831937);
        assert_eq!(s.on_delta(&early), Verdict::Buffer);
        s.on_snapshot(5123107852948);
        assert_eq!(s.on_delta(&early), Verdict::Stale);
        assert_eq!(
            s.on_delta(&ids(5123107850310, 5123107853551, 5123107850300)),
            Verdict::Apply
        );
        assert!(s.is_live());
        let next = ids(5123107853560, 5123107854000, 5123107853551);
        assert_eq!(s.on_delta(&next), Verdict::Apply);
        assert_eq!(s.on_delta(&next), Verdict::Stale, "a duplicate is dropped");
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
    fn futures_bridge_may_start_or_end_exactly_at_the_snapshot() {
        for (first, last) in [(100, 100), (100, 120), (90, 100)] {
            let mut s = FuturesSequencer::new();
            s.on_snapshot(100);
            assert_eq!(
                s.on_delta(&ids(first, last, first - 1)),
                Verdict::Apply,
                "{first}..{last}"
            );
        }
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
    fn spot_differs_at_the_boundary() {
        // Spot ETHUSDT edge case from data/FORMATS.md: U == lastUpdateId + 1.
        let mut s = SpotSequencer::new();
        s.on_snapshot(35346513512);
        assert_eq!(
            s.on_delta(&spot_ids(35346513500, 35346513512)),
            Verdict::Stale
        );
        assert_eq!(
            s.on_delta(&spot_ids(35346513513, 35346513514)),
            Verdict::Apply
        );
        assert_eq!(
            s.on_delta(&spot_ids(35346513515, 35346513600)),
            Verdict::Apply
        );
        assert_eq!(
            s.on_delta(&spot_ids(35346513602, 35346513700)),
            Verdict::Gap {
                expected: 35346513601,
                got: 35346513602
            }
        );
        // The same ids under the futures rule: u == lastUpdateId is applied there.
        let mut f = FuturesSequencer::new();
        f.on_snapshot(100);
        assert_eq!(f.on_delta(&ids(90, 100, 89)), Verdict::Apply);
        let mut s = SpotSequencer::new();
        s.on_snapshot(100);
        assert_eq!(s.on_delta(&spot_ids(90, 100)), Verdict::Stale);
        assert_eq!(s.on_delta(&spot_ids(95, 101)), Verdict::Apply);
    }

    #[test]
    fn spot_real_capture_bridge() {
        // Spot BTCUSDT: lastUpdateId 50093239218, first applied (U, u) =
        // (50093239208, 50093239224).
        let mut s = SpotSequencer::new();
        s.on_snapshot(50093239218);
        assert_eq!(
            s.on_delta(&spot_ids(50093239208, 50093239224)),
            Verdict::Apply
        );
        assert_eq!(s.state(), SequenceState::Live { last: 50093239224 });
    }
}
