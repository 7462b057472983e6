//! Property: after every update of any sequence, `OrderBook` shows exactly the
//! same top 50 levels, best prices and level counts as the naive
//! `BTreeMap` reference book.
//!
//! Small windows make the dense/far split and recentring happen constantly;
//! the price mixes cover a market drifting through the window, levels far
//! from the touch, and extreme prices near the ends of `i64`.
#![allow(clippy::unwrap_used)]

use kestrel_book::OrderBook;
use kestrel_book::reference::ReferenceBook;
use kestrel_model::{
    Decimal, Increment, Instrument, InstrumentId, Price, Qty, Side, Symbol, Venue,
};
use proptest::prelude::*;

fn instrument() -> Instrument {
    Instrument {
        id: InstrumentId::from_native(Venue::BinanceUsdm, "BTCUSDT").unwrap(),
        native_symbol: Symbol::new("BTCUSDT").unwrap(),
        base: "BTC".parse().unwrap(),
        quote: "USDT".parse().unwrap(),
        tick: Increment::parse("0.10").unwrap(),
        lot: Increment::parse("0.001").unwrap(),
        min_qty: Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: kestrel_model::Contract::spot("USDT".parse().unwrap()),
        rules: kestrel_model::TradingRules::default(),
    }
}

#[derive(Clone, Debug)]
enum Op {
    Update {
        side: Side,
        ticks: i64,
        lots: u64,
    },
    /// Reload the book from a snapshot of the reference book.
    Reload,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn lots() -> impl Strategy<Value = u64> {
    // A third of updates remove a level, as in real feeds.
    prop_oneof![1 => Just(0u64), 2 => 1u64..1_000]
}

fn price_ticks() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 900i64..1_100,                  // near the touch
        2 => 0i64..20_000,                   // deep, mostly outside a small window
        1 => -50i64..50,                     // around zero and negative prices
        1 => prop_oneof![Just(i64::MIN), Just(i64::MIN + 1), Just(i64::MAX - 1), Just(i64::MAX)],
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            60 => (side(), price_ticks(), lots())
                .prop_map(|(side, ticks, lots)| Op::Update { side, ticks, lots }),
            1 => Just(Op::Reload),
        ],
        1..400,
    )
}

fn assert_same(book: &OrderBook, reference: &ReferenceBook) -> Result<(), TestCaseError> {
    prop_assert_eq!(book.best_bid(), reference.best_bid());
    prop_assert_eq!(book.best_ask(), reference.best_ask());
    for side in [Side::Buy, Side::Sell] {
        let ours: Vec<_> = book.levels(side).take(50).collect();
        prop_assert_eq!(ours, reference.top(side, 50), "{:?} top 50", side);
        prop_assert_eq!(book.level_count(side), reference.level_count(side));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_reference_after_every_update(ops in ops(), window_log2 in 6u32..12) {
        let inst = instrument();
        let mut book = OrderBook::with_window(&inst, 1 << window_log2).unwrap();
        let mut reference = ReferenceBook::new();
        for op in ops {
            match op {
                Op::Update { side, ticks, lots } => {
                    let (price, qty) = (Price::from_ticks(ticks), Qty::from_lots(lots));
                    book.update_level(side, price, qty);
                    reference.update_level(side, price, qty);
                }
                Op::Reload => {
                    let mut snapshot = book.snapshot(0);
                    snapshot.bids = reference.top(Side::Buy, usize::MAX);
                    snapshot.asks = reference.top(Side::Sell, usize::MAX);
                    book.load_snapshot(&snapshot).unwrap();
                }
            }
            assert_same(&book, &reference)?;
        }
        // Full depth agrees too, far levels included.
        for side in [Side::Buy, Side::Sell] {
            let all: Vec<_> = book.levels(side).collect();
            prop_assert_eq!(all, reference.top(side, usize::MAX));
        }
    }

    #[test]
    fn a_drifting_market_matches_reference(
        steps in prop::collection::vec((-3i64..=3, side(), 0i64..40, lots()), 1..600),
    ) {
        // A random walk of the touch, quoting around it: the window must follow.
        let inst = instrument();
        let mut book = OrderBook::with_window(&inst, 64).unwrap();
        let mut reference = ReferenceBook::new();
        let mut mid = 10_000i64;
        for (drift, side, distance, lots) in steps {
            mid += drift * 7;
            let ticks = match side {
                Side::Buy => mid - 1 - distance,
                Side::Sell => mid + distance,
            };
            let (price, qty) = (Price::from_ticks(ticks), Qty::from_lots(lots));
            book.update_level(side, price, qty);
            reference.update_level(side, price, qty);
            assert_same(&book, &reference)?;
        }
    }
}
