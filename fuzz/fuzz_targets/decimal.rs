//! Venue decimal strings and symbols: never panic, and whatever parses
//! renders back to a string that parses to the same value.
#![no_main]

use kestrel_model::{Decimal, Increment, InstrumentId, Venue};
use libfuzzer_sys::fuzz_target;

const GRIDS: [&str; 7] = ["0.10", "0.001", "5", "0.5", "0.00000001", "1", "1.000000000000000000"];
const VENUES: [Venue; 4] = [Venue::BinanceSpot, Venue::BinanceCoinm, Venue::Okx, Venue::BybitLinear];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let Ok(grid) = Increment::parse(GRIDS[usize::from(pick) % GRIDS.len()]) else {
        return;
    };
    if let Ok(steps) = grid.steps(text) {
        assert_eq!(grid.steps(grid.display(steps).as_bytes()), Ok(steps));
        assert_eq!(grid.steps(grid.display_trimmed(steps).as_bytes()), Ok(steps));
    }
    if let Ok(lots) = grid.steps_unsigned(text) {
        assert!(i64::try_from(lots).is_err() || grid.steps(text).is_ok());
    }
    if let Ok(s) = std::str::from_utf8(text) {
        if let Ok(increment) = Increment::parse(s) {
            assert_eq!(Increment::parse(&increment.to_string()), Ok(increment));
        }
        if let Ok(decimal) = Decimal::parse(s) {
            assert_eq!(Decimal::parse(&decimal.to_string()), Ok(decimal));
        }
        let _ = InstrumentId::from_native(VENUES[usize::from(pick) % VENUES.len()], s);
    }
});
