//! The main job's backtest, set up in code for the benchmarks and the
//! allocation test: the same strategy, risk and venue settings as
//! `configs/imbalance_mm.toml`.

use kestrel_engine::{BacktestConfig, ClockOffset, KernelConfig};
use kestrel_exec::{CostMethod, RepricePolicy};
use kestrel_model::{Decimal, Qty};
use kestrel_risk::{RiskLimits, TokenBucket};
use kestrel_signals::SignalConfig;
use kestrel_sim::{LatencyModel, QueueModel, SimConfig};
use kestrel_strategy::{ImbalanceMm, ImbalanceMmConfig};

fn dec(s: &str) -> Decimal {
    Decimal::parse(s).unwrap_or(Decimal::ZERO)
}

/// `imbalance_mm` as the main job configures it (BTCUSDT lots of 0.001).
pub fn imbalance_mm() -> ImbalanceMm {
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

/// The main job's runner settings.
pub fn backtest_config() -> BacktestConfig {
    let queue_model = QueueModel::Probabilistic { power: 2.0 };
    BacktestConfig {
        kernel: KernelConfig {
            risk: RiskLimits {
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
            },
            signals: SignalConfig::default(),
            queue_model,
            cost_method: CostMethod::Fifo,
            cash: dec("100000"),
            id_prefix: "kst".into(),
            session_ms: 7,
            sample_interval_ns: 1_000_000_000,
            bracket: Default::default(),
            bars: Default::default(),
        },
        sim: SimConfig {
            queue_model,
            order_entry: LatencyModel::Constant(1_000_000),
            ack: LatencyModel::Constant(1_000_000),
            seed: 7,
            ..SimConfig::default()
        },
        offset: ClockOffset::Estimate,
    }
}
