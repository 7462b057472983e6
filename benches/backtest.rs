//! The whole backtest pipeline on the real capture with `imbalance_mm`
//! (`cargo bench -p kestrel-benches --bench backtest`).
//!
//! * `backtest/in_memory`: the capture's events decoded beforehand, then
//!   feed ring → venue (matching, latency) → kernel (book, signals,
//!   strategy, risk, orders, positions, report series). The pipeline's own
//!   rate, on one core.
//! * `backtest/from_disk`: the same from the gzipped capture, gunzip and
//!   JSON decoding and sequencing included: what `cargo run --release` does.
//!
//! * `backtest/book_only`: the same events into a bare `OrderBook`, the
//!   floor the pipeline is measured against in the same run.
//!
//! Throughput counts market events: level updates plus trades. Before the
//! timed runs, tick-to-decision latency (a recorded delta handed to the
//! kernel → its book, signals, strategy and risk done, order actions in
//! the outbox) is measured per delivery with `Instant` and printed from an
//! HDR histogram.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hdrhistogram::Histogram;
use kestrel_benches::backtest::{backtest_config, imbalance_mm};
use kestrel_benches::portfolio::{feeds, two_markets, two_strategy_kernel};
use kestrel_benches::{load_market_events, sample_capture};
use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_book::OrderBook;
use kestrel_engine::backtest::{CaptureSource, FeedKind, MemorySource};
use kestrel_engine::{DeliveryProbe, run_backtest, run_backtest_probed, run_kernel};
use kestrel_feed::Instruments;
use kestrel_model::MarketEvent;

/// Tick-to-decision times of deltas, split by whether the strategy acted.
struct Latency {
    start: Instant,
    acted: Histogram<u64>,
    quiet: Histogram<u64>,
}

impl DeliveryProbe for Latency {
    fn before(&mut self) {
        self.start = Instant::now();
    }
    fn after(&mut self, kind: FeedKind, intents: usize) {
        let ns = self.start.elapsed().as_nanos() as u64;
        if kind == FeedKind::Delta {
            let h = if intents > 0 {
                &mut self.acted
            } else {
                &mut self.quiet
            };
            let _ = h.record(ns.max(1));
        }
    }
}

fn print(name: &str, h: &Histogram<u64>) {
    println!(
        "  {name:<28} n={:>6}  p50 {:>6} ns  p99 {:>6} ns  p99.9 {:>7} ns  max {:>8} ns",
        h.len(),
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max()
    );
}

fn backtest_benches(c: &mut Criterion) {
    let (instrument, events) = load_market_events().unwrap_or_else(|e| panic!("{e}"));
    let count: u64 = events
        .iter()
        .map(|e| match e {
            MarketEvent::Delta(d) => d.updates.len() as u64,
            _ => 1,
        })
        .sum();
    let config = backtest_config();
    let run = || {
        run_backtest(
            &instrument,
            MemorySource::new(&events),
            imbalance_mm(),
            &config,
            |_| {},
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let first = run();
    let a = first.into_report("bench").summary.activity;
    println!(
        "{count} market events; {} orders, {} fills, {} cancels",
        a.orders, a.fills, a.cancels
    );

    for round in 0..3 {
        let mut probe = Latency {
            start: Instant::now(),
            acted: Histogram::new(3).unwrap_or_else(|e| panic!("{e}")),
            quiet: Histogram::new(3).unwrap_or_else(|e| panic!("{e}")),
        };
        let _ = run_backtest_probed(
            &instrument,
            MemorySource::new(&events),
            imbalance_mm(),
            &config,
            |_| {},
            &mut probe,
        );
        println!(
            "tick-to-decision, round {round} (delta in → book, signals, strategy, risk → intents out):"
        );
        print("deltas with order actions", &probe.acted);
        print("deltas without", &probe.quiet);
    }

    let mut g = c.benchmark_group("backtest");
    g.throughput(Throughput::Elements(count));
    g.sample_size(20);
    g.bench_function("in_memory", |b| b.iter(|| black_box(run().stats.events)));
    g.bench_function("from_disk", |b| {
        b.iter(|| {
            let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
            let source = CaptureSource::open(&sample_capture(), decoder, FuturesSequencer::new())
                .unwrap_or_else(|e| panic!("{e}"));
            let run = run_backtest(&instrument, source, imbalance_mm(), &config, |_| {})
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(run.stats.events)
        })
    });
    g.bench_function("book_only", |b| {
        b.iter(|| {
            let mut book = OrderBook::new(&instrument);
            for event in &events {
                match event {
                    MarketEvent::Delta(d) => {
                        for u in &d.updates {
                            book.update_level(u.side, u.price, u.qty);
                        }
                    }
                    MarketEvent::Snapshot(s) => {
                        let _ = book.load_snapshot(s);
                    }
                    _ => {}
                }
            }
            black_box(book.best_bid())
        })
    });
    g.finish();

    // Two markets, two strategies, one kernel: events of both captures,
    // counted the same way (level updates and trades).
    let markets = two_markets().unwrap_or_else(|e| panic!("{e}"));
    let two_count: u64 = markets
        .iter()
        .flat_map(|(_, events)| events)
        .map(|e| match e {
            MarketEvent::Delta(d) => d.updates.len() as u64,
            _ => 1,
        })
        .sum();
    let run_two = || {
        run_kernel(
            two_strategy_kernel(&markets),
            feeds(&markets),
            &config,
            |_| {},
            &mut (),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let legs: Vec<u64> = run_two()
        .into_report("bench")
        .series
        .legs
        .iter()
        .map(|l| l.fill_count)
        .collect();
    println!("two markets: {two_count} market events; fills per leg {legs:?}");
    let mut g = c.benchmark_group("backtest_two_markets");
    g.throughput(Throughput::Elements(two_count));
    g.sample_size(20);
    g.bench_function("in_memory", |b| {
        b.iter(|| black_box(run_two().stats.events))
    });
    g.finish();
}

criterion_group!(benches, backtest_benches);
criterion_main!(benches);
