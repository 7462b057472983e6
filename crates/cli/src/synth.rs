//! `kestrel data synth-trades`: a seeded synthetic tape written as one of
//! Binance's public trades files (futures layout, with its header), for
//! benchmarks and side-by-side runs with other engines.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use kestrel_model::{Price, UnixNanos};
use kestrel_sim::{SyntheticSpec, SyntheticTrades};

use crate::instruments::CatalogueArgs;

/// Options of `kestrel data synth-trades`.
#[derive(clap::Args)]
pub struct SynthArgs {
    /// The market, `venue:NATIVE`, from the catalogue (its tick and lot).
    #[arg(long, default_value = "binance_usdm:ETHUSDT")]
    instrument: String,
    /// Trades to write.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Seed: the same seed, the same file.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// First price.
    #[arg(long, default_value = "3000.00")]
    price: String,
    /// First trade's time, ms since the epoch (2024-01-01 00:00 UTC).
    #[arg(long, default_value_t = 1_704_067_200_000)]
    start_ms: u64,
    /// Mean gap between trades, ms.
    #[arg(long, default_value_t = 50.0)]
    mean_gap_ms: f64,
    /// File to write (Binance `trades` CSV).
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    catalogue: CatalogueArgs,
}

pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    let instrument = args.catalogue.load()?.resolve(&args.instrument)?.clone();
    let price = Price::parse(&args.price, &instrument.tick)
        .with_context(|| format!("--price {} on a tick of {}", args.price, instrument.tick))?;
    let spec = SyntheticSpec {
        start: UnixNanos::from_millis(args.start_ms),
        price,
        mean_gap_ms: args.mean_gap_ms,
        ..SyntheticSpec::ethusdt(args.seed)
    };
    // Written beside the output and renamed into place when whole: a
    // failed run leaves no half file, and the old file until the new one.
    let partial = crate::data::partial_path(&args.output)?;
    let written = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(&partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        let mut out = std::io::BufWriter::new(file);
        writeln!(out, "id,price,qty,quote_qty,time,is_buyer_maker")?;
        let (tick, lot) = (&instrument.tick, &instrument.lot);
        for t in SyntheticTrades::new(instrument.id, spec).take(args.count as usize) {
            let quote = instrument
                .price_decimal(t.price)
                .checked_mul(kestrel_model::Decimal::from_steps(t.qty.lots() as i64, lot))
                .context("a notional out of range")?;
            writeln!(
                out,
                "{},{},{},{},{},{}",
                t.trade_id,
                t.price.display(tick),
                t.qty.display(lot),
                quote,
                t.time.exchange.as_nanos() / 1_000_000,
                t.aggressor == Some(kestrel_model::Side::Sell),
            )?;
        }
        out.into_inner()?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        // Nothing of a failed run is kept: the partial file was ours.
        let _ = std::fs::remove_file(&partial);
    }
    written?;
    std::fs::rename(&partial, &args.output)
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "wrote {} synthetic {} trades (seed {}) to {}",
        args.count,
        instrument.id,
        args.seed,
        args.output.display()
    );
    Ok(())
}
