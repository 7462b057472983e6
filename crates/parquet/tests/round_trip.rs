//! Parquet round trips on the bundled recordings: the 21,313 USDⓈ-M
//! BTCUSDT trades, their 1-minute bars and the Tardis-layout book's
//! deltas come back exactly; malformed files, files of another kind and
//! of another market are refused, never read approximately.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_bars::{BarAggregator, BarEvent, BarOptions};
use kestrel_feed::tardis::{TardisBookReader, TardisTradeReader};
use kestrel_feed::{Decoded, TradeFile};
use kestrel_model::{BarSpec, BookDelta, Trade};
use kestrel_parquet::{
    ParquetError, TradesReader, read_bars, read_deltas, write_bars, write_deltas, write_trades,
};
use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn bundled_trades() -> Vec<Trade> {
    let path = repo("data/sample/binance-futures_trades_2024-08-08_BTCUSDT.derived.csv.gz");
    let mut reader = TardisTradeReader::open(&path, &usdm_btcusdt()).unwrap();
    std::iter::from_fn(|| reader.next_trade())
        .map(Result::unwrap)
        .collect()
}

#[test]
fn trades_come_back_exactly() {
    let instrument = usdm_btcusdt();
    let trades = bundled_trades();
    assert_eq!(trades.len(), 21_313);
    let path = scratch("trades.parquet");
    assert_eq!(
        write_trades(&path, &instrument, trades.iter().copied()).unwrap(),
        21_313
    );
    let mut reader = TradesReader::open(&path, &instrument).unwrap();
    let back: Vec<Trade> = std::iter::from_fn(|| reader.next_trade())
        .map(Result::unwrap)
        .collect();
    assert_eq!(back, trades);
}

#[test]
fn bars_come_back_exactly_with_their_spec() {
    let instrument = usdm_btcusdt();
    let mut agg = BarAggregator::new(&instrument, BarSpec::MINUTE, BarOptions::default()).unwrap();
    let mut out = Vec::new();
    for t in bundled_trades() {
        agg.on_trade(&t, t.time.exchange, &mut out);
    }
    let bars: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            BarEvent::Closed(b) => Some(*b),
            BarEvent::Corrected(_) => None,
        })
        .collect();
    assert!(bars.len() >= 5);
    let path = scratch("bars.parquet");
    write_bars(&path, &instrument, BarSpec::MINUTE, &bars).unwrap();
    let (spec, back) = read_bars(&path, &instrument).unwrap();
    assert_eq!(spec, BarSpec::MINUTE);
    assert_eq!(back, bars);
}

#[test]
fn book_deltas_come_back_exactly() {
    let instrument = usdm_btcusdt();
    let path =
        repo("data/sample/binance-futures_incremental_book_L2_2024-08-08_BTCUSDT.derived.csv.gz");
    let mut reader = TardisBookReader::open(&path, &instrument).unwrap();
    let mut deltas: Vec<BookDelta> = Vec::new();
    while let Some(event) = reader.next_event() {
        if let Ok(Decoded::Delta { delta, .. }) = event {
            deltas.push(delta.clone());
        }
    }
    assert!(deltas.len() > 1_000);
    let file = scratch("deltas.parquet");
    let levels = write_deltas(&file, &instrument, &deltas).unwrap();
    assert_eq!(
        levels,
        deltas.iter().map(|d| d.updates.len() as u64).sum::<u64>()
    );
    assert_eq!(read_deltas(&file, &instrument).unwrap(), deltas);
}

#[test]
fn malformed_files_other_kinds_and_other_markets_are_refused() {
    let instrument = usdm_btcusdt();
    let garbage = scratch("garbage.parquet");
    std::fs::write(&garbage, b"PAR1 not really a parquet file PAR1").unwrap();
    assert!(matches!(
        TradesReader::open(&garbage, &instrument),
        Err(ParquetError::Format { .. })
    ));
    let trades = scratch("kinds.parquet");
    write_trades(&trades, &instrument, bundled_trades().into_iter().take(10)).unwrap();
    let err = read_bars(&trades, &instrument).unwrap_err().to_string();
    assert!(err.contains("holds trades, not bars"), "{err}");
    let err = TradesReader::open(&trades, &spot_btcusdt())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not BTC/USDT@BINANCE_SPOT"), "{err}");
    // Cut short: refused, not read in part.
    let bytes = std::fs::read(&trades).unwrap();
    let cut = scratch("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(TradesReader::open(&cut, &instrument).is_err());
}

#[test]
fn a_file_the_parquet_decoder_panics_on_is_a_format_error() {
    // Found by fuzzing: the library panics inside its column decoder.
    let path = repo("fuzz/corpus/parquet_trades/regression-decoder-panic");
    let outcome = match TradesReader::open(&path, &usdm_btcusdt()) {
        Err(e) => Err(e.to_string()),
        Ok(mut reader) => std::iter::from_fn(|| reader.next_trade())
            .find_map(Result::err)
            .map_or(Ok(()), |e| Err(e.to_string())),
    };
    let err = outcome.expect_err("a malformed file is refused");
    assert!(
        err.contains("malformed") || err.contains("Parquet") || err.contains("parquet"),
        "{err}"
    );
}

/// A file whose price page indexes past its dictionary: the Parquet
/// reader answers every later call with the same error, so a reader that
/// went on after one would ask forever. One error, then the end.
#[test]
fn a_bad_page_is_one_error_then_the_end() {
    let path = repo("fuzz/corpus/parquet_trades/regression-endless-errors");
    let mut reader = kestrel_parquet::TradesReader::open(&path, &usdm_btcusdt()).unwrap();
    let items: Vec<_> = std::iter::from_fn(|| reader.next_trade())
        .take(1_000)
        .collect();
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].is_err());
}
