//! OKX order-book sequencing.

use kestrel_model::UpdateIds;

use kestrel_feed::sequence::{SequenceState, Sequencer, Verdict};

/// OKX `books`, `books-l2-tbt` and `books50-l2-tbt`, as OKX documents it
/// ("Order book sequencing"; ids map to [`UpdateIds`] as `last` = `seqId`,
/// `prev` = `prevSeqId`):
///
/// 1. Subscribing sends a `snapshot` message (`prevSeqId` = -1); it resets
///    the book. There is no REST step: a resync is a resubscription.
/// 2. Each `update` must have `prevSeqId` equal to the previous message's
///    `seqId`; otherwise resubscribe.
/// 3. With no change for a while OKX sends an update with empty `asks` and
///    `bids` and `prevSeqId` = `seqId`: it passes rule 2 unchanged.
/// 4. After maintenance the sequence may restart: an update with `seqId` <
///    `prevSeqId`. It is in sequence if rule 2 holds, and later messages
///    chain from the new `seqId`.
/// 5. After each message, the CRC32 of the top 25 levels must equal
///    `checksum` (OKX now sends 0 there, which means "not computed"; the
///    check is done by [`crate::sync::BookSync`]).
///
/// As on Binance, a message whose `seqId` is not past the last applied one
/// and which does not chain is a duplicate and is dropped.
#[derive(Clone, Debug)]
pub struct OkxSequencer {
    state: SequenceState,
}

impl Default for OkxSequencer {
    fn default() -> Self {
        Self::new()
    }
}

impl OkxSequencer {
    /// A sequencer waiting for the subscription's snapshot.
    pub fn new() -> Self {
        Self {
            state: SequenceState::AwaitingSnapshot,
        }
    }
}

impl Sequencer for OkxSequencer {
    fn state(&self) -> SequenceState {
        self.state
    }

    fn on_snapshot(&mut self, last_update_id: u64) {
        // Rule 1: the snapshot is in the stream, so the book is live at once.
        self.state = SequenceState::Live {
            last: last_update_id,
        };
    }

    fn on_delta(&mut self, ids: &UpdateIds) -> Verdict {
        let last = match self.state {
            SequenceState::AwaitingSnapshot => return Verdict::Buffer,
            SequenceState::Bridging { snapshot } => snapshot,
            SequenceState::Live { last } => last,
        };
        let prev = ids.prev.unwrap_or(u64::MAX);
        if prev == last {
            // Rules 2, 3 and 4.
            self.state = SequenceState::Live { last: ids.last };
            Verdict::Apply
        } else if ids.last <= last {
            Verdict::Stale
        } else {
            self.state = SequenceState::AwaitingSnapshot;
            Verdict::Gap {
                expected: last,
                got: prev,
            }
        }
    }

    fn reset(&mut self) {
        self.state = SequenceState::AwaitingSnapshot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(prev: u64, seq: u64) -> UpdateIds {
        UpdateIds {
            first: seq,
            last: seq,
            prev: Some(prev),
        }
    }

    #[test]
    fn chains_heartbeats_resets_and_gaps() {
        let mut s = OkxSequencer::new();
        assert_eq!(s.on_delta(&ids(1, 2)), Verdict::Buffer);
        s.on_snapshot(100);
        assert!(s.is_live());
        assert_eq!(s.on_delta(&ids(100, 105)), Verdict::Apply);
        assert_eq!(s.on_delta(&ids(105, 105)), Verdict::Apply, "heartbeat");
        assert_eq!(s.on_delta(&ids(100, 105)), Verdict::Stale, "duplicate");
        assert_eq!(s.on_delta(&ids(105, 3)), Verdict::Apply, "sequence reset");
        assert_eq!(s.on_delta(&ids(3, 9)), Verdict::Apply);
        assert_eq!(
            s.on_delta(&ids(10, 12)),
            Verdict::Gap {
                expected: 9,
                got: 10
            }
        );
        assert_eq!(s.state(), SequenceState::AwaitingSnapshot);
    }
}
