//! Replays the bundled Bybit capture through the same pipeline a live
//! session uses, and checks it against the end state published with the
//! data (`data/sample/README.md`), which we did not compute.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_bybit::{BybitDecoder, BybitSequencer};
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::{FeedUpdate, InstrumentFeed, Instruments, SyncStatus};
use kestrel_model::{Price, UnixNanos};
use kestrel_registry::testing::bybit_linear_xrpusdt;

#[test]
fn bybit_linear_xrpusdt_snapshot_then_deltas() {
    let instrument = bybit_linear_xrpusdt();
    let decoder = BybitDecoder::new(Instruments::new(instrument.clone()));
    let mut feed = InstrumentFeed::new(&instrument, decoder, BybitSequencer::new());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../data/sample/bybit_linear_xrpusdt_ob500_2024-12-01.data.gz");
    let mut reader = CaptureReader::open(&path).unwrap();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        let local = frame.local.unwrap_or(UnixNanos::new(0));
        match feed.on_frame(frame.frame, local) {
            FeedUpdate::Book(SyncStatus::Lost(reason)) => {
                panic!("line {}: book lost: {reason:?}", frame.line)
            }
            FeedUpdate::Malformed(e) => panic!("line {}: {e}", frame.line),
            _ => {}
        }
    }
    let sync = feed.sync().stats();
    assert_eq!((sync.snapshots, sync.deltas_applied, sync.gaps), (1, 49, 0));
    let book = feed.sync().trusted_book().unwrap();
    // data/README.md: `u` runs 20254869 → 20254918 and the book ends at
    // 1.9537 / 1.9538.
    assert_eq!(book.last_update_id(), 20_254_918);
    let tick = &instrument.tick;
    assert_eq!(
        book.best_bid().unwrap().price,
        Price::parse("1.9537", tick).unwrap()
    );
    assert_eq!(
        book.best_ask().unwrap().price,
        Price::parse("1.9538", tick).unwrap()
    );
}
