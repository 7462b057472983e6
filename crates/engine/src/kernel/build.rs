//! Building a kernel of several instruments and strategies, checked: every
//! subscription names an instrument the kernel holds, and equity can be
//! counted in one asset: the first instrument's settlement asset, into
//! which every other settlement asset is converted at the mark of a market
//! the kernel holds.

use std::collections::BinaryHeap;

use kestrel_book::OrderBook;
use kestrel_exec::{ClientOrderIds, Position};
use kestrel_model::{Asset, ContractKind, Instrument, InstrumentIndex, StrategyIndex, UnixNanos};
use kestrel_risk::{RiskEngine, RiskLimits};
use kestrel_signals::Signals;
use kestrel_strategy::Strategy;

use super::state::{Core, Market, StrategyState};
use super::{AckLatencies, Kernel, KernelConfig, KernelCounters, RunRecorder, WorkingOrders};

/// An instrument of a kernel, with its own limits.
#[derive(Clone, Debug)]
pub struct MarketSetup {
    /// The instrument.
    pub instrument: Instrument,
    /// Its order size and value, position, band, book-age and volatility
    /// limits (the account-level ones come from [`KernelConfig::risk`]).
    pub limits: RiskLimits,
    /// Where its prices come from: its book, or its trades alone.
    pub prices: PriceSource,
}

/// Where a market's prices come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PriceSource {
    /// Its order book: marks at the mid, trusted while in sync.
    #[default]
    Book,
    /// Its trades alone (no book recorded): marks at the last trade,
    /// trusted from the first trade on, and that trade's age is the book's.
    Trades,
}

/// A strategy of a kernel and the instruments it reads and trades.
#[derive(Clone, Debug)]
pub struct StrategySetup<S> {
    /// The strategy.
    pub strategy: S,
    /// Indices into [`KernelSetup::markets`].
    pub subscriptions: Vec<InstrumentIndex>,
    /// The largest loss it may run up (realised after fees, plus open, in
    /// the settlement asset) before it alone is halted; `None`: only the
    /// account's limits apply.
    pub max_loss: Option<kestrel_model::Decimal>,
}

/// What a kernel holds: its instruments, in index order, and strategies.
#[derive(Clone, Debug)]
pub struct KernelSetup<S> {
    /// The instruments; an event's [`InstrumentIndex`] is a position here.
    pub markets: Vec<MarketSetup>,
    /// The strategies; a [`StrategyIndex`] is a position here.
    pub strategies: Vec<StrategySetup<S>>,
}

/// Why a kernel could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// No instrument or no strategy.
    #[error("a kernel needs at least one instrument and one strategy")]
    Empty,
    /// More instruments or strategies than the indices hold.
    #[error("too many {0}")]
    TooMany(&'static str),
    /// A strategy subscribed to an instrument the kernel does not hold.
    #[error("{strategy} subscribes to {instrument}, but the kernel holds {held} instruments")]
    UnknownInstrument {
        /// The strategy.
        strategy: StrategyIndex,
        /// What it asked for.
        instrument: InstrumentIndex,
        /// How many there are.
        held: usize,
    },
    /// A strategy subscribed to nothing.
    #[error("{0} subscribes to no instrument")]
    NoSubscription(StrategyIndex),
    /// A strategy asked for bars the instrument cannot have.
    #[error(transparent)]
    Bars(#[from] kestrel_bars::BarError),
    /// An instrument settles in an asset no market of the kernel prices in
    /// the kernel's currency, so its PnL cannot be counted in equity.
    #[error(
        "{instrument} settles in {settle}, but the kernel counts equity in {currency} \
         (the first market's settlement asset) and holds no market of {settle} in \
         {currency} to convert at: add one (e.g. {settle}/{currency} spot), or put \
         a {settle}-settled market first"
    )]
    NoConversion {
        /// The instrument.
        instrument: String,
        /// Its settlement asset.
        settle: Asset,
        /// The kernel's currency.
        currency: Asset,
    },
}

impl<S: Strategy> Kernel<S> {
    /// A kernel of the setup's instruments and strategies.
    pub fn build(setup: KernelSetup<S>, config: &KernelConfig) -> Result<Self, KernelError> {
        let KernelSetup {
            markets,
            strategies,
        } = setup;
        if markets.is_empty() || strategies.is_empty() {
            return Err(KernelError::Empty);
        }
        if markets.len() > usize::from(u16::MAX) {
            return Err(KernelError::TooMany("instruments"));
        }
        if strategies.len() > usize::from(u8::MAX) {
            return Err(KernelError::TooMany("strategies"));
        }
        let currency = markets[0].instrument.contract.settle;
        let instruments: Vec<&Instrument> = markets.iter().map(|m| &m.instrument).collect();
        let conversions = markets
            .iter()
            .map(|m| conversion(&instruments, &m.instrument, currency))
            .collect::<Result<Vec<_>, _>>()?;
        let mut built_markets: Vec<Market> = markets
            .iter()
            .zip(conversions)
            .map(|(m, converted_by)| Market {
                instrument: m.instrument.clone(),
                book: OrderBook::new(&m.instrument),
                synced: false,
                book_time: UnixNanos::new(0),
                signals: Signals::new(config.signals),
                volatility: None,
                limits: m.limits,
                subscribers: Vec::new(),
                converted_by,
                split: None,
                bars: Vec::new(),
                prices: m.prices,
                last_trade: None,
            })
            .collect();
        let mut states = Vec::with_capacity(strategies.len());
        let mut kernel_strategies = Vec::with_capacity(strategies.len());
        for (s, setup) in strategies.into_iter().enumerate() {
            let index = StrategyIndex(s as u8);
            if setup.subscriptions.is_empty() {
                return Err(KernelError::NoSubscription(index));
            }
            let mut subscribed = vec![false; markets.len()];
            for &ix in &setup.subscriptions {
                let Some(flag) = subscribed.get_mut(ix.get()) else {
                    return Err(KernelError::UnknownInstrument {
                        strategy: index,
                        instrument: ix,
                        held: markets.len(),
                    });
                };
                if !*flag {
                    built_markets[ix.get()].subscribers.push(index);
                }
                *flag = true;
            }
            for &spec in setup.strategy.bars() {
                for &ix in &setup.subscriptions {
                    let market = &mut built_markets[ix.get()];
                    super::bars::subscribe(
                        &mut market.bars,
                        &market.instrument,
                        spec,
                        config.bars,
                        index,
                    )?;
                }
            }
            states.push(StrategyState {
                subscriptions: setup.subscriptions,
                subscribed,
                ids: ClientOrderIds::new(&format!("{}{s}", config.id_prefix), config.session_ms),
                orders: WorkingOrders::with_capacity(16),
                positions: markets
                    .iter()
                    .map(|m| Position::new(&m.instrument, config.cost_method))
                    .collect(),
                brackets: vec![None; markets.len()],
                max_loss: setup.max_loss,
                halted: None,
            });
            kernel_strategies.push(setup.strategy);
        }
        Ok(Self {
            markets: built_markets,
            core: Core {
                now: UnixNanos::new(0),
                risk: RiskEngine::new(config.risk),
                strategies: states,
                cash: config.cash,
                currency,
                queue_model: config.queue_model,
                outbox: Vec::with_capacity(16),
                decisions: Vec::with_capacity(16),
                timers: BinaryHeap::new(),
                next_timer: 0,
                // Room for every reason code: a first refusal allocates nothing.
                refusals: Vec::with_capacity(32),
                counters: KernelCounters::default(),
                // Several instruments are recorded apart as well.
                recorder: RunRecorder::new(config.sample_interval_ns, markets.len()),
                bracket_ticks: config.bracket,
                acks: AckLatencies::default(),
                bar_events: Vec::new(),
            },
            strategies: kernel_strategies,
        })
    }
}

/// The market whose mark converts `instrument`'s settlement asset into
/// `currency`: `None` when no conversion is needed, else a market of the
/// settlement asset quoted in the currency, spot first (a derivative's mark
/// carries its basis).
fn conversion(
    markets: &[&Instrument],
    instrument: &Instrument,
    currency: Asset,
) -> Result<Option<InstrumentIndex>, KernelError> {
    let settle = instrument.contract.settle;
    if settle == currency {
        return Ok(None);
    }
    let prices = |i: &&&Instrument| i.base == settle && i.quote == currency;
    let spot = markets
        .iter()
        .position(|i| prices(&i) && i.contract.kind == ContractKind::Spot);
    spot.or_else(|| markets.iter().position(|i| prices(&i)))
        .map(|i| Some(InstrumentIndex(i as u16)))
        .ok_or_else(|| KernelError::NoConversion {
            instrument: instrument.id.to_string(),
            settle,
            currency,
        })
}
