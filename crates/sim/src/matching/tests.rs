//! Hand-built scenarios, one per fill rule, each with its exact fills.

use kestrel_model::{
    BookDelta, BookSnapshot, ClientOrderId, Decimal, EventTime, Instrument, Level, LevelUpdate,
    OrderType, Price, Qty, Side, TimeInForce, Trade, UnixNanos, UpdateIds,
};

use super::*;
use crate::order::SelfTradePrevention;
use crate::report::{ExpireReason, OrderStatus};

const T: UnixNanos = UnixNanos::new(1);

fn instrument() -> Instrument {
    crate::test_support::instrument("0.1", "1", "0.0002", "0.0005")
}

fn px(p: f64) -> Price {
    Price::from_ticks((p * 10.0).round() as i64)
}

fn level(p: f64, q: u64) -> Level {
    Level {
        price: px(p),
        qty: Qty::from_lots(q),
    }
}

/// Bids 100.0×10, 99.9×20; asks 100.1×5, 100.2×15, 100.3×30.
fn engine(model: QueueModel) -> MatchingEngine {
    let mut e = MatchingEngine::new(instrument(), model);
    let snapshot = BookSnapshot {
        instrument: instrument().id,
        last_update_id: 1,
        time: EventTime::default(),
        bids: vec![level(100.0, 10), level(99.9, 20)],
        asks: vec![level(100.1, 5), level(100.2, 15), level(100.3, 30)],
    };
    e.on_snapshot(&snapshot, T, &mut Vec::new());
    e
}

fn request(
    account: u32,
    cid: &str,
    side: Side,
    kind: OrderType,
    price: Option<f64>,
    qty: u64,
) -> OrderRequest {
    OrderRequest {
        account: AccountId(account),
        instrument: instrument().id,
        client_id: ClientOrderId::new(cid).unwrap(),
        side,
        kind,
        time_in_force: TimeInForce::Gtc,
        qty: Qty::from_lots(qty),
        price: price.map(px),
        trigger: None,
        stp: SelfTradePrevention::ExpireTaker,
    }
}

fn limit(cid: &str, side: Side, price: f64, qty: u64) -> OrderRequest {
    request(1, cid, side, OrderType::Limit, Some(price), qty)
}

fn market(cid: &str, side: Side, qty: u64) -> OrderRequest {
    request(1, cid, side, OrderType::Market, None, qty)
}

fn trade(price: f64, qty: u64, aggressor: Side) -> Trade {
    Trade {
        instrument: instrument().id,
        trade_id: 0,
        price: px(price),
        qty: Qty::from_lots(qty),
        aggressor: Some(aggressor),
        time: EventTime::default(),
    }
}

fn delta(updates: &[(Side, f64, u64)]) -> BookDelta {
    BookDelta {
        instrument: instrument().id,
        ids: UpdateIds::default(),
        time: EventTime::default(),
        updates: updates
            .iter()
            .map(|&(side, p, q)| LevelUpdate {
                side,
                price: px(p),
                qty: Qty::from_lots(q),
            })
            .collect(),
    }
}

/// (order id, price, qty, liquidity) of every fill in `out`.
fn fills(out: &[ExecReport]) -> Vec<(u64, Price, u64, Liquidity)> {
    out.iter()
        .filter_map(|r| match r.kind {
            ExecKind::Trade(f) => Some((r.order_id.0, f.price, f.qty.lots(), f.liquidity)),
            _ => None,
        })
        .collect()
}

fn submit(e: &mut MatchingEngine, id: u64, req: OrderRequest) -> Vec<ExecReport> {
    let mut out = Vec::new();
    e.submit(OrderId(id), req, T, &mut out);
    out
}

fn on_trade(e: &mut MatchingEngine, t: Trade) -> Vec<ExecReport> {
    let mut out = Vec::new();
    e.on_trade(&t, T, &mut out);
    out
}

fn on_delta(e: &mut MatchingEngine, d: BookDelta) -> Vec<ExecReport> {
    let mut out = Vec::new();
    e.on_delta(&d, T, &mut out);
    out
}

#[test]
fn a_limit_order_joins_the_back_and_trades_at_its_price_work_through_the_queue() {
    let mut e = engine(QueueModel::Conservative);
    let out = submit(&mut e, 1, limit("a", Side::Buy, 100.0, 3));
    assert_eq!(out[0].kind, ExecKind::New);
    assert_eq!(e.queue_ahead(OrderId(1)), Some(10));
    assert!(on_trade(&mut e, trade(100.0, 8, Side::Sell)).is_empty());
    assert_eq!(e.queue_ahead(OrderId(1)), Some(2));
    // A buyer-initiated print at our bid price is not against our side.
    assert!(on_trade(&mut e, trade(100.0, 50, Side::Buy)).is_empty());
    let out = on_trade(&mut e, trade(100.0, 4, Side::Sell));
    assert_eq!(fills(&out), [(1, px(100.0), 2, Liquidity::Maker)]);
    assert_eq!(out[0].status, OrderStatus::PartiallyFilled);
    assert_eq!(out[0].leaves, Qty::from_lots(1));
    let ExecKind::Trade(f) = out[0].kind else {
        panic!()
    };
    assert_eq!(f.fee, Decimal::parse("0.04").unwrap(), "100.0 × 2 × 0.0002");
    let out = on_trade(&mut e, trade(100.0, 5, Side::Sell));
    assert_eq!(fills(&out), [(1, px(100.0), 1, Liquidity::Maker)]);
    assert_eq!(out[0].status, OrderStatus::Filled);
    assert_eq!(e.open_orders().count(), 0);
}

#[test]
fn recorded_size_decreases_move_the_queue_by_the_model() {
    for (model, expected) in [
        (QueueModel::Conservative, 10),
        // 10 ahead, 20 behind, 8 cancelled: 8 × 10/30 = 2.67 → 3 from ahead.
        (QueueModel::Probabilistic { power: 1.0 }, 7),
        // Squared: 8 × 100/500 = 1.6 → 2.
        (QueueModel::Probabilistic { power: 2.0 }, 8),
    ] {
        let mut e = engine(model);
        submit(&mut e, 1, limit("a", Side::Buy, 100.0, 3));
        on_delta(&mut e, delta(&[(Side::Buy, 100.0, 30)]));
        assert_eq!(
            e.queue_ahead(OrderId(1)),
            Some(10),
            "{model:?}: additions join behind"
        );
        on_delta(&mut e, delta(&[(Side::Buy, 100.0, 22)]));
        assert_eq!(e.queue_ahead(OrderId(1)), Some(expected), "{model:?}");
        // The level shrinking below the queue ahead pulls it down in every model.
        on_delta(&mut e, delta(&[(Side::Buy, 100.0, 4)]));
        assert!(
            e.queue_ahead(OrderId(1)).is_some_and(|a| a <= 4),
            "{model:?}"
        );
    }
}

#[test]
fn a_trade_through_our_price_fills_the_whole_order_at_our_price() {
    let mut e = engine(QueueModel::Conservative);
    submit(&mut e, 1, limit("a", Side::Buy, 99.9, 5));
    let out = on_trade(&mut e, trade(99.8, 1, Side::Sell));
    assert_eq!(fills(&out), [(1, px(99.9), 5, Liquidity::Maker)]);
    assert_eq!(out[0].status, OrderStatus::Filled);
}

#[test]
fn a_recorded_book_moving_through_our_price_fills_us() {
    let mut e = engine(QueueModel::Conservative);
    submit(&mut e, 1, limit("a", Side::Sell, 100.3, 4));
    assert_eq!(e.queue_ahead(OrderId(1)), Some(30));
    // The asks up to 100.3 are lifted and a bid appears at 100.3.
    let out = on_delta(
        &mut e,
        delta(&[
            (Side::Sell, 100.1, 0),
            (Side::Sell, 100.2, 0),
            (Side::Sell, 100.3, 0),
            (Side::Buy, 100.3, 2),
        ]),
    );
    assert_eq!(fills(&out), [(1, px(100.3), 4, Liquidity::Maker)]);
}

#[test]
fn market_orders_walk_the_book_and_their_impact_lasts_until_the_level_refreshes() {
    let mut e = engine(QueueModel::Conservative);
    let out = submit(&mut e, 1, market("m1", Side::Buy, 25));
    assert_eq!(
        fills(&out),
        [
            (1, px(100.1), 5, Liquidity::Taker),
            (1, px(100.2), 15, Liquidity::Taker),
            (1, px(100.3), 5, Liquidity::Taker),
        ]
    );
    assert_eq!(out.last().unwrap().status, OrderStatus::Filled);
    let ExecKind::Trade(f) = out[2].kind else {
        panic!()
    };
    assert_eq!(
        f.fee,
        Decimal::parse("0.7515").unwrap(),
        "100.2 × 15 × 0.0005"
    );
    // What we took is gone until the feed updates the level.
    let out = submit(&mut e, 2, market("m2", Side::Buy, 10));
    assert_eq!(fills(&out), [(2, px(100.3), 10, Liquidity::Taker)]);
    on_delta(&mut e, delta(&[(Side::Sell, 100.1, 5)]));
    let out = submit(&mut e, 3, market("m3", Side::Buy, 3));
    assert_eq!(fills(&out), [(3, px(100.1), 3, Liquidity::Taker)]);
    // More than the whole book: the rest expires.
    let out = submit(&mut e, 4, market("m4", Side::Buy, 100));
    // 100.1: 2 left of the refreshed 5; 100.2: still all taken; 100.3: 15 of 30.
    assert_eq!(fills(&out).iter().map(|f| f.2).sum::<u64>(), 2 + 15);
    assert_eq!(
        out.last().unwrap().kind,
        ExecKind::Expired(ExpireReason::Remainder)
    );
}

#[test]
fn ioc_fok_and_crossing_limits() {
    let mut e = engine(QueueModel::Conservative);
    let mut ioc = limit("ioc", Side::Buy, 100.2, 30);
    ioc.time_in_force = TimeInForce::Ioc;
    let out = submit(&mut e, 1, ioc);
    assert_eq!(fills(&out).iter().map(|f| f.2).collect::<Vec<_>>(), [5, 15]);
    let last = out.last().unwrap();
    assert_eq!(last.kind, ExecKind::Expired(ExpireReason::Remainder));
    assert_eq!((last.filled.lots(), last.leaves.lots()), (20, 0));

    let mut e = engine(QueueModel::Conservative);
    let mut fok = limit("fok", Side::Buy, 100.2, 21);
    fok.time_in_force = TimeInForce::Fok;
    let out = submit(&mut e, 1, fok);
    assert!(fills(&out).is_empty());
    assert_eq!(
        out.last().unwrap().kind,
        ExecKind::Expired(ExpireReason::FillOrKill)
    );
    fok.qty = Qty::from_lots(20);
    assert_eq!(fills(&submit(&mut e, 2, fok)).len(), 2);

    let mut e = engine(QueueModel::Conservative);
    let out = submit(&mut e, 1, limit("x", Side::Buy, 100.2, 25));
    assert_eq!(fills(&out).iter().map(|f| f.2).sum::<u64>(), 20);
    assert_eq!(out.last().unwrap().status, OrderStatus::PartiallyFilled);
    assert_eq!(
        e.queue_ahead(OrderId(1)),
        Some(0),
        "rests at 100.2 with nothing ahead"
    );
}

#[test]
fn post_only_orders_that_would_take_are_rejected() {
    let mut e = engine(QueueModel::Conservative);
    let mut req = request(1, "p", Side::Buy, OrderType::PostOnly, Some(100.1), 1);
    assert_eq!(
        submit(&mut e, 1, req)[0].kind,
        ExecKind::Rejected(RejectReason::WouldTake)
    );
    req.price = Some(px(100.0));
    assert_eq!(submit(&mut e, 2, req)[0].kind, ExecKind::New);
    let mut gtx = limit("g", Side::Sell, 100.0, 1);
    gtx.time_in_force = TimeInForce::Gtx;
    assert_eq!(
        submit(&mut e, 3, gtx)[0].kind,
        ExecKind::Rejected(RejectReason::WouldTake)
    );
}

#[test]
fn stops_trigger_on_trades() {
    let mut e = engine(QueueModel::Conservative);
    let mut stop = request(1, "s", Side::Buy, OrderType::StopMarket, None, 2);
    stop.trigger = Some(px(100.5));
    assert_eq!(submit(&mut e, 1, stop)[0].kind, ExecKind::New);
    assert!(on_trade(&mut e, trade(100.4, 1, Side::Buy)).is_empty());
    let out = on_trade(&mut e, trade(100.5, 1, Side::Buy));
    assert_eq!(out[0].kind, ExecKind::Triggered);
    assert_eq!(fills(&out), [(1, px(100.1), 2, Liquidity::Taker)]);
    let mut stop = request(1, "t", Side::Sell, OrderType::StopLimit, Some(99.95), 1);
    stop.price = Some(px(99.9));
    stop.trigger = Some(px(100.0));
    submit(&mut e, 2, stop);
    let out = on_trade(&mut e, trade(100.0, 1, Side::Sell));
    assert_eq!(fills(&out), [(2, px(100.0), 1, Liquidity::Taker)]);
}

#[test]
fn take_profits_trigger_from_the_other_side() {
    let mut e = engine(QueueModel::Conservative);
    // A sell take-profit at 100.5 waits for the price to rise to it.
    let mut tp = request(1, "tp", Side::Sell, OrderType::TakeProfitMarket, None, 1);
    tp.trigger = Some(px(100.5));
    assert_eq!(submit(&mut e, 1, tp)[0].kind, ExecKind::New);
    assert!(
        on_trade(&mut e, trade(99.0, 1, Side::Sell)).is_empty(),
        "a fall does not"
    );
    let out = on_trade(&mut e, trade(100.5, 1, Side::Buy));
    assert_eq!(out[0].kind, ExecKind::Triggered);
    // A buy take-profit limit at 99.5 waits for a fall.
    let mut tp = request(
        1,
        "tb",
        Side::Buy,
        OrderType::TakeProfitLimit,
        Some(100.2),
        1,
    );
    tp.trigger = Some(px(99.5));
    submit(&mut e, 2, tp);
    assert!(
        on_trade(&mut e, trade(101.0, 1, Side::Buy)).is_empty(),
        "a rise does not"
    );
    let out = on_trade(&mut e, trade(99.5, 1, Side::Sell));
    assert_eq!(out[0].kind, ExecKind::Triggered);
}

#[test]
fn self_trade_prevention_follows_binance_modes() {
    let cases = [
        // (mode, fills of the taker, taker's last status, maker expired)
        (
            SelfTradePrevention::ExpireTaker,
            vec![5],
            OrderStatus::Expired,
            false,
        ),
        (
            SelfTradePrevention::ExpireMaker,
            vec![5, 5],
            OrderStatus::Filled,
            true,
        ),
        (
            SelfTradePrevention::ExpireBoth,
            vec![5],
            OrderStatus::Expired,
            true,
        ),
        (
            SelfTradePrevention::None,
            vec![5, 1, 4],
            OrderStatus::Filled,
            false,
        ),
    ];
    for (mode, taker_fills, status, maker_expired) in cases {
        let mut e = engine(QueueModel::Conservative);
        submit(&mut e, 1, limit("maker", Side::Sell, 100.1, 1));
        let mut taker = market("taker", Side::Buy, 10);
        taker.stp = mode;
        let out = submit(&mut e, 2, taker);
        let got: Vec<u64> = fills(&out)
            .iter()
            .filter(|f| f.0 == 2)
            .map(|f| f.2)
            .collect();
        assert_eq!(got, taker_fills, "{mode:?}");
        let last = out.iter().rev().find(|r| r.order_id == OrderId(2)).unwrap();
        assert_eq!(last.status, status, "{mode:?}");
        let maker = out.iter().find(|r| r.order_id == OrderId(1));
        assert_eq!(
            maker.is_some_and(|r| r.kind == ExecKind::Expired(ExpireReason::SelfTrade)),
            maker_expired,
            "{mode:?}"
        );
    }
    // Another account's resting order is simply traded against.
    let mut e = engine(QueueModel::Conservative);
    submit(
        &mut e,
        1,
        request(2, "other", Side::Sell, OrderType::Limit, Some(100.1), 1),
    );
    let out = submit(&mut e, 2, market("taker", Side::Buy, 7));
    assert_eq!(
        fills(&out),
        [
            (2, px(100.1), 5, Liquidity::Taker),
            (1, px(100.1), 1, Liquidity::Maker),
            (2, px(100.1), 1, Liquidity::Taker),
            (2, px(100.2), 1, Liquidity::Taker),
        ]
    );
}

#[test]
fn our_orders_at_one_price_fill_in_arrival_order() {
    let mut e = engine(QueueModel::Conservative);
    submit(&mut e, 1, limit("a", Side::Buy, 100.0, 3));
    submit(&mut e, 2, limit("b", Side::Buy, 100.0, 3));
    // 14 traded: 10 ahead of both, then 3 to the first, 1 to the second.
    let out = on_trade(&mut e, trade(100.0, 14, Side::Sell));
    assert_eq!(
        fills(&out),
        [
            (1, px(100.0), 3, Liquidity::Maker),
            (2, px(100.0), 1, Liquidity::Maker)
        ]
    );
}

#[test]
fn cancels_and_refusals() {
    let mut e = engine(QueueModel::Conservative);
    submit(&mut e, 1, limit("a", Side::Buy, 99.0, 1));
    let mut out = Vec::new();
    assert_eq!(
        e.cancel(AccountId(2), OrderRef::Venue(OrderId(1)), T, &mut out),
        Err(RejectReason::UnknownOrder),
        "another account's order"
    );
    let client = OrderRef::Client(ClientOrderId::new("a").unwrap());
    assert_eq!(e.cancel(AccountId(1), client, T, &mut out), Ok(()));
    assert_eq!(out[0].status, OrderStatus::Canceled);
    assert_eq!(
        e.cancel(AccountId(1), client, T, &mut out),
        Err(RejectReason::UnknownOrder)
    );

    let rejected = |req| submit(&mut engine(QueueModel::Conservative), 9, req)[0].kind;
    assert_eq!(
        rejected(limit("z", Side::Buy, 99.0, 0)),
        ExecKind::Rejected(RejectReason::QtyTooSmall)
    );
    assert_eq!(
        rejected(request(1, "n", Side::Buy, OrderType::Limit, None, 1)),
        ExecKind::Rejected(RejectReason::BadPrice)
    );
}

#[test]
fn a_quote_amount_converts_to_the_whole_lots_it_buys_now() {
    let e = engine(QueueModel::Conservative);
    let quote = |s: &str| {
        e.qty_for_quote(Side::Buy, Decimal::parse(s).unwrap())
            .lots()
    };
    // Asks 100.1×5 (500.5), 100.2×15 (1503), 100.3×30.
    assert_eq!(quote("500.5"), 5);
    assert_eq!(quote("500.4"), 4);
    assert_eq!(quote("1000"), 5 + 4, "499.5 left buys 4 at 100.2");
    assert_eq!(quote("100000"), 50, "the whole book");
    assert_eq!(
        e.qty_for_quote(Side::Sell, Decimal::parse("250").unwrap())
            .lots(),
        2,
        "bids at 100.0"
    );
}

#[test]
fn on_trade_only_data_a_market_order_fills_whole_at_the_next_trade_with_slippage() {
    let mut e = MatchingEngine::new(instrument(), QueueModel::Conservative).with_trade_slippage(2);
    let out = submit(&mut e, 1, market("m", Side::Buy, 30));
    assert!(fills(&out).is_empty(), "no book: it waits");
    assert!(e.has_open(AccountId(1), ClientOrderId::new("m").unwrap()));
    // A one-lot trade at 100.0: the whole order fills, 2 ticks worse.
    let out = on_trade(&mut e, trade(100.0, 1, Side::Sell));
    assert_eq!(fills(&out), [(1, px(100.2), 30, Liquidity::Taker)]);
    assert!(!e.has_open(AccountId(1), ClientOrderId::new("m").unwrap()));
}
