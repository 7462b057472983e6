//! Recorded capture files: any bytes are split into frames and replayed
//! through the Binance pipeline without panicking; every refusal is typed.
#![no_main]

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_feed::capture::CaptureReader;
use kestrel_registry::testing::usdm_btcusdt;
use kestrel_feed::{InstrumentFeed, Instruments};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let instrument = usdm_btcusdt();
    let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let mut feed = InstrumentFeed::new(&instrument, decoder, FuturesSequencer::new());
    let mut reader = CaptureReader::new(data);
    while let Some(frame) = reader.next_frame() {
        if let Ok(frame) = frame {
            feed.on_frame(frame.frame, frame.local.unwrap_or_default());
        }
    }
    if let Some(book) = feed.sync().trusted_book() {
        assert!(!book.is_crossed());
    }
});
