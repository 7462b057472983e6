//! Bybit `instruments-info` (spot, linear, inverse): any bytes parse to instruments or a typed error, never a panic.
#![no_main]

use kestrel_bybit::Category;
use kestrel_bybit::instruments::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for category in Category::ALL {
        let _ = parse(category, data);
    }
});
