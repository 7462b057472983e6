//! Bybit order-book sequencing.

use kestrel_model::UpdateIds;

use kestrel_feed::sequence::{SequenceState, Sequencer, Verdict};

/// Bybit v5 `orderbook.{depth}.{symbol}`, as Bybit documents it (ids map to
/// [`UpdateIds`] with `first` = `last` = `u`):
///
/// 1. Subscribing sends a `snapshot`; it replaces the whole book. A resync is
///    a resubscription.
/// 2. Each `delta` carries `u` one past the previous message's; a jump means
///    data was lost: resubscribe.
/// 3. A message with `u` = 1 is a snapshot sent after a service restart; it
///    arrives as `type: snapshot` and replaces the book by rule 1.
/// 4. Size 0 deletes a level.
///
/// `seq` is a cross-sequence for comparing depths, not a continuity check.
/// A delta whose `u` is not past the last applied one is a duplicate and is
/// dropped.
#[derive(Clone, Debug)]
pub struct BybitSequencer {
    state: SequenceState,
}

impl Default for BybitSequencer {
    fn default() -> Self {
        Self::new()
    }
}

impl BybitSequencer {
    /// A sequencer waiting for the subscription's snapshot.
    pub fn new() -> Self {
        Self {
            state: SequenceState::AwaitingSnapshot,
        }
    }
}

impl Sequencer for BybitSequencer {
    fn state(&self) -> SequenceState {
        self.state
    }

    fn on_snapshot(&mut self, last_update_id: u64) {
        // Rules 1 and 3.
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
        if ids.first == last.saturating_add(1) {
            // Rule 2.
            self.state = SequenceState::Live { last: ids.last };
            Verdict::Apply
        } else if ids.last <= last {
            Verdict::Stale
        } else {
            self.state = SequenceState::AwaitingSnapshot;
            Verdict::Gap {
                expected: last.saturating_add(1),
                got: ids.first,
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

    fn u(u: u64) -> UpdateIds {
        UpdateIds {
            first: u,
            last: u,
            prev: None,
        }
    }

    #[test]
    fn consecutive_u_after_the_snapshot() {
        let mut s = BybitSequencer::new();
        assert_eq!(s.on_delta(&u(5)), Verdict::Buffer);
        s.on_snapshot(20254869);
        assert_eq!(s.on_delta(&u(20254869)), Verdict::Stale);
        assert_eq!(s.on_delta(&u(20254870)), Verdict::Apply);
        assert_eq!(
            s.on_delta(&u(20254872)),
            Verdict::Gap {
                expected: 20254871,
                got: 20254872
            }
        );
        s.on_snapshot(1);
        assert_eq!(s.on_delta(&u(2)), Verdict::Apply, "restart snapshot u = 1");
    }
}
