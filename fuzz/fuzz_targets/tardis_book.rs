//! Tardis `incremental_book_L2` rows: any bytes after the header row are
//! grouped into messages and applied without panicking.
#![no_main]

use kestrel_bybit::BybitSequencer;
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_feed::tardis::TardisBookReader;
use kestrel_feed::{BookSync, Decoded};
use libfuzzer_sys::fuzz_target;

const HEADER: &[u8] = b"exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n";

fuzz_target!(|data: &[u8]| {
    let instrument = usdm_btcusdt();
    let input = [HEADER, data].concat();
    let Ok(mut reader) = TardisBookReader::new(&input[..], &instrument) else {
        return;
    };
    let mut sync = BookSync::new(&instrument, BybitSequencer::new());
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
