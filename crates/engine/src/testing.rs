//! Helpers for tests, in this crate and others (feature `testing`).

use kestrel_exec::CostMethod;
use kestrel_model::{Decimal, Qty};
use kestrel_risk::{RiskLimits, TokenBucket};
use kestrel_signals::SignalConfig;
use kestrel_sim::QueueModel;

use crate::KernelConfig;

/// A kernel configuration with limits loose enough for hand-made tests:
/// 10 lots an order and a position, 1,000 of cash, ids prefixed `t`.
pub fn kernel_config() -> KernelConfig {
    KernelConfig {
        risk: RiskLimits {
            max_order_qty: Qty::from_lots(10),
            max_order_notional: Decimal::from(100_000),
            max_position: Qty::from_lots(10),
            max_exposure: Decimal::from(100_000),
            price_band_bps: 500,
            orders: TokenBucket::new(10, 1.0),
            max_book_age_ns: 1_000_000_000,
            max_volatility: None,
            max_trade_loss: Decimal::from(5),
            max_daily_loss: Decimal::from(1_000),
            max_drawdown: Decimal::from(1_000),
            max_ack_p99_ns: 1_000_000_000,
        },
        signals: SignalConfig::default(),
        queue_model: QueueModel::Conservative,
        cost_method: CostMethod::Fifo,
        cash: Decimal::from(1_000),
        id_prefix: "t".into(),
        session_ms: 0,
        sample_interval_ns: 1_000,
        bracket: Default::default(),
        bars: Default::default(),
    }
}
