//! The live path's shared pieces: the spot market maker's settings, and a
//! venue that acknowledges everything at once, for the tick-to-order bench
//! and the test that the near-touch split decides as the whole diff does.

/// Answers every pending order and cancel, as the venue would a moment
/// later: orders are accepted, cancels done.
pub fn acknowledge_all(
    kernel: &mut kestrel_engine::Kernel<kestrel_strategy::ImbalanceMm>,
    instrument: kestrel_model::InstrumentId,
    now: kestrel_model::UnixNanos,
) {
    use kestrel_exec::OrderState;
    use kestrel_model::{ExecKind, OrderStatus, Qty};
    let pending: Vec<_> = kernel
        .open_orders()
        .filter_map(|(id, o)| match o.order.state() {
            OrderState::PendingNew => Some((id, o.side, o.order.qty(), ExecKind::New)),
            OrderState::PendingCancel { .. } => {
                Some((id, o.side, o.order.qty(), ExecKind::Canceled))
            }
            _ => None,
        })
        .collect();
    for (n, (id, side, qty, kind)) in pending.into_iter().enumerate() {
        let status = if kind == ExecKind::New {
            OrderStatus::New
        } else {
            OrderStatus::Canceled
        };
        kernel.on_report(
            &kestrel_model::ExecReport {
                order_id: kestrel_model::OrderId(n as u64 + 1),
                client_id: id,
                account: kestrel_model::AccountId::default(),
                instrument,
                side,
                kind,
                status,
                filled: Qty::ZERO,
                leaves: if status.is_open() { qty } else { Qty::ZERO },
                time: now,
            },
            now,
        );
        kernel.drain_decisions().for_each(drop);
        kernel.drain_intents().for_each(drop);
    }
}

/// `configs/paper.toml`'s strategy, on spot BTCUSDT (lots of 1e-8).
pub fn spot_strategy() -> kestrel_strategy::ImbalanceMm {
    use kestrel_exec::RepricePolicy;
    use kestrel_strategy::{ImbalanceMm, ImbalanceMmConfig};
    ImbalanceMm::new(ImbalanceMmConfig {
        qty: kestrel_model::Qty::from_lots(100_000),
        half_spread_ticks: 2.0,
        imbalance_skew_ticks: 3.0,
        inventory_skew_ticks: 4.0,
        max_position_lots: 500_000,
        reprice: RepricePolicy {
            min_move_ticks: 3,
            min_interval_ns: 100_000_000,
        },
        hopeless_queue_lots: 50_000_000,
        max_volatility: 1e-3,
    })
}

/// The main job's kernel settings with limits sized for spot lots (1e-8).
pub fn spot_kernel_config() -> kestrel_engine::KernelConfig {
    let mut config = crate::backtest::backtest_config().kernel;
    config.risk.max_order_qty = kestrel_model::Qty::from_lots(1_000_000);
    config.risk.max_position = kestrel_model::Qty::from_lots(1_000_000);
    config
}
