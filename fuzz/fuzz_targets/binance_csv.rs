//! Binance `T_DEPTH` historical CSV: any bytes after the header row are
//! grouped into events and run through the futures sync rules.
#![no_main]

use kestrel_binance::{BinanceDepthCsvReader, FuturesSequencer};
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_feed::{BookSync, Decoded};
use libfuzzer_sys::fuzz_target;

const HEADER: &[u8] =
    b"symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n";

fuzz_target!(|data: &[u8]| {
    let instrument = usdm_btcusdt();
    let input = [HEADER, data].concat();
    let Ok(mut reader) = BinanceDepthCsvReader::new(&input[..], &instrument) else {
        return;
    };
    let mut sync = BookSync::new(&instrument, FuturesSequencer::new());
    while let Some(event) = reader.next_event() {
        match event {
            Ok(Decoded::Snapshot { snapshot, .. }) => {
                sync.on_snapshot(snapshot, None);
            }
            Ok(Decoded::Delta { delta, .. }) => {
                sync.on_delta(delta, None);
            }
            _ => {}
        }
        if let Some(book) = sync.trusted_book() {
            assert!(!book.is_crossed());
        }
    }
});
