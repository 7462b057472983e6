//! Two markets and two strategies in one kernel, for the benchmarks and the
//! allocation test: the bundled spot and USDⓈ-M BTCUSDT captures (the same
//! six minutes), `lead_lag` quoting spot around the perpetual and
//! `imbalance_mm` on the perpetual, as `configs/lead_lag_btc.toml` sets
//! them up.

use kestrel_binance::{FuturesSequencer, SpotSequencer};
use kestrel_engine::backtest::{Feed, MemorySource};
use kestrel_engine::{Kernel, KernelSetup, MarketSetup, StrategySetup};
use kestrel_exec::RepricePolicy;
use kestrel_feed::FeedError;
use kestrel_model::{Instrument, InstrumentIndex, MarketEvent, Qty};
use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};
use kestrel_strategy::{BuiltIn, LeadLag, LeadLagConfig};

use crate::backtest::{backtest_config, imbalance_mm};
use crate::{load_events_of, sample_capture, spot_capture};

/// Spot (instrument 0) and the perpetual (1), with their events.
pub fn two_markets() -> Result<Vec<(Instrument, Vec<MarketEvent>)>, FeedError> {
    let spot = spot_btcusdt();
    let usdm = usdm_btcusdt();
    let spot_events = load_events_of(&spot_capture(), &spot, SpotSequencer::new())?;
    let usdm_events = load_events_of(&sample_capture(), &usdm, FuturesSequencer::new())?;
    Ok(vec![(spot, spot_events), (usdm, usdm_events)])
}

/// The kernel: `lead_lag` on spot led by the perpetual, `imbalance_mm` on
/// the perpetual.
pub fn two_strategy_kernel(markets: &[(Instrument, Vec<MarketEvent>)]) -> Kernel<BuiltIn> {
    let config = backtest_config();
    let lead_lag = LeadLag::new(LeadLagConfig {
        // 0.002 BTC on spot's 10⁻⁸ grid.
        qty: Qty::from_lots(200_000),
        half_spread_ticks: 150.0,
        inventory_skew_ticks: 200.0,
        max_position_lots: 1_000_000,
        basis_alpha: 0.01,
        reprice: RepricePolicy {
            min_move_ticks: 50,
            min_interval_ns: 100_000_000,
        },
    });
    let setup = KernelSetup {
        markets: markets
            .iter()
            .map(|(instrument, _)| MarketSetup {
                instrument: instrument.clone(),
                limits: limits_on(instrument, config.kernel.risk),
                prices: kestrel_engine::PriceSource::Book,
            })
            .collect(),
        strategies: vec![
            StrategySetup {
                strategy: BuiltIn::LeadLag(lead_lag),
                subscriptions: vec![InstrumentIndex(0), InstrumentIndex(1)],
                max_loss: None,
            },
            StrategySetup {
                strategy: BuiltIn::ImbalanceMm(imbalance_mm()),
                subscriptions: vec![InstrumentIndex(1)],
                max_loss: None,
            },
        ],
    };
    match Kernel::build(setup, &config.kernel) {
        Ok(kernel) => kernel,
        // Both markets settle in USDT and every subscription exists.
        Err(e) => unreachable!("the two-market kernel: {e}"),
    }
}

/// The main job's limits (0.1 BTC an order, 0.05 BTC a position), on
/// `instrument`'s lot grid.
fn limits_on(
    instrument: &Instrument,
    mut limits: kestrel_risk::RiskLimits,
) -> kestrel_risk::RiskLimits {
    let lots = |btc: &str| Qty::parse(btc, &instrument.lot).unwrap_or(Qty::ZERO);
    limits.max_order_qty = lots("0.1");
    limits.max_position = lots("0.05");
    limits
}

/// The feeds of `markets`, from memory.
pub fn feeds(markets: &[(Instrument, Vec<MarketEvent>)]) -> Vec<Feed<MemorySource<'_>>> {
    markets
        .iter()
        .enumerate()
        .map(|(i, (_, events))| Feed {
            instrument: InstrumentIndex(i as u16),
            source: MemorySource::new(events),
        })
        .collect()
}
