//! Binance's public trade files (data.binance.vision `trades` and
//! `aggTrades`, spot and futures), with or without their header row.
//!
//! * trades: `id, price, qty, quote_qty, time, is_buyer_maker` (futures),
//!   spot adding `is_best_match`;
//! * aggTrades: `agg_trade_id, price, quantity, first_trade_id,
//!   last_trade_id, transact_time, is_buyer_maker`, spot adding
//!   `is_best_match`.
//!
//! Times are ms, or µs in spot files from 2025 on (told apart by size).
//! The buyer being the maker means the seller took liquidity. The files
//! carry only the venue's time, which is used for both clocks.

use std::io::BufRead;
use std::path::Path;

use kestrel_feed::capture::open_maybe_gzip;
use kestrel_feed::csv::CsvRows;
use kestrel_feed::{FeedError, FrameError, TradeFile};
use kestrel_model::{EventTime, Increment, Instrument, Price, Qty, Side, Trade, UnixNanos};

/// Which of Binance's trade files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeLayout {
    /// Every trade (`trades`).
    Trades,
    /// Trades aggregated by taker order and price (`aggTrades`).
    AggTrades,
}

impl TradeLayout {
    /// The futures files' header row (spot files have none).
    pub fn header(self) -> &'static [u8] {
        match self {
            Self::Trades => b"id,price,qty,quote_qty,time,is_buyer_maker",
            Self::AggTrades => {
                b"agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
            }
        }
    }
}

/// Stamps at or above this are µs, not ms (ms this large are past the
/// year 5000).
const MICROS_FROM: u64 = 100_000_000_000_000;

/// Reads one of Binance's trade files, a trade per row.
pub struct BinanceTradesCsvReader<R> {
    rows: CsvRows<R>,
    instrument: Instrument,
    layout: TradeLayout,
    first: bool,
}

impl BinanceTradesCsvReader<Box<dyn BufRead + Send>> {
    /// Opens a file, gzipped or plain.
    pub fn open(
        path: &Path,
        instrument: &Instrument,
        layout: TradeLayout,
    ) -> Result<Self, FeedError> {
        Ok(Self::new(open_maybe_gzip(path)?, instrument, layout))
    }
}

impl<R: BufRead> BinanceTradesCsvReader<R> {
    /// Rows of `instrument`'s trades, in `layout`.
    pub fn new(input: R, instrument: &Instrument, layout: TradeLayout) -> Self {
        Self {
            rows: CsvRows::headerless(input),
            instrument: instrument.clone(),
            layout,
            first: true,
        }
    }
}

impl<R: BufRead> TradeFile for BinanceTradesCsvReader<R> {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        loop {
            let (line, fields) = match self.rows.next_row()? {
                Ok(row) => row,
                Err(e) => return Some(Err(e)),
            };
            let row = fields.rest();
            let first = std::mem::replace(&mut self.first, false);
            if first && !row.first().is_some_and(u8::is_ascii_digit) {
                // A header row: it must be the layout's.
                if row != self.layout.header() {
                    return Some(Err(FeedError::Format(format!(
                        "header row {:?} is not Binance's {:?} layout",
                        String::from_utf8_lossy(row),
                        self.layout
                    ))));
                }
                continue;
            }
            return Some(
                parse(row, &self.instrument, self.layout)
                    .map_err(|error| FeedError::Frame { line, error }),
            );
        }
    }
}

/// A row's bytes read left to right, one field at a time, in one pass:
/// these files are plain digits and commas, and a reader that splits
/// first and parses after touches every byte twice.
struct Row<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Row<'_> {
    /// Steps past the comma ending a field; a field must end at one (or
    /// at the row's end, when `last`).
    fn end_field(&mut self, name: &'static str, last: bool) -> Result<(), FrameError> {
        match self.bytes.get(self.pos) {
            Some(b',') if !last => {
                self.pos += 1;
                Ok(())
            }
            None if last => Ok(()),
            _ => Err(FrameError::BadValue(name)),
        }
    }

    /// Digits, and how many follow a point (`None` if a point is not
    /// allowed); at most 19 digits, which cannot overflow.
    fn digits(&mut self, name: &'static str, point: bool) -> Result<(u64, u8), FrameError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let (mut value, mut count, mut frac, mut seen_point) = (0u64, 0usize, 0u8, false);
        let mut i = 0;
        while i < rest.len() {
            let b = rest[i];
            let digit = b.wrapping_sub(b'0');
            if digit <= 9 {
                value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
                count += 1;
                frac = frac.saturating_add(u8::from(seen_point));
            } else if b == b'.' && point && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            i += 1;
        }
        self.pos += i;
        // Up to 19 digits cannot wrap a u64.
        if count == 0 || count > 19 {
            return Err(FrameError::BadValue(name));
        }
        Ok((value, frac))
    }

    /// An unsigned integer field.
    fn uint(&mut self, name: &'static str) -> Result<u64, FrameError> {
        let (value, _) = self.digits(name, false)?;
        self.end_field(name, false)?;
        Ok(value)
    }

    /// A non-negative decimal field, in steps of `increment`.
    fn steps(&mut self, name: &'static str, increment: &Increment) -> Result<u64, FrameError> {
        let (digits, frac) = self.digits(name, true)?;
        self.end_field(name, false)?;
        increment
            .steps_from_digits(digits, frac)
            .map_err(|error| FrameError::Decimal { field: name, error })
    }

    /// A field skipped whole.
    fn skip(&mut self, name: &'static str) -> Result<(), FrameError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos += rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        self.end_field(name, false)
    }

    /// `true` or `false`, any case, ending the row or a field.
    fn flag(&mut self, name: &'static str) -> Result<Option<bool>, FrameError> {
        let rest = &self.bytes[self.pos.min(self.bytes.len())..];
        let len = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        let value = flag(&rest[..len], name)?;
        self.pos += len;
        Ok(Some(value))
    }
}

fn parse(line: &[u8], instrument: &Instrument, layout: TradeLayout) -> Result<Trade, FrameError> {
    let mut row = Row {
        bytes: line,
        pos: 0,
    };
    let trade_id = row.uint("id")?;
    let price = row.steps("price", &instrument.tick)?;
    let qty = row.steps("qty", &instrument.lot)?;
    let time = match layout {
        TradeLayout::Trades => {
            row.skip("quote_qty")?;
            row.uint("time")?
        }
        TradeLayout::AggTrades => {
            row.uint("first_trade_id")?;
            row.uint("last_trade_id")?;
            row.uint("transact_time")?
        }
    };
    let buyer_maker = row.flag("is_buyer_maker")?.unwrap_or(false);
    // Spot files add `is_best_match`.
    if row.end_field("is_buyer_maker", true).is_err() {
        row.end_field("is_buyer_maker", false)?;
        row.flag("is_best_match")?;
        row.end_field("is_best_match", true)?;
    }
    let at = if time >= MICROS_FROM {
        UnixNanos::from_micros(time)
    } else {
        UnixNanos::from_millis(time)
    };
    Ok(Trade {
        instrument: instrument.id,
        trade_id,
        price: Price::from_ticks(i64::try_from(price).map_err(|_| FrameError::BadValue("price"))?),
        qty: Qty::from_lots(qty),
        aggressor: Some(if buyer_maker { Side::Sell } else { Side::Buy }),
        time: EventTime {
            exchange: at,
            local: at,
        },
    })
}

fn flag(field: &[u8], name: &'static str) -> Result<bool, FrameError> {
    if field.eq_ignore_ascii_case(b"true") {
        Ok(true)
    } else if field.eq_ignore_ascii_case(b"false") {
        Ok(false)
    } else {
        Err(FrameError::BadValue(name))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kestrel_model::testing::instrument;

    fn read(text: &str, layout: TradeLayout) -> Vec<Result<Trade, FeedError>> {
        let mut r =
            BinanceTradesCsvReader::new(text.as_bytes(), &instrument("0.01", "0.001"), layout);
        std::iter::from_fn(|| r.next_trade()).collect()
    }

    #[test]
    fn futures_trades_with_a_header_and_spot_trades_without() {
        let futures = "id,price,qty,quote_qty,time,is_buyer_maker\n\
                       5,61000.10,0.004,244.0004,1723161255030,true\n";
        let t = read(futures, TradeLayout::Trades).remove(0).unwrap();
        assert_eq!(
            (t.trade_id, t.price.ticks(), t.qty.lots()),
            (5, 6_100_010, 4)
        );
        assert_eq!(t.aggressor, Some(Side::Sell));
        assert_eq!(t.time.exchange, UnixNanos::from_millis(1_723_161_255_030));
        // Spot, 2025 on: µs stamps, and `is_best_match`.
        let spot = "7,100.5,1.000,100.5,1735689600123456,False,True\n";
        let t = read(spot, TradeLayout::Trades).remove(0).unwrap();
        assert_eq!(t.aggressor, Some(Side::Buy));
        assert_eq!(
            t.time.exchange,
            UnixNanos::from_micros(1_735_689_600_123_456)
        );
    }

    #[test]
    fn long_fields_and_long_fractions() {
        let instrument = kestrel_model::testing::instrument("0.01", "0.001");
        let parse = |row: &str| parse(row.as_bytes(), &instrument, TradeLayout::Trades);
        let t = parse("12345678901,3000.10000000,0.12300000,1,1704067200204,true").unwrap();
        assert_eq!(
            (t.trade_id, t.price.ticks(), t.qty.lots()),
            (12_345_678_901, 300_010, 123)
        );
        // Twenty digits could wrap; hundreds of decimals must not panic.
        assert!(parse("12345678901234567890,1,1,1,1,true").is_err());
        let zeros = "0".repeat(300);
        assert!(parse(&format!("1,1.{zeros},1,1,1,true")).is_err());
    }

    #[test]
    fn agg_trades_and_bad_rows() {
        let text = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n\
                    9,10.00,2.000,100,104,1723161255030,false\n\
                    10,abc,2.000,105,105,1723161255031,false\n\
                    11,10.01,1.000,106,106,1723161255032,maybe\n";
        let out = read(text, TradeLayout::AggTrades);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].as_ref().unwrap().qty.lots(), 2000);
        assert!(matches!(out[1], Err(FeedError::Frame { line: 3, .. })));
        assert!(matches!(out[2], Err(FeedError::Frame { line: 4, .. })));
        // The wrong layout's header is refused outright.
        let out = read(text, TradeLayout::Trades);
        assert!(matches!(out[0], Err(FeedError::Format(_))));
    }
}
