//! What a venue decoder produces, and the pieces every decoder shares.
//!
//! Decoders write into buffers they own and lend the result out
//! ([`Decoded`]), so once the buffers have grown to the largest frame seen,
//! decoding allocates nothing.

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Level, LevelUpdate, Price, Qty,
    Quote, Side, TouchBounds, Trade, UnixNanos, UpdateIds,
};

use crate::error::FrameError;
use crate::json::Scanner;
use crate::level_scan;

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

/// The levels of a depth diff near the touch, decoded ahead of the rest
/// of its frame (see [`FrameDecoder::decode_near`]). Each side's levels
/// are in the order read: from the side's near end.
#[derive(Debug)]
pub struct NearDelta<'a> {
    /// The diff's ids and time, and its levels at or better than the
    /// bounds asked for, plus on each side the first level beyond them,
    /// each side in the order read, from its near end.
    pub delta: &'a BookDelta,
    /// Per side, the price strictly beyond which every level left for the
    /// whole decode lies; `None` for a side decoded whole.
    pub beyond: TouchBounds,
}

/// A venue protocol decoder: frame bytes in, normalised events out.
pub trait FrameDecoder {
    /// Decodes one frame received at `local`.
    fn decode(&mut self, frame: &[u8], local: UnixNanos) -> Result<Decoded<'_>, FrameError>;

    /// Decodes only what a trader needs first from a depth diff: its ids,
    /// its time, and its levels at or better than `bounds` on each side.
    /// `None` when the frame is not a diff this fast path takes (then
    /// [`Self::decode`] it). It relies on each side's levels being listed
    /// in price order, which the venue does but may not promise, and
    /// validates nothing past what it read: the caller must decode the
    /// frame whole afterwards and check that the levels it had not seen
    /// lie beyond [`NearDelta::beyond`].
    fn decode_near(
        &mut self,
        frame: &[u8],
        local: UnixNanos,
        bounds: TouchBounds,
    ) -> Option<NearDelta<'_>> {
        let _ = (frame, local, bounds);
        None
    }

    /// Reads on from where [`Self::decode_near`] (or the last call) stopped
    /// in the same frame, on each side with a bound, to the first level
    /// beyond it; the delta then holds the levels read now, and `beyond`
    /// where the levels left lie. `None` if it cannot.
    fn decode_more(&mut self, frame: &[u8], bounds: TouchBounds) -> Option<NearDelta<'_>> {
        let _ = (frame, bounds);
        None
    }
}

/// The reusable output buffers of a decoder.
#[derive(Debug)]
pub struct FrameBuffers {
    /// The last depth diff decoded.
    pub delta: BookDelta,
    /// The last whole book decoded.
    pub snapshot: BookSnapshot,
    /// The last frame's trades.
    pub trades: Vec<Trade>,
}

impl FrameBuffers {
    /// Empty buffers for `instrument`.
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
pub fn price(text: &[u8], instrument: &Instrument) -> Result<Price, FrameError> {
    Price::parse_bytes(text, &instrument.tick).map_err(|error| FrameError::Decimal {
        field: "price",
        error,
    })
}

/// Parses a size on the instrument's lot grid.
#[inline(always)]
pub fn qty(text: &[u8], instrument: &Instrument) -> Result<Qty, FrameError> {
    Qty::parse_bytes(text, &instrument.lot).map_err(|error| FrameError::Decimal {
        field: "qty",
        error,
    })
}

/// Reads a level list `[["price","size",…],…]` with the general scanner
/// (any JSON layout; extra elements, such as OKX's order counts, are
/// skipped) and hands each level to `push`.
pub fn levels(
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

/// Appends the level list at the start of `bytes` to `out`, returning the
/// bytes it took: the [`level_scan`] fast path for the venues' compact
/// layout, else the general path, which also gives the precise error.
fn append_levels<T>(
    bytes: &[u8],
    instrument: &Instrument,
    out: &mut Vec<T>,
    make: impl Fn(Level) -> T,
) -> Result<usize, FrameError> {
    let kept = out.len();
    if let Some(used) = level_scan::levels(bytes, instrument, |level| out.push(make(level))) {
        return Ok(used);
    }
    out.truncate(kept);
    let mut s = Scanner::new(bytes);
    let raw = s.skip_value()?;
    levels(raw, instrument, |level| out.push(make(level)))?;
    Ok(s.pos())
}

/// Reads the level list at the scanner's cursor, in one pass, appending
/// each level to `out` as `make` turns it.
#[inline]
pub fn scan_levels<T>(
    s: &mut Scanner<'_>,
    instrument: &Instrument,
    out: &mut Vec<T>,
    make: impl Fn(Level) -> T,
) -> Result<(), FrameError> {
    s.peek();
    let used = append_levels(s.rest(), instrument, out, make)?;
    s.advance(used);
    Ok(())
}

/// Reads a level list at the scanner's cursor straight into a delta's
/// updates on `side`, in one pass.
#[inline]
pub fn scan_delta_levels(
    s: &mut Scanner<'_>,
    side: Side,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Result<(), FrameError> {
    scan_levels(s, instrument, out, |Level { price, qty }| LevelUpdate {
        price,
        qty,
        side,
    })
}

/// Appends a level list (the raw bytes of one JSON value) to a delta's
/// updates on `side`.
pub fn delta_levels(
    raw: &[u8],
    side: Side,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Result<(), FrameError> {
    let mut s = Scanner::new(raw);
    scan_delta_levels(&mut s, side, instrument, out)?;
    s.finish()
}

/// Replaces `out` with a level list.
pub fn snapshot_levels(
    raw: &[u8],
    instrument: &Instrument,
    out: &mut Vec<Level>,
) -> Result<(), FrameError> {
    out.clear();
    let mut s = Scanner::new(raw);
    scan_levels(&mut s, instrument, out, |level| level)?;
    s.finish()
}
