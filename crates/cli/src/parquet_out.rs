//! `kestrel data convert … -o FILE.parquet`: a recording's trades, its
//! book deltas, or bars made from its trades, as Parquet (the schema is
//! in `kestrel-parquet`'s docs).

use std::path::Path;
use std::str::FromStr;

use anyhow::bail;
use kestrel_bars::{BarAggregator, BarEvent, BarOptions};
use kestrel_feed::{Decoded, FrameDecoder};
use kestrel_model::{BarSpec, BookDelta, Instrument, Trade};

use crate::data::{InputFormat, each_item};

/// What a Parquet output holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The trades.
    Trades,
    /// The book's deltas.
    Deltas,
    /// Bars of this spec made from the trades (closed bars only).
    Bars(BarSpec),
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "trades" => Ok(Self::Trades),
            "deltas" => Ok(Self::Deltas),
            _ => match s.strip_prefix("bars:") {
                Some(spec) => spec.parse().map(Self::Bars).map_err(|e| e.to_string()),
                None => Err(format!(
                    "{s:?}: write trades, deltas or bars:SPEC (bars:1m)"
                )),
            },
        }
    }
}

/// Reads `input` and writes what `kind` asks for to `output`.
pub fn convert(
    kind: Kind,
    format: InputFormat,
    input: &Path,
    instrument: &Instrument,
    decoder: Option<Box<dyn FrameDecoder>>,
    output: &Path,
) -> anyhow::Result<()> {
    let (mut trades, mut deltas, mut bad) = (Vec::<Trade>::new(), Vec::<BookDelta>::new(), 0u64);
    each_item(format, input, instrument, decoder, |item| {
        match item {
            Ok(Decoded::Trades(t)) => trades.extend_from_slice(t),
            Ok(Decoded::Delta { delta, .. }) if kind == Kind::Deltas => deltas.push(delta.clone()),
            Ok(_) => {}
            Err(e) if e.is_recoverable() => bad += 1,
            Err(e) => return Err(e.into()),
        }
        Ok(())
    })?;
    let (written, what) = match kind {
        Kind::Trades => (
            kestrel_parquet::write_trades(output, instrument, trades.iter().copied())?,
            "trades",
        ),
        Kind::Deltas => (
            kestrel_parquet::write_deltas(output, instrument, &deltas)?,
            "level changes",
        ),
        Kind::Bars(spec) => {
            let mut agg = BarAggregator::new(instrument, spec, BarOptions::default())?;
            let mut events = Vec::new();
            for t in &trades {
                agg.on_trade(t, t.time.exchange, &mut events);
            }
            let bars: Vec<_> = events
                .iter()
                .filter_map(|e| match e {
                    BarEvent::Closed(b) => Some(*b),
                    BarEvent::Corrected(_) => None,
                })
                .collect();
            (
                kestrel_parquet::write_bars(output, instrument, spec, &bars)?,
                "closed bars",
            )
        }
    };
    if written == 0 {
        bail!("{} holds no {what} to write", input.display());
    }
    println!(
        "wrote {written} {what} of {} to Parquet ({} bad lines or frames skipped)",
        instrument.id, bad
    );
    Ok(())
}
