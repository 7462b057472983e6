//! Tardis `trades` rows: any bytes after the header row parse or are refused
//! with a typed error.
#![no_main]

use kestrel_registry::testing::usdm_btcusdt;
use kestrel_feed::tardis::TardisTradeReader;
use libfuzzer_sys::fuzz_target;

const HEADER: &[u8] = b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";

fuzz_target!(|data: &[u8]| {
    let input = [HEADER, data].concat();
    let Ok(mut reader) = TardisTradeReader::new(&input[..], &usdm_btcusdt()) else {
        return;
    };
    while let Some(event) = reader.next_event() {
        let _ = event;
    }
});
