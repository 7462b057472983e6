//! The runner's timeline: when each answer reaches the strategy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kestrel_book::OrderBook;
use kestrel_exec::{CostMethod, OrderState};
use kestrel_model::{
    BookSnapshot, Decimal, EventTime, Level, MarketEvent, Price, Qty, Side, Trade,
};
use kestrel_risk::{RiskLimits, TokenBucket};
use kestrel_signals::{SignalConfig, SignalValues};
use kestrel_sim::{LatencyModel, QueueModel};
use kestrel_strategy::{Context, NewOrder, OrderUpdate};

use super::*;

/// Bids 2 lots at 99 on the first book; records what it hears, and when.
#[derive(Default)]
struct Recorder {
    placed: bool,
    heard: Vec<(u64, &'static str)>,
}

impl Strategy for Recorder {
    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        _: kestrel_model::InstrumentIndex,
        _book: &OrderBook,
        _signals: &SignalValues,
    ) {
        self.heard.push((ctx.now().as_nanos(), "book"));
        if !self.placed {
            self.placed = true;
            let _ = ctx.place(NewOrder::post_only(
                IX,
                Side::Buy,
                Price::from_ticks(99),
                Qty::from_lots(2),
            ));
        }
    }
    fn on_trade(
        &mut self,
        ctx: &mut dyn Context,
        _: kestrel_model::InstrumentIndex,
        _trade: &Trade,
    ) {
        self.heard.push((ctx.now().as_nanos(), "trade"));
    }
    fn on_order(&mut self, ctx: &mut dyn Context, update: &OrderUpdate) {
        let what = match update.state {
            OrderState::New => "ack",
            OrderState::Filled => "filled",
            _ => "other",
        };
        self.heard.push((ctx.now().as_nanos(), what));
    }
}

fn t(exchange: u64, local: u64) -> EventTime {
    EventTime {
        exchange: UnixNanos::new(exchange),
        local: UnixNanos::new(local),
    }
}

fn config() -> BacktestConfig {
    let d = |s: &str| Decimal::parse(s).unwrap();
    BacktestConfig {
        kernel: KernelConfig {
            risk: RiskLimits {
                max_order_qty: Qty::from_lots(10),
                max_order_notional: d("100000"),
                max_position: Qty::from_lots(10),
                max_exposure: d("100000"),
                price_band_bps: 500,
                orders: TokenBucket::new(10, 1.0),
                max_book_age_ns: u64::MAX,
                max_volatility: None,
                max_trade_loss: d("1000"),
                max_daily_loss: d("1000"),
                max_drawdown: d("1000"),
                max_ack_p99_ns: u64::MAX,
            },
            signals: SignalConfig::default(),
            queue_model: QueueModel::Conservative,
            cost_method: CostMethod::Fifo,
            cash: d("1000"),
            id_prefix: "t".into(),
            session_ms: 0,
            sample_interval_ns: 1_000,
            bracket: Default::default(),
            bars: Default::default(),
        },
        sim: SimConfig {
            queue_model: QueueModel::Conservative,
            order_entry: LatencyModel::Constant(1_000),
            ack: LatencyModel::Constant(1_000),
            ..SimConfig::default()
        },
        offset: ClockOffset::Fixed(100),
    }
}

/// The [`Recorder`] over `events` with the tests' configuration.
fn run(instrument: &Instrument, events: &[MarketEvent]) -> Backtest<Recorder> {
    run_backtest(
        instrument,
        MemorySource::new(events),
        Recorder::default(),
        &config(),
        |_| {},
    )
    .unwrap()
}

fn snapshot(instrument: &Instrument) -> MarketEvent {
    let level = |p, q| Level {
        price: Price::from_ticks(p),
        qty: Qty::from_lots(q),
    };
    MarketEvent::Snapshot(BookSnapshot {
        instrument: instrument.id,
        last_update_id: 1,
        time: t(0, 100),
        bids: vec![level(99, 1)],
        asks: vec![level(101, 1)],
    })
}

#[test]
fn answers_arrive_after_both_latencies_and_trades_fill_only_orders_already_there() {
    let instrument = kestrel_model::testing::instrument("1", "1");
    let events = [
        snapshot(&instrument),
        // Prints at venue time 1,500, after our order arrived (100 local
        // − 100 offset + 1,000 entry = 1,000), through the 1 lot ahead.
        MarketEvent::Trade(Trade {
            instrument: instrument.id,
            trade_id: 1,
            price: Price::from_ticks(99),
            qty: Qty::from_lots(5),
            aggressor: Some(Side::Sell),
            time: t(1_500, 1_600),
        }),
    ];
    let run = run(&instrument, &events);
    // The ack is made at venue 1,000 and seen at 1,000 + 100 + 1,000; the
    // fill at venue 1,500, seen at 2,600. The trade itself reached us at
    // 1,600, before our ack.
    assert_eq!(
        run.kernel.strategy().heard,
        [
            (100, "book"),
            (1_600, "trade"),
            (2_100, "ack"),
            (2_600, "filled")
        ]
    );
    assert_eq!(run.kernel.position().net_lots(), 2);
}

#[test]
fn an_order_is_answered_even_when_no_market_event_follows_it() {
    let instrument = kestrel_model::testing::instrument("1", "1");
    let events = [snapshot(&instrument)];
    let run = run(&instrument, &events);
    assert_eq!(run.kernel.strategy().heard, [(100, "book"), (2_100, "ack")]);
}

#[test]
fn a_trade_before_our_order_arrives_does_not_fill_it() {
    let instrument = kestrel_model::testing::instrument("1", "1");
    let events = [
        snapshot(&instrument),
        // Venue time 900: our order (arriving at 1,000) is not there yet,
        // though the strategy had sent it at 100.
        MarketEvent::Trade(Trade {
            instrument: instrument.id,
            trade_id: 1,
            price: Price::from_ticks(99),
            qty: Qty::from_lots(5),
            aggressor: Some(Side::Sell),
            time: t(900, 1_000),
        }),
    ];
    let run = run(&instrument, &events);
    assert_eq!(run.kernel.position().net_lots(), 0);
    assert!(run.kernel.strategy().heard.contains(&(2_100, "ack")));
}

#[test]
fn on_a_tie_our_order_is_at_the_venue_first_and_the_market_reaches_us_last() {
    let instrument = kestrel_model::testing::instrument("1", "1");
    let trade = |id, price, time| {
        MarketEvent::Trade(Trade {
            instrument: instrument.id,
            trade_id: id,
            price: Price::from_ticks(price),
            qty: Qty::from_lots(5),
            aggressor: Some(Side::Sell),
            time,
        })
    };
    let events = [
        snapshot(&instrument),
        // At the venue at 1,000, the very time our order arrives: the
        // venue takes the orders due by a market event's time first, so
        // this print fills it.
        trade(1, 99, t(1_000, 1_900)),
        // Reaches us at 2,100 with our ack and fill: the venue's answers
        // go first.
        trade(2, 101, t(1_050, 2_100)),
    ];
    let run = run(&instrument, &events);
    assert_eq!(
        run.kernel.strategy().heard,
        [
            (100, "book"),
            (1_900, "trade"),
            (2_100, "ack"),
            (2_100, "filled"),
            (2_100, "trade")
        ]
    );
    assert_eq!(run.kernel.position().net_lots(), 2);
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;

#[test]
fn a_book_a_delta_crosses_is_lost_until_the_next_snapshot_as_live() {
    use kestrel_model::{BookDelta, LevelUpdate, UpdateIds};
    let instrument = kestrel_model::testing::instrument("1", "1");
    let delta = |id: u64, local: u64, side: Side, price: i64| {
        MarketEvent::Delta(BookDelta {
            instrument: instrument.id,
            ids: UpdateIds {
                first: id,
                last: id,
                prev: None,
            },
            time: t(local - 100, local),
            updates: vec![LevelUpdate {
                price: Price::from_ticks(price),
                qty: Qty::from_lots(1),
                side,
            }],
        })
    };
    let MarketEvent::Snapshot(first) = snapshot(&instrument) else {
        unreachable!()
    };
    let again = BookSnapshot {
        last_update_id: 5,
        time: t(300, 400),
        ..first.clone()
    };
    let events = [
        MarketEvent::Snapshot(first),
        // A bid through the ask at 101: the ask should have gone, so the
        // book is not the venue's.
        delta(2, 200, Side::Buy, 102),
        delta(3, 300, Side::Sell, 103),
        MarketEvent::Snapshot(again),
        delta(6, 500, Side::Sell, 104),
    ];
    let run = run(&instrument, &events);
    let books: Vec<u64> = run
        .kernel
        .strategy()
        .heard
        .iter()
        .filter(|(_, what)| *what == "book")
        .map(|(at, _)| *at)
        .collect();
    // Told of the crossed book and of its loss at 200 (so it can pull its
    // quotes), then nothing until the snapshot at 400: the delta at 300
    // never reached the book.
    assert_eq!(books, [100, 200, 200, 400, 500]);
    assert_eq!(run.kernel.counters().gaps, 1);
    assert_eq!(run.stats.books_lost, 1);
    assert_eq!(run.stats.deltas_skipped, 1);
    assert!(!run.kernel.book().is_crossed());
}
