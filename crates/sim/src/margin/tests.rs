//! Worked by hand from Binance's formulas; every figure below is
//! arithmetic on the inputs, not a reading of our own output.
#![allow(clippy::unwrap_used)]

use kestrel_model::{Decimal, Instrument, InstrumentId, Side};

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn perp() -> Instrument {
    let mut i = kestrel_model::testing::instrument("0.1", "0.001");
    i.contract.kind = kestrel_model::ContractKind::Linear;
    i
}

const A: AccountId = AccountId(1);

fn book(wallet: &str) -> (MarginAccounts, InstrumentId) {
    let i = perp();
    let mut m = MarginAccounts::new();
    m.add_contract(&i, Brackets::binance_btcusdt()).unwrap();
    m.deposit(A, d(wallet)).unwrap();
    (m, i.id)
}

fn at(price: &'static str) -> impl Fn(InstrumentId) -> Option<Decimal> {
    move |_| Some(d(price))
}

fn none(_: InstrumentId) -> Vec<OpenOrder> {
    Vec::new()
}

/// Cross, 20×, 1 000 USDT: buy 0.1 at 60 000 paying a 3 USDT fee. At mark
/// 60 000: margin 6 000 / 20 = 300, maintenance 6 000 × 0.4 % = 24,
/// available 997 − 300 = 697. Liquidation where 997 + (p − 60 000)·0.1 =
/// 0.004·0.1·p: p = (997 − 6 000) / (0.0004 − 0.1) = 50 230.92369…
#[test]
fn a_cross_long_has_binances_margins_and_liquidation_price() {
    let (mut m, i) = book("1000");
    m.on_fill(A, i, Side::Buy, d("60000"), d("0.1"), d("3"))
        .unwrap();
    let v = m.position_view(A, i, d("60000"), &at("60000")).unwrap();
    assert_eq!(v.initial_margin, d("300"));
    assert_eq!(v.maintenance, d("24"));
    assert_eq!(
        v.liquidation,
        Decimal::from_parts(50_230_923_694_779_116_465_863, 18)
    );
    let a = m.account_view(A, &at("60000"), &none).unwrap();
    assert_eq!((a.wallet, a.available), (d("997"), d("697")));
    // At 59 000 the position has lost 100 and needs 295 of margin.
    let a = m.account_view(A, &at("59000"), &none).unwrap();
    assert_eq!((a.unrealized, a.available), (d("-100"), d("602")));
    // Above its liquidation price nothing happens; below it, it closes.
    assert!(m.liquidate(i, d("50231"), &at("50231")).is_empty());
    let l = m.liquidate(i, d("50230"), &at("50230"));
    // Closed at 50 230: loses 0.1 × 9 770 = 977, leaving 20; maintenance
    // 5 023 × 0.4 % = 20.092 > 20, so the fee is the 20 left.
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].side, l[0].qty), (Side::Sell, d("0.1")));
    assert_eq!((l[0].realized, l[0].fee), (d("-977"), d("20")));
    assert_eq!(m.wallet(A), Decimal::ZERO);
    assert!(m.position(A, i).is_flat());
}

/// Isolated, 10×: sell 0.1 at 60 000 puts 600 aside. Liquidation where
/// 600 + (60 000 − p)·0.1 = 0.0004·p: p = 6 600 / 0.1004 = 65 737.05…
/// At 65 800 it closes: loses 580, 20 left, maintenance 26.32, fee 20:
/// the wallet keeps 1 000 − 600 = 400, the rest of it untouched.
#[test]
fn an_isolated_short_loses_only_its_own_margin() {
    let (mut m, i) = book("1000");
    m.set_leverage(A, i, 10, d("60000")).unwrap();
    m.set_margin_type(A, i, MarginType::Isolated).unwrap();
    m.on_fill(A, i, Side::Sell, d("60000"), d("0.1"), Decimal::ZERO)
        .unwrap();
    let v = m.position_view(A, i, d("60000"), &at("60000")).unwrap();
    assert_eq!(v.initial_margin, d("600"));
    assert_eq!(
        v.liquidation,
        Decimal::from_parts(65_737_051_792_828_685_258_964, 18)
    );
    assert_eq!(
        m.account_view(A, &at("60000"), &none).unwrap().available,
        d("400")
    );
    assert!(m.liquidate(i, d("65700"), &at("65700")).is_empty());
    let l = m.liquidate(i, d("65800"), &at("65800"));
    assert_eq!(
        (l[0].side, l[0].realized, l[0].fee),
        (Side::Buy, d("-580"), d("20"))
    );
    assert_eq!(m.wallet(A), d("400"));
}

/// 0.1 long at mark 60 000, rate 0.01 %: pays 0.6; a short receives it.
#[test]
fn funding_is_paid_by_longs_at_a_positive_rate() {
    let (mut m, i) = book("1000");
    m.deposit(AccountId(2), d("1000")).unwrap();
    m.on_fill(A, i, Side::Buy, d("60000"), d("0.1"), Decimal::ZERO)
        .unwrap();
    m.on_fill(
        AccountId(2),
        i,
        Side::Sell,
        d("60000"),
        d("0.1"),
        Decimal::ZERO,
    )
    .unwrap();
    let paid = m.fund(i, d("60000"), d("0.0001"));
    assert_eq!(paid, vec![(A, d("0.6")), (AccountId(2), d("-0.6"))]);
    assert_eq!(m.wallet(A), d("999.4"));
    assert_eq!(m.wallet(AccountId(2)), d("1000.6"));
}

/// 100 USDT at 20×: 0.1 at 60 000 needs 300 (refused); 0.03 needs 90
/// (taken); 0.03 bid at 61 000 with the mark at 60 000 needs 91.5 plus
/// an open loss of 30 (refused). Reducing needs nothing.
#[test]
fn orders_need_their_margin_and_open_loss() {
    let (mut m, i) = book("100");
    let order = |side, qty: &str, price: &str| OpenOrder {
        side,
        qty: d(qty),
        price: d(price),
    };
    let check = |m: &MarginAccounts, o| m.check_order(A, i, o, &at("60000"), &none);
    assert_eq!(
        check(&m, order(Side::Buy, "0.1", "60000")),
        Err(MarginError::Insufficient)
    );
    assert_eq!(check(&m, order(Side::Buy, "0.03", "60000")), Ok(()));
    assert_eq!(
        check(&m, order(Side::Buy, "0.03", "61000")),
        Err(MarginError::Insufficient)
    );
    m.on_fill(A, i, Side::Buy, d("60000"), d("0.03"), Decimal::ZERO)
        .unwrap();
    assert_eq!(check(&m, order(Side::Sell, "0.03", "60000")), Ok(()));
    // Open orders hold margin: a 0.01 bid at 50 000 holds 25, more than
    // the 10 the position's 90 leaves, so nothing is available.
    let bids = |_| vec![order(Side::Buy, "0.01", "50000")];
    let a = m.account_view(A, &at("60000"), &bids).unwrap();
    assert_eq!((a.order_margin, a.available), (d("25"), Decimal::ZERO));
    // A resting sell of 0.05 against the 0.03 long opens only 0.02.
    let asks = |_| vec![order(Side::Sell, "0.05", "60000")];
    let a = m.account_view(A, &at("60000"), &asks).unwrap();
    assert_eq!(a.order_margin, d("60"));
}

#[test]
fn leverage_and_margin_type_follow_binances_refusals() {
    let (mut m, i) = book("100000");
    assert_eq!(
        m.set_leverage(A, i, 126, d("60000")),
        Err(MarginError::LeverageTooHigh { max: 125 })
    );
    m.on_fill(A, i, Side::Buy, d("60000"), d("1"), Decimal::ZERO)
        .unwrap();
    // 60 000 of notional is past 125×'s cap of 50 000.
    assert_eq!(
        m.set_leverage(A, i, 125, d("60000")),
        Err(MarginError::PositionTooLarge)
    );
    assert_eq!(m.set_leverage(A, i, 100, d("60000")), Ok(d("600000")));
    assert_eq!(
        m.set_margin_type(A, i, MarginType::Cross),
        Err(MarginError::SameMarginType)
    );
    assert_eq!(
        m.set_margin_type(A, i, MarginType::Isolated),
        Err(MarginError::PositionOpen)
    );
    let spot = kestrel_model::testing::instrument("0.1", "0.001");
    assert_eq!(
        MarginAccounts::new().add_contract(&spot, Brackets::binance_btcusdt()),
        Err(MarginError::UnknownInstrument)
    );
}
