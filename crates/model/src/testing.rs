//! Builders for tests, in this crate and in others (feature `testing`,
//! enabled by their dev-dependencies only).

use crate::decimal::Decimal;
use crate::instrument::{Instrument, InstrumentId, Symbol, Venue};
use crate::price::Qty;

/// Binance spot BTCUSDT on the given tick and lot, with a minimum of one
/// lot, no minimum notional and no fees; change fields with struct update.
///
/// # Panics
/// On a tick or lot that does not parse: test input only.
#[allow(clippy::unwrap_used)]
pub fn instrument(tick: &str, lot: &str) -> Instrument {
    Instrument {
        id: InstrumentId::from_native(Venue::BinanceSpot, "BTCUSDT").unwrap(),
        native_symbol: Symbol::new("BTCUSDT").unwrap(),
        base: "BTC".parse().unwrap(),
        quote: "USDT".parse().unwrap(),
        tick: tick.parse().unwrap(),
        lot: lot.parse().unwrap(),
        min_qty: Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: crate::Contract::spot("USDT".parse().unwrap()),
        rules: crate::TradingRules::default(),
    }
}
