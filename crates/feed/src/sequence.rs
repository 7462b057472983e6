//! The contract every venue sequencer fulfils.
//!
//! A sequencer knows one venue's documented rules for joining a snapshot to
//! a stream of deltas and for spotting a lost message. It holds no book and
//! no buffer: [`crate::sync::BookSync`] does that for every venue alike.

use kestrel_model::UpdateIds;

/// What to do with one delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No snapshot yet: keep the delta, it may be the one that bridges to it.
    Buffer,
    /// Already contained in the book (older than the snapshot, or a
    /// duplicate of an applied delta): drop it.
    Stale,
    /// In sequence: apply it.
    Apply,
    /// Continuity broken: the book is lost until a new snapshot.
    Gap {
        /// The id continuity required.
        expected: u64,
        /// The id the delta carried instead.
        got: u64,
    },
}

/// Where a sequencer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceState {
    /// No book: deltas are buffered.
    AwaitingSnapshot,
    /// A snapshot with this id is loaded; waiting for the delta that joins it.
    Bridging {
        /// The snapshot's update id.
        snapshot: u64,
    },
    /// In sync; holds the last applied update id.
    Live {
        /// Last update id applied.
        last: u64,
    },
}

/// One venue's sequencing rules.
pub trait Sequencer {
    /// The current state.
    fn state(&self) -> SequenceState;

    /// A snapshot consistent with `last_update_id` was loaded into the book.
    fn on_snapshot(&mut self, last_update_id: u64);

    /// Judges one delta, advancing the state when it is to be applied or
    /// when it breaks continuity (back to [`SequenceState::AwaitingSnapshot`]).
    fn on_delta(&mut self, ids: &UpdateIds) -> Verdict;

    /// Forgets the book: wait for a new snapshot.
    fn reset(&mut self);

    /// Whether `ids` are the very next diff of a live book: then
    /// [`Self::on_delta`] applies it. Judged without changing the state,
    /// so a caller can look before it decodes the rest of a frame. The
    /// default, `false`, only costs such a caller its shortcut.
    fn continues(&self, ids: &UpdateIds) -> bool {
        let _ = ids;
        false
    }

    /// Whether the book has joined the stream and is being kept in sync.
    fn is_live(&self) -> bool {
        matches!(self.state(), SequenceState::Live { .. })
    }
}
