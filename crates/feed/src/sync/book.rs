//! A book kept in sync with its venue, for a caller that gives it decoded
//! messages and reads the book back (replay, recorded-data tests).

use std::collections::VecDeque;

use kestrel_book::OrderBook;
use kestrel_model::{BookDelta, BookSnapshot, Instrument, Quote};

use super::{Released, Resync, Step, SyncStats, SyncStatus, Trust, Untrusted};
use crate::sequence::Sequencer;

/// Venue quotes held until the book catches up with them; the bookTicker
/// stream runs a few messages ahead of the depth stream.
const QUOTES_AHEAD: usize = 64;

/// One instrument's book kept in sync with a venue by its rules: deltas and
/// snapshots go in, and a [`SyncStatus`] says the moment the book becomes
/// untrusted (a gap, a checksum mismatch, a crossed book, a disconnect) and
/// the moment it is trusted again. While untrusted, deltas are held for
/// the next snapshot and [`BookSync::trusted_book`] returns `None`: a book
/// being rebuilt is never served as good.
pub struct BookSync<S> {
    book: OrderBook,
    resync: Resync<S>,
    /// Venue quotes ahead of the book, oldest first, each checked once the
    /// book reaches its id.
    quotes_ahead: VecDeque<Quote>,
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
            resync: Resync::new(sequencer),
            quotes_ahead: VecDeque::with_capacity(QUOTES_AHEAD),
        }
    }

    /// The book, trusted or not: for diagnostics only.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The book if it is in sync with the venue.
    pub fn trusted_book(&self) -> Option<&OrderBook> {
        matches!(self.resync.trust(), Trust::Trusted).then_some(&self.book)
    }

    /// Whether the book can be used, and if not, why.
    pub fn trust(&self) -> Trust {
        self.resync.trust()
    }

    /// Counters so far.
    pub fn stats(&self) -> &SyncStats {
        self.resync.stats()
    }

    /// Deltas waiting for a snapshot.
    pub fn pending_len(&self) -> usize {
        self.resync.pending_len()
    }

    /// Handles one delta; `checksum` is the venue's checksum after it, if any.
    #[inline]
    pub fn on_delta(&mut self, delta: &BookDelta, checksum: Option<i32>) -> SyncStatus {
        match self.resync.on_delta(delta) {
            Step::Apply => self.apply(delta, checksum),
            Step::Stale => SyncStatus::Stale,
            Step::Held => SyncStatus::Rebuilding,
            Step::Lost(reason) => self.lost(reason),
        }
    }

    /// Loads a snapshot, then applies the deltas held for it.
    pub fn on_snapshot(&mut self, snapshot: &BookSnapshot, checksum: Option<i32>) -> SyncStatus {
        if self.book.load_snapshot(snapshot).is_err() {
            // Another instrument's snapshot: a routing mistake, not venue data.
            return SyncStatus::Stale;
        }
        let was_trusted = matches!(self.resync.trust(), Trust::Trusted);
        self.resync.on_snapshot(snapshot.last_update_id);
        if let lost @ SyncStatus::Lost(_) = self.resync.verify(&self.book, checksum) {
            return self.quotes_cleared(lost);
        }
        // Otherwise, on Binance, the trust stays as it was until the delta
        // that joins the snapshot is applied.
        while let Some(released) = self.resync.next_released() {
            match released {
                Released::Apply(delta) => {
                    let status = self.apply(&delta, None);
                    self.resync.recycle(delta);
                    if let SyncStatus::Lost(_) = status {
                        return status;
                    }
                }
                Released::Lost(reason) => return self.lost(reason),
            }
        }
        match self.resync.trust() {
            Trust::Trusted if !was_trusted => SyncStatus::Synced,
            Trust::Trusted => SyncStatus::Applied,
            Trust::Untrusted(_) => SyncStatus::Rebuilding,
        }
    }

    /// Checks a venue quote against the book at the same update id; a
    /// mismatch means our book is wrong and is resynced. The streams are
    /// separate, so a quote often arrives before the delta with its id: it is
    /// then held until the book reaches that id.
    pub fn on_quote(&mut self, quote: &Quote) -> Option<SyncStatus> {
        if !matches!(self.resync.trust(), Trust::Trusted) {
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
        let stats = self.resync.stats_mut();
        if self.book.best_bid() == Some(quote.bid) && self.book.best_ask() == Some(quote.ask) {
            stats.quotes_matched += 1;
            SyncStatus::Applied
        } else {
            stats.quote_mismatches += 1;
            let lost = self.resync.lose(Untrusted::QuoteMismatch {
                update_id: quote.update_id,
            });
            self.quotes_cleared(lost)
        }
    }

    /// The connection dropped or went quiet: whatever was missed, the book
    /// can no longer be trusted.
    pub fn on_disconnect(&mut self, reason: Untrusted) -> SyncStatus {
        self.resync.stats_mut().disconnects += 1;
        let lost = self.resync.lose(reason);
        self.quotes_cleared(lost)
    }

    #[inline]
    fn apply(&mut self, delta: &BookDelta, checksum: Option<i32>) -> SyncStatus {
        if self.book.apply_delta(delta).is_err() {
            return SyncStatus::Stale;
        }
        self.resync.count_applied(delta.updates.len());
        let status = self.resync.verify(&self.book, checksum);
        if let SyncStatus::Lost(_) = status {
            return self.quotes_cleared(status);
        }
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

    /// The book was lost by the sequence (the core has already acted).
    fn lost(&mut self, reason: Untrusted) -> SyncStatus {
        self.quotes_cleared(SyncStatus::Lost(reason))
    }

    fn quotes_cleared(&mut self, status: SyncStatus) -> SyncStatus {
        self.quotes_ahead.clear();
        status
    }
}
