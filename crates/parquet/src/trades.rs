//! Trades: written from any source, read back as a [`TradeFile`].

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Decimal128Array, Int8Array, RecordBatch, TimestampNanosecondArray, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use kestrel_feed::{FeedError, FrameError, TradeFile};
use kestrel_model::{EventTime, Instrument, Price, Qty, Side, Trade, UnixNanos};

use crate::ParquetError;
use crate::columns::{
    BATCH_ROWS, Reader, Writer, decimal, decimal_array, schema, steps, time, timestamp,
    timestamp_array, unscaled,
};

fn trades_schema(instrument: &Instrument) -> SchemaRef {
    schema(
        "trades",
        instrument,
        vec![
            timestamp("exchange_ts"),
            timestamp("local_ts"),
            Field::new("trade_id", DataType::UInt64, false),
            decimal("price", &instrument.tick),
            decimal("qty", &instrument.lot),
            Field::new("aggressor", DataType::Int8, false),
        ],
        &[],
    )
}

/// Writes `trades` of `instrument` to `path`; the number written.
pub fn write_trades(
    path: &Path,
    instrument: &Instrument,
    trades: impl IntoIterator<Item = Trade>,
) -> Result<u64, ParquetError> {
    let schema = trades_schema(instrument);
    let mut writer = Writer::create(path, schema.clone())?;
    let mut rows: Vec<Trade> = Vec::with_capacity(BATCH_ROWS);
    let mut written = 0u64;
    let mut trades = trades.into_iter().peekable();
    while trades.peek().is_some() {
        rows.clear();
        rows.extend(trades.by_ref().take(BATCH_ROWS));
        written += rows.len() as u64;
        writer.write_columns(&schema, columns(instrument, &rows))?;
    }
    writer.finish()?;
    Ok(written)
}

fn columns(instrument: &Instrument, rows: &[Trade]) -> Result<Vec<ArrayRef>, ArrowError> {
    let ts = |f: fn(&Trade) -> UnixNanos| {
        timestamp_array(rows.iter().map(|t| f(t).as_nanos() as i64).collect())
    };
    let aggressor = |t: &Trade| match t.aggressor {
        Some(Side::Buy) => 1i8,
        Some(Side::Sell) => -1,
        None => 0,
    };
    Ok(vec![
        Arc::new(ts(|t| t.time.exchange)),
        Arc::new(ts(|t| t.time.local)),
        Arc::new(UInt64Array::from(
            rows.iter().map(|t| t.trade_id).collect::<Vec<_>>(),
        )),
        Arc::new(decimal_array(
            rows.iter()
                .map(|t| unscaled(t.price.ticks(), &instrument.tick))
                .collect(),
            &instrument.tick,
        )?),
        Arc::new(decimal_array(
            rows.iter()
                .map(|t| unscaled(t.qty.lots() as i64, &instrument.lot))
                .collect(),
            &instrument.lot,
        )?),
        Arc::new(Int8Array::from(
            rows.iter().map(aggressor).collect::<Vec<_>>(),
        )),
    ])
}

/// A Parquet trades file read back, trade by trade. A row off the
/// instrument's grid is a recoverable bad row (counted by the caller);
/// a file of another kind or instrument, or a malformed one, is refused.
pub struct TradesReader {
    reader: Reader,
    instrument: Instrument,
    batch: Vec<Result<Trade, FrameError>>,
    next: usize,
    row: u64,
}

impl TradesReader {
    /// Opens `path`, which must hold trades of `instrument`.
    pub fn open(path: &Path, instrument: &Instrument) -> Result<Self, ParquetError> {
        let reader = Reader::open(path, "trades", instrument)?;
        for name in ["price", "qty"] {
            reader.scale(name)?;
        }
        Ok(Self {
            reader,
            instrument: instrument.clone(),
            batch: Vec::new(),
            next: 0,
            row: 0,
        })
    }

    fn load(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        let r = &self.reader;
        let exchange = r.column::<TimestampNanosecondArray>(batch, "exchange_ts", false)?;
        let local = r.column::<TimestampNanosecondArray>(batch, "local_ts", false)?;
        let ids = r.column::<UInt64Array>(batch, "trade_id", false)?;
        let prices = r.column::<Decimal128Array>(batch, "price", false)?;
        let qtys = r.column::<Decimal128Array>(batch, "qty", false)?;
        let sides = r.column::<Int8Array>(batch, "aggressor", false)?;
        let (price_scale, qty_scale) = (r.scale("price")?, r.scale("qty")?);
        let i = &self.instrument;
        self.batch.clear();
        self.next = 0;
        for row in 0..batch.num_rows() {
            let trade = (|| {
                let price = steps(prices.value(row), price_scale, &i.tick)
                    .ok_or(FrameError::BadValue("price"))?;
                let lots =
                    steps(qtys.value(row), qty_scale, &i.lot).ok_or(FrameError::BadValue("qty"))?;
                let aggressor = match sides.value(row) {
                    1 => Some(Side::Buy),
                    -1 => Some(Side::Sell),
                    0 => None,
                    _ => return Err(FrameError::BadValue("aggressor")),
                };
                Ok(Trade {
                    instrument: i.id,
                    trade_id: ids.value(row),
                    price: Price::from_ticks(price),
                    qty: Qty::from_lots(lots.unsigned_abs()),
                    aggressor,
                    time: EventTime {
                        exchange: time(exchange.value(row)),
                        local: time(local.value(row)),
                    },
                })
            })();
            self.batch.push(trade);
        }
        Ok(())
    }
}

impl TradeFile for TradesReader {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        while self.next == self.batch.len() {
            let batch = match self.reader.next_batch()? {
                Ok(b) => b,
                Err(e) => return Some(Err(FeedError::Format(e.to_string()))),
            };
            if let Err(e) = self.load(&batch) {
                return Some(Err(FeedError::Format(e.to_string())));
            }
        }
        let item = self.batch[self.next];
        self.next += 1;
        self.row += 1;
        Some(item.map_err(|error| FeedError::Frame {
            line: self.row,
            error,
        }))
    }
}
