//! OKX v5 frames (books, books5, bbo-tbt, trades, events): any bytes decode to a typed result, and a book fed by them through
//! the venue's sync rules is never served crossed.
#![no_main]

use kestrel_okx::{OkxDecoder, OkxSequencer};
use kestrel_registry::testing::okx_btc_usdt;
use kestrel_feed::{InstrumentFeed, Instruments};
use kestrel_model::UnixNanos;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let instrument = okx_btc_usdt();
    let decoder = OkxDecoder::new(Instruments::new(instrument.clone()));
    let mut feed = InstrumentFeed::new(&instrument, decoder, OkxSequencer::new());
    // Each input line is one frame, so the fuzzer can build sequences.
    for frame in data.split(|&b| b == b'\n') {
        feed.on_frame(frame, UnixNanos::new(0));
    }
    if let Some(book) = feed.sync().trusted_book() {
        assert!(!book.is_crossed());
    }
});
