//! Tapes: any bytes are read as a tape, header and records, without
//! panicking; what reads back whole is written again and must read back
//! the same. The records after the header are also decoded as one frame
//! (what replay and backtest hand the `TapeDecoder`), never panicking.
#![no_main]

use kestrel_feed::FrameDecoder;
use kestrel_model::UnixNanos;
use kestrel_tape::{TapeDecoder, TapeEvent, TapeEvents, TapeReader, TapeWriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Any bytes as one message's records.
    let listed = [kestrel_registry::testing::spot_btcusdt()];
    let _ = TapeDecoder::new(&listed, 0).decode(data, UnixNanos::new(0));
    let Ok(reader) = TapeReader::new(data) else {
        return;
    };
    let instruments = reader.instruments().to_vec();
    let mut events = TapeEvents::new(reader, &instruments);
    let Ok(mut copy) = TapeWriter::new(Vec::new(), &instruments) else {
        return;
    };
    let mut count = 0;
    while let Ok(Some(event)) = events.next_event() {
        count += 1;
        let written = match event {
            TapeEvent::Delta(d) => copy.write_delta(d),
            TapeEvent::Snapshot(s) => copy.write_snapshot(s),
            TapeEvent::Trade(t) => copy.write_trade(&t),
            TapeEvent::Quote(q) => copy.write_quote(&q),
        };
        assert!(written.is_ok());
    }
    let Ok(bytes) = copy.finish() else { return };
    let Ok(again) = TapeReader::new(&bytes[..]) else {
        panic!("a tape we wrote does not open");
    };
    let mut again = TapeEvents::new(again, &instruments);
    let mut reread = 0;
    while let Some(event) = again.next_event().transpose() {
        assert!(event.is_ok(), "a tape we wrote does not read back");
        reread += 1;
    }
    assert_eq!(count, reread);
});
