//! Market-data hot paths on the real Binance USD-M BTCUSDT capture, frames
//! held in memory (no gunzip in the timed loop). Baselines run beside ours in
//! the same process, so their ratios hold on a noisy machine.
//!
//! `cargo bench -p kestrel-benches --bench feed`
//!
//! * `binance_depth/*`: the 6,545 depth frames after the snapshot (443,193
//!   level updates; time ÷ elements = ns per level update).
//!   `kestrel_pipeline` is decode + sync + apply through `InstrumentFeed`;
//!   `serde_json_btreemap` is the common alternative: serde_json into
//!   borrowed structs, the same sequencer, a `BTreeMap` book. The
//!   `decode_*` rows are decoding alone, with exact decimal conversion, for
//!   our scanner, serde_json and the SIMD parser sonic-rs.
//! * `binance_trade/*`: the 21,313 trade frames, decoded (ns per frame), by
//!   us and by serde_json; the `_cached` rows cycle over 256 frames that stay
//!   in cache, as a frame fresh from the socket is.
//! * `okx_books/*`: the same diffs as OKX `books` frames with real checksums:
//!   decode + sequence + apply + CRC32 of the top 25 levels per frame.
#![allow(clippy::expect_used)] // a bench without its data has nothing to measure

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kestrel_benches::baseline::{serde_json_depth, serde_json_trade, sonic_depth};
use kestrel_benches::okx::{okx_book_frames, okx_instrument};
use kestrel_benches::{load_book_stream, load_frames, sample_capture};
use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_book::reference::ReferenceBook;
use kestrel_feed::{
    Decoded, FrameDecoder, InstrumentFeed, Instruments, Sequencer, SyncStatus, Verdict,
};
use kestrel_model::{LevelUpdate, UnixNanos};
use kestrel_okx::{OkxDecoder, OkxSequencer};

type BinanceFeed = InstrumentFeed<BinanceDecoder, FuturesSequencer>;

fn feed_benches(c: &mut Criterion) {
    let stream = load_book_stream().expect("bundled capture");
    let instrument = stream.instrument.clone();
    let frames = load_frames(&sample_capture()).expect("bundled capture");
    let snapshot_at = frames
        .iter()
        .position(|(_, f)| f.starts_with(b"{\"lastUpdateId\""))
        .expect("a snapshot line");
    let is = |f: &[u8], kind: &[u8]| f.windows(kind.len()).any(|w| w == kind);
    let warmup: Vec<&[u8]> = frames[..=snapshot_at]
        .iter()
        .map(|(_, f)| f.as_slice())
        .filter(|f| is(f, b"\"depthUpdate\"") || is(f, b"lastUpdateId"))
        .collect();
    let depth: Vec<&[u8]> = frames[snapshot_at + 1..]
        .iter()
        .map(|(_, f)| f.as_slice())
        .filter(|f| is(f, b"\"depthUpdate\""))
        .collect();
    let trades: Vec<&[u8]> = frames
        .iter()
        .map(|(_, f)| f.as_slice())
        .filter(|f| is(f, b"\"e\":\"trade\""))
        .collect();

    let synced_feed = || -> BinanceFeed {
        let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
        let mut feed = InstrumentFeed::new(&instrument, decoder, FuturesSequencer::new());
        for f in &warmup {
            feed.on_frame(f, UnixNanos::new(0));
        }
        assert!(feed.sync().trusted_book().is_some());
        feed
    };
    let levels: u64 = {
        let mut feed = synced_feed();
        let before = feed.sync().stats().levels_applied;
        for f in &depth {
            assert_eq!(
                feed.on_frame(f, UnixNanos::new(0)),
                kestrel_feed::FeedUpdate::Book(SyncStatus::Applied)
            );
        }
        feed.sync().stats().levels_applied - before
    };
    eprintln!(
        "{} depth frames after the snapshot, {levels} level updates ({:.1} per frame); {} trade frames",
        depth.len(),
        levels as f64 / depth.len() as f64,
        trades.len()
    );

    let mut g = c.benchmark_group("binance_depth");
    g.throughput(Throughput::Elements(levels));
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("kestrel_pipeline", |b| {
        b.iter_batched_ref(
            synced_feed,
            |feed| {
                for f in &depth {
                    black_box(feed.on_frame(f, UnixNanos::new(0)));
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("serde_json_btreemap", |b| {
        // The same start as the pipeline's: snapshot, then the buffered
        // diffs that bridge it.
        let mut book = ReferenceBook::new();
        book.load_snapshot(&stream.snapshot);
        let mut seq = FuturesSequencer::new();
        seq.on_snapshot(stream.snapshot.last_update_id);
        let mut updates: Vec<LevelUpdate> = Vec::new();
        for f in &warmup {
            if let Some(env) = serde_json_depth(f) {
                if seq.on_delta(&env.data.ids()) == Verdict::Apply {
                    env.data.levels_into(&instrument, &mut updates);
                    for u in &updates {
                        book.update_level(u.side, u.price, u.qty);
                    }
                }
            }
        }
        b.iter_batched_ref(
            || (book.clone(), seq.clone()),
            |(book, seq)| {
                for f in &depth {
                    let Some(env) = serde_json_depth(f) else {
                        continue;
                    };
                    if seq.on_delta(&env.data.ids()) == Verdict::Apply
                        && env.data.levels_into(&instrument, &mut updates).is_some()
                    {
                        for u in &updates {
                            book.update_level(u.side, u.price, u.qty);
                        }
                    }
                }
                black_box(book.best_bid());
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode_kestrel", |b| {
        let mut decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
        b.iter(|| {
            for f in &depth {
                if let Ok(Decoded::Delta { delta, .. }) = decoder.decode(f, UnixNanos::new(0)) {
                    black_box(delta.updates.len());
                }
            }
        })
    });
    g.bench_function("decode_serde_json", |b| {
        let mut updates: Vec<LevelUpdate> = Vec::with_capacity(2048);
        b.iter(|| {
            for f in &depth {
                if let Some(env) = serde_json_depth(f) {
                    black_box(env.data.levels_into(&instrument, &mut updates));
                }
            }
        })
    });
    g.bench_function("decode_sonic_rs", |b| {
        let mut updates: Vec<LevelUpdate> = Vec::with_capacity(2048);
        b.iter(|| {
            for f in &depth {
                if let Some(env) = sonic_depth(f) {
                    black_box(env.data.levels_into(&instrument, &mut updates));
                }
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("binance_trade");
    g.throughput(Throughput::Elements(trades.len() as u64));
    g.sample_size(30);
    g.bench_function("decode_kestrel", |b| {
        let mut decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
        b.iter(|| {
            for f in &trades {
                if let Ok(Decoded::Trades(t)) = decoder.decode(f, UnixNanos::new(0)) {
                    black_box(t[0].price);
                }
            }
        })
    });
    g.bench_function("decode_serde_json", |b| {
        b.iter(|| {
            for f in &trades {
                black_box(serde_json_trade(f, &instrument));
            }
        })
    });
    // A live frame is decoded right after the socket wrote it, so it is in
    // cache; the whole capture (4 MB of trade frames, each its own
    // allocation) is not. These rows cycle over 256 frames that stay cached.
    let hot = &trades[..256.min(trades.len())];
    g.throughput(Throughput::Elements(hot.len() as u64));
    g.bench_function("decode_kestrel_cached", |b| {
        let mut decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
        b.iter(|| {
            for f in hot {
                if let Ok(Decoded::Trades(t)) = decoder.decode(f, UnixNanos::new(0)) {
                    black_box(t[0].price);
                }
            }
        })
    });
    g.bench_function("decode_serde_json_cached", |b| {
        b.iter(|| {
            for f in hot {
                black_box(serde_json_trade(f, &instrument));
            }
        })
    });
    g.finish();

    let okx = okx_instrument(&stream);
    let okx_frames = okx_book_frames(&stream, &stream.diffs);
    let okx_levels: u64 = stream.diffs.iter().map(|d| d.len() as u64).sum();
    let synced_okx = || {
        let decoder = OkxDecoder::new(Instruments::new(okx.clone()));
        let mut feed = InstrumentFeed::new(&okx, decoder, OkxSequencer::new());
        feed.on_frame(&okx_frames[0], UnixNanos::new(0));
        feed
    };
    {
        let mut feed = synced_okx();
        for f in &okx_frames[1..] {
            feed.on_frame(f, UnixNanos::new(0));
        }
        let stats = feed.sync().stats();
        assert_eq!(stats.checksum_failures, 0);
        assert_eq!(stats.checksums_verified, okx_frames.len() as u64);
        eprintln!(
            "{} OKX update frames, {okx_levels} level updates, every checksum verified",
            okx_frames.len() - 1
        );
    }
    let mut g = c.benchmark_group("okx_books");
    g.throughput(Throughput::Elements(okx_frames.len() as u64 - 1));
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("kestrel_pipeline_with_checksum", |b| {
        b.iter_batched_ref(
            synced_okx,
            |feed| {
                for f in &okx_frames[1..] {
                    black_box(feed.on_frame(f, UnixNanos::new(0)));
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, feed_benches);
criterion_main!(benches);
