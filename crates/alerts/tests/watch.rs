//! Rules in a kernel over trades: once per crossing, re-arm with
//! hysteresis, cooldown, combinations, a percent change, and the journal's
//! recovery.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kestrel_alerts::{
    AlertWatch, Condition, Dispatcher, LogSink, RuleConfig, RuleState, Sink, WatchEvent,
};
use kestrel_engine::backtest::TradeSource;
use kestrel_engine::{BacktestConfig, ClockOffset, run_backtest};
use kestrel_feed::TradeIter;
use kestrel_model::testing::instrument;
use kestrel_model::{EventTime, InstrumentIndex, Price, Qty, Side, Trade, UnixNanos};

const S: u64 = 1_000_000_000;

/// Trades at one a second, at these prices (tick 0.1, so 1000 = 100.0).
fn trades(prices: &[i64]) -> Vec<Trade> {
    let id = instrument("0.1", "0.001").id;
    prices
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let at = UnixNanos::new((i as u64 + 1) * S);
            Trade {
                instrument: id,
                trade_id: i as u64 + 1,
                price: Price::from_ticks(p),
                qty: Qty::from_lots(1),
                aggressor: Some(Side::Buy),
                time: EventTime {
                    exchange: at,
                    local: at,
                },
            }
        })
        .collect()
}

fn rule(name: &str, when: Condition, hysteresis: f64, cooldown_s: u64) -> RuleConfig {
    RuleConfig {
        name: name.into(),
        instrument: "binance_spot:BTCUSDT".into(),
        when,
        hysteresis,
        cooldown_s,
    }
}

/// The watch's events over `prices`.
fn run(rules: &[RuleConfig], prices: &[i64]) -> Vec<WatchEvent> {
    let inst = instrument("0.1", "0.001");
    let rules: Vec<_> = rules
        .iter()
        .map(|r| (r.clone(), InstrumentIndex::FIRST))
        .collect();
    let watch = AlertWatch::new(&rules, std::slice::from_ref(&inst)).unwrap();
    let config = BacktestConfig {
        kernel: kestrel_engine::testing::kernel_config(),
        sim: kestrel_sim::SimConfig::default(),
        offset: ClockOffset::Fixed(0),
    };
    let source = TradeSource::new(TradeIter(trades(prices).into_iter()));
    let run = run_backtest(&inst, source, watch, &config, |_| {}).unwrap();
    run.kernel.strategy().events().to_vec()
}

fn fired(events: &[WatchEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Fired(a) => Some(a.time_ns / S),
            _ => None,
        })
        .collect()
}

#[test]
fn a_level_fires_once_per_crossing_and_rearms_past_its_hysteresis() {
    // Above 100.0 at t=2, stays (3), dips to 99.8 (inside the 0.5
    // hysteresis: still disarmed), above again (5: no new alert), down to
    // 99.0 (re-armed), above again at 7: the second alert.
    let rules = [rule("up", Condition::PriceAbove(100.0), 0.5, 0)];
    let events = run(&rules, &[990, 1005, 1010, 998, 1004, 990, 1003]);
    assert_eq!(fired(&events), [2, 7]);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, WatchEvent::Rearmed { .. }))
            .count(),
        1
    );
}

#[test]
fn a_cooldown_suppresses_a_quick_second_crossing() {
    let rules = [rule("x", Condition::PriceCrosses(100.0), 0.0, 10)];
    // Crosses at 2 (fires), 3 (within 10 s: suppressed), 20 (fires).
    let mut prices = vec![990, 1010, 990];
    prices.extend(std::iter::repeat_n(990, 16));
    prices.push(1010);
    let events = run(&rules, &prices);
    assert_eq!(fired(&events), [2, 20]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WatchEvent::Suppressed { time_ns, .. } if time_ns / S == 3))
    );
}

#[test]
fn all_and_any_combine_and_a_change_needs_its_whole_window() {
    let both = Condition::All(vec![
        Condition::PriceAbove(100.0),
        Condition::Change {
            percent: 5.0,
            window_s: 3,
        },
    ]);
    let rules = [rule("rally", both, 0.0, 0)];
    // From 96.0 to 101.0 in 3 s is +5.2 %, and above 100.
    let events = run(&rules, &[960, 960, 980, 1000, 1010, 1010]);
    assert_eq!(fired(&events), [5]);
    let either = Condition::Any(vec![
        Condition::PriceBelow(90.0),
        Condition::PriceAbove(110.0),
    ]);
    let events = run(&[rule("out", either, 0.0, 0)], &[1000, 1200, 1000, 800]);
    assert_eq!(fired(&events), [2, 4]);
}

#[test]
fn bad_rules_are_refused_with_their_name() {
    let inst = instrument("0.1", "0.001");
    let bad = [
        rule(
            "r",
            Condition::Rsi {
                bar: "0m".into(),
                period: 14,
                above: Some(70.0),
                below: None,
            },
            0.0,
            0,
        ),
        rule(
            "s",
            Condition::Signal {
                name: kestrel_alerts::SignalName::Imbalance,
                above: None,
                below: None,
            },
            0.0,
            0,
        ),
        rule("c", Condition::Any(vec![]), 0.0, 0),
    ];
    for r in bad {
        let err = AlertWatch::new(
            &[(r.clone(), InstrumentIndex::FIRST)],
            std::slice::from_ref(&inst),
        )
        .err()
        .expect("refused");
        assert!(err.to_string().contains(&format!("{:?}", r.name)), "{err}");
    }
    // An unknown indicator does not parse.
    let unknown =
        serde_json::json!({"name": "x", "instrument": "a:b", "when": {"stochastic_rsi": 3}});
    let e = serde_json::from_value::<RuleConfig>(unknown)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `stochastic_rsi`"), "{e}");
}

#[test]
fn the_journal_keeps_state_and_what_is_still_to_deliver() {
    let dir = std::env::temp_dir().join(format!("kestrel-alerts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let events = run(
        &[rule("up", Condition::PriceAbove(100.0), 0.0, 0)],
        &[990, 1005, 990, 1005],
    );
    // A dispatcher with no sink journals the firings; a crash before any
    // delivery leaves them pending.
    let mut d = Dispatcher::open(&dir, Vec::new()).unwrap();
    for e in &events {
        d.on_event(e).unwrap();
    }
    assert_eq!(d.counts().fired, 2);
    drop(d);
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let mut d = Dispatcher::open(
        &dir,
        vec![Sink::Log(LogSink::to(Box::new(Shared(log.clone()))))],
    )
    .unwrap();
    let recovered = d.recovered().clone();
    assert_eq!(recovered.fired.len(), 2);
    assert_eq!(
        recovered.states,
        [(
            "up".to_owned(),
            RuleState {
                disarmed: true,
                last_fired_ns: Some(4 * S)
            }
        )]
    );
    assert_eq!(recovered.pending("log").count(), 2);
    d.deliver_pending().unwrap();
    // Replayed, the recording's alerts are known: nothing new, nothing twice.
    for e in &events {
        d.on_event(e).unwrap();
    }
    assert_eq!(d.counts().fired, 0);
    assert_eq!(d.counts().repeated, 2);
    assert_eq!(d.counts().delivered, 2);
    d.close().unwrap();
    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A writer the test can read back.
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
