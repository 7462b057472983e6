//! Journal entries: any record type and payload decode without panicking,
//! and what decodes re-encodes to an entry that decodes the same.
#![no_main]

use kestrel_engine::entry::{decode, encode};
use kestrel_journal::RecordType;
use kestrel_model::{InstrumentId, Symbol, Venue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((kind, payload)) = data.split_first_chunk::<2>() else {
        return;
    };
    let Ok(symbol) = Symbol::new("BTC/USDT") else {
        return;
    };
    let instrument = InstrumentId {
        venue: Venue::BinanceSpot,
        symbol,
    };
    // Small type numbers, so the fuzzer reaches every entry type.
    let kind = RecordType(u16::from_le_bytes(*kind) % 40);
    if let Ok(entry) = decode(kind, payload, instrument) {
        let mut again = Vec::new();
        let kind_again = encode(&entry, &mut again);
        assert_eq!(kind_again, kind);
        assert_eq!(decode(kind, &again, instrument), Ok(entry));
    }
});
