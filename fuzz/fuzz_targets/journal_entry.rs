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
    let (Ok(btc), Ok(eth)) = (Symbol::new("BTC/USDT"), Symbol::new("ETH/USDT")) else {
        return;
    };
    // A session of two markets: indices 0 and 1 decode, others do not.
    let instruments = [
        InstrumentId {
            venue: Venue::BinanceSpot,
            symbol: btc,
        },
        InstrumentId {
            venue: Venue::BinanceSpot,
            symbol: eth,
        },
    ];
    // Small type numbers, so the fuzzer reaches every entry type.
    let kind = RecordType(u16::from_le_bytes(*kind) % 40);
    if let Ok(entry) = decode(kind, payload, &instruments) {
        let mut again = Vec::new();
        let kind_again = encode(&entry, &mut again);
        assert_eq!(kind_again, kind);
        assert_eq!(decode(kind, &again, &instruments), Ok(entry));
    }
});
