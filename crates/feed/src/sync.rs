//! Keeping one book trustworthy: sequencing, buffering, resync, integrity.
//!
//! [`BookSync`] owns an [`OrderBook`] and a venue [`Sequencer`]. Deltas and
//! snapshots go in; what comes out is a [`SyncStatus`] that says, among
//! other things, the moment the book becomes untrusted (a gap, a checksum
//! mismatch, a crossed book, a disconnect) and the moment it is trusted
//! again. While untrusted, deltas are buffered for the next snapshot and
//! [`BookSync::trusted_book`] returns `None`: a book being rebuilt is never
//! served as good.

use std::collections::VecDeque;

use kestrel_book::OrderBook;
use kestrel_model::{BookDelta, BookSnapshot, Instrument, Quote};

use crate::sequence::{Sequencer, Verdict};

/// Deltas held while waiting for a snapshot. Beyond this the oldest are
/// dropped (and counted): a snapshot that never comes cannot exhaust memory.
pub const MAX_PENDING: usize = 1 << 14;

/// Venue quotes held until the book catches up with them; the bookTicker
/// stream runs a few messages ahead of the depth stream.
const QUOTES_AHEAD: usize = 64;

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
}

/// Whether the book can be used.
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
    /// Binance, a resubscription on OKX and Bybit). Deltas are buffered
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
    /// Deltas buffered while no snapshot was available.
    pub deltas_buffered: u64,
    /// Buffered deltas dropped because the buffer was full.
    pub deltas_overflowed: u64,
    /// Times the book was lost, by cause.
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

/// One instrument's book kept in sync with a venue by its rules.
pub struct BookSync<S> {
    book: OrderBook,
    sequencer: S,
    trust: Trust,
    pending: VecDeque<BookDelta>,
    /// Emptied delta buffers, reused so buffering allocates only when the
    /// pending queue is longer than ever before.
    spare: Vec<BookDelta>,
    /// Venue quotes ahead of the book, oldest first, each checked once the
    /// book reaches its id.
    quotes_ahead: VecDeque<Quote>,
    stats: SyncStats,
}

impl<S: Sequencer> BookSync<S> {
    /// An empty, untrusted book for `instrument`.
    pub fn new(instrument: &Instrument, sequencer: S) -> Self {
        Self::with_book(OrderBook::new(instrument), sequencer)
    }

    /// Wraps an empty book built by the caller (e.g. with another window).
    pub fn with_book(book: OrderBook, sequencer: S) -> Self {
        Self {
            book,
            sequencer,
            trust: Trust::Untrusted(Untrusted::NeverSynced),
            pending: VecDeque::new(),
            spare: Vec::new(),
            quotes_ahead: VecDeque::with_capacity(QUOTES_AHEAD),
            stats: SyncStats::default(),
        }
    }

    /// The book, trusted or not: for diagnostics only.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The book if it is in sync with the venue.
    pub fn trusted_book(&self) -> Option<&OrderBook> {
        matches!(self.trust, Trust::Trusted).then_some(&self.book)
    }

    /// Whether the book can be used, and if not, why.
    pub fn trust(&self) -> Trust {
        self.trust
    }

    /// Counters so far.
    pub fn stats(&self) -> &SyncStats {
        &self.stats
    }

    /// Deltas waiting for a snapshot.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Handles one delta; `checksum` is the venue's checksum after it, if any.
    #[inline]
    pub fn on_delta(&mut self, delta: &BookDelta, checksum: Option<i32>) -> SyncStatus {
        match self.sequencer.on_delta(&delta.ids) {
            Verdict::Apply => self.apply(delta, checksum),
            Verdict::Stale => {
                self.stats.deltas_stale += 1;
                SyncStatus::Stale
            }
            Verdict::Buffer => {
                self.buffer(delta);
                SyncStatus::Rebuilding
            }
            Verdict::Gap { expected, got } => {
                self.stats.gaps += 1;
                let status = self.lose(Untrusted::Gap { expected, got });
                // The delta that revealed the gap may bridge the next snapshot.
                self.buffer(delta);
                status
            }
        }
    }

    /// Loads a snapshot, then replays the deltas buffered for it.
    pub fn on_snapshot(&mut self, snapshot: &BookSnapshot, checksum: Option<i32>) -> SyncStatus {
        if self.book.load_snapshot(snapshot).is_err() {
            // Another instrument's snapshot: a routing mistake, not venue data.
            return SyncStatus::Stale;
        }
        self.stats.snapshots += 1;
        self.sequencer.on_snapshot(snapshot.last_update_id);
        if let Err(reason) = self.verify(checksum) {
            return self.lose(reason);
        }
        let was_trusted = matches!(self.trust, Trust::Trusted);
        if self.sequencer.is_live() {
            // The snapshot is the venue's own sync point (OKX, Bybit).
            self.mark_trusted();
        }
        // Otherwise the trust stays as it was until the delta that joins the
        // snapshot is applied (Binance).
        while let Some(delta) = self.pending.pop_front() {
            let status = self.on_buffered(&delta);
            if let SyncStatus::Lost(_) = status {
                // Keep it and the rest, in order, for the next snapshot.
                self.pending.push_front(delta);
                return status;
            }
            self.spare.push(delta);
        }
        match self.trust {
            Trust::Trusted if !was_trusted => SyncStatus::Synced,
            Trust::Trusted => SyncStatus::Applied,
            Trust::Untrusted(_) => SyncStatus::Rebuilding,
        }
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

    /// A buffered delta, offered again after a snapshot.
    fn on_buffered(&mut self, delta: &BookDelta) -> SyncStatus {
        match self.sequencer.on_delta(&delta.ids) {
            Verdict::Apply => self.apply(delta, None),
            Verdict::Stale => {
                self.stats.deltas_stale += 1;
                SyncStatus::Stale
            }
            // The snapshot predates the buffered deltas' start: the caller
            // must fetch another, and the buffer is kept for it.
            Verdict::Gap { expected, got } => {
                self.stats.gaps += 1;
                self.sequencer.reset();
                self.trust = Trust::Untrusted(Untrusted::Gap { expected, got });
                SyncStatus::Lost(Untrusted::Gap { expected, got })
            }
            Verdict::Buffer => SyncStatus::Rebuilding,
        }
    }

    /// Checks a venue quote against the book at the same update id; a
    /// mismatch means our book is wrong and is resynced. The streams are
    /// separate, so a quote often arrives before the delta with its id: it is
    /// then held until the book reaches that id.
    pub fn on_quote(&mut self, quote: &Quote) -> Option<SyncStatus> {
        if !matches!(self.trust, Trust::Trusted) {
            return None;
        }
        let last = self.book.last_update_id();
        if quote.update_id > last {
            if self.quotes_ahead.len() == QUOTES_AHEAD {
                self.quotes_ahead.pop_front();
            }
            self.quotes_ahead.push_back(*quote);
            None
        } else if quote.update_id == last {
            Some(self.check_quote(quote))
        } else {
            None
        }
    }

    fn check_quote(&mut self, quote: &Quote) -> SyncStatus {
        if self.book.best_bid() == Some(quote.bid) && self.book.best_ask() == Some(quote.ask) {
            self.stats.quotes_matched += 1;
            SyncStatus::Applied
        } else {
            self.stats.quote_mismatches += 1;
            self.lose(Untrusted::QuoteMismatch {
                update_id: quote.update_id,
            })
        }
    }

    /// The connection dropped or went quiet: whatever was missed, the book
    /// can no longer be trusted.
    pub fn on_disconnect(&mut self, reason: Untrusted) -> SyncStatus {
        self.stats.disconnects += 1;
        self.lose(reason)
    }

    #[inline]
    fn apply(&mut self, delta: &BookDelta, checksum: Option<i32>) -> SyncStatus {
        if self.book.apply_delta(delta).is_err() {
            return SyncStatus::Stale;
        }
        self.stats.deltas_applied += 1;
        self.stats.levels_applied += delta.updates.len() as u64;
        if let Err(reason) = self.verify(checksum) {
            return self.lose(reason);
        }
        let status = self.mark_trusted();
        let last = self.book.last_update_id();
        while let Some(quote) = self.quotes_ahead.front().copied() {
            if quote.update_id > last {
                break;
            }
            self.quotes_ahead.pop_front();
            if quote.update_id == last {
                if let lost @ SyncStatus::Lost(_) = self.check_quote(&quote) {
                    return lost;
                }
            }
        }
        status
    }

    /// Integrity after a change: never crossed, and the venue's checksum.
    #[inline]
    fn verify(&mut self, checksum: Option<i32>) -> Result<(), Untrusted> {
        if self.book.is_crossed() {
            self.stats.crossed += 1;
            return Err(Untrusted::Crossed);
        }
        if let Some(venue) = checksum {
            self.stats.checksums_verified += 1;
            let ours = self.book.okx_checksum();
            if ours != venue {
                self.stats.checksum_failures += 1;
                return Err(Untrusted::Checksum { venue, ours });
            }
        }
        Ok(())
    }

    fn lose(&mut self, reason: Untrusted) -> SyncStatus {
        self.sequencer.reset();
        self.quotes_ahead.clear();
        self.trust = Trust::Untrusted(reason);
        while let Some(delta) = self.pending.pop_front() {
            self.spare.push(delta);
        }
        SyncStatus::Lost(reason)
    }

    fn buffer(&mut self, delta: &BookDelta) {
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
