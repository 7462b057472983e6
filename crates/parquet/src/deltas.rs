//! Book deltas: a row per level change, a delta the rows sharing its
//! times and ids.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Decimal128Array, Int8Array, TimestampNanosecondArray, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};
use kestrel_model::{BookDelta, EventTime, Instrument, LevelUpdate, Price, Qty, Side, UpdateIds};

use crate::ParquetError;
use crate::columns::{
    Reader, Writer, decimal, decimal_array, schema, steps, time, timestamp, timestamp_array,
    unscaled,
};

fn deltas_schema(instrument: &Instrument) -> SchemaRef {
    schema(
        "deltas",
        instrument,
        vec![
            timestamp("exchange_ts"),
            timestamp("local_ts"),
            Field::new("first_id", DataType::UInt64, false),
            Field::new("last_id", DataType::UInt64, false),
            Field::new("prev_id", DataType::UInt64, true),
            Field::new("side", DataType::Int8, false),
            decimal("price", &instrument.tick),
            decimal("qty", &instrument.lot),
        ],
        &[],
    )
}

/// Writes `deltas` of `instrument` to `path`; the level changes written.
pub fn write_deltas<'a>(
    path: &Path,
    instrument: &Instrument,
    deltas: impl IntoIterator<Item = &'a BookDelta>,
) -> Result<u64, ParquetError> {
    let schema = deltas_schema(instrument);
    let mut writer = Writer::create(path, schema.clone())?;
    let mut rows: Vec<(&BookDelta, LevelUpdate)> = Vec::new();
    let mut written = 0u64;
    for delta in deltas {
        rows.extend(delta.updates.iter().map(|u| (delta, *u)));
        if rows.len() >= crate::columns::BATCH_ROWS {
            written += rows.len() as u64;
            writer.write_columns(&schema, columns(instrument, &rows))?;
            rows.clear();
        }
    }
    if !rows.is_empty() {
        written += rows.len() as u64;
        writer.write_columns(&schema, columns(instrument, &rows))?;
    }
    writer.finish()?;
    Ok(written)
}

fn columns(
    instrument: &Instrument,
    rows: &[(&BookDelta, LevelUpdate)],
) -> Result<Vec<ArrayRef>, ArrowError> {
    let ts =
        |f: fn(&BookDelta) -> u64| timestamp_array(rows.iter().map(|(d, _)| f(d) as i64).collect());
    let ids = |f: fn(&UpdateIds) -> u64| {
        UInt64Array::from(rows.iter().map(|(d, _)| f(&d.ids)).collect::<Vec<_>>())
    };
    Ok(vec![
        Arc::new(ts(|d| d.time.exchange.as_nanos())),
        Arc::new(ts(|d| d.time.local.as_nanos())),
        Arc::new(ids(|i| i.first)),
        Arc::new(ids(|i| i.last)),
        Arc::new(UInt64Array::from(
            rows.iter().map(|(d, _)| d.ids.prev).collect::<Vec<_>>(),
        )),
        Arc::new(Int8Array::from(
            rows.iter()
                .map(|(_, u)| if u.side == Side::Buy { 1i8 } else { -1 })
                .collect::<Vec<_>>(),
        )),
        Arc::new(decimal_array(
            rows.iter()
                .map(|(_, u)| unscaled(u.price.ticks(), &instrument.tick))
                .collect(),
            &instrument.tick,
        )?),
        Arc::new(decimal_array(
            rows.iter()
                .map(|(_, u)| unscaled(u.qty.lots() as i64, &instrument.lot))
                .collect(),
            &instrument.lot,
        )?),
    ])
}

/// Reads the deltas in `path`, which must hold deltas of `instrument`. A
/// level off the grid refuses the file, naming the row.
pub fn read_deltas(path: &Path, instrument: &Instrument) -> Result<Vec<BookDelta>, ParquetError> {
    let mut reader = Reader::open(path, "deltas", instrument)?;
    let mut deltas: Vec<BookDelta> = Vec::new();
    let mut row_no = 0u64;
    while let Some(batch) = reader.next_batch() {
        let batch = batch?;
        let r = &reader;
        let exchange = r.column::<TimestampNanosecondArray>(&batch, "exchange_ts", false)?;
        let local = r.column::<TimestampNanosecondArray>(&batch, "local_ts", false)?;
        let first = r.column::<UInt64Array>(&batch, "first_id", false)?;
        let last = r.column::<UInt64Array>(&batch, "last_id", false)?;
        let prev = r.column::<UInt64Array>(&batch, "prev_id", true)?;
        let sides = r.column::<Int8Array>(&batch, "side", false)?;
        let prices = r.column::<Decimal128Array>(&batch, "price", false)?;
        let qtys = r.column::<Decimal128Array>(&batch, "qty", false)?;
        let (price_scale, qty_scale) = (r.scale("price")?, r.scale("qty")?);
        for row in 0..batch.num_rows() {
            row_no += 1;
            let bad = |what: &str| r.schema_error(format!("row {row_no}: {what}"));
            let side = match sides.value(row) {
                1 => Side::Buy,
                -1 => Side::Sell,
                _ => return Err(bad("side is neither 1 nor -1")),
            };
            let update = LevelUpdate {
                side,
                price: Price::from_ticks(
                    steps(prices.value(row), price_scale, &instrument.tick)
                        .ok_or_else(|| bad("a price off the tick"))?,
                ),
                qty: Qty::from_lots(
                    steps(qtys.value(row), qty_scale, &instrument.lot)
                        .ok_or_else(|| bad("a size off the lot"))?
                        .unsigned_abs(),
                ),
            };
            let ids = UpdateIds {
                first: first.value(row),
                last: last.value(row),
                prev: (!prev.is_null(row)).then(|| prev.value(row)),
            };
            let time = EventTime {
                exchange: time(exchange.value(row)),
                local: time(local.value(row)),
            };
            match deltas.last_mut() {
                Some(d) if d.ids == ids && d.time == time => d.updates.push(update),
                _ => deltas.push(BookDelta {
                    instrument: instrument.id,
                    ids,
                    time,
                    updates: vec![update],
                }),
            }
        }
    }
    Ok(deltas)
}
