//! Bar specs from configs and requests: any text parses or is refused
//! without panicking, and a spec prints back to text that parses to it.
#![no_main]

use kestrel_model::BarSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = text.parse::<BarSpec>() {
        let printed = spec.to_string();
        assert_eq!(printed.parse::<BarSpec>().ok(), Some(spec), "{text:?} -> {printed}");
    }
});
