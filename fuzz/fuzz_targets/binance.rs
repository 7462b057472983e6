//! Binance frames (depth, snapshot, trade, aggTrade, bookTicker, envelopes): any bytes decode to a typed result, and a book fed by them through
//! the venue's sync rules is never served crossed.
#![no_main]

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_feed::{InstrumentFeed, Instruments};
use kestrel_model::UnixNanos;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let instrument = usdm_btcusdt();
    let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let mut feed = InstrumentFeed::new(&instrument, decoder, FuturesSequencer::new());
    // Each input line is one frame, so the fuzzer can build sequences.
    for frame in data.split(|&b| b == b'\n') {
        feed.on_frame(frame, UnixNanos::new(0));
    }
    if let Some(book) = feed.sync().trusted_book() {
        assert!(!book.is_crossed());
    }
});
