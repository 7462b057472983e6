//! The near-touch split of `FrameSync` on Binance USDⓈ-M diffs: the levels a
//! trader needs first, then the rest, checked against the whole decode.
#![allow(clippy::unwrap_used, clippy::panic)]

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_feed::*;
use kestrel_model::{Price, TouchBounds, UnixNanos};
use kestrel_registry::testing::usdm_btcusdt;

type Sync = FrameSync<BinanceDecoder, FuturesSequencer>;

fn list(prices: impl Iterator<Item = i64>) -> String {
    prices
        .map(|t| format!(r#"["{}.{}","1.000"]"#, t / 10, t % 10))
        .collect::<Vec<_>>()
        .join(",")
}

/// A synced feed: a snapshot at update id 10, and the diff after it.
fn synced() -> (Sync, FeedEvent) {
    let instrument = usdm_btcusdt();
    let mut sync = FrameSync::new(
        BinanceDecoder::new(Instruments::new(instrument.clone())),
        FuturesSequencer::new(),
    );
    let mut slot = FeedEvent::new(instrument.id);
    let snapshot = format!(
        r#"{{"lastUpdateId":10,"E":1,"T":1,"symbol":"BTCUSDT","bids":[{}],"asks":[{}]}}"#,
        list((0..100).map(|k| 10_000 - k)),
        list((0..100).map(|k| 10_001 + k)),
    );
    assert!(sync.on_frame(snapshot.as_bytes(), UnixNanos::new(1), &mut slot));
    // The diff that bridges it; the next continues a live book.
    let bridge =
        r#"{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":9,"u":10,"pu":8,"b":[],"a":[]}"#;
    assert!(sync.on_frame(bridge.as_bytes(), UnixNanos::new(1), &mut slot));
    (sync, slot)
}

/// A diff after the snapshot, each side worst first as USD-M sends
/// them: 60 bids below 1000.0, 60 asks above it.
fn diff(bids: &[i64], asks: &[i64]) -> String {
    format!(
        r#"{{"stream":"btcusdt@depth@0ms","data":{{"e":"depthUpdate","E":2,"T":2,"s":"BTCUSDT","U":11,"u":12,"pu":10,"b":[{}],"a":[{}]}}}}"#,
        list(bids.iter().copied()),
        list(asks.iter().copied()),
    )
}

fn bounds() -> Option<TouchBounds> {
    Some(TouchBounds {
        bid: Some(Price::from_ticks(9_990)),
        ask: Some(Price::from_ticks(10_010)),
    })
}

fn sides() -> (Vec<i64>, Vec<i64>) {
    ((9_941..10_001).collect(), (10_001..10_061).rev().collect())
}

#[test]
fn a_diff_in_price_order_splits_and_joins_again() {
    let (mut sync, mut slot) = synced();
    let (bids, asks) = sides();
    let frame = diff(&bids, &asks);
    let FrameStart::Near(beyond) =
        sync.on_frame_near(frame.as_bytes(), UnixNanos::new(2), bounds(), &mut slot)
    else {
        panic!("not split");
    };
    // Read from each side's near end to the first level beyond.
    assert_eq!(beyond.bid, Some(Price::from_ticks(9_989)));
    assert_eq!(beyond.ask, Some(Price::from_ticks(10_011)));
    let mut near = 0;
    assert!(sync.take_near(frame.as_bytes(), beyond, |part, _| {
        near = part.len();
        None
    }));
    assert_eq!(near, 12 + 11);
    let end = sync.finish_near(frame.as_bytes(), UnixNanos::new(2), &mut slot);
    assert_eq!(end.fault, None);
    assert_eq!(end.rest.len(), 120 - near);
    assert_eq!(slot.delta.updates.len(), 120);
    assert_eq!(slot.kind, FeedKind::Delta);
    assert!(sync.is_synced());
}

#[test]
fn a_level_near_the_touch_listed_late_is_a_fault_and_a_gap() {
    let (mut sync, mut slot) = synced();
    let (mut bids, asks) = sides();
    // The best bid moves from the near end to the middle of the list.
    let best = bids.pop().unwrap();
    bids.insert(30, best);
    let frame = diff(&bids, &asks);
    let FrameStart::Near(beyond) =
        sync.on_frame_near(frame.as_bytes(), UnixNanos::new(2), bounds(), &mut slot)
    else {
        panic!("not split");
    };
    let mut handed_out = Vec::new();
    sync.take_near(frame.as_bytes(), beyond, |part, _| {
        handed_out.extend_from_slice(part);
        None
    });
    let end = sync.finish_near(frame.as_bytes(), UnixNanos::new(2), &mut slot);
    assert_eq!(end.fault, Some(SplitFault::OutOfOrder));
    assert!(end.rest.is_empty());
    // The slot keeps what was handed out, for the journal.
    assert_eq!(slot.delta.updates, handed_out);
    assert!(!sync.is_synced());
    assert_eq!(sync.split_faults(), 1);
}

#[test]
fn a_frame_broken_past_its_near_levels_is_a_fault_and_a_gap() {
    let (mut sync, mut slot) = synced();
    let (bids, asks) = sides();
    let frame = diff(&bids, &asks).replacen("997.0", "99x.0", 1);
    let FrameStart::Near(beyond) =
        sync.on_frame_near(frame.as_bytes(), UnixNanos::new(2), bounds(), &mut slot)
    else {
        panic!("not split");
    };
    sync.take_near(frame.as_bytes(), beyond, |_, _| None);
    let end = sync.finish_near(frame.as_bytes(), UnixNanos::new(2), &mut slot);
    assert_eq!(end.fault, Some(SplitFault::Malformed));
    assert!(!sync.is_synced());
    assert_eq!(sync.malformed(), 1);
}

#[test]
fn short_frames_and_unsynced_feeds_are_decoded_whole() {
    let (mut sync, mut slot) = synced();
    let frame = diff(&[9_999], &[10_002]);
    let start = sync.on_frame_near(frame.as_bytes(), UnixNanos::new(2), bounds(), &mut slot);
    assert_eq!(start, FrameStart::Whole(true));
    sync.lose_sync(Untrusted::Disconnected);
    let (bids, asks) = sides();
    let frame = diff(&bids, &asks);
    let start = sync.on_frame_near(frame.as_bytes(), UnixNanos::new(2), bounds(), &mut slot);
    assert_eq!(start, FrameStart::Whole(false));
}
