//! A global allocator that counts allocations, for the tests that check
//! "no allocation per event": a test binary installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;` and reads
//! [`allocations`] around the work it measures.
#![allow(unsafe_code)] // a counting global allocator must implement `GlobalAlloc`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kestrel_book::OrderBook;
use kestrel_model::{Instrument, MarketEvent};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// Allocations (and reallocations) so far in this process.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// The system allocator, counting.
pub struct Counting;

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

/// Allocations a bare book makes applying `events` after the first `warm`:
/// what the kernel's own count is compared with.
pub fn bare_book_allocations(
    instrument: &Instrument,
    events: &[MarketEvent],
    warm: usize,
) -> usize {
    let mut book = OrderBook::new(instrument);
    let mut made = 0;
    for (i, event) in events.iter().enumerate() {
        let before = allocations();
        match event {
            MarketEvent::Delta(d) => {
                for u in &d.updates {
                    book.update_level(u.side, u.price, u.qty);
                }
            }
            MarketEvent::Snapshot(s) => {
                // A snapshot the book refuses allocates nothing more.
                let _ = book.load_snapshot(s);
            }
            _ => {}
        }
        if i >= warm {
            made += allocations() - before;
        }
    }
    made
}
