//! Binance's historical order-book files (`T_DEPTH`, from
//! data.binance.vision and the `/futures/data/histDataLink` API).
//!
//! Columns: `symbol, timestamp (ms), first_update_id, last_update_id, side
//! (b|a), update_type (snap|set), price, qty, pu`. Rows sharing their ids
//! and update type came from one event:
//!
//! * `snap` rows form the snapshot, with `first_update_id` =
//!   `last_update_id` = its `lastUpdateId` and `pu` = -1;
//! * `set` rows form one diff `(U, u, pu)`, chained like the websocket's
//!   (`pu` = previous `u`), so [`super::FuturesSequencer`] applies them.
//!
//! The files carry only the venue's time, which is used for both clocks.

use std::io::BufRead;
use std::path::Path;

use kestrel_model::{
    EventTime, Instrument, Level, LevelUpdate, Price, Qty, Side, UnixNanos, UpdateIds,
};

use kestrel_feed::capture::open_maybe_gzip;
use kestrel_feed::csv::{Fields, RowGroups};
use kestrel_feed::decode::{Decoded, FrameBuffers};
use kestrel_feed::{FeedError, FrameError};

const COLUMNS: [&str; 9] = [
    "symbol",
    "timestamp",
    "first_update_id",
    "last_update_id",
    "side",
    "update_type",
    "price",
    "qty",
    "pu",
];

#[derive(Clone, Copy, Debug)]
struct DepthRow {
    time: UnixNanos,
    first: u64,
    last: u64,
    prev: Option<u64>,
    snapshot: bool,
    side: Side,
    price: Price,
    qty: Qty,
}

impl DepthRow {
    fn same_event(&self, other: &Self) -> bool {
        (self.first, self.last, self.prev, self.snapshot)
            == (other.first, other.last, other.prev, other.snapshot)
    }
}

/// Reads a `T_DEPTH` CSV one event at a time.
pub struct BinanceDepthCsvReader<R> {
    rows: RowGroups<R, DepthRow>,
    buffers: FrameBuffers,
}

impl BinanceDepthCsvReader<Box<dyn BufRead + Send>> {
    /// Opens a file, gzipped or plain.
    pub fn open(path: &Path, instrument: &Instrument) -> Result<Self, FeedError> {
        Self::new(open_maybe_gzip(path)?, instrument)
    }
}

impl<R: BufRead> BinanceDepthCsvReader<R> {
    /// Checks the header row; rows must be for `instrument`'s native symbol.
    pub fn new(input: R, instrument: &Instrument) -> Result<Self, FeedError> {
        Ok(Self {
            rows: RowGroups::new(input, &COLUMNS, instrument, parse_row)?,
            buffers: FrameBuffers::new(instrument.id),
        })
    }

    /// The next event; `None` at the end of the file. A bad row is a
    /// recoverable [`FeedError::Frame`]: the event it would have joined
    /// ends before it.
    pub fn next_event(&mut self) -> Option<Result<Decoded<'_>, FeedError>> {
        let first = match self.rows.first()? {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        let time = EventTime {
            exchange: first.time,
            local: first.time,
        };
        let mut row = Some(first);
        if first.snapshot {
            let s = &mut self.buffers.snapshot;
            s.bids.clear();
            s.asks.clear();
            s.last_update_id = first.last;
            s.time = time;
            while let Some(r) = row {
                let level = Level {
                    price: r.price,
                    qty: r.qty,
                };
                match r.side {
                    Side::Buy => s.bids.push(level),
                    Side::Sell => s.asks.push(level),
                }
                row = self.rows.next_if(|next| next.same_event(&first));
            }
            return Some(Ok(Decoded::Snapshot {
                snapshot: s,
                checksum: None,
            }));
        }
        let d = self.buffers.reset_delta(self.rows.instrument().id);
        d.ids = UpdateIds {
            first: first.first,
            last: first.last,
            prev: first.prev,
        };
        d.time = time;
        while let Some(r) = row {
            d.updates.push(LevelUpdate {
                price: r.price,
                qty: r.qty,
                side: r.side,
            });
            row = self.rows.next_if(|next| next.same_event(&first));
        }
        Some(Ok(Decoded::Delta {
            delta: d,
            checksum: None,
        }))
    }
}

fn parse_row(mut f: Fields<'_>, instrument: &Instrument) -> Result<DepthRow, FrameError> {
    f.symbol(instrument.native_symbol.as_str())?;
    let time = UnixNanos::from_millis(f.u64("timestamp")?);
    let first = f.u64("first_update_id")?;
    let last = f.u64("last_update_id")?;
    let side = match f.next("side")? {
        b"b" => Side::Buy,
        b"a" => Side::Sell,
        _ => return Err(FrameError::BadValue("side")),
    };
    let snapshot = match f.next("update_type")? {
        b"snap" => true,
        b"set" => false,
        _ => return Err(FrameError::BadValue("update_type")),
    };
    let price = f.price("price", &instrument.tick)?;
    let qty = f.qty("qty", &instrument.lot)?;
    let prev = match f.next("pu")? {
        b"-1" => None,
        pu => Some(kestrel_feed::json::parse_u64(pu).ok_or(FrameError::BadValue("pu"))?),
    };
    f.end()?;
    if first > last {
        return Err(FrameError::BadValue("first_update_id"));
    }
    Ok(DepthRow {
        time,
        first,
        last,
        prev,
        snapshot,
        side,
        price,
        qty,
    })
}
