//! Order-book hot paths on the real Binance USD-M BTCUSDT capture. Two
//! baselines run beside `OrderBook` in the same process, so their ratios hold
//! on a noisy machine: the naive `BTreeMap` book, and a dense ladder spanning
//! every price in the capture (~95 MiB), the speed ideal whose figure shows
//! how fast the host is running at the time.
//!
//! `cargo bench -p kestrel-benches --bench book`
//!
//! * `apply_stream/*`: the capture's 443,262 synced level updates, applied
//!   after its snapshot; time per iteration ÷ 443,262 = ns per update.
//! * `best_bid_ask/*`: one read of best bid and best ask (two reads).
//! * `top20/*`: the best 20 levels of both sides, as a snapshot (two new
//!   vectors, like the reference's).
#![allow(clippy::expect_used)] // a bench without its data has nothing to measure

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kestrel_benches::dense::DenseLadder;
use kestrel_benches::load_book_stream;
use kestrel_book::OrderBook;
use kestrel_book::reference::ReferenceBook;
use kestrel_model::Side;

fn book_benches(c: &mut Criterion) {
    let stream = load_book_stream().expect("bundled capture");
    let mut fresh = OrderBook::new(&stream.instrument);
    fresh.load_snapshot(&stream.snapshot).expect("snapshot");
    let mut fresh_reference = ReferenceBook::new();
    fresh_reference.load_snapshot(&stream.snapshot);
    let fresh_dense = DenseLadder::from_snapshot(stream.prices(), &stream.snapshot);

    // Book state at the end of the capture, for the read benchmarks.
    let (mut end, mut end_reference, mut end_dense) =
        (fresh.clone(), fresh_reference.clone(), fresh_dense.clone());
    for u in &stream.updates {
        end.update_level(u.side, u.price, u.qty);
        end_reference.update_level(u.side, u.price, u.qty);
        end_dense.update(u);
    }
    assert_eq!(
        (end.best_bid(), end.best_ask()),
        (end_reference.best_bid(), end_reference.best_ask())
    );
    assert_eq!(
        (end.best_bid(), end.best_ask()),
        (end_dense.best(Side::Buy), end_dense.best(Side::Sell))
    );
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
    eprintln!(
        "book after the capture: {} / {} levels, {} / {} far, {:.2} MiB heap; dense ladder {:.1} MiB",
        end.level_count(Side::Buy),
        end.level_count(Side::Sell),
        end.far_level_count(Side::Buy),
        end.far_level_count(Side::Sell),
        mib(end.heap_bytes()),
        mib(end_dense.heap_bytes()),
    );

    let mut group = c.benchmark_group("apply_stream");
    group.throughput(Throughput::Elements(stream.updates.len() as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    // Setup clones outside the timed routine, which touches every page first.
    group.bench_function("order_book", |b| {
        b.iter_batched_ref(
            || fresh.clone(),
            |book| {
                for u in &stream.updates {
                    book.update_level(u.side, u.price, u.qty);
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("btreemap_reference", |b| {
        b.iter_batched_ref(
            || fresh_reference.clone(),
            |book| {
                for u in &stream.updates {
                    book.update_level(u.side, u.price, u.qty);
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("dense_ladder_baseline", |b| {
        b.iter_batched_ref(
            || fresh_dense.clone(),
            |ladder| {
                for u in &stream.updates {
                    ladder.update(u);
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    let mut group = c.benchmark_group("best_bid_ask");
    group.bench_function("order_book", |b| {
        b.iter(|| {
            let book = black_box(&end);
            (book.best_bid(), book.best_ask())
        });
    });
    group.bench_function("btreemap_reference", |b| {
        b.iter(|| {
            let book = black_box(&end_reference);
            (book.best_bid(), book.best_ask())
        });
    });
    group.bench_function("dense_ladder_baseline", |b| {
        b.iter(|| {
            let ladder = black_box(&end_dense);
            (ladder.best(Side::Buy), ladder.best(Side::Sell))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("top20");
    group.bench_function("order_book", |b| b.iter(|| black_box(&end).snapshot(20)));
    group.bench_function("btreemap_reference", |b| {
        b.iter(|| {
            let book = black_box(&end_reference);
            (book.top(Side::Buy, 20), book.top(Side::Sell, 20))
        });
    });
    group.finish();
}

criterion_group!(benches, book_benches);
criterion_main!(benches);
