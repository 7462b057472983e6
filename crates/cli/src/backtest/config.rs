//! Backtest configuration files (TOML).
//!
//! Amounts are decimal strings, parsed exactly onto the instrument's tick
//! and lot grids; rates and signal weights are numbers. Every section but
//! `[data]` and `[strategy]` has defaults, so a file names only what it
//! changes. `configs/imbalance_mm.toml` is the main job's file and shows
//! every key.

use std::path::PathBuf;

use anyhow::{Context, bail};
use kestrel_bars::{BarOptions, EmptyBars, LatePolicy};
use kestrel_engine::{BacktestConfig, ClockOffset, KernelConfig};
use kestrel_exec::{CostMethod, RepricePolicy};
use kestrel_model::{Decimal, Instrument, Qty};

use kestrel_signals::SignalConfig;
use kestrel_sim::{LatencyModel, QueueModel, SimConfig};
use kestrel_strategy::{ImbalanceMmConfig, LeadLagConfig};
use serde::Deserialize;

mod risk;

pub use risk::RiskSection;

use crate::instruments::CatalogueArgs;
use crate::market::MarketArgs;

/// A whole backtest file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    /// Report title.
    pub title: Option<String>,
    /// What to replay.
    pub data: DataSection,
    /// The strategy and its settings.
    pub strategy: StrategySection,
    /// Starting cash.
    #[serde(default)]
    pub account: AccountSection,
    /// The simulated venue.
    #[serde(default)]
    pub sim: SimSection,
    /// Risk limits.
    #[serde(default)]
    pub risk: RiskSection,
    /// Where the reports go.
    #[serde(default)]
    pub report: ReportSection,
    /// How bars built from trades close.
    #[serde(default)]
    pub bars: BarsSection,
    /// Parameter grid for `--sweep`: dotted keys to lists of values.
    #[serde(default)]
    pub sweep: toml::Table,
}

/// `[data]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// Capture (or CSV of daily bars), relative to the working directory.
    pub file: PathBuf,
    /// What the file holds.
    #[serde(default)]
    pub format: DataFormat,
    /// The instrument as `venue:NATIVE` (`binance_usdm:BTCUSDT`): read from
    /// a capture's frames unless given; bars name it here.
    pub instrument: Option<String>,
    /// Catalogue files read over the bundled one.
    #[serde(default)]
    pub catalogue: Vec<PathBuf>,
}

/// The kinds of data a backtest can run on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataFormat {
    /// Venue frames as recorded (`<local_ts_ns> <frame>` lines); the venue
    /// and symbol are read from them.
    #[default]
    Capture,
    /// Daily OHLCV bars (Date,Open,High,Low,Close,Volume CSV).
    OhlcvDaily,
    /// Binance's public `trades` files (data.binance.vision), spot or
    /// futures, with or without the header row.
    BinanceTrades,
    /// Binance's public `aggTrades` files.
    BinanceAggTrades,
    /// Tardis `trades` CSV.
    TardisTrades,
    /// Trades as Parquet (`kestrel data convert … -o FILE.parquet`).
    ParquetTrades,
    /// Bars as Parquet (`kestrel data convert … --kind bars:SPEC`).
    ParquetBars,
}

impl DataSection {
    /// The market `instrument` names, from the catalogue: for data that
    /// does not name its own (`what`: "bars", "a trades file").
    pub fn named_instrument(&self, what: &str) -> anyhow::Result<Instrument> {
        let name = self.instrument.as_deref().with_context(|| {
            format!(
                "data.instrument: {what} do not name their market; give it, e.g. \"binance_usdm:BTCUSDT\""
            )
        })?;
        Ok(self.market_args()?.catalogue.load()?.resolve(name)?.clone())
    }

    /// How to find the market: `instrument` split into venue and symbol.
    pub fn market_args(&self) -> anyhow::Result<MarketArgs> {
        let (venue, symbol) = match &self.instrument {
            Some(name) => {
                let (venue, symbol) = name.split_once(':').with_context(|| {
                    format!(
                        "data.instrument {name:?}: write venue:NATIVE, e.g. binance_usdm:BTCUSDT"
                    )
                })?;
                let venue = venue
                    .parse()
                    .with_context(|| format!("data.instrument {name:?}"))?;
                (Some(venue), Some(symbol.to_owned()))
            }
            None => (None, None),
        };
        Ok(MarketArgs {
            venue,
            symbol,
            catalogue: CatalogueArgs {
                files: self.catalogue.clone(),
            },
        })
    }
}

/// `[strategy]`: `kind` picks the strategy, the other keys are its own.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StrategySection {
    /// The market maker.
    ImbalanceMm {
        /// Quote size (base asset).
        qty: String,
        /// Distance of each quote from fair, ticks.
        half_spread_ticks: f64,
        /// Fair shift at full imbalance, ticks.
        imbalance_skew_ticks: f64,
        /// Fair shift at full inventory, ticks.
        inventory_skew_ticks: f64,
        /// Largest position either way (base asset).
        max_position: String,
        /// Smallest move worth a reprice, ticks.
        reprice_min_move_ticks: i64,
        /// Shortest time between reprices of one quote, ms.
        reprice_min_interval_ms: u64,
        /// Queue ahead (base asset) past which any improvement is taken.
        hopeless_queue: String,
        /// Volatility per √s above which quotes are pulled.
        max_volatility: f64,
    },
    /// Quotes one market around another's microprice (portfolio files;
    /// the quoted market is the entry's `instrument`, the leader `lead`).
    LeadLag {
        /// Quote size, on the quoted market's grid.
        qty: String,
        /// Distance of each quote from fair, ticks.
        half_spread_ticks: f64,
        /// Fair shift at full inventory, ticks.
        inventory_skew_ticks: f64,
        /// Largest position either way, on the quoted market's grid.
        max_position: String,
        /// Weight of each new basis observation (0 to 1).
        basis_alpha: f64,
        /// Smallest move worth a reprice, ticks.
        reprice_min_move_ticks: i64,
        /// Shortest time between reprices of one quote, ms.
        reprice_min_interval_ms: u64,
    },
    /// Moving-average crossover on bars.
    SmaCross {
        /// Fast window, bars.
        fast: usize,
        /// Slow window, bars.
        slow: usize,
    },
    /// EMA crossover on bars the kernel builds from trades, always in the
    /// market (NautilusTrader's `EMACross`).
    EmaCross {
        /// The bars: `1m`, `5m`, `1h`, `ticks:100`, `volume:5`, ….
        bar: String,
        /// Fast EMA period, bars.
        fast: usize,
        /// Slow EMA period, bars.
        slow: usize,
        /// How the EMAs start: `first` (NautilusTrader's, the default) or
        /// `sma` (TA-Lib's).
        #[serde(default = "first_close")]
        seed: kestrel_indicators::EmaSeed,
        /// Order size (base asset).
        qty: String,
    },
}

/// `[bars]`: how the bars a strategy reads close, when built from trades.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BarsSection {
    /// How long after its end a time bar waits for late trades, ms.
    pub watermark_ms: u64,
    /// A trade later than that: `"drop"` (counted) or `"correct"` (a
    /// correction event with the revised bar).
    pub late: LateSetting,
    /// Spans with no trade: `"carry"` (a bar at the last close, no volume)
    /// or `"skip"`.
    pub empty: EmptySetting,
}

impl Default for BarsSection {
    fn default() -> Self {
        Self {
            watermark_ms: 0,
            late: LateSetting::Drop,
            empty: EmptySetting::Carry,
        }
    }
}

/// `bars.late`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateSetting {
    /// Counted and dropped.
    Drop,
    /// A correction event.
    Correct,
}

/// `bars.empty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptySetting {
    /// A bar at the last close.
    Carry,
    /// No bar.
    Skip,
}

impl BarsSection {
    /// The kernel's bar options.
    pub fn options(&self) -> BarOptions {
        BarOptions {
            watermark_ns: self.watermark_ms.saturating_mul(1_000_000),
            late: match self.late {
                LateSetting::Drop => LatePolicy::Drop,
                LateSetting::Correct => LatePolicy::Correct,
            },
            empty: match self.empty {
                EmptySetting::Carry => EmptyBars::Carry,
                EmptySetting::Skip => EmptyBars::Skip,
            },
            ..BarOptions::default()
        }
    }
}

/// `ema_cross`'s default seeding, NautilusTrader's.
fn first_close() -> kestrel_indicators::EmaSeed {
    kestrel_indicators::EmaSeed::First
}

/// `[account]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountSection {
    /// Starting cash, quote asset.
    pub cash: String,
    /// Commission per fill as a fraction, for bar backtests (L2 runs pay
    /// the instrument's maker and taker fees).
    pub commission: f64,
}

impl Default for AccountSection {
    fn default() -> Self {
        Self {
            cash: "100000".into(),
            commission: 0.0,
        }
    }
}

/// `[sim]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimSection {
    /// `conservative` or `probabilistic`.
    pub queue_model: String,
    /// Power of the probabilistic queue model.
    pub queue_power: f64,
    /// Order entry latency, µs.
    pub order_entry_us: u64,
    /// Ack latency, µs.
    pub ack_us: u64,
    /// Seed of the latency draws.
    pub seed: u64,
    /// Maker fee override (fraction), e.g. for a VIP tier.
    pub maker_fee: Option<String>,
    /// Taker fee override (fraction).
    pub taker_fee: Option<String>,
    /// On trades alone, market orders fill at the next trade's price this
    /// many ticks worse.
    pub trade_slippage_ticks: u32,
}

impl Default for SimSection {
    fn default() -> Self {
        Self {
            queue_model: "probabilistic".into(),
            queue_power: 2.0,
            order_entry_us: 1_000,
            ack_us: 1_000,
            seed: 7,
            maker_fee: None,
            taker_fee: None,
            trade_slippage_ticks: 0,
        }
    }
}

/// `[report]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSection {
    /// HTML report path.
    pub html: PathBuf,
    /// JSON report path.
    pub json: PathBuf,
    /// Interval of the equity samples, ms.
    pub sample_interval_ms: u64,
}

impl Default for ReportSection {
    fn default() -> Self {
        Self {
            html: "report.html".into(),
            json: "report.json".into(),
            sample_interval_ms: 1_000,
        }
    }
}

pub fn decimal(text: &str, what: &str) -> anyhow::Result<Decimal> {
    Decimal::parse(text).with_context(|| format!("{what}: {text:?} is not a decimal"))
}

pub(super) fn qty(text: &str, instrument: &Instrument, what: &str) -> anyhow::Result<Qty> {
    Qty::parse(text, &instrument.lot)
        .with_context(|| format!("{what}: {text:?} is not a quantity on the lot grid"))
}

impl RunFile {
    /// Parses a file's text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    /// The sections every backtest file has.
    pub fn settings(&self) -> Settings<'_> {
        Settings {
            account: &self.account,
            sim: &self.sim,
            risk: &self.risk,
            report: &self.report,
            bars: &self.bars,
        }
    }

    /// The instrument, with the fee overrides applied.
    pub fn instrument(&self, base: Instrument) -> anyhow::Result<Instrument> {
        self.settings().instrument(base)
    }

    /// The runner's settings for `instrument`.
    pub fn backtest_config(&self, instrument: &Instrument) -> anyhow::Result<BacktestConfig> {
        self.settings().backtest_config(instrument)
    }
}

/// The sections a one-market file and a portfolio file share: account,
/// simulated venue, risk, report.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// `[account]`.
    pub account: &'a AccountSection,
    /// `[sim]`.
    pub sim: &'a SimSection,
    /// `[risk]`.
    pub risk: &'a RiskSection,
    /// `[report]`.
    pub report: &'a ReportSection,
    /// `[bars]`.
    pub bars: &'a BarsSection,
}

impl Settings<'_> {
    /// The instrument, with the fee overrides applied.
    pub fn instrument(&self, base: Instrument) -> anyhow::Result<Instrument> {
        let mut instrument = base;
        if let Some(fee) = &self.sim.maker_fee {
            instrument.maker_fee = decimal(fee, "sim.maker_fee")?;
        }
        if let Some(fee) = &self.sim.taker_fee {
            instrument.taker_fee = decimal(fee, "sim.taker_fee")?;
        }
        Ok(instrument)
    }

    /// The runner's settings for `instrument`.
    pub fn backtest_config(&self, instrument: &Instrument) -> anyhow::Result<BacktestConfig> {
        let r = &self.risk;
        let queue_model = match self.sim.queue_model.as_str() {
            "conservative" => QueueModel::Conservative,
            "probabilistic" => QueueModel::Probabilistic {
                power: self.sim.queue_power,
            },
            other => bail!("sim.queue_model: {other:?} is neither conservative nor probabilistic"),
        };
        let risk = r.limits(instrument)?;
        Ok(BacktestConfig {
            kernel: KernelConfig {
                risk,
                signals: SignalConfig::default(),
                queue_model,
                cost_method: CostMethod::Fifo,
                cash: decimal(&self.account.cash, "account.cash")?,
                id_prefix: "kst".into(),
                // A backtest's session is its seed: ids repeat run to run.
                session_ms: self.sim.seed,
                sample_interval_ns: self.report.sample_interval_ms.max(1) * 1_000_000,
                bracket: r.bracket(),
                bars: self.bars.options(),
            },
            sim: SimConfig {
                queue_model,
                order_entry: LatencyModel::Constant(self.sim.order_entry_us * 1_000),
                ack: LatencyModel::Constant(self.sim.ack_us * 1_000),
                seed: self.sim.seed,
                trade_slippage_ticks: self.sim.trade_slippage_ticks,
                ..SimConfig::default()
            },
            offset: ClockOffset::Estimate,
        })
    }
}

impl StrategySection {
    /// The lead–lag quoter's settings, for the quoted market.
    pub fn lead_lag(&self, quoted: &Instrument) -> anyhow::Result<LeadLagConfig> {
        let Self::LeadLag {
            qty: size,
            half_spread_ticks,
            inventory_skew_ticks,
            max_position,
            basis_alpha,
            reprice_min_move_ticks,
            reprice_min_interval_ms,
        } = self
        else {
            bail!("not a lead_lag strategy");
        };
        Ok(LeadLagConfig {
            qty: qty(size, quoted, "strategy.qty")?,
            half_spread_ticks: *half_spread_ticks,
            inventory_skew_ticks: *inventory_skew_ticks,
            max_position_lots: i64::try_from(
                qty(max_position, quoted, "strategy.max_position")?.lots(),
            )?,
            basis_alpha: *basis_alpha,
            reprice: RepricePolicy {
                min_move_ticks: *reprice_min_move_ticks,
                min_interval_ns: reprice_min_interval_ms * 1_000_000,
            },
        })
    }

    /// The strategy's name, as files write it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ImbalanceMm { .. } => "imbalance_mm",
            Self::LeadLag { .. } => "lead_lag",
            Self::SmaCross { .. } => "sma_cross",
            Self::EmaCross { .. } => "ema_cross",
        }
    }

    /// The market maker's settings, for `instrument`.
    pub fn imbalance_mm(&self, instrument: &Instrument) -> anyhow::Result<ImbalanceMmConfig> {
        let Self::ImbalanceMm {
            qty: size,
            half_spread_ticks,
            imbalance_skew_ticks,
            inventory_skew_ticks,
            max_position,
            reprice_min_move_ticks,
            reprice_min_interval_ms,
            hopeless_queue,
            max_volatility,
        } = self
        else {
            bail!("not an imbalance_mm strategy");
        };
        Ok(ImbalanceMmConfig {
            qty: qty(size, instrument, "strategy.qty")?,
            half_spread_ticks: *half_spread_ticks,
            imbalance_skew_ticks: *imbalance_skew_ticks,
            inventory_skew_ticks: *inventory_skew_ticks,
            max_position_lots: i64::try_from(
                qty(max_position, instrument, "strategy.max_position")?.lots(),
            )?,
            reprice: RepricePolicy {
                min_move_ticks: *reprice_min_move_ticks,
                min_interval_ns: reprice_min_interval_ms * 1_000_000,
            },
            hopeless_queue_lots: qty(hopeless_queue, instrument, "strategy.hopeless_queue")?.lots(),
            max_volatility: *max_volatility,
        })
    }
}
