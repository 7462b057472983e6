//! Builders shared by the unit tests.

use kestrel_model::{Decimal, Instrument};

/// Binance spot BTCUSDT on the given grids and fee rates, with no minimum
/// notional and a minimum quantity of one lot.
pub(crate) fn instrument(tick: &str, lot: &str, maker_fee: &str, taker_fee: &str) -> Instrument {
    Instrument {
        maker_fee: Decimal::parse(maker_fee).unwrap(),
        taker_fee: Decimal::parse(taker_fee).unwrap(),
        ..kestrel_model::testing::instrument(tick, lot)
    }
}
