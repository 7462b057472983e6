//! Tardis.dev downloadable CSV files: `incremental_book_L2` and `trades`.
//!
//! Tardis's rules for `incremental_book_L2` (docs.tardis.dev, "Downloadable
//! CSV files"), and how this reader applies them:
//!
//! 1. `timestamp` is the venue's time, `local_timestamp` Tardis's receive
//!    time, both µs since the epoch.
//! 2. Rows sharing a `local_timestamp` came from one venue message: they
//!    become one [`BookDelta`](kestrel_model::BookDelta), to be applied whole.
//! 3. A run of `is_snapshot=true` rows after a non-snapshot row starts a new
//!    book (the day's first snapshot, or one after a reconnect): it becomes
//!    one [`BookSnapshot`](kestrel_model::BookSnapshot) that replaces the book.
//! 4. Rows before the first snapshot cannot be applied to anything and are
//!    skipped (counted in [`TardisBookReader::skipped`]).
//! 5. `amount` is the new absolute size; 0 removes the level.
//!
//! Tardis files carry no venue update ids: Tardis has already sequenced the
//! data. The reader numbers messages itself, contiguously (a snapshot gets
//! id n, the next message n+1), so a replay can run them through a
//! contiguous-id sequencer such as [`crate::bybit::BybitSequencer`] and
//! any dropped message still shows as a gap.

use std::io::BufRead;
use std::path::Path;

use kestrel_model::{
    EventTime, Instrument, Level, LevelUpdate, Price, Qty, Side, Trade, UnixNanos, UpdateIds,
};

use crate::capture::open_maybe_gzip;
use crate::csv::{CsvRows, Fields, RowGroups};
use crate::decode::{Decoded, FrameBuffers};
use crate::error::{FeedError, FrameError};

const BOOK_COLUMNS: [&str; 8] = [
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "is_snapshot",
    "side",
    "price",
    "amount",
];

const TRADE_COLUMNS: [&str; 8] = [
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "id",
    "side",
    "price",
    "amount",
];

/// One `incremental_book_L2` row.
#[derive(Clone, Copy, Debug)]
struct BookRow {
    exchange: UnixNanos,
    local: UnixNanos,
    snapshot: bool,
    side: Side,
    price: Price,
    qty: Qty,
}

/// Reads `incremental_book_L2` rows and hands them out one venue message
/// at a time, as [`Decoded::Snapshot`] or [`Decoded::Delta`].
pub struct TardisBookReader<R> {
    rows: RowGroups<R, BookRow>,
    buffers: FrameBuffers,
    previous_was_snapshot: bool,
    seen_snapshot: bool,
    next_id: u64,
    skipped: u64,
}

impl TardisBookReader<Box<dyn BufRead + Send>> {
    /// Opens a file, gzipped or plain.
    pub fn open(path: &Path, instrument: &Instrument) -> Result<Self, FeedError> {
        Self::new(open_maybe_gzip(path)?, instrument)
    }
}

impl<R: BufRead> TardisBookReader<R> {
    /// Checks the header row; rows must be for `instrument`'s native symbol.
    pub fn new(input: R, instrument: &Instrument) -> Result<Self, FeedError> {
        Ok(Self {
            rows: RowGroups::new(input, &BOOK_COLUMNS, instrument, parse_book_row)?,
            buffers: FrameBuffers::new(instrument.id),
            previous_was_snapshot: false,
            seen_snapshot: false,
            next_id: 1,
            skipped: 0,
        })
    }

    /// Rows skipped because they came before the first snapshot (rule 4).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next message; `None` at the end of the file. A bad row is a
    /// recoverable [`FeedError::Frame`]: the message it would have joined
    /// ends before it, and reading can go on.
    pub fn next_event(&mut self) -> Option<Result<Decoded<'_>, FeedError>> {
        let first = loop {
            match self.rows.first()? {
                Ok(row) if row.snapshot || self.seen_snapshot => break row,
                Ok(_) => self.skipped += 1,
                Err(e) => return Some(Err(e)),
            }
        };
        self.seen_snapshot = true;
        let starts_book = first.snapshot && !self.previous_was_snapshot;
        self.previous_was_snapshot = first.snapshot;
        let id = self.next_id;
        self.next_id += 1;
        let time = EventTime {
            exchange: first.exchange,
            local: first.local,
        };
        let mut row = Some(first);
        if starts_book {
            // Rule 3: every snapshot row up to the next non-snapshot row.
            let s = &mut self.buffers.snapshot;
            s.bids.clear();
            s.asks.clear();
            s.last_update_id = id;
            s.time = time;
            while let Some(r) = row {
                if !r.qty.is_zero() {
                    let level = Level {
                        price: r.price,
                        qty: r.qty,
                    };
                    match r.side {
                        Side::Buy => s.bids.push(level),
                        Side::Sell => s.asks.push(level),
                    }
                }
                row = self.rows.next_if(|next| next.snapshot);
            }
            s.bids.sort_unstable_by_key(|l| std::cmp::Reverse(l.price));
            s.asks.sort_unstable_by_key(|l| l.price);
            return Some(Ok(Decoded::Snapshot {
                snapshot: s,
                checksum: None,
            }));
        }
        // Rule 2: every row with the first row's receive time.
        let d = self.buffers.reset_delta(self.rows.instrument().id);
        d.ids = UpdateIds {
            first: id,
            last: id,
            prev: Some(id - 1),
        };
        d.time = time;
        while let Some(r) = row {
            d.updates.push(LevelUpdate {
                price: r.price,
                qty: r.qty,
                side: r.side,
            });
            row = self
                .rows
                .next_if(|next| next.snapshot == first.snapshot && next.local == first.local);
        }
        Some(Ok(Decoded::Delta {
            delta: d,
            checksum: None,
        }))
    }
}

fn parse_book_row(mut f: Fields<'_>, instrument: &Instrument) -> Result<BookRow, FrameError> {
    f.next("exchange")?;
    f.symbol(instrument.native_symbol.as_str())?;
    let exchange = UnixNanos::from_micros(f.u64("timestamp")?);
    let local = UnixNanos::from_micros(f.u64("local_timestamp")?);
    let snapshot = match f.next("is_snapshot")? {
        b"true" => true,
        b"false" => false,
        _ => return Err(FrameError::BadValue("is_snapshot")),
    };
    let side = match f.next("side")? {
        b"bid" => Side::Buy,
        b"ask" => Side::Sell,
        _ => return Err(FrameError::BadValue("side")),
    };
    let price = f.price("price", &instrument.tick)?;
    let qty = f.qty("amount", &instrument.lot)?;
    f.end()?;
    Ok(BookRow {
        exchange,
        local,
        snapshot,
        side,
        price,
        qty,
    })
}

/// Reads Tardis `trades` rows, one [`Decoded::Trades`] of one trade per row.
///
/// Numeric trade ids are kept; venues with non-numeric ids (BitMEX UUIDs)
/// get the row's position in the file instead, so ids stay unique.
pub struct TardisTradeReader<R> {
    rows: CsvRows<R>,
    instrument: Instrument,
    trade: [Trade; 1],
    count: u64,
}

impl TardisTradeReader<Box<dyn BufRead + Send>> {
    /// Opens a file, gzipped or plain.
    pub fn open(path: &Path, instrument: &Instrument) -> Result<Self, FeedError> {
        Self::new(open_maybe_gzip(path)?, instrument)
    }
}

impl<R: BufRead> TardisTradeReader<R> {
    /// Checks the header row; rows must be for `instrument`'s native symbol.
    pub fn new(input: R, instrument: &Instrument) -> Result<Self, FeedError> {
        Ok(Self {
            rows: CsvRows::new(input, &TRADE_COLUMNS)?,
            trade: [Trade {
                instrument: instrument.id,
                trade_id: 0,
                price: Price::ZERO,
                qty: Qty::ZERO,
                aggressor: None,
                time: Default::default(),
            }],
            instrument: instrument.clone(),
            count: 0,
        })
    }

    /// The next trade; `None` at the end of the file. A bad row is a
    /// recoverable [`FeedError::Frame`].
    pub fn next_event(&mut self) -> Option<Result<Decoded<'_>, FeedError>> {
        let (line, mut f) = match self.rows.next_row()? {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        self.count += 1;
        let ordinal = self.count;
        let instrument = &self.instrument;
        let trade = &mut self.trade[0];
        let parsed = (|| {
            f.next("exchange")?;
            f.symbol(instrument.native_symbol.as_str())?;
            trade.time.exchange = UnixNanos::from_micros(f.u64("timestamp")?);
            trade.time.local = UnixNanos::from_micros(f.u64("local_timestamp")?);
            let id = f.next("id")?;
            trade.trade_id = crate::json::parse_u64(id).unwrap_or(ordinal);
            trade.aggressor = match f.next("side")? {
                b"buy" => Some(Side::Buy),
                b"sell" => Some(Side::Sell),
                b"unknown" => None,
                _ => return Err(FrameError::BadValue("side")),
            };
            trade.price = f.price("price", &instrument.tick)?;
            trade.qty = f.qty("amount", &instrument.lot)?;
            f.end()
        })();
        Some(match parsed {
            Ok(()) => Ok(Decoded::Trades(&self.trade)),
            Err(error) => Err(FeedError::Frame { line, error }),
        })
    }
}

impl<R: BufRead> crate::TradeFile for TardisTradeReader<R> {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        Some(match self.next_event()? {
            Ok(Decoded::Trades(&[trade])) => Ok(trade),
            Ok(_) => Ok(self.trade[0]),
            Err(e) => Err(e),
        })
    }
}
