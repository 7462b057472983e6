//! Fault-injected replays of the real captures: frames dropped, duplicated,
//! reordered, truncated, replaced by garbage or tampered with, the snapshot
//! missing, connections dropped. The client must never panic, must never
//! serve a book that differs from the venue's, and must end resynced to the
//! true book.
//!
//! The "venue" is a second, clean replay of the same capture: its book is the
//! truth at every point, and it answers the client's snapshot requests the
//! way Binance's REST endpoint would, a few frames later.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_binance::{BinanceDecoder, FuturesSequencer, SpotSequencer};
use kestrel_book::OrderBook;
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::{FeedUpdate, InstrumentFeed, Instruments, Sequencer, SyncStatus, Untrusted};
use kestrel_model::{Instrument, Side, UnixNanos};
use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};

/// Frames used from each capture: enough for many faults and resyncs while
/// keeping the debug-build test quick.
const FRAMES: usize = 30_000;

/// Frames between a snapshot request and its answer (the REST round trip).
const SNAPSHOT_DELAY: usize = 3;

fn load(name: &str) -> Vec<(UnixNanos, Vec<u8>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample")
        .join(name);
    let mut reader = CaptureReader::open(&path).unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        frames.push((frame.local.unwrap(), frame.frame.to_vec()));
        if frames.len() == FRAMES {
            break;
        }
    }
    frames
}

/// xorshift64*: a seeded, dependency-free source of fault decisions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// Fault rates, per thousand frames.
#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    drop: u64,
    duplicate: u64,
    reorder: u64,
    truncate: u64,
    garbage: u64,
    tamper_ids: u64,
    disconnect: u64,
    drop_snapshot: bool,
}

#[derive(Debug, Default)]
struct Outcome {
    faults: u64,
    losses: u64,
    resyncs: u64,
    malformed: u64,
    checks: u64,
}

fn is_depth(frame: &[u8]) -> bool {
    frame.windows(13).any(|w| w == b"\"depthUpdate\"")
}

fn is_snapshot(frame: &[u8]) -> bool {
    frame.starts_with(b"{\"lastUpdateId\"")
}

/// Rewrites one digit of the frame's previous-id field (`pu` on futures,
/// `U` on spot): the data is intact but the chain looks broken.
fn tamper_ids(frame: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    let key: &[u8] = if frame.windows(5).any(|w| w == b"\"pu\":") {
        b"\"pu\":"
    } else {
        b"\"U\":"
    };
    if let Some(at) = out.windows(key.len()).position(|w| w == key) {
        let digit = at + key.len() + 3;
        out[digit] = if out[digit] == b'9' {
            b'0'
        } else {
            out[digit] + 1
        };
    }
    out
}

fn books_equal(a: &OrderBook, b: &OrderBook) -> bool {
    [Side::Buy, Side::Sell]
        .into_iter()
        .all(|side| a.levels(side).eq(b.levels(side)))
}

fn run<S: Sequencer>(
    file: &str,
    instrument: &Instrument,
    sequencer: impl Fn() -> S,
    faults: Faults,
    seed: u64,
) -> Outcome {
    let frames = load(file);
    let decoder = || BinanceDecoder::new(Instruments::new(instrument.clone()));
    let mut venue = InstrumentFeed::new(instrument, decoder(), sequencer());
    let mut client = InstrumentFeed::new(instrument, decoder(), sequencer());
    let mut rng = Rng(seed | 1);
    let mut out = Outcome::default();
    // The client asks for a snapshot whenever it is untrusted and has not
    // asked yet; the venue answers SNAPSHOT_DELAY frames later.
    let mut requested_at: Option<usize> = None;
    let mut held: Option<(UnixNanos, Vec<u8>)> = None;
    let quiet_tail = frames.len() * 9 / 10;
    let deliver =
        |client: &mut InstrumentFeed<BinanceDecoder, S>, frame: &[u8], out: &mut Outcome| {
            match client.on_frame(frame, UnixNanos::new(0)) {
                FeedUpdate::Book(SyncStatus::Lost(_))
                | FeedUpdate::Quote(_, Some(SyncStatus::Lost(_))) => out.losses += 1,
                FeedUpdate::Book(SyncStatus::Synced) => out.resyncs += 1,
                FeedUpdate::Malformed(_) => out.malformed += 1,
                _ => {}
            }
        };

    for (i, (local, frame)) in frames.iter().enumerate() {
        venue.on_frame(frame, *local);
        let faulty = i < quiet_tail;
        if is_snapshot(frame) && faults.drop_snapshot {
            out.faults += 1;
        } else if faulty && faults.disconnect > 0 && rng.chance(faults.disconnect) {
            // The connection drops; the frames in flight are lost.
            out.faults += 1;
            client.sync_mut().on_disconnect(Untrusted::Disconnected);
            out.losses += 1;
        } else if faulty && rng.chance(faults.drop) {
            out.faults += 1;
        } else if faulty && rng.chance(faults.duplicate) {
            out.faults += 1;
            deliver(&mut client, frame, &mut out);
            deliver(&mut client, frame, &mut out);
        } else if faulty && held.is_none() && rng.chance(faults.reorder) {
            out.faults += 1;
            held = Some((*local, frame.clone()));
            continue;
        } else if faulty && rng.chance(faults.truncate) {
            out.faults += 1;
            let cut = (rng.next() as usize) % frame.len().max(1);
            deliver(&mut client, &frame[..cut], &mut out);
        } else if faulty && rng.chance(faults.garbage) {
            out.faults += 1;
            let junk: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
            deliver(&mut client, &junk, &mut out);
        } else if faulty && is_depth(frame) && rng.chance(faults.tamper_ids) {
            out.faults += 1;
            deliver(&mut client, &tamper_ids(frame), &mut out);
        } else {
            deliver(&mut client, frame, &mut out);
        }
        if let Some((_, late)) = held.take() {
            deliver(&mut client, &late, &mut out);
        }

        // Snapshot requests, answered from the venue's true book.
        let trusted = client.sync().trusted_book().is_some();
        match requested_at {
            None if !trusted && venue.sync().trusted_book().is_some() => requested_at = Some(i),
            Some(at) if i >= at + SNAPSHOT_DELAY => {
                requested_at = None;
                if !trusted {
                    let snapshot = venue.sync().book().snapshot(usize::MAX);
                    if let SyncStatus::Synced = client.sync_mut().on_snapshot(&snapshot, None) {
                        out.resyncs += 1;
                    }
                }
            }
            _ => {}
        }

        // Whenever the client serves a book at the venue's update id, it must
        // be the venue's book.
        if let Some(book) = client.sync().trusted_book() {
            assert!(!book.is_crossed());
            let truth = venue.sync().book();
            if book.last_update_id() == truth.last_update_id() && i % 97 == 0 {
                assert!(
                    books_equal(book, truth),
                    "frame {i}: trusted book differs from the venue's"
                );
                out.checks += 1;
            }
        }
    }
    let book = client.sync().trusted_book().expect("resynced by the end");
    let truth = venue.sync().trusted_book().unwrap();
    assert_eq!(book.last_update_id(), truth.last_update_id());
    assert!(
        books_equal(book, truth),
        "end state differs from the true book"
    );
    out
}

fn usdm(faults: Faults, seed: u64) -> Outcome {
    run(
        "binance_usdm_btcusdt_20240808.raw.gz",
        &usdm_btcusdt(),
        FuturesSequencer::new,
        faults,
        seed,
    )
}

#[test]
fn every_fault_at_once_on_futures() {
    let faults = Faults {
        drop: 3,
        duplicate: 3,
        reorder: 3,
        truncate: 3,
        garbage: 3,
        tamper_ids: 3,
        disconnect: 1,
        drop_snapshot: false,
    };
    for seed in [1, 2, 3] {
        let out = usdm(faults, seed);
        assert!(
            out.faults > 300 && out.losses > 10 && out.resyncs > 10,
            "{out:?}"
        );
        assert!(out.malformed > 0 && out.checks > 0, "{out:?}");
    }
}

#[test]
fn each_fault_alone_on_futures() {
    let one = |f: fn(&mut Faults)| {
        let mut faults = Faults::default();
        f(&mut faults);
        faults
    };
    for (name, faults) in [
        ("drop", one(|f| f.drop = 10)),
        ("duplicate", one(|f| f.duplicate = 10)),
        ("reorder", one(|f| f.reorder = 10)),
        ("truncate", one(|f| f.truncate = 10)),
        ("garbage", one(|f| f.garbage = 10)),
        ("sequence gap", one(|f| f.tamper_ids = 20)),
        ("disconnect", one(|f| f.disconnect = 2)),
    ] {
        let out = usdm(faults, 7);
        assert!(out.faults > 0, "{name}: {out:?}");
        println!("{name}: {out:?}");
    }
}

#[test]
fn a_missing_snapshot_is_fetched_on_request() {
    let out = usdm(
        Faults {
            drop_snapshot: true,
            ..Faults::default()
        },
        11,
    );
    assert_eq!(out.faults, 1);
    assert!(out.resyncs >= 1, "{out:?}");
}

#[test]
fn duplicates_are_dropped_without_a_resync() {
    let out = usdm(
        Faults {
            duplicate: 20,
            ..Faults::default()
        },
        5,
    );
    assert!(out.faults > 100);
    assert_eq!(out.losses, 0, "{out:?}");
}

#[test]
fn every_fault_at_once_on_spot() {
    let faults = Faults {
        drop: 3,
        duplicate: 3,
        reorder: 3,
        truncate: 3,
        garbage: 3,
        tamper_ids: 5,
        disconnect: 1,
        drop_snapshot: true,
    };
    let out = run(
        "binance_spot_btcusdt_20240808.raw.gz",
        &spot_btcusdt(),
        SpotSequencer::new,
        faults,
        42,
    );
    assert!(out.faults > 100 && out.losses > 3, "{out:?}");
}
