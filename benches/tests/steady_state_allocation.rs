//! "No allocation per update in steady state", checked by counting every
//! heap allocation while the real capture's 443k level updates are applied.
#![allow(clippy::unwrap_used)]

use kestrel_benches::alloc_count::{Counting, allocations};
use kestrel_benches::load_book_stream;
use kestrel_book::OrderBook;

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn applying_the_real_stream_does_not_allocate_once_warm() {
    let stream = load_book_stream().unwrap();
    let mut book = OrderBook::new(&stream.instrument);
    let apply_all = |book: &mut OrderBook| {
        book.load_snapshot(&stream.snapshot).unwrap();
        let before = allocations();
        for u in &stream.updates {
            book.update_level(u.side, u.price, u.qty);
        }
        allocations() - before
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
