//! Keeping books trustworthy: one pipeline for replay, backtest and live.
//!
//! Every consumer of a venue's book messages goes through the same
//! [`Resync`] core: the venue's [`Sequencer`] judges each delta, deltas
//! without a snapshot to join are held (at most [`MAX_PENDING`]), a
//! snapshot releases them in order, and after every change the book is
//! checked by one policy, [`integrity`]: never crossed, and equal to the
//! venue's checksum where it sends one. A book that fails is lost until
//! the next snapshot, whoever holds it.
//!
//! Two front ends share the core:
//! * [`BookSync`] owns its book and takes decoded messages (replay, tests);
//! * [`FrameSync`] takes frame bytes and hands out events for a caller that
//!   keeps the book itself (the kernel, in backtest and live), including a
//!   depth diff taken near the touch first ([`FrameSync::on_frame_near`]).

mod book;
mod frames;
mod near;

use std::collections::VecDeque;

use kestrel_book::OrderBook;
use kestrel_model::BookDelta;

use crate::sequence::{SequenceState, Sequencer, Verdict};

pub use book::BookSync;
pub use frames::{FeedEvent, FeedKind, FrameSync};
pub use near::{FrameStart, NearRest, SplitFault};

/// Deltas held while waiting for a snapshot. Beyond this the oldest are
/// dropped (and counted): a snapshot that never comes cannot exhaust memory.
pub const MAX_PENDING: usize = 1 << 14;

/// Why a book is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Untrusted {
    /// No snapshot has been loaded yet.
    NeverSynced,
    /// A delta did not continue the sequence.
    Gap {
        /// The id continuity required.
        expected: u64,
        /// The id the delta carried.
        got: u64,
    },
    /// The venue's checksum disagrees with the book.
    Checksum {
        /// What the venue sent.
        venue: i32,
        /// What our book gives.
        ours: i32,
    },
    /// The best bid reached the best ask.
    Crossed,
    /// The venue's best bid/ask for the same update id differs from ours.
    QuoteMismatch {
        /// The update id both refer to.
        update_id: u64,
    },
    /// The connection dropped: anything may have been missed.
    Disconnected,
    /// Nothing arrived for longer than the feed's staleness limit.
    StaleFeed,
    /// A diff read near the touch first did not agree with its whole frame.
    SplitFault,
}

/// Whether a book can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// In sync with the venue.
    Trusted,
    /// Being rebuilt, and why.
    Untrusted(Untrusted),
}

/// What one input did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// Applied to a trusted book.
    Applied,
    /// The book just became trusted.
    Synced,
    /// The book just became untrusted: get a fresh snapshot (REST on
    /// Binance, a resubscription on OKX and Bybit). Deltas are held
    /// meanwhile.
    Lost(Untrusted),
    /// Held (or, for a snapshot, loaded) while the book is being rebuilt.
    Rebuilding,
    /// Dropped: the book already contains it.
    Stale,
}

/// Counters of one book's life.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Snapshots loaded.
    pub snapshots: u64,
    /// Deltas applied.
    pub deltas_applied: u64,
    /// Level updates in those deltas.
    pub levels_applied: u64,
    /// Deltas dropped as already applied (older than the snapshot, duplicates).
    pub deltas_stale: u64,
    /// Deltas held while no snapshot was available.
    pub deltas_buffered: u64,
    /// Held deltas dropped because the buffer was full.
    pub deltas_overflowed: u64,
    /// Breaks in the venue's sequence.
    pub gaps: u64,
    /// Checksum mismatches.
    pub checksum_failures: u64,
    /// Books found crossed.
    pub crossed: u64,
    /// Disconnects and stale-feed timeouts.
    pub disconnects: u64,
    /// Venue quotes that matched the book at the same update id.
    pub quotes_matched: u64,
    /// Venue quotes that did not.
    pub quote_mismatches: u64,
    /// Checksums verified.
    pub checksums_verified: u64,
    /// Times the book became trusted.
    pub syncs: u64,
}

/// The one integrity policy for a book that just changed, wherever it is
/// kept: it must not be crossed, and must give the venue's checksum when
/// the venue sent one. Stateless, for a caller that cannot reach the
/// [`Resync`] that sequenced the change (a backtest delivers events read
/// ahead); [`Resync::verify`] counts and acts on it.
#[inline]
pub fn integrity(book: &OrderBook, checksum: Option<i32>) -> Result<(), Untrusted> {
    if book.is_crossed() {
        return Err(Untrusted::Crossed);
    }
    match checksum {
        Some(venue) => match book.okx_checksum() {
            ours if ours == venue => Ok(()),
            ours => Err(Untrusted::Checksum { venue, ours }),
        },
        None => Ok(()),
    }
}

/// A delta offered back after a snapshot, from [`Resync::next_released`].
#[derive(Debug)]
pub enum Released {
    /// It continues the book: apply it, then hand it back with
    /// [`Resync::recycle`] so its buffers are reused.
    Apply(BookDelta),
    /// The snapshot predates it: the book is lost again, and it and the
    /// rest are kept for the next snapshot.
    Lost(Untrusted),
}

/// The sequencing core both front ends share: a venue's sequencer, the
/// deltas held for a snapshot (buffers reused, so holding allocates only
/// when the queue is longer than ever before), the book's trust and its
/// counters. It holds no book: the caller applies what it says to apply and
/// then asks [`Self::verify`].
pub struct Resync<S> {
    sequencer: S,
    trust: Trust,
    pending: VecDeque<BookDelta>,
    spare: Vec<BookDelta>,
    stats: SyncStats,
}

/// What [`Resync::on_delta`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// In sequence: apply it.
    Apply,
    /// Held for the next snapshot.
    Held,
    /// Already in the book: dropped.
    Stale,
    /// It broke the sequence: the book is lost, and the delta held in case
    /// it bridges the next snapshot.
    Lost(Untrusted),
}

impl<S: Sequencer> Resync<S> {
    /// A core for a book not yet synced.
    pub fn new(sequencer: S) -> Self {
        Self {
            sequencer,
            trust: Trust::Untrusted(Untrusted::NeverSynced),
            pending: VecDeque::new(),
            spare: Vec::new(),
            stats: SyncStats::default(),
        }
    }

    /// Whether the book is trusted, and if not why.
    pub fn trust(&self) -> Trust {
        self.trust
    }

    /// Whether a snapshot has been loaded since the book was last lost.
    pub fn has_snapshot(&self) -> bool {
        self.sequencer.state() != SequenceState::AwaitingSnapshot
    }

    /// Counters so far.
    pub fn stats(&self) -> &SyncStats {
        &self.stats
    }

    /// Counters, for a front end's own events (quotes, disconnects).
    pub fn stats_mut(&mut self) -> &mut SyncStats {
        &mut self.stats
    }

    /// The venue's sequencer.
    pub fn sequencer(&self) -> &S {
        &self.sequencer
    }

    /// Deltas held for a snapshot (or released by one and not yet taken).
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Judges one incoming delta.
    #[inline]
    pub fn on_delta(&mut self, delta: &BookDelta) -> Step {
        match self.sequencer.on_delta(&delta.ids) {
            Verdict::Apply => Step::Apply,
            Verdict::Stale => {
                self.stats.deltas_stale += 1;
                Step::Stale
            }
            Verdict::Buffer => {
                self.hold(delta);
                Step::Held
            }
            Verdict::Gap { expected, got } => {
                self.stats.gaps += 1;
                let reason = Untrusted::Gap { expected, got };
                self.lose(reason);
                self.hold(delta);
                Step::Lost(reason)
            }
        }
    }

    /// Whether `delta` is the very next diff of a live book, judged without
    /// changing anything (see [`Sequencer::continues`]); if so, it is
    /// applied and counted as by [`Self::on_delta`].
    pub fn take_continuing(&mut self, delta: &BookDelta) -> bool {
        if self.pending.is_empty() && self.sequencer.continues(&delta.ids) {
            self.sequencer.on_delta(&delta.ids);
            true
        } else {
            false
        }
    }

    /// A snapshot with `last_update_id` was loaded into the book: the held
    /// deltas then come from [`Self::next_released`]. The caller checks the
    /// book with [`Self::verify`], which trusts it at once on venues whose
    /// snapshot is its own sync point (OKX, Bybit), and on Binance once the
    /// delta that joins it is applied.
    pub fn on_snapshot(&mut self, last_update_id: u64) {
        self.stats.snapshots += 1;
        self.sequencer.on_snapshot(last_update_id);
    }

    /// The next held delta that continues the book since the snapshot, or
    /// `None` when none is left (or no snapshot has come).
    pub fn next_released(&mut self) -> Option<Released> {
        if !self.has_snapshot() {
            return None;
        }
        while let Some(delta) = self.pending.pop_front() {
            match self.sequencer.on_delta(&delta.ids) {
                Verdict::Apply => return Some(Released::Apply(delta)),
                Verdict::Stale => {
                    self.stats.deltas_stale += 1;
                    self.spare.push(delta);
                }
                Verdict::Gap { expected, got } => {
                    // The snapshot predates the held deltas' start: the
                    // caller needs another, and the deltas are kept for it.
                    self.stats.gaps += 1;
                    self.sequencer.reset();
                    self.pending.push_front(delta);
                    let reason = Untrusted::Gap { expected, got };
                    self.trust = Trust::Untrusted(reason);
                    return Some(Released::Lost(reason));
                }
                Verdict::Buffer => {
                    self.pending.push_front(delta);
                    return None;
                }
            }
        }
        None
    }

    /// A released delta, applied: its buffers are kept for the next one held.
    pub fn recycle(&mut self, delta: BookDelta) {
        self.spare.push(delta);
    }

    /// After the caller applied a delta (with `levels` updates) or loaded a
    /// snapshot: checks `book` by the [`integrity`] policy. A book that
    /// fails is lost ([`SyncStatus::Lost`]); one that passes is trusted if
    /// it has joined the venue's stream.
    #[inline]
    pub fn verify(&mut self, book: &OrderBook, checksum: Option<i32>) -> SyncStatus {
        if checksum.is_some() {
            self.stats.checksums_verified += 1;
        }
        match integrity(book, checksum) {
            Ok(()) if self.sequencer.is_live() => self.mark_trusted(),
            Ok(()) => SyncStatus::Rebuilding,
            Err(reason) => {
                match reason {
                    Untrusted::Crossed => self.stats.crossed += 1,
                    Untrusted::Checksum { .. } => self.stats.checksum_failures += 1,
                    _ => {}
                }
                self.lose(reason)
            }
        }
    }

    /// Counts an applied delta of `levels` level updates.
    #[inline]
    pub fn count_applied(&mut self, levels: usize) {
        self.stats.deltas_applied += 1;
        self.stats.levels_applied += levels as u64;
    }

    /// Marks the book lost for `reason`: the sequencer waits for a new
    /// snapshot and what was held is dropped (it predates the loss).
    pub fn lose(&mut self, reason: Untrusted) -> SyncStatus {
        self.sequencer.reset();
        self.trust = Trust::Untrusted(reason);
        self.spare.extend(self.pending.drain(..));
        SyncStatus::Lost(reason)
    }

    fn mark_trusted(&mut self) -> SyncStatus {
        if matches!(self.trust, Trust::Trusted) {
            SyncStatus::Applied
        } else {
            self.trust = Trust::Trusted;
            self.stats.syncs += 1;
            SyncStatus::Synced
        }
    }

    fn hold(&mut self, delta: &BookDelta) {
        self.stats.deltas_buffered += 1;
        let mut slot = if self.pending.len() >= MAX_PENDING {
            self.stats.deltas_overflowed += 1;
            self.pending.pop_front()
        } else {
            self.spare.pop()
        }
        .unwrap_or_else(|| delta.clone());
        slot.clone_from(delta);
        self.pending.push_back(slot);
    }
}
