//! Replays the bundled Binance captures (USDⓈ-M, COIN-M, spot) through the
//! same pipeline a live session uses, and checks each against the end-state oracle published with
//! the data (`data/sample/README.md`), which we did not compute.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_binance::{BinanceDecoder, FuturesSequencer, SpotSequencer};
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::{
    Decoded, FeedUpdate, FrameDecoder, InstrumentFeed, Instruments, Sequencer, SyncStatus, Trust,
};
use kestrel_model::{Instrument, Price, Side, UnixNanos};
use kestrel_registry::testing::{coinm_btcusd_perp, spot_btcusdt, usdm_btcusdt};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../data/sample")
        .join(name)
}

/// Replays a capture, failing on any lost book, quote disagreement or bad
/// frame; returns the number of gaps in the trade ids.
fn replay<D: FrameDecoder, S: Sequencer>(file: &str, feed: &mut InstrumentFeed<D, S>) -> u64 {
    let mut reader = CaptureReader::open(&sample(file)).unwrap();
    let mut trade_id_gaps = 0;
    let mut last_trade_id = None;
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        let local = frame.local.unwrap_or(UnixNanos::new(0));
        match feed.on_frame(frame.frame, local) {
            FeedUpdate::Book(SyncStatus::Lost(reason)) => {
                panic!("line {}: book lost: {reason:?}", frame.line);
            }
            FeedUpdate::Quote(_, Some(SyncStatus::Lost(reason))) => {
                panic!("line {}: bookTicker disagrees: {reason:?}", frame.line);
            }
            FeedUpdate::Malformed(e) => panic!("line {}: {e}", frame.line),
            FeedUpdate::Trades(_) => {
                for t in feed.trades() {
                    if last_trade_id.is_some_and(|last: u64| t.trade_id != last + 1) {
                        trade_id_gaps += 1;
                    }
                    last_trade_id = Some(t.trade_id);
                }
            }
            _ => {}
        }
        // BookSync checks crossing after every change, so a book it serves as
        // trusted is never crossed; check that promise.
        if let Some(book) = feed.sync().trusted_book() {
            assert!(!book.is_crossed(), "line {}", frame.line);
        }
    }
    trade_id_gaps
}

fn assert_end_state<S: Sequencer, D: FrameDecoder>(
    feed: &InstrumentFeed<D, S>,
    instrument: &Instrument,
    (last_u, bid, ask, bids, asks): (u64, &str, &str, usize, usize),
) {
    assert_eq!(feed.sync().trust(), Trust::Trusted);
    let book = feed.sync().trusted_book().unwrap();
    assert_eq!(book.last_update_id(), last_u);
    let price = |s: &str| Price::parse(s, &instrument.tick).unwrap();
    assert_eq!(book.best_bid().unwrap().price, price(bid));
    assert_eq!(book.best_ask().unwrap().price, price(ask));
    assert_eq!(book.level_count(Side::Buy), bids);
    assert_eq!(book.level_count(Side::Sell), asks);
}

fn binance_feed<S: Sequencer>(
    instrument: &Instrument,
    sequencer: S,
) -> InstrumentFeed<BinanceDecoder, S> {
    let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    InstrumentFeed::new(instrument, decoder, sequencer)
}

#[test]
fn usdm_btcusdt_matches_the_oracle_and_every_book_ticker() {
    let instrument = usdm_btcusdt();
    let mut feed = binance_feed(&instrument, FuturesSequencer::new());
    let trade_id_gaps = replay("binance_usdm_btcusdt_20240808.raw.gz", &mut feed);
    assert_end_state(
        &feed,
        &instrument,
        (5_123_135_475_514, "61659.70", "61659.80", 5018, 4578),
    );
    let sync = feed.sync().stats();
    // data/README.md: 6 diffs precede the snapshot and 4 are too old; no gap.
    // The bookTickers that share the `u` of an applied depth event (629;
    // data/README.md's 126 are those that arrive after their depth event)
    // are counted from the file by a JSON parser that is not ours. Each is
    // checked when the book reaches its id, and all agree.
    assert_eq!(sync.snapshots, 1);
    assert_eq!(sync.deltas_stale, 4);
    assert_eq!(sync.deltas_applied, 6_551 - 4);
    assert_eq!((sync.gaps, sync.crossed, sync.syncs), (0, 0, 1));
    let shared = tickers_sharing_applied_ids("binance_usdm_btcusdt_20240808.raw.gz");
    assert_eq!((sync.quotes_matched, sync.quote_mismatches), (shared, 0));
    let stats = feed.stats();
    assert_eq!((stats.trades, stats.quotes), (21_313, 66_089));
    assert_eq!((stats.malformed, stats.other), (0, 0));
    assert_eq!(trade_id_gaps, 0);
    let book = feed.sync().book();
    assert!(book.far_level_count(Side::Sell) > 0 && book.far_level_count(Side::Buy) > 0);
}

#[test]
fn coinm_btcusd_perp_matches_the_oracle() {
    let instrument = coinm_btcusd_perp();
    let mut feed = binance_feed(&instrument, FuturesSequencer::new());
    let trade_id_gaps = replay("binance_coinm_btcusd_perp_20240808.raw.gz", &mut feed);
    assert_end_state(
        &feed,
        &instrument,
        (1_007_202_248_021, "61668.6", "61668.7", 1110, 1123),
    );
    let sync = feed.sync().stats();
    // 25 diffs precede the snapshot, 23 of them too old.
    assert_eq!(sync.deltas_stale, 23);
    assert_eq!(sync.deltas_applied, 26_847 - 23);
    // Every bookTicker that shares the `u` of an applied depth event (1,124,
    // counted from the file) agrees with the book.
    assert_eq!((sync.gaps, sync.crossed, sync.quote_mismatches), (0, 0, 0));
    let shared = tickers_sharing_applied_ids("binance_coinm_btcusd_perp_20240808.raw.gz");
    assert_eq!(sync.quotes_matched, shared);
    assert_eq!((feed.stats().trades, feed.stats().quotes), (2_286, 19_136));
    assert_eq!(trade_id_gaps, 0);
}

#[test]
fn spot_btcusdt_matches_the_oracle() {
    let instrument = spot_btcusdt();
    let mut feed = binance_feed(&instrument, SpotSequencer::new());
    let trade_id_gaps = replay("binance_spot_btcusdt_20240808.raw.gz", &mut feed);
    assert_end_state(
        &feed,
        &instrument,
        (50_093_421_584, "61685.99", "61686.00", 1209, 2196),
    );
    let sync = feed.sync().stats();
    // 3 diffs precede the snapshot, 2 of them too old (spot drops u ≤ lastUpdateId).
    assert_eq!(sync.deltas_stale, 2);
    assert_eq!(sync.deltas_applied, 3_451 - 2);
    assert_eq!(sync.levels_applied, 124_090 - levels_of_stale_spot_diffs());
    assert_eq!((sync.gaps, sync.crossed, sync.quote_mismatches), (0, 0, 0));
    assert_eq!((feed.stats().trades, feed.stats().quotes), (9_757, 28_040));
    assert_eq!(trade_id_gaps, 0);
}

/// bookTickers of a Binance futures capture whose `u` is the `u` of a depth
/// diff the book applies (by the futures rule: `u` at or above the
/// snapshot's `lastUpdateId`), read with serde_json rather than our decoder.
fn tickers_sharing_applied_ids(file: &str) -> u64 {
    let mut reader = CaptureReader::open(&sample(file)).unwrap();
    let (mut depth_ids, mut ticker_ids, mut snapshot) = (Vec::new(), Vec::new(), None);
    while let Some(frame) = reader.next_frame() {
        let value: serde_json::Value = serde_json::from_slice(frame.unwrap().frame).unwrap();
        let data = value.get("data").unwrap_or(&value);
        let u = data["u"].as_u64();
        match (data["e"].as_str(), data["lastUpdateId"].as_u64(), u) {
            (_, Some(last), _) => snapshot = snapshot.or(Some(last)),
            (Some("depthUpdate"), _, Some(u)) => depth_ids.push(u),
            (Some("bookTicker"), _, Some(u)) => ticker_ids.push(u),
            _ => {}
        }
    }
    let last = snapshot.unwrap();
    let applied: std::collections::HashSet<u64> =
        depth_ids.into_iter().filter(|&u| u >= last).collect();
    ticker_ids.iter().filter(|u| applied.contains(u)).count() as u64
}

/// Level changes in the two spot diffs older than the snapshot, counted from
/// the file rather than assumed.
fn levels_of_stale_spot_diffs() -> u64 {
    let mut reader = CaptureReader::open(&sample("binance_spot_btcusdt_20240808.raw.gz")).unwrap();
    let mut decoder = BinanceDecoder::new(Instruments::new(spot_btcusdt()));
    let (mut total, mut found) = (0, 0);
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        if let Ok(Decoded::Delta { delta, .. }) = decoder.decode(frame.frame, UnixNanos::new(0)) {
            if delta.ids.last <= 50_093_239_218 {
                total += delta.updates.len() as u64;
                found += 1;
            }
        }
        if found == 2 {
            break;
        }
    }
    total
}
