//! Builders shared by the unit tests.

use kestrel_model::{Decimal, Instrument, InstrumentId, Qty, Symbol, Venue};

/// Binance spot BTCUSDT on the given grids and fee rates, with no minimum
/// notional and a minimum quantity of one lot.
pub(crate) fn instrument(tick: &str, lot: &str, maker_fee: &str, taker_fee: &str) -> Instrument {
    Instrument {
        id: InstrumentId::from_native(Venue::BinanceSpot, "BTCUSDT").unwrap(),
        native_symbol: Symbol::new("BTCUSDT").unwrap(),
        base: "BTC".parse().unwrap(),
        quote: "USDT".parse().unwrap(),
        tick: tick.parse().unwrap(),
        lot: lot.parse().unwrap(),
        min_qty: Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::parse(maker_fee).unwrap(),
        taker_fee: Decimal::parse(taker_fee).unwrap(),
    }
}
