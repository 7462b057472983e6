//! Property: under depth diffs spread over a million ticks (issue 17), the
//! book equals the naive `BTreeMap` reference after every update.
//!
//! Most levels land outside the small windows used here, so the far store
//! does most of the work, and the ops are picked to move the window both
//! ways: a spike far through the touch sends the whole window out to the far
//! store, and pulling the best (or the spike) brings far levels back in.
#![allow(clippy::unwrap_used)]

use kestrel_book::OrderBook;
use kestrel_book::reference::ReferenceBook;
use kestrel_model::{
    Decimal, Increment, Instrument, InstrumentId, Price, Qty, Side, Symbol, Venue,
};
use proptest::prelude::*;

/// Bids lie below this price in ticks and asks above it, up to twice it.
const TOUCH: i64 = 500_000;

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
    /// A level anywhere on its side of the touch, 1..=1,000,000.
    Wide { side: Side, ticks: i64, lots: u64 },
    /// A level near the touch.
    Near { side: Side, offset: i64, lots: u64 },
    /// A level this far through the touch: a new best far outside the window.
    Spike { side: Side, depth: i64 },
    /// Remove the best level of `side`.
    PullBest(Side),
    /// Remove the level at this fraction (per mille) of `side`'s depth.
    PullNth(Side, usize),
    /// Reload the book from a snapshot of the reference.
    Reload,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            20 => (side(), 1i64..TOUCH, 1u64..1_000)
                .prop_map(|(side, ticks, lots)| Op::Wide { side, ticks, lots }),
            6 => (side(), 0i64..300, 1u64..1_000)
                .prop_map(|(side, offset, lots)| Op::Near { side, offset, lots }),
            2 => (side(), 1_000i64..TOUCH - 1).prop_map(|(side, depth)| Op::Spike { side, depth }),
            4 => side().prop_map(Op::PullBest),
            6 => (side(), 0usize..1_000).prop_map(|(side, at)| Op::PullNth(side, at)),
            1 => Just(Op::Reload),
        ],
        1..500,
    )
}

/// `ticks` into `side`'s half of the range: bids count down from the touch.
fn price(side: Side, ticks: i64) -> Price {
    Price::from_ticks(match side {
        Side::Buy => TOUCH - ticks,
        Side::Sell => TOUCH + ticks,
    })
}

/// Applies `op` to both books; returns the price it touched, if any.
fn apply(op: &Op, book: &mut OrderBook, reference: &mut ReferenceBook) -> Option<(Side, Price)> {
    let (side, price, lots) = match *op {
        Op::Wide { side, ticks, lots } => (side, price(side, ticks), lots),
        Op::Near { side, offset, lots } => (side, price(side, offset + 1), lots),
        Op::Spike { side, depth } => (side, price(side.opposite(), depth), 7),
        Op::PullBest(side) => (side, reference.top(side, 1).first()?.price, 0),
        Op::PullNth(side, per_mille) => {
            let levels = reference.top(side, usize::MAX);
            (side, levels.get(levels.len() * per_mille / 1_000)?.price, 0)
        }
        Op::Reload => {
            let mut snapshot = book.snapshot(0);
            snapshot.bids = reference.top(Side::Buy, usize::MAX);
            snapshot.asks = reference.top(Side::Sell, usize::MAX);
            book.load_snapshot(&snapshot).unwrap();
            return None;
        }
    };
    let qty = Qty::from_lots(lots);
    book.update_level(side, price, qty);
    reference.update_level(side, price, qty);
    Some((side, price))
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

fn assert_all_levels(book: &OrderBook, reference: &ReferenceBook) -> Result<(), TestCaseError> {
    for side in [Side::Buy, Side::Sell] {
        let all: Vec<_> = book.levels(side).collect();
        prop_assert_eq!(all, reference.top(side, usize::MAX), "{:?}", side);
        for level in reference.top(side, usize::MAX) {
            prop_assert_eq!(book.qty_at(side, level.price), level.qty);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wide_diffs_match_reference_after_every_update(ops in ops(), window_log2 in 6u32..11) {
        let mut book = OrderBook::with_window(&instrument(), 1 << window_log2).unwrap();
        let mut reference = ReferenceBook::new();
        for op in &ops {
            if let Some((side, price)) = apply(op, &mut book, &mut reference) {
                let theirs = reference
                    .top(side, usize::MAX)
                    .into_iter()
                    .find(|l| l.price == price)
                    .map_or(Qty::ZERO, |l| l.qty);
                prop_assert_eq!(book.qty_at(side, price), theirs);
            }
            assert_same(&book, &reference)?;
        }
        assert_all_levels(&book, &reference)?;
    }
}

/// splitmix64, for a long fixed sequence.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A long replay with the default window: thousands of far levels, and
/// migrations both ways, seen as the far count moving by more than the
/// one level an update can add or remove.
#[test]
fn a_long_wide_replay_migrates_both_ways_and_matches_reference() {
    let mut book = OrderBook::new(&instrument());
    let mut reference = ReferenceBook::new();
    let mut rng = 17u64;
    let (mut outward, mut inward) = (0, 0);
    for i in 0..40_000 {
        let side = if next(&mut rng) & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let roll = next(&mut rng) % 100;
        let op = match roll {
            0..60 => Op::Wide {
                side,
                ticks: 1 + (next(&mut rng) % (TOUCH as u64 - 1)) as i64,
                lots: 1 + next(&mut rng) % 999,
            },
            60..80 => Op::Near {
                side,
                offset: (next(&mut rng) % 300) as i64,
                lots: 1 + next(&mut rng) % 999,
            },
            80..82 => Op::Spike {
                side,
                depth: 70_000 + (next(&mut rng) % 400_000) as i64,
            },
            82..90 => Op::PullBest(side),
            _ => Op::PullNth(side, (next(&mut rng) % 1_000) as usize),
        };
        let before = book.far_level_count(side);
        apply(&op, &mut book, &mut reference);
        let after = book.far_level_count(side);
        if after > before + 1 {
            outward += 1;
        } else if after + 1 < before {
            inward += 1;
        }
        if i % 1_000 == 0 {
            assert_same(&book, &reference).unwrap();
        }
    }
    eprintln!(
        "{} / {} far levels; {outward} migrations out, {inward} in; {} / {} recentres",
        book.far_level_count(Side::Buy),
        book.far_level_count(Side::Sell),
        book.recenter_count(Side::Buy),
        book.recenter_count(Side::Sell),
    );
    assert_same(&book, &reference).unwrap();
    assert_all_levels(&book, &reference).unwrap();
    assert!(book.far_level_count(Side::Buy) > 1_000);
    assert!(outward > 10 && inward > 10, "{outward} out, {inward} in");
}
