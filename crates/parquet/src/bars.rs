//! Bars of one instrument and spec.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Decimal128Array, TimestampNanosecondArray};
use arrow_schema::{ArrowError, SchemaRef};
use kestrel_model::{Bar, BarSpec, Instrument, Price, Qty};

use crate::ParquetError;
use crate::columns::{
    BATCH_ROWS, Reader, Writer, decimal, decimal_array, schema, steps, time, timestamp,
    timestamp_array, unscaled,
};

const PRICES: [&str; 4] = ["open", "high", "low", "close"];

fn bars_schema(instrument: &Instrument, spec: BarSpec) -> SchemaRef {
    let mut fields = vec![timestamp("open_time"), timestamp("close_time")];
    fields.extend(PRICES.iter().map(|n| decimal(n, &instrument.tick)));
    fields.push(decimal("volume", &instrument.lot));
    schema(
        "bars",
        instrument,
        fields,
        &[("kestrel.bar_spec", spec.to_string())],
    )
}

/// Writes `bars` (all of `spec`) of `instrument` to `path`; the number
/// written.
pub fn write_bars(
    path: &Path,
    instrument: &Instrument,
    spec: BarSpec,
    bars: &[Bar],
) -> Result<u64, ParquetError> {
    let schema = bars_schema(instrument, spec);
    let mut writer = Writer::create(path, schema.clone())?;
    for rows in bars.chunks(BATCH_ROWS) {
        writer.write_columns(&schema, columns(instrument, rows))?;
    }
    writer.finish()?;
    Ok(bars.len() as u64)
}

fn columns(instrument: &Instrument, rows: &[Bar]) -> Result<Vec<ArrayRef>, ArrowError> {
    let ts = |f: fn(&Bar) -> u64| timestamp_array(rows.iter().map(|b| f(b) as i64).collect());
    let price = |f: fn(&Bar) -> Price| {
        decimal_array(
            rows.iter()
                .map(|b| unscaled(f(b).ticks(), &instrument.tick))
                .collect(),
            &instrument.tick,
        )
    };
    Ok(vec![
        Arc::new(ts(|b| b.open_time.as_nanos())),
        Arc::new(ts(|b| b.close_time.as_nanos())),
        Arc::new(price(|b| b.open)?),
        Arc::new(price(|b| b.high)?),
        Arc::new(price(|b| b.low)?),
        Arc::new(price(|b| b.close)?),
        Arc::new(decimal_array(
            rows.iter()
                .map(|b| unscaled(b.volume.lots() as i64, &instrument.lot))
                .collect(),
            &instrument.lot,
        )?),
    ])
}

/// Reads the bars in `path`, which must hold bars of `instrument`; their
/// spec and the bars. A bar off the grid or inconsistent (a high below its
/// close) refuses the file, naming the row.
pub fn read_bars(
    path: &Path,
    instrument: &Instrument,
) -> Result<(BarSpec, Vec<Bar>), ParquetError> {
    let mut reader = Reader::open(path, "bars", instrument)?;
    let spec: BarSpec = reader
        .schema
        .metadata()
        .get("kestrel.bar_spec")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| reader.schema_error("no valid kestrel.bar_spec".into()))?;
    let mut bars = Vec::new();
    while let Some(batch) = reader.next_batch() {
        let batch = batch?;
        let r = &reader;
        let open_time = r.column::<TimestampNanosecondArray>(&batch, "open_time", false)?;
        let close_time = r.column::<TimestampNanosecondArray>(&batch, "close_time", false)?;
        let mut prices = Vec::with_capacity(4);
        for name in PRICES {
            prices.push((
                r.column::<Decimal128Array>(&batch, name, false)?,
                r.scale(name)?,
            ));
        }
        let volume = r.column::<Decimal128Array>(&batch, "volume", false)?;
        let volume_scale = r.scale("volume")?;
        for row in 0..batch.num_rows() {
            let bad = |what: &str| r.schema_error(format!("bar {}: {what}", bars.len() + 1));
            let mut p = [Price::ZERO; 4];
            for (slot, (column, scale)) in p.iter_mut().zip(&prices) {
                *slot = Price::from_ticks(
                    steps(column.value(row), *scale, &instrument.tick)
                        .ok_or_else(|| bad("a price off the tick"))?,
                );
            }
            let lots = steps(volume.value(row), volume_scale, &instrument.lot)
                .ok_or_else(|| bad("a volume off the lot"))?;
            let bar = Bar {
                instrument: instrument.id,
                spec,
                open_time: time(open_time.value(row)),
                close_time: time(close_time.value(row)),
                open: p[0],
                high: p[1],
                low: p[2],
                close: p[3],
                volume: Qty::from_lots(lots.unsigned_abs()),
            };
            if !bar.is_consistent() {
                return Err(bad("high and low do not hold open and close"));
            }
            bars.push(bar);
        }
    }
    Ok((spec, bars))
}
