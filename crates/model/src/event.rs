//! Normalised market events: what the feed hands the kernel, whatever the venue.
//!
//! Every event carries two clocks: the venue's timestamp and our local receive
//! time, so feed latency is a property of the data rather than a guess.

use crate::bar_spec::BarSpec;
use crate::instrument::InstrumentId;
use crate::order::Side;
use crate::price::{Price, Qty};
use crate::time::UnixNanos;

/// The venue's clock and ours for one event.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct EventTime {
    /// When the venue says the event happened (matching engine or gateway).
    pub exchange: UnixNanos,
    /// When our process received the bytes.
    pub local: UnixNanos,
}

/// One price level: a price and the total size resting there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Level {
    /// Price of the level.
    pub price: Price,
    /// Total resting size; never zero inside a book.
    pub qty: Qty,
}

/// A change to one level: the new absolute size at a price, zero to remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct LevelUpdate {
    /// Price of the level.
    pub price: Price,
    /// New absolute size; [`Qty::ZERO`] removes the level.
    pub qty: Qty,
    /// `Buy` for bids, `Sell` for asks.
    pub side: Side,
}

/// A price per side of a book, to split a diff at the touch: the caller
/// asks the decoder for every level at or better than its bound on each
/// side (`None`: the whole side), and the decoder answers with the price
/// beyond which the levels it left for later lie, strictly worse (`None`:
/// none were left). See `FrameDecoder::decode_near` in `kestrel-feed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TouchBounds {
    /// The bid side's price.
    pub bid: Option<Price>,
    /// The ask side's price.
    pub ask: Option<Price>,
}

impl TouchBounds {
    /// The price of `side`.
    pub fn get(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.bid,
            Side::Sell => self.ask,
        }
    }

    /// Sets the price of `side`.
    pub fn set(&mut self, side: Side, price: Option<Price>) {
        match side {
            Side::Buy => self.bid = price,
            Side::Sell => self.ask = price,
        }
    }
}

/// The venue's update ids for one delta batch, kept as sent so the feed's
/// sequencer can check continuity by that venue's own rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UpdateIds {
    /// First update id in the batch (Binance `U`).
    pub first: u64,
    /// Last update id in the batch (Binance `u`, OKX `seqId`).
    pub last: u64,
    /// Last id of the previous batch, where the venue sends it (Binance
    /// futures `pu`, OKX `prevSeqId`).
    pub prev: Option<u64>,
}

/// A batch of level changes that the venue published as one message. Apply
/// all of it before reading the book: the book may look crossed mid-batch.
///
/// The feed reuses one `BookDelta` and its `updates` buffer, so decoding a
/// frame allocates nothing once the buffer has grown to the largest batch
/// (its `clone_from` keeps the target's buffer, unlike a derived one).
#[derive(Debug, PartialEq, Eq)]
pub struct BookDelta {
    /// The market.
    pub instrument: InstrumentId,
    /// Venue sequence ids.
    pub ids: UpdateIds,
    /// Venue and local timestamps.
    pub time: EventTime,
    /// The changes, in the venue's order.
    pub updates: Vec<LevelUpdate>,
}

impl Clone for BookDelta {
    fn clone(&self) -> Self {
        Self {
            instrument: self.instrument,
            ids: self.ids,
            time: self.time,
            updates: self.updates.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.instrument = source.instrument;
        self.ids = source.ids;
        self.time = source.time;
        self.updates.clone_from(&source.updates);
    }
}

/// A whole book: bids best (highest) first, asks best (lowest) first. Its
/// `clone_from` keeps the target's buffers.
#[derive(Debug, PartialEq, Eq)]
pub struct BookSnapshot {
    /// The market.
    pub instrument: InstrumentId,
    /// Update id the snapshot is consistent with (Binance `lastUpdateId`).
    pub last_update_id: u64,
    /// Venue and local timestamps.
    pub time: EventTime,
    /// Bid levels, best first.
    pub bids: Vec<Level>,
    /// Ask levels, best first.
    pub asks: Vec<Level>,
}

impl Clone for BookSnapshot {
    fn clone(&self) -> Self {
        Self {
            instrument: self.instrument,
            last_update_id: self.last_update_id,
            time: self.time,
            bids: self.bids.clone(),
            asks: self.asks.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.instrument = source.instrument;
        self.last_update_id = source.last_update_id;
        self.time = source.time;
        self.bids.clone_from(&source.bids);
        self.asks.clone_from(&source.asks);
    }
}

/// A print on the venue's tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Trade {
    /// The market.
    pub instrument: InstrumentId,
    /// Venue trade id, used to spot gaps and duplicates.
    pub trade_id: u64,
    /// Trade price.
    pub price: Price,
    /// Trade size.
    pub qty: Qty,
    /// Side of the order that took liquidity; `None` where the venue does not say.
    pub aggressor: Option<Side>,
    /// Venue and local timestamps.
    pub time: EventTime,
}

/// The venue's best bid and ask (Binance `bookTicker`, OKX `bbo-tbt`).
///
/// A quote is the venue's own view of the touch; the feed compares it with
/// the book it rebuilt when both carry the same update id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quote {
    /// The market.
    pub instrument: InstrumentId,
    /// Book update id the quote reflects (Binance `u`, OKX `seqId`).
    pub update_id: u64,
    /// Best bid.
    pub bid: Level,
    /// Best ask.
    pub ask: Level,
    /// Venue and local timestamps.
    pub time: EventTime,
}

/// An OHLCV bar over `[open_time, close_time)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Bar {
    /// The market.
    pub instrument: InstrumentId,
    /// What closed it: with the instrument, the bar's key.
    pub spec: BarSpec,
    /// Start of the interval.
    pub open_time: UnixNanos,
    /// End of the interval (exclusive).
    pub close_time: UnixNanos,
    /// First trade price.
    pub open: Price,
    /// Highest trade price.
    pub high: Price,
    /// Lowest trade price.
    pub low: Price,
    /// Last trade price.
    pub close: Price,
    /// Traded size.
    pub volume: Qty,
}

impl Bar {
    /// Whether high and low bound open and close, as any real bar must.
    pub fn is_consistent(&self) -> bool {
        self.low <= self.open.min(self.close)
            && self.high >= self.open.max(self.close)
            && self.open_time <= self.close_time
    }
}

/// Any market event, in the order the kernel must process them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarketEvent {
    /// Incremental book changes.
    Delta(BookDelta),
    /// A whole book.
    Snapshot(BookSnapshot),
    /// A trade print.
    Trade(Trade),
    /// The venue's best bid and ask.
    Quote(Quote),
    /// A bar.
    Bar(Bar),
}
