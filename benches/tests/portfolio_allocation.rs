//! The two-market, two-strategy kernel allocates nothing per event once
//! warm, beyond what its two bare books make for prices never seen before
//! (the same count as `backtest_allocation.rs`, for a portfolio).
#![allow(clippy::unwrap_used)]

use kestrel_benches::alloc_count::{Counting, allocations, bare_book_allocations};
use kestrel_benches::portfolio::{feeds, two_markets, two_strategy_kernel};
use kestrel_engine::DeliveryProbe;
use kestrel_engine::backtest::{FeedKind, run_kernel};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations inside deliveries to the kernel, after the first `warm`.
#[derive(Default)]
struct Probe {
    at_start: usize,
    events: usize,
    warm: usize,
    steady: usize,
}

impl DeliveryProbe for Probe {
    fn before(&mut self) {
        self.at_start = allocations();
    }
    fn after(&mut self, _kind: FeedKind, _intents: usize) {
        if self.events >= self.warm {
            self.steady += allocations() - self.at_start;
        }
        self.events += 1;
    }
}

#[test]
fn two_markets_and_two_strategies_do_not_allocate_per_event() {
    let markets = two_markets().unwrap();
    let total: usize = markets.iter().map(|(_, e)| e.len()).sum();
    let mut probe = Probe {
        warm: total / 10,
        ..Probe::default()
    };
    let kernel = two_strategy_kernel(&markets);
    let config = kestrel_benches::backtest::backtest_config();
    let run = run_kernel(kernel, feeds(&markets), &config, |_| {}, &mut probe).unwrap();
    let report = run.into_report("t");
    let legs: Vec<u64> = report.series.legs.iter().map(|l| l.fill_count).collect();
    // What the bare books make after the same share of their events.
    let books: usize = markets
        .iter()
        .map(|(instrument, events)| bare_book_allocations(instrument, events, events.len() / 10))
        .sum();
    eprintln!(
        "{} events, fills per leg {legs:?}: kernel {} allocations after warm-up (bare books: {books})",
        probe.events, probe.steady
    );
    assert!(legs.iter().all(|&n| n > 10), "both legs trade: {legs:?}");
    // The books' own, give or take where each book's warm-up ends on the
    // merged timeline: a tenth of all events is not a tenth of each.
    assert!(
        probe.steady <= books + books / 2 + 8,
        "{} allocations in {} events (bare books {books})",
        probe.steady,
        probe.events - probe.warm
    );
}
