//! What a venue decoder produces, and the pieces every decoder shares.
//!
//! Decoders write into buffers they own and lend the result out
//! ([`Decoded`]), so once the buffers have grown to the largest frame seen,
//! decoding allocates nothing.

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Level, LevelUpdate, Price, Qty,
    Quote, Side, Trade, UnixNanos, UpdateIds,
};

use crate::error::FrameError;
use crate::json::Scanner;

/// One decoded frame, borrowing the decoder's buffers until the next call.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// Incremental depth changes.
    Delta {
        /// The changes and their update ids.
        delta: &'a BookDelta,
        /// The venue's checksum of the book after this delta, if it sent one.
        checksum: Option<i32>,
    },
    /// A whole book that replaces ours (REST snapshot, OKX and Bybit snapshots).
    Snapshot {
        /// The book.
        snapshot: &'a BookSnapshot,
        /// The venue's checksum of that book, if it sent one.
        checksum: Option<i32>,
    },
    /// The venue's top levels only (OKX `books5`): a view of the touch, not
    /// a base for incremental updates.
    TopLevels(&'a BookSnapshot),
    /// Trade prints, in the venue's order.
    Trades(&'a [Trade]),
    /// The venue's best bid and ask.
    Quote(Quote),
    /// A frame for another symbol or stream, a subscription answer or a pong.
    Other,
}

/// A venue protocol decoder: frame bytes in, normalised events out.
pub trait FrameDecoder {
    /// Decodes one frame received at `local`.
    fn decode(&mut self, frame: &[u8], local: UnixNanos) -> Result<Decoded<'_>, FrameError>;
}

/// The reusable output buffers of a decoder.
#[derive(Debug)]
pub(crate) struct FrameBuffers {
    pub delta: BookDelta,
    pub snapshot: BookSnapshot,
    pub trades: Vec<Trade>,
}

impl FrameBuffers {
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            delta: BookDelta {
                instrument,
                ids: UpdateIds::default(),
                time: EventTime::default(),
                updates: Vec::with_capacity(256),
            },
            snapshot: BookSnapshot {
                instrument,
                last_update_id: 0,
                time: EventTime::default(),
                bids: Vec::new(),
                asks: Vec::new(),
            },
            trades: Vec::with_capacity(4),
        }
    }

    /// Empties the delta and stamps it with its instrument.
    pub fn reset_delta(&mut self, instrument: InstrumentId) -> &mut BookDelta {
        self.delta.instrument = instrument;
        self.delta.updates.clear();
        &mut self.delta
    }

    /// Empties the snapshot and stamps it with its instrument.
    pub fn reset_snapshot(&mut self, instrument: InstrumentId) -> &mut BookSnapshot {
        self.snapshot.instrument = instrument;
        self.snapshot.bids.clear();
        self.snapshot.asks.clear();
        &mut self.snapshot
    }
}

/// The instruments a decoder serves, looked up by the venue's native symbol.
///
/// Never empty. A linear scan: a feed serves a handful of instruments, and
/// comparing a few short symbols beats hashing one.
#[derive(Clone, Debug)]
pub struct Instruments {
    list: Vec<Instrument>,
}

impl Instruments {
    /// A table holding `first`.
    pub fn new(first: Instrument) -> Self {
        Self { list: vec![first] }
    }

    /// Adds an instrument.
    #[must_use]
    pub fn with(mut self, instrument: Instrument) -> Self {
        self.list.push(instrument);
        self
    }

    /// The instrument whose native symbol is `native`, ignoring ASCII case
    /// (Binance writes `btcusdt` in stream names and `BTCUSDT` in payloads).
    #[inline]
    pub fn find(&self, native: &[u8]) -> Option<&Instrument> {
        self.list
            .iter()
            .find(|i| i.native_symbol.as_bytes().eq_ignore_ascii_case(native))
    }

    /// The first instrument: the one a symbol-less REST snapshot belongs to.
    pub fn first(&self) -> &Instrument {
        &self.list[0]
    }

    /// All instruments.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.list.iter()
    }
}

/// Parses a price on the instrument's tick grid.
#[inline(always)]
pub(crate) fn price(text: &[u8], instrument: &Instrument) -> Result<Price, FrameError> {
    Price::parse_bytes(text, &instrument.tick).map_err(|error| FrameError::Decimal {
        field: "price",
        error,
    })
}

/// Parses a size on the instrument's lot grid.
#[inline(always)]
pub(crate) fn qty(text: &[u8], instrument: &Instrument) -> Result<Qty, FrameError> {
    Qty::parse_bytes(text, &instrument.lot).map_err(|error| FrameError::Decimal {
        field: "qty",
        error,
    })
}

/// Reads a level list `[["price","size",…],…]` (extra elements, such as
/// OKX's order counts, are skipped) and hands each level to `push`.
#[inline]
pub(crate) fn levels(
    raw: &[u8],
    instrument: &Instrument,
    mut push: impl FnMut(Level),
) -> Result<(), FrameError> {
    let mut s = Scanner::new(raw);
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        s.begin_array()?;
        let mut inner = true;
        if !s.next_element(&mut inner)? {
            return Err(FrameError::BadValue("level"));
        }
        let px = s.string()?;
        if !s.next_element(&mut inner)? {
            return Err(FrameError::BadValue("level"));
        }
        let sz = s.string()?;
        while s.next_element(&mut inner)? {
            s.skip_value()?;
        }
        push(Level {
            price: price(px, instrument)?,
            qty: qty(sz, instrument)?,
        });
    }
    Ok(())
}

/// Appends a level list to a delta's updates on `side`.
#[inline]
pub(crate) fn delta_levels(
    raw: &[u8],
    side: Side,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Result<(), FrameError> {
    levels(raw, instrument, |Level { price, qty }| {
        out.push(LevelUpdate { price, qty, side });
    })
}

/// Replaces `out` with a level list.
pub(crate) fn snapshot_levels(
    raw: &[u8],
    instrument: &Instrument,
    out: &mut Vec<Level>,
) -> Result<(), FrameError> {
    out.clear();
    levels(raw, instrument, |level| out.push(level))
}
