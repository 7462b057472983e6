//! The L2 backtest over the bundled real capture: the kernel's book ends
//! where the data's published end state says, the market maker trades,
//! risk refuses what it must, and a run repeats exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_engine::backtest::CaptureSource;
use kestrel_engine::{Backtest, BacktestConfig, ClockOffset, KernelConfig, run_backtest};
use kestrel_exec::{CostMethod, RepricePolicy};
use kestrel_feed::Instruments;
use kestrel_model::{Decimal, Instrument, Qty};
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_risk::{RiskLimits, TokenBucket};
use kestrel_signals::SignalConfig;
use kestrel_sim::{LatencyModel, QueueModel, SimConfig};
use kestrel_strategy::{ImbalanceMm, ImbalanceMmConfig};

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_usdm_btcusdt_20240808.raw.gz")
}

fn dec(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn limits() -> RiskLimits {
    RiskLimits {
        max_order_qty: Qty::from_lots(100),
        max_order_notional: dec("10000"),
        max_position: Qty::from_lots(50),
        max_exposure: dec("5000"),
        price_band_bps: 50,
        orders: TokenBucket::new(20, 10.0),
        max_book_age_ns: 5_000_000_000,
        max_volatility: None,
        max_trade_loss: dec("500"),
        max_daily_loss: dec("2000"),
        max_drawdown: dec("2000"),
        max_ack_p99_ns: 1_000_000_000,
    }
}

fn config(limits: RiskLimits) -> BacktestConfig {
    BacktestConfig {
        kernel: KernelConfig {
            risk: limits,
            signals: SignalConfig::default(),
            queue_model: QueueModel::default(),
            cost_method: CostMethod::Fifo,
            cash: dec("100000"),
            id_prefix: "kst".into(),
            session_ms: 1_723_161_256_000,
            sample_interval_ns: 1_000_000_000,
            bracket: Default::default(),
            bars: Default::default(),
        },
        sim: SimConfig {
            order_entry: LatencyModel::Constant(1_000_000),
            ack: LatencyModel::Constant(1_000_000),
            seed: 7,
            ..SimConfig::default()
        },
        offset: ClockOffset::Estimate,
    }
}

fn mm() -> ImbalanceMm {
    ImbalanceMm::new(ImbalanceMmConfig {
        qty: Qty::from_lots(5),
        half_spread_ticks: 2.0,
        imbalance_skew_ticks: 3.0,
        inventory_skew_ticks: 4.0,
        max_position_lots: 30,
        reprice: RepricePolicy {
            min_move_ticks: 3,
            min_interval_ns: 100_000_000,
        },
        hopeless_queue_lots: 2_000,
        max_volatility: 1e-3,
    })
}

fn run(instrument: &Instrument, config: &BacktestConfig) -> Backtest<ImbalanceMm> {
    let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let source = CaptureSource::open(&capture(), decoder, FuturesSequencer::new()).unwrap();
    run_backtest(instrument, source, mm(), config, |_| {}).unwrap()
}

#[test]
fn imbalance_mm_over_the_real_capture() {
    let instrument = usdm_btcusdt();
    let run = run(&instrument, &config(limits()));
    let k = run.kernel.counters();
    // Every applied diff and every level update of the capture reached the
    // kernel's book, which ends at the published end state.
    assert_eq!(k.book_updates, 6_548, "{k:?}");
    assert_eq!(k.level_updates, 443_262);
    let book = run.kernel.book();
    assert_eq!(book.best_bid().unwrap().price.ticks(), 616_597);
    assert_eq!(book.best_ask().unwrap().price.ticks(), 616_598);
    let stats = run.stats;
    let report = run.into_report("test");
    let a = report.summary.activity;
    println!("{:?} {:?}", stats, a);
    assert!(a.fills > 10, "{a:?}");
    assert!(a.orders > a.fills);
}

/// The runner steps a lone recording in a loop of its own; the same
/// recording beside an empty second one goes through the general timeline,
/// which weighs every candidate at every step. Both must make the same run.
#[test]
fn a_lone_recording_runs_as_the_general_timeline_does() {
    use kestrel_engine::backtest::{Feed, MarketSource, MemorySource};
    use kestrel_engine::{KernelSetup, MarketSetup, StrategySetup, run_kernel};
    use kestrel_model::InstrumentIndex;

    let instrument = usdm_btcusdt();
    let config = config(limits());
    let lone = run(&instrument, &config);

    let other = kestrel_registry::testing::spot_btcusdt();
    let market = |instrument: &Instrument| MarketSetup {
        instrument: instrument.clone(),
        limits: limits(),
        prices: kestrel_engine::kernel::PriceSource::Book,
    };
    let kernel = kestrel_engine::Kernel::build(
        KernelSetup {
            markets: vec![market(&instrument), market(&other)],
            strategies: vec![StrategySetup {
                strategy: mm(),
                subscriptions: vec![InstrumentIndex::FIRST],
                max_loss: None,
            }],
        },
        &config.kernel,
    )
    .unwrap();
    let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let capture = CaptureSource::open(&capture(), decoder, FuturesSequencer::new()).unwrap();
    let feeds: Vec<Feed<Box<dyn MarketSource>>> = vec![
        Feed {
            instrument: InstrumentIndex::FIRST,
            source: Box::new(capture),
        },
        Feed {
            instrument: InstrumentIndex(1),
            source: Box::new(MemorySource::new(&[])),
        },
    ];
    let general = run_kernel(kernel, feeds, &config, |_| {}, &mut ()).unwrap();

    assert_eq!(lone.stats, general.stats);
    assert_eq!(lone.kernel.counters(), general.kernel.counters());
    let (a, b) = (
        lone.into_report("lone").summary,
        general.into_report("general").summary,
    );
    assert!(a.activity.fills > 10, "{:?}", a.activity);
    assert_eq!(
        serde_json::to_string(&a.activity).unwrap(),
        serde_json::to_string(&b.activity).unwrap()
    );
    assert_eq!((a.pnl, a.end_equity), (b.pnl, b.end_equity));
}
