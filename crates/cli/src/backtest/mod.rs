//! `kestrel backtest` and the main job: a strategy over recorded data on
//! the simulated venue, a summary table, and the HTML and JSON reports.

pub mod config;
pub(crate) mod portfolio;
mod summary;
mod sweep;
pub(crate) mod trades;

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use kestrel_analytics::{Report, to_html};
use kestrel_engine::backtest::{CaptureSource, Recording, TapeSource};
use kestrel_engine::{Backtest, backtest_bars, read_daily_csv, run_backtest};
use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{Decimal, Instrument};
use kestrel_registry::identify::WithFeed;
use kestrel_strategy::{ImbalanceMm, SmaCross};

pub use config::{DataFormat, RunFile, StrategySection};

use crate::market::TapeInput;

/// The main job's configuration, built into the binary.
const DEFAULT_CONFIG: &str = include_str!("../../../../configs/imbalance_mm.toml");

/// Options of `kestrel backtest`.
#[derive(clap::Args, Default)]
pub struct BacktestArgs {
    /// Configuration file (TOML); defaults to the main job's,
    /// `configs/imbalance_mm.toml`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run the grid in the file's `[sweep]` section, one backtest per
    /// combination across all cores, and print one line for each.
    #[arg(long)]
    sweep: bool,
}

/// What one backtest produced, for the table and the files.
pub struct Outcome {
    /// The analytics report, with the run's counters.
    pub report: Report,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Market events processed (level updates and trades, or bars).
    pub events: u64,
}

pub fn run(args: &BacktestArgs) -> anyhow::Result<()> {
    let (text, origin) = match &args.config {
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (
            DEFAULT_CONFIG.to_owned(),
            "configs/imbalance_mm.toml (built in)".to_owned(),
        ),
    };
    let show_progress = std::io::stderr().is_terminal();
    let (outcome, data, report) = if portfolio::is_portfolio(&text) {
        let file =
            portfolio::PortfolioFile::parse(&text).with_context(|| format!("in {origin}"))?;
        if args.sweep {
            bail!("--sweep runs one-market files; {origin} is a portfolio ([[feeds]])");
        }
        let data: Vec<String> = file
            .feeds
            .iter()
            .map(|f| f.file.display().to_string())
            .collect();
        (
            portfolio::run(&file, show_progress)?,
            data.join(" + "),
            file.report,
        )
    } else {
        let file = RunFile::parse(&text).with_context(|| format!("in {origin}"))?;
        if args.sweep {
            return sweep::run(&text, &file);
        }
        let data = file.data.file.display().to_string();
        (run_file(&file, show_progress)?, data, file.report)
    };
    let mut table = summary::table(&data, &outcome);
    let json = outcome.report.to_json();
    std::fs::write(&report.json, json + "\n")
        .with_context(|| format!("writing {}", report.json.display()))?;
    std::fs::write(&report.html, to_html(&outcome.report))
        .with_context(|| format!("writing {}", report.html.display()))?;
    let _ = writeln!(
        table,
        "  wrote         {} and {}",
        report.html.display(),
        report.json.display()
    );
    // A closed stdout (`kestrel | head`) is the reader's choice, not an error.
    let _ = std::io::stdout().lock().write_all(table.as_bytes());
    Ok(())
}

/// A data path as given, or else from the repository root (so the main
/// job finds its data when run from anywhere inside the source tree).
pub fn data_path(path: &Path) -> PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_path_buf();
    }
    let from_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    if from_root.exists() {
        from_root
    } else {
        path.to_path_buf()
    }
}

/// Runs the backtest a file describes; `show_progress` draws a bar on stderr.
pub fn run_file(file: &RunFile, show_progress: bool) -> anyhow::Result<Outcome> {
    let path = data_path(&file.data.file);
    let title = file.title.clone();
    match (file.data.format, &file.strategy) {
        (
            DataFormat::Capture,
            StrategySection::ImbalanceMm { .. } | StrategySection::EmaCross { .. },
        ) => {
            let market = crate::market::resolve(&path, &file.data.market_args()?, false)?;
            let instrument = file.instrument(market.instrument.clone())?;
            if let Some(tape) = market.tape.as_ref().filter(|t| !t.map.holds_book(t.index)) {
                // A tape of trades alone would never sync as a book feed.
                if let StrategySection::ImbalanceMm { .. } = file.strategy {
                    bail!(
                        "imbalance_mm quotes an order book: {} holds trades alone",
                        path.display()
                    );
                }
                return trades::run_tape(file, tape, &instrument, title, show_progress);
            }
            let title =
                title.unwrap_or_else(|| format!("{} on {}", file.strategy.name(), instrument.id));
            let input = Input {
                path: &path,
                tape: market.tape.as_ref(),
            };
            let run = L2Run {
                file,
                instrument: &instrument,
                input,
                title: &title,
                show_progress,
                strategy: (),
            };
            if let StrategySection::EmaCross { .. } = file.strategy {
                let strategy = trades::ema_cross(&file.strategy, &instrument)?;
                return market.with_feed(instrument.clone(), run.with(strategy));
            }
            let strategy = ImbalanceMm::new(file.strategy.imbalance_mm(&instrument)?);
            market.with_feed(instrument.clone(), run.with(strategy))
        }
        (
            DataFormat::BinanceTrades
            | DataFormat::BinanceAggTrades
            | DataFormat::TardisTrades
            | DataFormat::ParquetTrades,
            StrategySection::EmaCross { .. },
        ) => trades::run(file, &path, title, show_progress),
        (
            DataFormat::BinanceTrades
            | DataFormat::BinanceAggTrades
            | DataFormat::TardisTrades
            | DataFormat::ParquetTrades,
            StrategySection::ImbalanceMm { .. },
        ) => {
            bail!("imbalance_mm quotes an order book: give it an L2 capture, not trades alone")
        }
        (DataFormat::OhlcvDaily | DataFormat::ParquetBars, StrategySection::EmaCross { .. }) => {
            bail!(
                "ema_cross builds its bars from trades: give it a capture, or binance-trades, \
             binance-agg-trades or tardis-trades"
            )
        }
        (
            DataFormat::OhlcvDaily | DataFormat::ParquetBars,
            StrategySection::SmaCross { fast, slow },
        ) => run_bars(file, &path, *fast, *slow, title),
        (DataFormat::Capture, StrategySection::SmaCross { .. }) => {
            bail!("sma_cross trades bars: set data.format = \"ohlcv-daily\" or \"parquet-bars\"")
        }
        (DataFormat::OhlcvDaily | DataFormat::ParquetBars, StrategySection::ImbalanceMm { .. }) => {
            bail!("imbalance_mm trades an order book: give it an L2 capture")
        }
        (_, StrategySection::SmaCross { .. }) => {
            bail!("sma_cross trades bars: set data.format = \"ohlcv-daily\"")
        }
        (_, StrategySection::LeadLag { .. }) => bail!(
            "lead_lag quotes one market around another: write a portfolio file, with [[feeds]] \
             and [[strategies]] (configs/lead_lag_btc.toml)"
        ),
    }
}

/// Where a recording is read from: a capture's path, or a mapped tape.
#[derive(Clone, Copy)]
pub(crate) struct Input<'a> {
    pub path: &'a Path,
    pub tape: Option<&'a TapeInput>,
}

impl Input<'_> {
    /// The recording as a market source, through `decoder` (the tape's,
    /// for a tape) and `sequencer`.
    pub fn open<D: FrameDecoder, S: Sequencer>(
        self,
        decoder: D,
        sequencer: S,
    ) -> anyhow::Result<Recording<D, S>> {
        Ok(match self.tape {
            Some(t) => Recording::Tape(TapeSource::new(
                Arc::clone(&t.map),
                t.index,
                decoder,
                sequencer,
            )),
            None => Recording::Capture(
                CaptureSource::open(self.path, decoder, sequencer)
                    .with_context(|| format!("opening {}", self.path.display()))?,
            ),
        })
    }
}

/// An order-book backtest, run with whichever decoder the recording needs.
struct L2Run<'a, S> {
    file: &'a RunFile,
    instrument: &'a Instrument,
    input: Input<'a>,
    title: &'a str,
    show_progress: bool,
    strategy: S,
}

impl<'a> L2Run<'a, ()> {
    /// The run, with its strategy.
    fn with<S>(self, strategy: S) -> L2Run<'a, S> {
        L2Run {
            file: self.file,
            instrument: self.instrument,
            input: self.input,
            title: self.title,
            show_progress: self.show_progress,
            strategy,
        }
    }
}

impl<St: kestrel_strategy::Strategy> WithFeed for L2Run<'_, St> {
    type Output = anyhow::Result<Outcome>;

    fn run<D: FrameDecoder + 'static, S: Sequencer + 'static>(
        self,
        decoder: D,
        sequencer: S,
    ) -> Self::Output {
        let source = self.input.open(decoder, sequencer)?;
        run_source(
            self.file,
            self.instrument,
            source,
            self.strategy,
            self.title,
            self.show_progress,
        )
    }
}

/// Runs `strategy` over `source` on the simulated venue.
fn run_source<S: kestrel_strategy::Strategy, M: kestrel_engine::backtest::MarketSource>(
    file: &RunFile,
    instrument: &Instrument,
    source: M,
    strategy: S,
    title: &str,
    show_progress: bool,
) -> anyhow::Result<Outcome> {
    let config = file.backtest_config(instrument)?;
    let started = Instant::now();
    let mut bar = summary::ProgressBar::new(show_progress);
    let run = run_backtest(instrument, source, strategy, &config, |f| bar.show(f))?;
    bar.finish();
    let elapsed = started.elapsed();
    Ok(l2_outcome(run, title, elapsed))
}

/// The report of an L2 run, with the kernel's and the runner's counters.
fn l2_outcome<S: kestrel_strategy::Strategy>(
    run: Backtest<S>,
    title: &str,
    elapsed: Duration,
) -> Outcome {
    let k = *run.kernel.counters();
    let refusals: Vec<_> = run.kernel.refusals().to_vec();
    let bar_counters: Vec<_> = run
        .kernel
        .bar_counters(kestrel_model::InstrumentIndex::FIRST)
        .collect();
    let stats = run.stats;
    let mut report = run.into_report(title);
    let counters = [
        ("book_updates", k.book_updates),
        ("level_updates", k.level_updates),
        ("market_trades", k.trades),
        ("venue_reports", k.reports),
        ("odd_reports", k.odd_reports),
        ("risk_decisions", stats.decisions),
        ("risk_refused", k.refused),
        ("kill_switch_trips", k.kills),
        ("bracket_exits", k.bracket_exits),
        ("feed_gaps", k.gaps),
        ("malformed_frames", stats.malformed),
        ("books_lost", stats.books_lost),
        ("deltas_skipped", stats.deltas_skipped),
    ];
    for (name, n) in counters {
        report.counters.insert(name.into(), n);
    }
    if k.bars > 0 {
        report.counters.insert("bars".into(), k.bars);
    }
    for (spec, c) in bar_counters {
        let odd = [
            ("late trades", c.late),
            ("late trades corrected", c.corrected),
            ("trades out of order", c.out_of_order),
            ("trades from the future", c.future),
            ("empty bars", c.empty),
            ("empty bars passed over in long gaps", c.empty_skipped),
        ];
        for (name, n) in odd.into_iter().filter(|(_, n)| *n > 0) {
            report.counters.insert(format!("{spec} bars: {name}"), n);
        }
    }
    for (reason, n) in refusals {
        report.counters.insert(format!("refused: {reason}"), n);
    }
    Outcome {
        report,
        elapsed,
        events: k.level_updates + k.trades,
    }
}

fn run_bars(
    file: &RunFile,
    path: &Path,
    fast: usize,
    slow: usize,
    title: Option<String>,
) -> anyhow::Result<Outcome> {
    let instrument = file.data.named_instrument("bars")?;
    let (bars, period) = match file.data.format {
        DataFormat::ParquetBars => {
            let (spec, bars) = kestrel_parquet::read_bars(path, &instrument)?;
            (bars, spec.to_string())
        }
        _ => (
            read_daily_csv(path, &instrument)
                .with_context(|| format!("reading {}", path.display()))?,
            "daily".to_owned(),
        ),
    };
    let cash = Decimal::parse(&file.account.cash).context("account.cash")?;
    let commission = file.account.commission;
    let commission_decimal =
        Decimal::parse(&format!("{commission}")).context("account.commission")?;
    let started = Instant::now();
    let result = backtest_bars(
        &instrument,
        &bars,
        &mut SmaCross::new(fast, slow),
        cash,
        commission_decimal,
    );
    let title = title.unwrap_or_else(|| {
        format!(
            "sma_cross({fast}, {slow}) on {} {period} bars",
            instrument.native_symbol
        )
    });
    let mut report = result.to_report(&title, &instrument, &bars, commission);
    report.counters.insert("bars".into(), bars.len() as u64);
    Ok(Outcome {
        report,
        elapsed: started.elapsed(),
        events: bars.len() as u64,
    })
}
