//! Backtests of several instruments and strategies in one kernel, from one
//! file: `[[feeds]]` are recordings merged on one timeline by receive time
//! (each keeps its own feed latency, each venue is a simulated venue of its
//! own); `[[strategies]]` each name the instruments they trade. The other
//! sections are a single backtest's, and risk limits apply per instrument
//! (parsed on each one's grid) and to the account.
//!
//! ```toml
//! [[feeds]]
//! file = "data/sample/binance_spot_btcusdt_20240808.raw.gz"
//! [[feeds]]
//! file = "data/sample/binance_usdm_btcusdt_20240808.raw.gz"
//!
//! [[strategies]]
//! kind = "lead_lag"
//! instrument = "binance_spot:BTCUSDT"    # quoted
//! lead = "binance_usdm:BTCUSDT"          # read
//! …
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use kestrel_engine::backtest::{Feed, MarketSource};
use kestrel_engine::{KernelSetup, StrategySetup};
use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{Instrument, InstrumentIndex};
use kestrel_registry::identify::WithFeed;
use kestrel_strategy::{BuiltIn, ImbalanceMm, LeadLag};
use serde::Deserialize;

use super::config::{
    AccountSection, BarsSection, ReportSection, RiskSection, Settings, SimSection, StrategySection,
};
use super::{Input, Outcome, data_path, l2_outcome, summary};
use crate::instruments::CatalogueArgs;
use crate::market::MarketArgs;

/// A portfolio backtest file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioFile {
    /// Report title.
    pub title: Option<String>,
    /// The recordings, one instrument each.
    pub feeds: Vec<FeedEntry>,
    /// The strategies: `kind`, `instrument` (and `lead` for `lead_lag`),
    /// and the strategy's own keys.
    pub strategies: Vec<toml::Table>,
    /// Catalogue files read over the bundled one.
    #[serde(default)]
    pub catalogue: Vec<PathBuf>,
    /// Starting cash.
    #[serde(default)]
    pub account: AccountSection,
    /// The simulated venues.
    #[serde(default)]
    pub sim: SimSection,
    /// Risk limits, per instrument and for the account.
    #[serde(default)]
    pub risk: RiskSection,
    /// Where the reports go.
    #[serde(default)]
    pub report: ReportSection,
    /// How bars built from trades close.
    #[serde(default)]
    pub bars: BarsSection,
}

/// `[[feeds]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedEntry {
    /// The capture.
    pub file: PathBuf,
    /// `venue:NATIVE`, when the frames do not say or hold several.
    pub instrument: Option<String>,
}

/// Whether a config file is a portfolio file (it has `[[feeds]]`).
pub fn is_portfolio(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("feeds"))
}

impl PortfolioFile {
    /// Reads a portfolio file.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    fn catalogue(&self) -> CatalogueArgs {
        CatalogueArgs {
            files: self.catalogue.clone(),
        }
    }

    /// The sections a one-market file has too.
    fn settings(&self) -> Settings<'_> {
        Settings {
            account: &self.account,
            sim: &self.sim,
            risk: &self.risk,
            report: &self.report,
            bars: &self.bars,
        }
    }
}

/// A recording opened through its protocol's decoder, boxed so recordings
/// of different venues share one timeline.
struct Open<'a>(Input<'a>);

impl WithFeed for Open<'_> {
    type Output = anyhow::Result<Box<dyn MarketSource>>;

    fn run<D: FrameDecoder + 'static, S: Sequencer + 'static>(
        self,
        decoder: D,
        sequencer: S,
    ) -> Self::Output {
        Ok(Box::new(self.0.open(decoder, sequencer)?))
    }
}

/// Runs a portfolio file.
pub fn run(file: &PortfolioFile, show_progress: bool) -> anyhow::Result<Outcome> {
    if file.feeds.is_empty() {
        bail!("feeds: a portfolio needs at least one recording");
    }
    let mut instruments: Vec<Instrument> = Vec::new();
    let mut feeds = Vec::with_capacity(file.feeds.len());
    let settings = file.settings();
    for (n, feed) in file.feeds.iter().enumerate() {
        let path = data_path(&feed.file);
        let mut args = market_args(feed.instrument.as_deref())
            .with_context(|| format!("feeds[{n}].instrument"))?;
        args.catalogue = file.catalogue();
        let market = crate::market::resolve(&path, &args, false)?;
        if market
            .tape
            .as_ref()
            .is_some_and(|t| !t.map.holds_book(t.index))
        {
            // As a book feed it would never sync: refused, not run silent.
            bail!(
                "feeds[{n}]: {} holds trades alone; a portfolio's feeds are order books",
                path.display()
            );
        }
        let instrument = settings.instrument(market.instrument.clone())?;
        let ix = match instruments.iter().position(|i| i.id == instrument.id) {
            Some(at) => at,
            None => {
                instruments.push(instrument.clone());
                instruments.len() - 1
            }
        };
        let input = Input {
            path: &path,
            tape: market.tape.as_ref(),
        };
        let source = market.with_feed(instrument, Open(input))?;
        feeds.push(Feed {
            instrument: InstrumentIndex(u16::try_from(ix)?),
            source,
        });
    }
    let catalogue = file.catalogue().load()?;
    let index_of = |name: &str, key: &str| -> anyhow::Result<InstrumentIndex> {
        let wanted = catalogue
            .resolve(name)
            .with_context(|| format!("strategies.{key}"))?;
        let at = instruments
            .iter()
            .position(|i| i.id == wanted.id)
            .with_context(|| {
                format!("strategies.{key}: {name} is not among the feeds' instruments")
            })?;
        Ok(InstrumentIndex(u16::try_from(at)?))
    };
    let (strategies, names) = strategy_setups(&file.strategies, &instruments, index_of)?;
    let config = settings.backtest_config(&instruments[0])?;
    let markets = file.risk.market_setups(&instruments)?;
    let kernel = kestrel_engine::Kernel::build(
        KernelSetup {
            markets,
            strategies,
        },
        &config.kernel,
    )?;
    let title = file.title.clone().unwrap_or_else(|| names.join(" + "));
    let started = Instant::now();
    let mut bar = summary::ProgressBar::new(show_progress);
    let run =
        kestrel_engine::backtest::run_kernel(kernel, feeds, &config, |f| bar.show(f), &mut ())?;
    bar.finish();
    Ok(l2_outcome(run, &title, started.elapsed()))
}

/// The strategies of `[[strategies]]` tables: each names the instrument it
/// trades (and `lead_lag` the one it reads) as `index_of` resolves them
/// among `instruments`, plus `max_loss` and the strategy's own keys. Also
/// each one's name, for titles.
pub fn strategy_setups(
    tables: &[toml::Table],
    instruments: &[Instrument],
    index_of: impl Fn(&str, &str) -> anyhow::Result<InstrumentIndex>,
) -> anyhow::Result<(Vec<StrategySetup<BuiltIn>>, Vec<String>)> {
    if tables.is_empty() {
        bail!("strategies: name at least one");
    }
    let mut strategies = Vec::with_capacity(tables.len());
    let mut names = Vec::with_capacity(tables.len());
    for (n, entry) in tables.iter().enumerate() {
        let mut table = entry.clone();
        let take = |table: &mut toml::Table, key: &str| -> anyhow::Result<Option<String>> {
            match table.remove(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s)),
                Some(other) => bail!("strategies[{n}].{key}: {other} is not a string"),
            }
        };
        let instrument = take(&mut table, "instrument")?
            .with_context(|| format!("strategies[{n}]: name its `instrument`"))?;
        let lead = take(&mut table, "lead")?;
        let max_loss = take(&mut table, "max_loss")?
            .map(|text| text.parse::<kestrel_model::Decimal>())
            .transpose()
            .with_context(|| format!("strategies[{n}].max_loss"))?;
        let section: StrategySection = table
            .try_into()
            .with_context(|| format!("strategies[{n}]"))?;
        let quoted = index_of(&instrument, "instrument")?;
        let spec = instruments
            .get(quoted.get())
            .with_context(|| format!("strategies[{n}]: no {quoted}"))?;
        let (strategy, subscriptions) = match (&section, lead) {
            (StrategySection::ImbalanceMm { .. }, None) => (
                BuiltIn::ImbalanceMm(ImbalanceMm::new(section.imbalance_mm(spec)?)),
                vec![quoted],
            ),
            (StrategySection::LeadLag { .. }, Some(lead)) => (
                BuiltIn::LeadLag(LeadLag::new(section.lead_lag(spec)?)),
                vec![quoted, index_of(&lead, "lead")?],
            ),
            (StrategySection::LeadLag { .. }, None) => {
                bail!("strategies[{n}]: lead_lag needs the `lead` market it quotes around")
            }
            (StrategySection::ImbalanceMm { .. }, Some(_)) => {
                bail!("strategies[{n}]: imbalance_mm reads one market; `lead` is for lead_lag")
            }
            (StrategySection::EmaCross { .. }, None) => (
                BuiltIn::EmaCross(super::trades::ema_cross(&section, spec)?),
                vec![quoted],
            ),
            (StrategySection::EmaCross { .. }, Some(_)) => {
                bail!("strategies[{n}]: ema_cross reads one market; `lead` is for lead_lag")
            }
            (StrategySection::SmaCross { .. }, _) => {
                bail!("strategies[{n}]: sma_cross trades bars, not a portfolio of order books")
            }
        };
        names.push(format!("{} on {}", strategy.name(), spec.id));
        strategies.push(StrategySetup {
            strategy,
            subscriptions,
            max_loss,
        });
    }
    Ok((strategies, names))
}

/// `venue:NATIVE` as market arguments.
fn market_args(name: Option<&str>) -> anyhow::Result<MarketArgs> {
    let Some(name) = name else {
        return Ok(MarketArgs::default());
    };
    let (venue, symbol) = name
        .split_once(':')
        .with_context(|| format!("{name:?}: write venue:NATIVE, e.g. binance_usdm:BTCUSDT"))?;
    Ok(MarketArgs {
        venue: Some(venue.parse()?),
        symbol: Some(symbol.to_owned()),
        catalogue: CatalogueArgs::default(),
    })
}
