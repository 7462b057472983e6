//! The kernel with a scripted strategy and hand-made venue reports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kestrel_model::OrderSpec;
use kestrel_model::{EventTime, FeeAsset, InstrumentId, LevelUpdate, OrderType, Qty, UpdateIds};
use kestrel_risk::{BracketExit, Decision, TokenBucket};
use kestrel_sim::{AccountId, Fill, Liquidity, OrderId, OrderStatus};
use kestrel_strategy::{Context, ContextError, NewOrder, OrderUpdate};

use super::*;

/// Places one post-only bid at `price` on the first book it sees, and
/// records the updates it is told about.
#[derive(Default)]
struct OneBid {
    price: i64,
    placed: Option<Option<ClientOrderId>>,
    updates: Vec<OrderUpdate>,
}

impl Strategy for OneBid {
    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        instrument: kestrel_model::InstrumentIndex,
        _book: &OrderBook,
        _signals: &kestrel_signals::SignalValues,
    ) {
        if self.placed.is_none() {
            self.placed = Some(
                ctx.place(NewOrder::post_only(
                    instrument,
                    Side::Buy,
                    Price::from_ticks(self.price),
                    Qty::from_lots(2),
                ))
                .ok(),
            );
        }
    }
    fn on_order(&mut self, _ctx: &mut dyn Context, update: &OrderUpdate) {
        self.updates.push(*update);
    }
}

fn instrument() -> Instrument {
    kestrel_model::testing::instrument("1", "1")
}

pub(crate) fn config() -> KernelConfig {
    crate::testing::kernel_config()
}

fn delta(id: InstrumentId, updates: &[(Side, i64, u64)]) -> BookDelta {
    BookDelta {
        instrument: id,
        ids: UpdateIds::default(),
        time: EventTime::default(),
        updates: updates
            .iter()
            .map(|&(side, p, q)| LevelUpdate {
                side,
                price: Price::from_ticks(p),
                qty: Qty::from_lots(q),
            })
            .collect(),
    }
}

fn report(id: ClientOrderId, kind: ExecKind, status: OrderStatus, side: Side) -> ExecReport {
    ExecReport {
        order_id: OrderId(1),
        client_id: id,
        account: AccountId(1),
        instrument: instrument().id,
        side,
        kind,
        status,
        filled: Qty::ZERO,
        leaves: Qty::ZERO,
        time: UnixNanos::new(0),
    }
}

fn fill(price: i64, lots: u64) -> ExecKind {
    ExecKind::Trade(Fill {
        trade_id: 1,
        price: Price::from_ticks(price),
        qty: Qty::from_lots(lots),
        liquidity: Liquidity::Maker,
        fee: Decimal::ZERO,
        fee_asset: FeeAsset::Quote,
    })
}

#[test]
fn an_order_passes_risk_goes_out_and_follows_its_reports() {
    let i = instrument();
    let mut k = Kernel::new(
        &i,
        OneBid {
            price: 99,
            ..OneBid::default()
        },
        &config(),
    )
    .unwrap();
    k.on_snapshot(
        IX,
        &BookSnapshot {
            instrument: i.id,
            last_update_id: 1,
            time: EventTime::default(),
            bids: vec![kestrel_model::Level {
                price: Price::from_ticks(99),
                qty: Qty::from_lots(5),
            }],
            asks: vec![kestrel_model::Level {
                price: Price::from_ticks(101),
                qty: Qty::from_lots(5),
            }],
        },
        UnixNanos::new(10),
    );
    let id = k.strategy().placed.unwrap().unwrap();
    let intents: Vec<_> = k.drain_intents().collect();
    assert!(matches!(intents[..], [OrderIntent::Submit(OrderSpec { id: sent, .. })] if sent == id));
    let decisions: Vec<_> = k.drain_decisions().collect();
    assert!(matches!(
        decisions[..],
        [RiskEvent::Order {
            decision: Decision::Approved,
            ..
        }]
    ));

    k.on_report(
        &report(id, ExecKind::New, OrderStatus::New, Side::Buy),
        UnixNanos::new(20),
    );
    // It joined behind the 5 lots resting at 99; 3 of them cancel, the
    // conservative model keeps us behind the other 2 until trades say more.
    assert_eq!(
        k.core.strategies[0].orders.get(0).queue.map(|q| q.ahead),
        Some(5)
    );
    k.on_delta(IX, &delta(i.id, &[(Side::Buy, 99, 2)]), UnixNanos::new(30));
    assert_eq!(
        k.core.strategies[0].orders.get(0).queue.map(|q| q.ahead),
        Some(2)
    );

    k.on_report(
        &report(id, fill(99, 2), OrderStatus::Filled, Side::Buy),
        UnixNanos::new(40),
    );
    assert_eq!(k.position().net_lots(), 2);
    let states: Vec<_> = k.strategy().updates.iter().map(|u| u.state).collect();
    assert_eq!(
        states,
        [
            kestrel_exec::OrderState::New,
            kestrel_exec::OrderState::Filled
        ]
    );
    assert!(
        k.core.strategies[0].orders.is_empty(),
        "a filled order is forgotten"
    );
}

#[test]
fn refusals_carry_their_reason_and_a_losing_fill_trips_the_kill_switch() {
    let i = instrument();
    // A bid 30 % from mid is outside the 5 % band.
    let mut k = Kernel::new(
        &i,
        OneBid {
            price: 70,
            ..OneBid::default()
        },
        &config(),
    )
    .unwrap();
    k.on_delta(
        IX,
        &delta(i.id, &[(Side::Buy, 99, 5), (Side::Sell, 101, 5)]),
        UnixNanos::new(10),
    );
    // Not synced yet: no snapshot.
    assert_eq!(k.strategy().placed, Some(None));
    assert_eq!(k.refusals(), [(Reason::BookUntrusted, 1)]);

    let mut k = Kernel::new(
        &i,
        OneBid {
            price: 70,
            ..OneBid::default()
        },
        &config(),
    )
    .unwrap();
    k.markets[0].synced = true;
    k.on_delta(
        IX,
        &delta(i.id, &[(Side::Buy, 99, 5), (Side::Sell, 101, 5)]),
        UnixNanos::new(10),
    );
    assert_eq!(k.refusals(), [(Reason::PriceBand, 1)]);
    assert_eq!(k.drain_intents().count(), 0);

    // A position bought at 100 and sold at 90 loses 10 > the 5 allowed.
    let mut k = Kernel::new(
        &i,
        OneBid {
            price: 99,
            ..OneBid::default()
        },
        &config(),
    )
    .unwrap();
    k.markets[0].synced = true;
    k.on_delta(
        IX,
        &delta(i.id, &[(Side::Buy, 99, 5), (Side::Sell, 101, 5)]),
        UnixNanos::new(10),
    );
    let resting = k.strategy().placed.unwrap().unwrap();
    k.on_report(
        &report(resting, ExecKind::New, OrderStatus::New, Side::Buy),
        UnixNanos::new(11),
    );
    k.drain_intents().for_each(drop);
    k.core.strategies[0].positions[0]
        .on_fill(
            Side::Buy,
            Price::from_ticks(100),
            Qty::from_lots(1),
            Decimal::ZERO,
            FeeAsset::Quote,
        )
        .unwrap();
    let ExecKind::Trade(loss) = fill(90, 1) else {
        unreachable!()
    };
    k.core.on_fill(
        StrategyIndex::FIRST,
        IX,
        Side::Sell,
        &loss,
        &k.markets,
        UnixNanos::new(12),
    );
    assert_eq!(k.counters().kills, 1);
    let intents: Vec<_> = k.drain_intents().collect();
    assert_eq!(intents, [OrderIntent::Cancel(resting)], "kill cancels all");
    assert!(k.drain_decisions().any(|d| matches!(
        d,
        RiskEvent::Kill {
            reason: Reason::TradeLoss,
            ..
        }
    )));
    // Every new order is refused until an explicit reset.
    let mut ctx = KernelContext::new(&mut k.core, &k.markets, StrategyIndex::FIRST);
    assert_eq!(
        ctx.place(NewOrder::post_only(
            IX,
            Side::Buy,
            Price::from_ticks(98),
            Qty::from_lots(1)
        )),
        Err(ContextError::Refused)
    );
    assert_eq!(k.refusals().last(), Some(&(Reason::KillSwitch, 1)));
    k.reset_kill_switch();
    let mut ctx = KernelContext::new(&mut k.core, &k.markets, StrategyIndex::FIRST);
    assert!(
        ctx.place(NewOrder::post_only(
            IX,
            Side::Buy,
            Price::from_ticks(98),
            Qty::from_lots(1)
        ))
        .is_ok()
    );
}

#[test]
fn a_cancel_before_the_ack_waits_for_it() {
    let i = instrument();
    let mut k = Kernel::new(
        &i,
        OneBid {
            price: 99,
            ..OneBid::default()
        },
        &config(),
    )
    .unwrap();
    k.markets[0].synced = true;
    k.on_delta(
        IX,
        &delta(i.id, &[(Side::Buy, 99, 5), (Side::Sell, 101, 5)]),
        UnixNanos::new(10),
    );
    let id = k.strategy().placed.unwrap().unwrap();
    k.drain_intents().for_each(drop);
    KernelContext::new(&mut k.core, &k.markets, StrategyIndex::FIRST).cancel(id);
    assert_eq!(
        k.drain_intents().count(),
        0,
        "nothing to cancel at the venue yet"
    );
    k.on_report(
        &report(id, ExecKind::New, OrderStatus::New, Side::Buy),
        UnixNanos::new(20),
    );
    assert_eq!(
        k.drain_intents().collect::<Vec<_>>(),
        [OrderIntent::Cancel(id)]
    );
    k.on_report(
        &report(id, ExecKind::Canceled, OrderStatus::Canceled, Side::Buy),
        UnixNanos::new(30),
    );
    assert!(k.core.strategies[0].orders.is_empty());
}

#[test]
fn a_position_is_closed_when_the_mark_reaches_its_bracket() {
    let i = instrument();
    let mut cfg = config();
    cfg.bracket = BracketTicks {
        stop_loss: Some(3),
        take_profit: Some(5),
    };
    let mut k = Kernel::new(
        &i,
        OneBid {
            price: 99,
            ..OneBid::default()
        },
        &cfg,
    )
    .unwrap();
    k.markets[0].synced = true;
    k.on_delta(
        IX,
        &delta(i.id, &[(Side::Buy, 99, 5), (Side::Sell, 101, 5)]),
        UnixNanos::new(10),
    );
    let id = k.strategy().placed.unwrap().unwrap();
    k.on_report(
        &report(id, ExecKind::New, OrderStatus::New, Side::Buy),
        UnixNanos::new(11),
    );
    k.on_report(
        &report(id, fill(99, 2), OrderStatus::Filled, Side::Buy),
        UnixNanos::new(12),
    );
    k.drain_intents().for_each(drop);
    // Long 2 from 99: stop at 96. Mark (97 + 99) / 2 = 98: nothing yet.
    k.on_delta(
        IX,
        &delta(
            i.id,
            &[
                (Side::Buy, 97, 5),
                (Side::Sell, 99, 5),
                (Side::Sell, 101, 0),
                (Side::Buy, 99, 0),
            ],
        ),
        UnixNanos::new(20),
    );
    assert_eq!(k.drain_intents().count(), 0);
    // Mark (95 + 97) / 2 = 96: the stop fires, a market sell of 2 goes out.
    k.on_delta(
        IX,
        &delta(
            i.id,
            &[
                (Side::Buy, 95, 5),
                (Side::Sell, 97, 5),
                (Side::Sell, 99, 0),
                (Side::Buy, 97, 0),
            ],
        ),
        UnixNanos::new(30),
    );
    let intents: Vec<_> = k.drain_intents().collect();
    assert!(
        matches!(
            intents[..],
            [OrderIntent::Submit(OrderSpec {
                instrument: IX,
                side: Side::Sell,
                kind: OrderType::Market,
                qty,
                ..
            })] if qty == Qty::from_lots(2)
        ),
        "{intents:?}"
    );
    assert!(k.drain_decisions().any(|d| matches!(
        d,
        RiskEvent::Bracket {
            exit: BracketExit::StopLoss,
            ..
        }
    )));
    assert_eq!(k.counters().bracket_exits, 1);
}

#[test]
fn slow_acks_trip_the_latency_kill_switch() {
    let i = instrument();
    let mut cfg = config();
    cfg.risk.max_ack_p99_ns = 1_000;
    cfg.risk.orders = TokenBucket::new(1_000, 1e9);
    let mut k = Kernel::new(&i, OneBid::default(), &cfg).unwrap();
    k.markets[0].synced = true;
    k.on_delta(
        IX,
        &delta(i.id, &[(Side::Buy, 99, 5), (Side::Sell, 101, 5)]),
        UnixNanos::new(10),
    );
    for n in 0..ACK_WINDOW as u64 {
        let sent = UnixNanos::new(1_000_000 * (n + 1));
        k.core.now = sent;
        let id = KernelContext::new(&mut k.core, &k.markets, StrategyIndex::FIRST)
            .place(NewOrder::post_only(
                IX,
                Side::Buy,
                Price::from_ticks(98),
                Qty::from_lots(1),
            ))
            .unwrap();
        // Every ack takes 5 µs, five times the limit.
        k.on_report(
            &report(id, ExecKind::New, OrderStatus::New, Side::Buy),
            sent.saturating_add_nanos(5_000),
        );
    }
    assert_eq!(k.counters().kills, 1, "tripped once the window filled");
    assert!(k.drain_decisions().any(|d| matches!(
        d,
        RiskEvent::Kill {
            reason: Reason::Latency,
            ..
        }
    )));
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;

mod markets;
