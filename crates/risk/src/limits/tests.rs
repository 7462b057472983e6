//! One refusal per reason code, each from an order that passes everything
//! else.

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn instrument() -> Instrument {
    Instrument {
        min_notional: d("50"),
        ..kestrel_model::testing::instrument("1", "1")
    }
}

fn limits() -> RiskLimits {
    RiskLimits {
        max_order_qty: Qty::from_lots(10),
        max_order_notional: d("900"),
        max_position: Qty::from_lots(15),
        max_exposure: d("2000"),
        price_band_bps: 100,
        orders: TokenBucket::new(3, 1.0),
        max_book_age_ns: 1_000_000_000,
        max_volatility: Some(0.01),
        max_trade_loss: d("100"),
        max_daily_loss: d("300"),
        max_drawdown: d("500"),
        max_ack_p99_ns: 5_000_000,
    }
}

/// The instrument's limits, as the checks below read them.
static LIMITS: std::sync::LazyLock<RiskLimits> = std::sync::LazyLock::new(limits);

/// A buy of 1 at 100 with mid 100, flat, all healthy: approved.
fn check(i: &Instrument) -> OrderCheck<'_> {
    OrderCheck {
        instrument: i,
        limits: &LIMITS,
        side: Side::Buy,
        price: Some(Price::from_ticks(100)),
        qty: Qty::from_lots(1),
        reference: Price::from_ticks(100),
        mid: Some(100.0),
        position_lots: 0,
        exposure: Decimal::ZERO,
        own_opposite: None,
        book_trusted: true,
        book_age_ns: 0,
        volatility: Some(0.001),
        now: UnixNanos::new(0),
    }
}

#[test]
fn each_pre_trade_limit_refuses_with_its_own_reason() {
    let i = instrument();
    let base = check(&i);
    let cases: Vec<(Reason, OrderCheck<'_>)> = vec![
        (
            Reason::BookUntrusted,
            OrderCheck {
                book_trusted: false,
                ..base
            },
        ),
        (
            Reason::BookStale,
            OrderCheck {
                book_age_ns: 2_000_000_000,
                ..base
            },
        ),
        (
            Reason::Volatility,
            OrderCheck {
                volatility: Some(0.05),
                ..base
            },
        ),
        (
            Reason::TickSize,
            OrderCheck {
                price: Some(Price::from_ticks(0)),
                ..base
            },
        ),
        (
            Reason::LotSize,
            OrderCheck {
                qty: Qty::ZERO,
                ..base
            },
        ),
        (
            Reason::MinNotional,
            OrderCheck {
                price: Some(Price::from_ticks(40)),
                mid: Some(40.0),
                ..base
            },
        ),
        (
            Reason::MaxOrderQty,
            OrderCheck {
                qty: Qty::from_lots(11),
                price: Some(Price::from_ticks(10)),
                mid: Some(10.0),
                ..base
            },
        ),
        (
            Reason::MaxOrderNotional,
            OrderCheck {
                qty: Qty::from_lots(10),
                ..base
            },
        ),
        (
            Reason::PriceBand,
            OrderCheck {
                price: Some(Price::from_ticks(102)),
                ..base
            },
        ),
        (
            Reason::MaxPosition,
            OrderCheck {
                position_lots: 15,
                ..base
            },
        ),
        (
            Reason::MaxExposure,
            OrderCheck {
                exposure: d("1950"),
                ..base
            },
        ),
        (
            Reason::SelfTrade,
            OrderCheck {
                own_opposite: Some(Price::from_ticks(100)),
                ..base
            },
        ),
    ];
    for (reason, c) in cases {
        let mut risk = RiskEngine::new(limits());
        assert_eq!(
            risk.check_order(&c),
            Decision::Refused(reason),
            "{reason:?}"
        );
    }
    // The base order passes, and a sell that shrinks a large position
    // passes the exposure check.
    let mut risk = RiskEngine::new(limits());
    assert_eq!(risk.check_order(&base), Decision::Approved);
    let reducing = OrderCheck {
        side: Side::Sell,
        position_lots: 12,
        exposure: d("5000"),
        ..base
    };
    assert_eq!(risk.check_order(&reducing), Decision::Approved);
}

#[test]
fn the_rate_limit_and_the_kill_switch() {
    let i = instrument();
    let base = check(&i);
    let mut risk = RiskEngine::new(limits());
    for _ in 0..3 {
        assert_eq!(risk.check_order(&base), Decision::Approved);
    }
    assert_eq!(
        risk.check_order(&base),
        Decision::Refused(Reason::RateLimited)
    );
    let later = OrderCheck {
        now: UnixNanos::from_millis(1_000),
        ..base
    };
    assert_eq!(
        risk.check_order(&later),
        Decision::Approved,
        "a token refilled"
    );
    // A refused order does not spend a token.
    let mut risk = RiskEngine::new(limits());
    for _ in 0..5 {
        risk.check_order(&OrderCheck {
            book_trusted: false,
            ..base
        });
    }
    assert_eq!(risk.check_order(&base), Decision::Approved);

    risk.kill(Reason::KillSwitch);
    assert_eq!(
        risk.check_order(&base),
        Decision::Refused(Reason::KillSwitch)
    );
    risk.reset();
    assert_eq!(risk.check_order(&base), Decision::Approved);
}

#[test]
fn post_fill_limits_and_latency_trip_the_kill_switch() {
    let t = |h: u64| UnixNanos::new(h * 3_600_000_000_000);
    // Per-trade loss.
    let mut risk = RiskEngine::new(limits());
    assert_eq!(
        risk.on_fill(d("-100"), d("10000"), t(0)),
        None,
        "exactly the limit is allowed"
    );
    assert_eq!(
        risk.on_fill(d("-101"), d("9899"), t(0)),
        Some(Reason::TradeLoss)
    );
    assert_eq!(risk.killed(), Some(Reason::TradeLoss));
    // Daily loss: 10,000 at the day's start, 9,650 after small losses.
    let mut risk = RiskEngine::new(limits());
    risk.mark_equity(d("10000"), t(1));
    assert_eq!(risk.on_fill(d("-50"), d("9750"), t(2)), None);
    assert_eq!(
        risk.on_fill(d("-50"), d("9650"), t(3)),
        Some(Reason::DailyLoss)
    );
    // A new day starts from its own equity; drawdown counts from the peak.
    let mut risk = RiskEngine::new(limits());
    risk.mark_equity(d("10000"), t(0));
    assert_eq!(risk.on_fill(d("90"), d("10400"), t(1)), None);
    assert_eq!(
        risk.on_fill(d("-90"), d("10150"), t(25)),
        None,
        "day 2 starts at 10,150"
    );
    assert_eq!(
        risk.on_fill(d("-90"), d("9899"), t(26)),
        Some(Reason::Drawdown),
        "501 below the 10,400 peak"
    );
    // Latency.
    let mut risk = RiskEngine::new(limits());
    assert_eq!(risk.on_latency(4_000_000), None);
    assert_eq!(risk.on_latency(6_000_000), Some(Reason::Latency));
    let i = instrument();
    assert_eq!(
        risk.check_order(&check(&i)),
        Decision::Refused(Reason::KillSwitch)
    );
}
