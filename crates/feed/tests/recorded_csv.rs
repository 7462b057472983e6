//! The CSV readers on real files: the Tardis-layout copy of the USD-M
//! capture must rebuild the same book and carry the same events as the raw
//! capture, and the genuine vendor fixtures must parse as their README says.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_binance::{BinanceDecoder, BinanceDepthCsvReader};
use kestrel_bybit::BybitSequencer;
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::tardis::{TardisBookReader, TardisTradeReader};
use kestrel_feed::{BookSync, Decoded, FeedError, FrameDecoder, Instruments, SyncStatus, Trust};
use kestrel_model::{
    Increment, Instrument, InstrumentId, LevelUpdate, Price, Side, Symbol, Trade, UnixNanos, Venue,
};
use kestrel_registry::testing::usdm_btcusdt;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample")
        .join(name)
}

const TARDIS_BOOK: &str = "binance-futures_incremental_book_L2_2024-08-08_BTCUSDT.derived.csv.gz";
const TARDIS_TRADES: &str = "binance-futures_trades_2024-08-08_BTCUSDT.derived.csv.gz";
const CAPTURE: &str = "binance_usdm_btcusdt_20240808.raw.gz";

/// Every depth diff after the REST snapshot line and every trade, straight
/// from the raw capture. Diffs are compared by their levels only: Tardis
/// stamps them with the event time `E`, our decoder with the matching
/// engine's transaction time `T`.
fn capture_events() -> (Vec<Vec<LevelUpdate>>, Vec<Trade>) {
    let instrument = usdm_btcusdt();
    let mut decoder = BinanceDecoder::new(Instruments::new(instrument));
    let mut reader = CaptureReader::open(&sample(CAPTURE)).unwrap();
    let (mut diffs, mut trades, mut after_snapshot) = (Vec::new(), Vec::new(), false);
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        match decoder.decode(frame.frame, frame.local.unwrap()).unwrap() {
            Decoded::Snapshot { .. } => after_snapshot = true,
            Decoded::Delta { delta, .. } if after_snapshot => {
                diffs.push(delta.updates.clone());
            }
            Decoded::Trades(t) => trades.extend_from_slice(t),
            _ => {}
        }
    }
    (diffs, trades)
}

#[test]
fn tardis_book_rebuilds_the_captures_end_state_and_carries_its_diffs() {
    let instrument = usdm_btcusdt();
    let mut reader = TardisBookReader::open(&sample(TARDIS_BOOK), &instrument).unwrap();
    let mut sync = BookSync::new(&instrument, BybitSequencer::new());
    let (capture_diffs, _) = capture_events();
    let (mut snapshots, mut deltas) = (0, Vec::new());
    while let Some(event) = reader.next_event() {
        match event.unwrap() {
            Decoded::Snapshot { snapshot, .. } => {
                snapshots += 1;
                assert_eq!(sync.on_snapshot(snapshot, None), SyncStatus::Synced);
            }
            Decoded::Delta { delta, .. } => {
                assert_eq!(sync.on_delta(delta, None), SyncStatus::Applied);
                deltas.push(delta.updates.clone());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!sync.trusted_book().unwrap().is_crossed());
    }
    assert_eq!((snapshots, deltas.len(), reader.skipped()), (1, 6545, 0));
    // The same diffs as the capture, level for level.
    assert_eq!(deltas.len(), capture_diffs.len());
    for (i, (ours, theirs)) in deltas.iter().zip(&capture_diffs).enumerate() {
        assert_eq!(ours, theirs, "diff {i}");
    }
    // The oracle published with the data.
    assert_eq!(sync.trust(), Trust::Trusted);
    let book = sync.trusted_book().unwrap();
    let price = |s| Price::parse(s, &instrument.tick).unwrap();
    assert_eq!(book.best_bid().unwrap().price, price("61659.70"));
    assert_eq!(book.best_ask().unwrap().price, price("61659.80"));
    assert_eq!(book.level_count(Side::Buy), 5018);
    assert_eq!(book.level_count(Side::Sell), 4578);
}

#[test]
fn tardis_trades_equal_the_captures_trades() {
    let instrument = usdm_btcusdt();
    let mut reader = TardisTradeReader::open(&sample(TARDIS_TRADES), &instrument).unwrap();
    let (_, capture_trades) = capture_events();
    let mut ours = Vec::new();
    while let Some(event) = reader.next_event() {
        match event.unwrap() {
            Decoded::Trades(t) => ours.extend_from_slice(t),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ours.len(), 21_313);
    for (a, b) in ours.iter().zip(&capture_trades) {
        // Tardis keeps the trade time `T` (µs) and its own receive time.
        let key = |t: &Trade| (t.trade_id, t.price, t.qty, t.aggressor, t.time.exchange);
        assert_eq!(key(a), key(b));
    }
}

/// An instrument for a vendor fixture of a venue we do not trade.
fn fixture_instrument(native: &str, tick: &str, lot: &str) -> Instrument {
    let mut i = usdm_btcusdt();
    i.id = InstrumentId {
        venue: Venue::BinanceUsdm,
        symbol: Symbol::new(native).unwrap(),
    };
    i.native_symbol = Symbol::new(native).unwrap();
    i.tick = Increment::parse(tick).unwrap();
    i.lot = Increment::parse(lot).unwrap();
    i
}

#[test]
fn genuine_tardis_fixtures_parse() {
    let deribit = fixture_instrument("BTC-PERPETUAL", "0.5", "10");
    let path = sample("deribit_incremental_book_L2_BTC-PERPETUAL.sample.csv");
    let mut reader = TardisBookReader::open(&path, &deribit).unwrap();
    match reader.next_event().unwrap().unwrap() {
        Decoded::Snapshot { snapshot, .. } => {
            assert_eq!((snapshot.bids.len(), snapshot.asks.len()), (0, 15));
            assert_eq!(
                snapshot.asks[0].price,
                Price::parse("6421.5", &deribit.tick).unwrap()
            );
            assert_eq!(
                snapshot.time.exchange,
                UnixNanos::from_micros(1_585_699_200_245_000)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(reader.next_event().is_none());

    let bitmex = fixture_instrument("XBTUSD", "0.5", "1");
    let path = sample("bitmex_trades_XBTUSD.sample.csv");
    let mut reader = TardisTradeReader::open(&path, &bitmex).unwrap();
    let mut ids = Vec::new();
    while let Some(event) = reader.next_event() {
        let Decoded::Trades(&[t]) = event.unwrap() else {
            panic!("one trade per row")
        };
        assert!(t.aggressor.is_some());
        if ids.is_empty() {
            assert_eq!(t.aggressor, Some(Side::Sell));
            assert_eq!(t.qty.lots(), 2152);
        }
        ids.push(t.trade_id);
    }
    // UUID ids become row ordinals.
    assert_eq!(ids, (1..=10).collect::<Vec<u64>>());
}

#[test]
fn binance_history_fixtures_parse() {
    let instrument = usdm_btcusdt();
    let path = sample("binance_hist_usdm_btcusdt_depth_snap.csv");
    let mut reader = BinanceDepthCsvReader::open(&path, &instrument).unwrap();
    match reader.next_event().unwrap().unwrap() {
        Decoded::Snapshot { snapshot, .. } => {
            assert_eq!(snapshot.last_update_id, 2_098_021_528_332);
            assert_eq!((snapshot.bids.len(), snapshot.asks.len()), (100, 0));
            assert!(snapshot.bids.windows(2).all(|w| w[0].price > w[1].price));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(reader.next_event().is_none());

    let path = sample("binance_hist_usdm_btcusdt_depth_update.csv");
    let mut reader = BinanceDepthCsvReader::open(&path, &instrument).unwrap();
    match reader.next_event().unwrap().unwrap() {
        Decoded::Delta { delta, .. } => {
            assert_eq!(
                (delta.ids.first, delta.ids.last, delta.ids.prev),
                (
                    2_098_041_693_435,
                    2_098_041_696_700,
                    Some(2_098_041_693_400)
                )
            );
            assert_eq!(delta.updates.len(), 100);
            let asks = delta
                .updates
                .iter()
                .filter(|u| u.side == Side::Sell)
                .count();
            let removals = delta.updates.iter().filter(|u| u.qty.is_zero()).count();
            assert_eq!((asks, removals), (77, 21));
            assert_eq!(
                delta.time.exchange,
                UnixNanos::from_millis(1_667_347_199_939)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(reader.next_event().is_none());
}

#[test]
fn a_bad_row_ends_its_message_and_reading_goes_on() {
    let instrument = usdm_btcusdt();
    let csv = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n\
        binance-futures,BTCUSDT,1,1,true,bid,100.0,1\n\
        binance-futures,BTCUSDT,1,1,true,ask,100.1,1\n\
        binance-futures,BTCUSDT,2,2,false,bid,100.0,2\n\
        binance-futures,BTCUSDT,2,2,false,bid,oops,2\n\
        binance-futures,BTCUSDT,2,2,false,ask,100.1,0\n\
        binance-futures,ETHUSDT,3,3,false,ask,100.2,1\n\
        binance-futures,BTCUSDT,4,4,false,ask,100.3,1\n";
    let mut reader = TardisBookReader::new(csv.as_bytes(), &instrument).unwrap();
    let mut seen = Vec::new();
    while let Some(event) = reader.next_event() {
        seen.push(match event {
            Ok(Decoded::Snapshot { snapshot, .. }) => format!("snap {}", snapshot.last_update_id),
            Ok(Decoded::Delta { delta, .. }) => {
                format!("delta {} x{}", delta.ids.last, delta.updates.len())
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(FeedError::Frame { line, .. }) => format!("bad line {line}"),
            Err(e) => panic!("{e}"),
        });
    }
    assert_eq!(
        seen,
        [
            "snap 1",
            "delta 2 x1",
            "bad line 5",
            "delta 3 x1",
            "bad line 7",
            "delta 4 x1"
        ]
    );
}
