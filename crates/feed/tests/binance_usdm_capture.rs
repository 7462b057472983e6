//! Replays the bundled real Binance USD-M BTCUSDT capture into an `OrderBook`
//! and checks it against the end-state oracle published with the data
//! (`data/sample/README.md`), which we did not compute.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_book::OrderBook;
use kestrel_feed::binance::instruments::usdm_btcusdt;
use kestrel_feed::binance::{CaptureReader, CaptureReplay, SyncedEvent};
use kestrel_model::Side;

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_usdm_btcusdt_20240808.raw.gz")
}

#[test]
fn replay_matches_the_published_oracle_and_never_crosses() {
    let instrument = usdm_btcusdt();
    let mut book = OrderBook::new(&instrument);
    let mut replay = CaptureReplay::new(CaptureReader::open(&capture(), instrument).unwrap());
    let mut first_delta = None;
    for event in replay.by_ref() {
        match event.unwrap() {
            SyncedEvent::Snapshot(snapshot) => {
                assert_eq!(snapshot.last_update_id, 5_123_107_852_948);
                assert_eq!((snapshot.bids.len(), snapshot.asks.len()), (1000, 1000));
                book.load_snapshot(&snapshot).unwrap();
            }
            SyncedEvent::Delta(delta) => {
                first_delta.get_or_insert(delta.ids);
                book.apply_delta(&delta).unwrap();
                assert_eq!(book.check(), Ok(()), "crossed after u={}", delta.ids.last);
            }
        }
    }
    let stats = replay.stats();
    // data/README.md: 6 diffs precede the snapshot, 4 of them too old; the
    // first applied is (U, u) = (5123107850310, 5123107853551); 0 gaps.
    assert_eq!(stats.deltas_stale, 4);
    let first = first_delta.unwrap();
    assert_eq!(
        (first.first, first.last),
        (5_123_107_850_310, 5_123_107_853_551)
    );
    assert_eq!(stats.deltas_applied, 6_551 - 4);
    assert_eq!(stats.malformed, 0);
    assert_eq!(stats.snapshots, 1);
    assert_eq!(stats.other, 21_313 + 66_089);

    // The oracle: last u, best bid/ask and level counts at the end of the file.
    assert_eq!(book.last_update_id(), 5_123_135_475_514);
    let tick = *book.tick();
    assert_eq!(
        book.best_bid().unwrap().price.display(&tick).as_str(),
        "61659.70"
    );
    assert_eq!(
        book.best_ask().unwrap().price.display(&tick).as_str(),
        "61659.80"
    );
    assert_eq!(book.level_count(Side::Buy), 5018);
    assert_eq!(book.level_count(Side::Sell), 4578);
    // Levels ten times away from the touch live in the far store, bounded memory.
    assert!(book.far_level_count(Side::Sell) > 0 && book.far_level_count(Side::Buy) > 0);
    assert!(book.heap_bytes() < 8 << 20, "{} bytes", book.heap_bytes());
}
