//! "No allocation per update in steady state", checked by counting every
//! heap allocation while the real capture's 443k level updates are applied.
#![allow(unsafe_code)] // a counting global allocator must implement `GlobalAlloc`
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kestrel_benches::load_book_stream;
use kestrel_book::OrderBook;

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

#[test]
fn applying_the_real_stream_does_not_allocate_once_warm() {
    let stream = load_book_stream().unwrap();
    let mut book = OrderBook::new(&stream.instrument);
    let apply_all = |book: &mut OrderBook| {
        book.load_snapshot(&stream.snapshot).unwrap();
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for u in &stream.updates {
            book.update_level(u.side, u.price, u.qty);
        }
        ALLOCATIONS.load(Ordering::Relaxed) - before
    };
    // First pass: the far-level store grows to its high-water mark.
    let warming = apply_all(&mut book);
    // Second pass over the same stream: the steady state.
    let steady = apply_all(&mut book);
    eprintln!(
        "{} updates: {warming} allocations while warming, {steady} in steady state",
        stream.updates.len()
    );
    assert_eq!(steady, 0);
    assert!(warming < 100, "{warming} allocations while warming");
}
