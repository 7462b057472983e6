//! Bybit `instruments-info` (spot, linear, inverse): any bytes parse to instruments or a typed error, never a panic.
#![no_main]

use kestrel_instruments::venues::{Endpoint, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for endpoint in [Endpoint::BybitSpot, Endpoint::BybitLinear, Endpoint::BybitInverse] {
        let _ = parse(endpoint, data);
    }
});
