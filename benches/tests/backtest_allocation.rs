//! "No heap allocation per event on the hot path": every allocation made
//! while the kernel handles a recorded event (book, signals, strategy,
//! risk, order tracking, position, report series) is counted over the
//! whole real capture with the main job's strategy.
//!
//! The only ones allowed are the book's own: its map of levels far from
//! the touch takes a node when a price never seen before appears there.
//! A bare book fed the same events makes exactly as many, so everything
//! the kernel adds around it allocates nothing once warm.
#![allow(clippy::unwrap_used)]

use kestrel_benches::alloc_count::{Counting, allocations, bare_book_allocations};
use kestrel_benches::backtest::{backtest_config, imbalance_mm};
use kestrel_benches::load_market_events;
use kestrel_engine::backtest::{FeedKind, MemorySource};
use kestrel_engine::{DeliveryProbe, run_backtest_probed};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations inside kernel deliveries, for the first `warm` events and after.
#[derive(Default)]
struct KernelAllocations {
    at_start: usize,
    events: usize,
    warm: usize,
    warming: usize,
    steady: usize,
    /// Allocations between deliveries (venue, ring, source) once warm.
    outside: usize,
    last_end: usize,
}

impl DeliveryProbe for KernelAllocations {
    fn before(&mut self) {
        let now = allocations();
        if self.events >= self.warm && self.last_end > 0 {
            self.outside += now - self.last_end;
        }
        self.at_start = now;
    }
    fn after(&mut self, _kind: FeedKind, _intents: usize) {
        let end = allocations();
        self.last_end = end;
        let made = end - self.at_start;
        if self.events < self.warm {
            self.warming += made;
        } else {
            self.steady += made;
        }
        self.events += 1;
    }
}

#[test]
fn the_kernel_does_not_allocate_per_event() {
    let (instrument, events) = load_market_events().unwrap();
    let config = backtest_config();
    let mut probe = KernelAllocations {
        warm: events.len() / 10,
        ..KernelAllocations::default()
    };
    let before = allocations();
    let run = run_backtest_probed(
        &instrument,
        MemorySource::new(&events),
        imbalance_mm(),
        &config,
        |_| {},
        &mut probe,
    )
    .unwrap();
    let total = allocations() - before;
    let book_steady = bare_book_allocations(&instrument, &events, probe.warm);
    let fills = run.into_report("t").summary.activity.fills;
    eprintln!(
        "{} events, {fills} fills: kernel {} allocations in the first tenth, {} after \
         (a bare book: {book_steady} after); outside the kernel (source, ring, venue) \
         {} after; {total} in the whole run",
        probe.events, probe.warming, probe.steady, probe.outside
    );
    assert!(fills > 100);
    // Once warm, only the book's: the report series have room reserved for
    // this run (a longer one doubles them now and then, never per event).
    assert!(
        probe.steady == book_steady,
        "{} allocations in {} events",
        probe.steady,
        probe.events - probe.warm
    );
    // Around the kernel, buffers grow to the largest delta and the most
    // orders in flight: bounded warm-up, far below one per event.
    assert!(
        probe.outside * 20 < probe.events,
        "{} allocations around the kernel",
        probe.outside
    );
}
