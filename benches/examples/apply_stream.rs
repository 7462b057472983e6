//! Applies the bundled capture's 443,262 level updates once, to the book
//! named on the command line, for instruction counting under callgrind,
//! which is stable where wall time on a shared machine is not:
//!
//! ```sh
//! cargo build --release -p kestrel-benches --example apply_stream
//! for book in none order_book dense btreemap; do
//!   valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file=/dev/null \
//!     target/release/examples/apply_stream $book
//! done
//! ```
//!
//! `none` loads the stream without applying it; subtracting its count from
//! the others leaves the cost of the updates alone.
#![allow(clippy::expect_used)] // a bench without its data has nothing to measure

use std::hint::black_box;

use kestrel_benches::dense::DenseLadder;
use kestrel_benches::load_book_stream;
use kestrel_book::OrderBook;
use kestrel_book::reference::ReferenceBook;
use kestrel_model::{LevelUpdate, Side};

/// The timed loop, kept out of line so profiles and disassembly isolate it.
#[inline(never)]
fn apply(book: &mut OrderBook, updates: &[LevelUpdate]) {
    for u in updates {
        book.update_level(u.side, u.price, u.qty);
    }
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let stream = load_book_stream().expect("bundled capture");
    match which.as_str() {
        "none" => {}
        "order_book" => {
            let mut book = OrderBook::new(&stream.instrument);
            book.load_snapshot(&stream.snapshot).expect("snapshot");
            apply(&mut book, black_box(&stream.updates));
            println!("{:?} {:?}", book.best_bid(), book.best_ask());
        }
        "dense" => {
            let mut ladder = DenseLadder::from_snapshot(stream.prices(), &stream.snapshot);
            for u in black_box(&stream.updates) {
                ladder.update(u);
            }
            println!("{:?} {:?}", ladder.best(Side::Buy), ladder.best(Side::Sell));
        }
        "btreemap" => {
            let mut book = ReferenceBook::new();
            book.load_snapshot(&stream.snapshot);
            for u in black_box(&stream.updates) {
                book.update_level(u.side, u.price, u.qty);
            }
            println!("{:?} {:?}", book.best_bid(), book.best_ask());
        }
        other => {
            eprintln!("usage: apply_stream none|order_book|dense|btreemap (got {other:?})");
            std::process::exit(2);
        }
    }
}
