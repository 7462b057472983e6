//! OKX `public/instruments`: any bytes parse to instruments or a typed error, never a panic.
#![no_main]

use kestrel_okx::instruments::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse(data);
});
