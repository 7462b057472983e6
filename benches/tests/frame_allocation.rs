//! "0 allocations per frame in steady state", checked by counting every heap
//! allocation while the real capture's frames (depth, trades, bookTickers)
//! go through the live pipeline, and the OKX frames made from it.
#![allow(unsafe_code)] // a counting global allocator must implement `GlobalAlloc`
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use kestrel_benches::okx::{okx_book_frames, okx_instrument};
use kestrel_benches::{load_book_stream, load_frames, sample_capture};
use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_feed::{FeedUpdate, InstrumentFeed, Instruments, SyncStatus, Untrusted};
use kestrel_model::UnixNanos;
use kestrel_okx::{OkxDecoder, OkxSequencer};

struct Counting;

thread_local! {
    /// Per thread, so tests running in parallel do not count each other's.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

// SAFETY: defers every call to `System`, only counting them.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn binance_frames_do_not_allocate_once_warm() {
    let frames = load_frames(&sample_capture()).unwrap();
    let instrument = kestrel_registry::testing::usdm_btcusdt();
    let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let mut feed = InstrumentFeed::new(&instrument, decoder, FuturesSequencer::new());
    // First pass: buffers and the book's far-level store grow to their
    // high-water marks.
    for (local, frame) in &frames {
        feed.on_frame(frame, *local);
    }
    // Second pass, as after a reconnect: the same frames again, buffered
    // until the same snapshot and bridged to it. Counted from the resync on:
    // the steady state of a trusted book. (Buffering during a resync reuses
    // emptied buffers, and allocates only past the largest backlog so far.)
    feed.sync_mut().on_disconnect(Untrusted::Disconnected);
    let mut before = None;
    let mut frames_counted = 0;
    for (local, frame) in &frames {
        let update = feed.on_frame(frame, *local);
        assert!(!matches!(update, FeedUpdate::Book(SyncStatus::Lost(_))));
        if update == FeedUpdate::Book(SyncStatus::Synced) {
            before = Some(allocations());
        } else if before.is_some() {
            frames_counted += 1;
        }
    }
    let steady = allocations() - before.unwrap();
    assert!(feed.sync().trusted_book().is_some());
    eprintln!(
        "{frames_counted} frames (depth, trades, bookTickers) in steady state: {steady} allocations"
    );
    assert!(frames_counted > 90_000);
    assert_eq!(steady, 0);
}

#[test]
fn okx_frames_with_checksums_do_not_allocate_once_warm() {
    let stream = load_book_stream().unwrap();
    let frames = okx_book_frames(&stream, &stream.diffs);
    let instrument = okx_instrument(&stream);
    let decoder = OkxDecoder::new(Instruments::new(instrument.clone()));
    let mut feed = InstrumentFeed::new(&instrument, decoder, OkxSequencer::new());
    // Twice through: the first pass warms, the second (from the snapshot
    // frame again) is the steady state.
    for frame in &frames {
        feed.on_frame(frame, UnixNanos::new(0));
    }
    let before = allocations();
    for frame in &frames {
        feed.on_frame(frame, UnixNanos::new(0));
    }
    let steady = allocations() - before;
    let stats = feed.sync().stats();
    assert_eq!((stats.checksum_failures, stats.gaps), (0, 0));
    assert_eq!(stats.checksums_verified, 2 * frames.len() as u64);
    assert_eq!(steady, 0, "{} OKX frames", frames.len());
}
