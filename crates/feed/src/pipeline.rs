//! One instrument's market data from frame bytes to a trusted book.
//!
//! [`InstrumentFeed`] is the same code for a live connection and for a
//! recording: each frame goes through the venue decoder, book messages
//! through [`BookSync`], and the caller gets a small `Copy` summary of what
//! happened. Nothing here allocates once buffers have grown.

use kestrel_model::{BookSnapshot, Instrument, Quote, Trade, UnixNanos};

use crate::decode::{Decoded, FrameDecoder};
use crate::error::FrameError;
use crate::sequence::Sequencer;
use crate::sync::{BookSync, SyncStatus};

/// What one frame did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedUpdate {
    /// A book delta or snapshot, and what it did to the book.
    Book(SyncStatus),
    /// Trade prints; read them with [`InstrumentFeed::trades`].
    Trades(usize),
    /// The venue's best bid/ask, and the outcome of checking it against the
    /// book when both carry the same update id.
    Quote(Quote, Option<SyncStatus>),
    /// A top-N view; read it with [`InstrumentFeed::top_levels`].
    TopLevels,
    /// Nothing for this instrument (control frame, other stream or symbol).
    Other,
    /// The frame could not be decoded; it was counted and skipped.
    Malformed(FrameError),
}

/// Counters of the frames seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Frames offered.
    pub frames: u64,
    /// Book frames (deltas and snapshots).
    pub book_frames: u64,
    /// Trades decoded.
    pub trades: u64,
    /// Quotes decoded.
    pub quotes: u64,
    /// Top-N views decoded.
    pub top_levels: u64,
    /// Frames for nothing we track.
    pub other: u64,
    /// Frames that could not be decoded.
    pub malformed: u64,
    /// The first decoding error, for the report.
    pub first_error: Option<FrameError>,
}

/// A venue decoder and a synced book for one instrument.
pub struct InstrumentFeed<D, S> {
    decoder: D,
    sync: BookSync<S>,
    trades: Vec<Trade>,
    top_levels: Option<BookSnapshot>,
    stats: FeedStats,
}

impl<D: FrameDecoder, S: Sequencer> InstrumentFeed<D, S> {
    /// A feed for `instrument` decoded by `decoder` and sequenced by `sequencer`.
    pub fn new(instrument: &Instrument, decoder: D, sequencer: S) -> Self {
        Self::with_sync(decoder, BookSync::new(instrument, sequencer))
    }

    /// A feed around a book sync built by the caller.
    pub fn with_sync(decoder: D, sync: BookSync<S>) -> Self {
        Self {
            decoder,
            sync,
            trades: Vec::with_capacity(4),
            top_levels: None,
            stats: FeedStats::default(),
        }
    }

    /// Decodes one frame received at `local` and applies it.
    #[inline]
    pub fn on_frame(&mut self, frame: &[u8], local: UnixNanos) -> FeedUpdate {
        self.stats.frames += 1;
        match self.decoder.decode(frame, local) {
            Ok(Decoded::Delta { delta, checksum }) => {
                self.stats.book_frames += 1;
                FeedUpdate::Book(self.sync.on_delta(delta, checksum))
            }
            Ok(Decoded::Snapshot { snapshot, checksum }) => {
                self.stats.book_frames += 1;
                FeedUpdate::Book(self.sync.on_snapshot(snapshot, checksum))
            }
            Ok(Decoded::Trades(trades)) => {
                self.stats.trades += trades.len() as u64;
                self.trades.clear();
                self.trades.extend_from_slice(trades);
                FeedUpdate::Trades(trades.len())
            }
            Ok(Decoded::Quote(quote)) => {
                self.stats.quotes += 1;
                FeedUpdate::Quote(quote, self.sync.on_quote(&quote))
            }
            Ok(Decoded::TopLevels(snapshot)) => {
                self.stats.top_levels += 1;
                match &mut self.top_levels {
                    Some(top) => top.clone_from(snapshot),
                    None => self.top_levels = Some(snapshot.clone()),
                }
                FeedUpdate::TopLevels
            }
            Ok(Decoded::Other) => {
                self.stats.other += 1;
                FeedUpdate::Other
            }
            Err(error) => {
                self.stats.malformed += 1;
                self.stats.first_error.get_or_insert(error);
                FeedUpdate::Malformed(error)
            }
        }
    }

    /// The synced book.
    pub fn sync(&self) -> &BookSync<S> {
        &self.sync
    }

    /// The synced book, to report a disconnect or staleness.
    pub fn sync_mut(&mut self) -> &mut BookSync<S> {
        &mut self.sync
    }

    /// The trades of the last [`FeedUpdate::Trades`].
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// The latest top-N view.
    pub fn top_levels(&self) -> Option<&BookSnapshot> {
        self.top_levels.as_ref()
    }

    /// Frame counters.
    pub fn stats(&self) -> &FeedStats {
        &self.stats
    }

    /// The decoder.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }
}
