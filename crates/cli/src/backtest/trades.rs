//! Backtests on trades alone (`binance-trades`, `binance-agg-trades`,
//! `tardis-trades`, `parquet-trades`, or a tape of trades alone):
//! strategies that read bars the kernel builds from the
//! trades, with market orders filled by the simulator's trade-only rule
//! (the next trade's price, `sim.trade_slippage_ticks` worse).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use kestrel_binance::{BinanceTradesCsvReader, TradeLayout};
use kestrel_engine::backtest::TradeSource;
use kestrel_feed::tardis::TardisTradeReader;
use kestrel_feed::{ReadAhead, TradeFile};
use kestrel_model::{Instrument, Qty};
use kestrel_strategy::{EmaCross, EmaCrossConfig};
use kestrel_tape::TapeTrades;

use super::config::{DataFormat, RunFile, StrategySection};
use super::{Outcome, run_source};
use crate::market::TapeInput;

/// `ema_cross` as the file's `[strategy]` sets it, on `instrument`.
pub fn ema_cross(section: &StrategySection, instrument: &Instrument) -> anyhow::Result<EmaCross> {
    let StrategySection::EmaCross {
        bar,
        fast,
        slow,
        seed,
        qty,
    } = section
    else {
        bail!("not an ema_cross section");
    };
    let bar = bar.parse().context("strategy.bar")?;
    let qty = Qty::parse(qty, &instrument.lot)
        .with_context(|| format!("strategy.qty {qty:?} on a lot of {}", instrument.lot))?;
    if fast >= slow {
        bail!("strategy.fast ({fast}) must be shorter than strategy.slow ({slow})");
    }
    Ok(EmaCross::new(EmaCrossConfig {
        bar,
        fast: *fast,
        slow: *slow,
        seed: *seed,
        qty,
    })?)
}

/// A trades file of `format`, of `instrument`, read on a thread of its
/// own ahead of its consumer.
pub fn open(format: DataFormat, path: &Path, instrument: &Instrument) -> anyhow::Result<ReadAhead> {
    let opened = |e| anyhow::anyhow!("opening {}: {e}", path.display());
    let trades: Box<dyn TradeFile + Send> = match format {
        DataFormat::BinanceTrades => Box::new(
            BinanceTradesCsvReader::open(path, instrument, TradeLayout::Trades).map_err(opened)?,
        ),
        DataFormat::BinanceAggTrades => Box::new(
            BinanceTradesCsvReader::open(path, instrument, TradeLayout::AggTrades)
                .map_err(opened)?,
        ),
        DataFormat::TardisTrades => {
            Box::new(TardisTradeReader::open(path, instrument).map_err(opened)?)
        }
        DataFormat::ParquetTrades => {
            Box::new(kestrel_parquet::TradesReader::open(path, instrument)?)
        }
        other => bail!("{other:?} is not a trades format"),
    };
    Ok(ReadAhead::new(trades))
}

/// Runs the file's strategy over its trades file.
pub fn run(
    file: &RunFile,
    path: &Path,
    title: Option<String>,
    show_progress: bool,
) -> anyhow::Result<Outcome> {
    let base = file.data.named_instrument("trades files")?;
    let instrument = file.instrument(base)?;
    let trades = open(file.data.format, path, &instrument)?;
    run_trades(file, &instrument, trades, title, show_progress)
}

/// Runs the file's strategy over a tape that holds `instrument`'s trades
/// and no book (a trades CSV converted).
pub fn run_tape(
    file: &RunFile,
    tape: &TapeInput,
    instrument: &Instrument,
    title: Option<String>,
    show_progress: bool,
) -> anyhow::Result<Outcome> {
    run_trades(file, instrument, open_tape(tape), title, show_progress)
}

/// The trades of a tape that holds no book, read on a thread of their own.
pub fn open_tape(tape: &TapeInput) -> ReadAhead {
    ReadAhead::new(TapeTrades::new(Arc::clone(&tape.map), tape.index))
}

fn run_trades(
    file: &RunFile,
    instrument: &Instrument,
    trades: ReadAhead,
    title: Option<String>,
    show_progress: bool,
) -> anyhow::Result<Outcome> {
    let strategy = ema_cross(&file.strategy, instrument)?;
    let title =
        title.unwrap_or_else(|| format!("{} on {} trades", file.strategy.name(), instrument.id));
    run_source(
        file,
        instrument,
        TradeSource::new(trades),
        strategy,
        &title,
        show_progress,
    )
}
