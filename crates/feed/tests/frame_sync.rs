//! `FrameSync` feeding a caller that keeps its own book, as the kernel does,
//! on Binance USDⓈ-M frames.
#![allow(clippy::unwrap_used, clippy::panic)]

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_book::OrderBook;
use kestrel_feed::*;
use kestrel_model::*;
use kestrel_registry::testing::usdm_btcusdt;

/// A caller keeping its own book, as the kernel does.
struct Caller {
    sync: FrameSync<BinanceDecoder, FuturesSequencer>,
    slot: FeedEvent,
    book: OrderBook,
}

impl Caller {
    fn new() -> Self {
        let instrument = usdm_btcusdt();
        Self {
            sync: FrameSync::new(
                BinanceDecoder::new(Instruments::new(instrument.clone())),
                FuturesSequencer::new(),
            ),
            slot: FeedEvent::new(instrument.id),
            book: OrderBook::new(&instrument),
        }
    }

    /// Feeds a frame; the kinds of the events it made, each applied and
    /// verified.
    fn frame(&mut self, text: &str) -> Vec<(FeedKind, Option<SyncStatus>)> {
        let mut out = Vec::new();
        let mut made = self
            .sync
            .on_frame(text.as_bytes(), UnixNanos::new(1), &mut self.slot);
        while made {
            let status = match self.slot.kind {
                FeedKind::Delta => {
                    self.book.apply_delta(&self.slot.delta).unwrap();
                    Some(self.sync.verify(&self.book, self.slot.checksum))
                }
                FeedKind::Snapshot => {
                    self.book.load_snapshot(&self.slot.snapshot).unwrap();
                    Some(self.sync.verify(&self.book, self.slot.checksum))
                }
                FeedKind::Trade | FeedKind::Gap => None,
            };
            out.push((self.slot.kind, status));
            made = self.sync.next_held(&mut self.slot);
        }
        out
    }
}

fn snapshot(id: u64, bid: &str, ask: &str) -> String {
    format!(
        r#"{{"lastUpdateId":{id},"E":1,"T":1,"bids":[["{bid}","1.000"]],"asks":[["{ask}","1.000"]]}}"#
    )
}

fn diff(first: u64, last: u64, prev: u64, bid: &str) -> String {
    format!(
        r#"{{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":{first},"u":{last},"pu":{prev},"b":[["{bid}","1.000"]],"a":[]}}"#
    )
}

#[test]
fn a_crossed_book_is_lost_and_its_diffs_held_for_the_next_snapshot() {
    let mut c = Caller::new();
    c.frame(&snapshot(10, "100.0", "100.2"));
    let joined = c.frame(&diff(9, 11, 8, "100.1"));
    assert_eq!(joined, [(FeedKind::Delta, Some(SyncStatus::Synced))]);
    // A bid through the ask: the book cannot be the venue's.
    let crossed = c.frame(&diff(12, 12, 11, "100.3"));
    assert_eq!(
        crossed,
        [(FeedKind::Delta, Some(SyncStatus::Lost(Untrusted::Crossed)))]
    );
    assert_eq!(c.sync.stats().crossed, 1);
    assert_eq!(c.sync.trust(), Trust::Untrusted(Untrusted::Crossed));
    // Held until a snapshot bridges it, then released after it.
    assert!(c.frame(&diff(13, 13, 12, "99.9")).is_empty());
    let resynced = c.frame(&snapshot(13, "100.0", "100.4"));
    assert_eq!(
        resynced,
        [
            (FeedKind::Snapshot, Some(SyncStatus::Rebuilding)),
            (FeedKind::Delta, Some(SyncStatus::Synced)),
        ]
    );
    assert_eq!(c.sync.stats().syncs, 2);
}
