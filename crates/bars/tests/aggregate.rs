//! Bars from trades: spans, watermarks, late trades, splits.
#![allow(clippy::unwrap_used)]

use kestrel_bars::{BarAggregator, BarEvent, BarOptions, EmptyBars, LatePolicy};
use kestrel_model::testing::instrument;
use kestrel_model::{Bar, BarSpec, EventTime, Price, Qty, Trade, UnixNanos};

const S: u64 = 1_000_000_000;

fn trade(at_s: f64, price: i64, lots: u64) -> Trade {
    let at = UnixNanos::new((at_s * S as f64) as u64);
    Trade {
        instrument: instrument("0.1", "0.001").id,
        trade_id: 0,
        price: Price::from_ticks(price),
        qty: Qty::from_lots(lots),
        aggressor: None,
        time: EventTime {
            exchange: at,
            local: at,
        },
    }
}

fn run(spec: &str, options: BarOptions, trades: &[Trade]) -> (Vec<BarEvent>, BarAggregator) {
    let mut agg =
        BarAggregator::new(&instrument("0.1", "0.001"), spec.parse().unwrap(), options).unwrap();
    let mut out = Vec::new();
    for t in trades {
        // The caller's clock: the trade's own stamp.
        agg.on_trade(t, t.time.exchange, &mut out);
    }
    (out, agg)
}

fn closed(events: &[BarEvent]) -> Vec<Bar> {
    events
        .iter()
        .filter_map(|e| match e {
            BarEvent::Closed(b) => Some(*b),
            BarEvent::Corrected(_) => None,
        })
        .collect()
}

/// (open, high, low, close, lots) of a bar.
fn ohlcv(b: &Bar) -> (i64, i64, i64, i64, u64) {
    (
        b.open.ticks(),
        b.high.ticks(),
        b.low.ticks(),
        b.close.ticks(),
        b.volume.lots(),
    )
}

#[test]
fn a_minute_bar_closes_on_the_first_trade_at_or_past_its_end() {
    let trades = [
        trade(1.0, 100, 1),
        trade(30.0, 105, 2),
        trade(59.999, 98, 1),
        trade(60.0, 101, 5),
        trade(61.0, 102, 1),
    ];
    let (events, agg) = run("1m", BarOptions::default(), &trades);
    let bars = closed(&events);
    assert_eq!(bars.len(), 1);
    assert_eq!(ohlcv(&bars[0]), (100, 105, 98, 98, 4));
    assert_eq!(bars[0].open_time, UnixNanos::new(0));
    assert_eq!(bars[0].close_time, UnixNanos::new(60 * S));
    assert_eq!(bars[0].spec, BarSpec::MINUTE);
    // The trade at 60 s opened the next, still in progress.
    let partial = agg.partial().unwrap();
    assert_eq!(ohlcv(&partial), (101, 102, 101, 102, 6));
}

#[test]
fn empty_spans_carry_the_last_close_or_are_skipped() {
    let trades = [trade(1.0, 100, 1), trade(190.0, 110, 1)];
    let (events, agg) = run("1m", BarOptions::default(), &trades);
    let bars = closed(&events);
    assert_eq!(bars.len(), 3, "the traded minute and two empty ones");
    assert_eq!(ohlcv(&bars[1]), (100, 100, 100, 100, 0));
    assert_eq!(bars[2].open_time, UnixNanos::new(120 * S));
    assert_eq!(agg.counters().empty, 2);
    let skip = BarOptions {
        empty: EmptyBars::Skip,
        ..BarOptions::default()
    };
    let (events, _) = run("1m", skip, &trades);
    assert_eq!(closed(&events).len(), 1);
}

#[test]
fn a_watermark_waits_for_late_trades_and_later_ones_are_counted() {
    let options = BarOptions {
        watermark_ns: 5 * S,
        ..BarOptions::default()
    };
    let trades = [
        trade(10.0, 100, 1),
        trade(61.0, 101, 1),
        // Late, but within the watermark: it lands in the first bar, and
        // being the latest stamp there, it is that bar's close.
        trade(59.0, 97, 1),
        trade(66.0, 102, 1),
        // After the first bar closed: late, dropped and counted.
        trade(50.0, 200, 1),
    ];
    let (events, agg) = run("1m", options, &trades);
    let bars = closed(&events);
    assert_eq!(bars.len(), 1);
    assert_eq!(ohlcv(&bars[0]), (100, 100, 97, 97, 2));
    assert_eq!(agg.counters().late, 1);
    assert_eq!(agg.counters().corrected, 0);
    assert_eq!(agg.counters().out_of_order, 2);
    assert_eq!(events.len(), 1, "no correction under the drop policy");
}

#[test]
fn a_correction_is_a_new_event_and_the_closed_bar_is_not_emitted_again() {
    let options = BarOptions {
        late: LatePolicy::Correct,
        ..BarOptions::default()
    };
    let trades = [trade(10.0, 100, 1), trade(61.0, 101, 1), trade(50.0, 90, 3)];
    let (events, agg) = run("1m", options, &trades);
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0], BarEvent::Closed(b) if ohlcv(&b) == (100, 100, 100, 100, 1)));
    let BarEvent::Corrected(fixed) = events[1] else {
        panic!("{:?}", events[1]);
    };
    // The late trade at 50 s is the last stamp of the bar: its close.
    assert_eq!(ohlcv(&fixed), (100, 100, 90, 90, 4));
    assert_eq!(agg.counters().corrected, 1);
}

#[test]
fn trades_from_the_future_are_refused() {
    let mut agg = BarAggregator::new(
        &instrument("0.1", "0.001"),
        BarSpec::MINUTE,
        BarOptions::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    let t = trade(3_600.0, 100, 1);
    agg.on_trade(&t, UnixNanos::new(0), &mut out);
    assert_eq!(agg.counters().future, 1);
    assert_eq!(agg.counters().trades, 0);
    assert!(agg.partial().is_none());
}

#[test]
fn tick_bars_count_trades() {
    let trades: Vec<_> = (0..7)
        .map(|i| trade(f64::from(i), 100 + i64::from(i), 1))
        .collect();
    let (events, agg) = run("ticks:3", BarOptions::default(), &trades);
    let bars = closed(&events);
    assert_eq!(bars.len(), 2);
    assert_eq!(ohlcv(&bars[0]), (100, 102, 100, 102, 3));
    assert_eq!(bars[1].open_time, UnixNanos::new(3 * S));
    assert_eq!(bars[1].close_time, UnixNanos::new(5 * S));
    assert_eq!(agg.partial().map(|b| b.volume.lots()), Some(1));
}

#[test]
fn volume_bars_split_a_trade_across_the_line() {
    // 0.005 BTC bars on a 0.001 lot: five lots each.
    let trades = [trade(0.0, 100, 3), trade(1.0, 101, 9), trade(2.0, 102, 1)];
    let (events, agg) = run("volume:0.005", BarOptions::default(), &trades);
    let bars = closed(&events);
    assert_eq!(bars.len(), 2);
    assert_eq!(ohlcv(&bars[0]), (100, 101, 100, 101, 5));
    assert_eq!(ohlcv(&bars[1]), (101, 101, 101, 101, 5));
    assert_eq!(agg.partial().map(|b| b.volume.lots()), Some(3));
}

#[test]
fn notional_bars_close_on_price_times_quantity() {
    // Price 100 ticks of 0.1 = 10 USDT; a lot is 0.001: a lot is worth
    // 0.01 USDT. Bars of 0.05 USDT hold five lots at this price.
    let trades = [trade(0.0, 100, 4), trade(1.0, 100, 4)];
    let (events, agg) = run("notional:0.05", BarOptions::default(), &trades);
    let bars = closed(&events);
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].volume.lots(), 5);
    assert_eq!(agg.partial().map(|b| b.volume.lots()), Some(3));
}

#[test]
fn a_watermark_holding_too_many_bars_is_refused() {
    let options = BarOptions {
        watermark_ns: 86_400 * S,
        ..BarOptions::default()
    };
    assert!(
        BarAggregator::new(&instrument("0.1", "0.001"), "1s".parse().unwrap(), options).is_err()
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// In-order trades: every lot lands in exactly one bar, bars are
        /// consistent and follow one another without overlap.
        #[test]
        fn every_lot_lands_in_one_bar(
            steps in proptest::collection::vec((0u64..90_000, 1i64..500, 0u64..20), 1..200),
            spec in prop_oneof![Just("1s"), Just("1m"), Just("ticks:7"), Just("volume:0.013"), Just("notional:3")],
        ) {
            let mut at = 0u64;
            let trades: Vec<Trade> = steps
                .iter()
                .map(|&(dt, price, lots)| {
                    at += dt * 1_000_000;
                    trade(at as f64 / S as f64, price, lots)
                })
                .collect();
            let (events, agg) = run(spec, BarOptions::default(), &trades);
            let bars = closed(&events);
            let total: u64 = trades.iter().map(|t| t.qty.lots()).sum();
            let binned: u64 = bars.iter().map(|b| b.volume.lots()).sum::<u64>()
                + agg.partial().map_or(0, |b| b.volume.lots());
            prop_assert_eq!(binned, total);
            for pair in bars.windows(2) {
                prop_assert!(pair[0].close_time <= pair[1].open_time || spec.contains(':'));
            }
            prop_assert!(bars.iter().all(Bar::is_consistent));
            prop_assert_eq!(agg.counters().late, 0);
        }
    }
}

#[test]
fn a_gap_too_long_to_fill_is_counted_not_emitted_bar_by_bar() {
    // One second bars, then a trade a million seconds on.
    let trades = [trade(0.5, 100, 1), trade(1_000_000.5, 101, 1)];
    let (events, agg) = run("1s", BarOptions::default(), &trades);
    let c = agg.counters();
    assert_eq!(c.empty, kestrel_bars::MAX_EMPTY_RUN);
    assert_eq!(
        c.empty + c.empty_skipped,
        999_999,
        "every empty second, emitted or counted"
    );
    assert_eq!(closed(&events).len() as u64, 1 + c.empty);
    assert_eq!(
        agg.partial().map(|b| b.open_time),
        Some(UnixNanos::new(1_000_000 * S))
    );
}

#[test]
fn a_trade_too_large_to_split_goes_whole_into_the_last_bar() {
    // One-lot volume bars and a trade of ten million lots.
    let trades = [trade(0.0, 100, 10_000_000)];
    let (events, agg) = run("volume:0.001", BarOptions::default(), &trades);
    assert_eq!(
        closed(&events).len() as u64,
        kestrel_bars::MAX_EMPTY_RUN + 1
    );
    assert_eq!(agg.counters().oversized, 1);
    let lots: u64 = closed(&events).iter().map(|b| b.volume.lots()).sum();
    assert_eq!(lots, 10_000_000, "every lot in a bar");
}

#[test]
fn a_stamp_at_the_end_of_time_closes_what_it_can_and_stops() {
    // Found by CI's fuzzing: a ms stamp of year 2609 saturates to u64::MAX
    // nanoseconds, and the span after it could never end.
    for watermark_ns in [0, 2 * S] {
        let mut end_of_time = trade(0.0, 101, 1);
        end_of_time.time.exchange = UnixNanos::new(u64::MAX);
        let trades = [trade(1.5, 100, 1), end_of_time, trade(2.5, 102, 1)];
        let options = BarOptions {
            watermark_ns,
            ..BarOptions::default()
        };
        let (events, agg) = run("1s", options, &trades);
        let c = agg.counters();
        assert_eq!(c.empty, kestrel_bars::MAX_EMPTY_RUN);
        assert!(c.empty_skipped > 10_000_000_000, "the gap is counted");
        assert!(closed(&events).len() as u64 <= kestrel_bars::MAX_EMPTY_RUN + 2);
        assert!(closed(&events).iter().all(Bar::is_consistent));
    }
}
