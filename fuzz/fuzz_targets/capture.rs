//! Recorded Binance capture lines: any bytes are read, decoded and sequenced
//! without panicking; every refusal is a typed error.
#![no_main]

use kestrel_feed::binance::instruments::usdm_btcusdt;
use kestrel_feed::binance::{CaptureReader, CaptureReplay};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for record in CaptureReader::new(data, usdm_btcusdt()) {
        let _ = record;
    }
    let mut replay = CaptureReplay::new(CaptureReader::new(data, usdm_btcusdt()));
    for event in replay.by_ref() {
        let _ = event;
    }
    let _ = replay.stats();
});
