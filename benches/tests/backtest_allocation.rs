//! "No heap allocation per event on the hot path": every allocation made
//! while the kernel handles a recorded event (book, signals, strategy,
//! risk, order tracking, position, report series) is counted over the
//! whole real capture with the main job's strategy.
//!
//! The only ones allowed are the book's own: its map of levels far from
//! the touch takes a node when a price never seen before appears there.
//! A bare book fed the same events makes exactly as many, so everything
//! the kernel adds around it allocates nothing once warm.
#![allow(unsafe_code)] // a counting global allocator must implement `GlobalAlloc`
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kestrel_benches::backtest::{backtest_config, imbalance_mm};
use kestrel_benches::load_market_events;
use kestrel_book::OrderBook;
use kestrel_engine::backtest::{FeedKind, MemorySource};
use kestrel_engine::{DeliveryProbe, run_backtest_probed};
use kestrel_model::MarketEvent;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers every call to `System`, only counting them.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

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
        let now = ALLOCATIONS.load(Ordering::Relaxed);
        if self.events >= self.warm && self.last_end > 0 {
            self.outside += now - self.last_end;
        }
        self.at_start = now;
    }
    fn after(&mut self, _kind: FeedKind, _intents: usize) {
        let end = ALLOCATIONS.load(Ordering::Relaxed);
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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let run = run_backtest_probed(
        &instrument,
        MemorySource::new(&events),
        imbalance_mm(),
        &config,
        |_| {},
        &mut probe,
    )
    .unwrap();
    let total = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let book_steady = bare_book_allocations(&instrument, &events, probe.warm);
    let fills = run.kernel.into_report("t").summary.activity.fills;
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

/// Allocations a bare book makes applying `events` after the first `warm`.
fn bare_book_allocations(
    instrument: &kestrel_model::Instrument,
    events: &[MarketEvent],
    warm: usize,
) -> usize {
    let mut book = OrderBook::new(instrument);
    let mut made = 0;
    for (i, event) in events.iter().enumerate() {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        match event {
            MarketEvent::Delta(d) => {
                for u in &d.updates {
                    book.update_level(u.side, u.price, u.qty);
                }
            }
            MarketEvent::Snapshot(s) => book.load_snapshot(s).unwrap(),
            _ => {}
        }
        if i >= warm {
            made += ALLOCATIONS.load(Ordering::Relaxed) - before;
        }
    }
    made
}
