//! Definitions of the Binance instruments in the bundled recordings.
//!
//! Values are those of Binance's `exchangeInfo` at the time of the captures
//! (August 2024); a live session reads them from the venue instead.

use kestrel_model::{Decimal, Increment, Instrument, InstrumentId, Qty, Symbol, Venue};

/// BTCUSDT perpetual on USDⓈ-M futures: tick 0.10, lot 0.001, minimum
/// notional 100 USDT, regular-tier fees 0.02 % maker / 0.05 % taker.
pub fn usdm_btcusdt() -> Instrument {
    let literal = |s: &str| s.parse::<Decimal>();
    let build = || -> Result<Instrument, Box<dyn std::error::Error>> {
        Ok(Instrument {
            id: InstrumentId::from_native(Venue::BinanceUsdm, "BTCUSDT")?,
            native_symbol: Symbol::new("BTCUSDT")?,
            base: "BTC".parse()?,
            quote: "USDT".parse()?,
            tick: Increment::parse("0.10")?,
            lot: Increment::parse("0.001")?,
            min_qty: Qty::from_lots(1),
            min_notional: literal("100")?,
            maker_fee: literal("0.0002")?,
            taker_fee: literal("0.0005")?,
        })
    };
    match build() {
        Ok(instrument) => instrument,
        // Constant input: covered by the test below, cannot fail at run time.
        Err(e) => unreachable!("invalid built-in instrument: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn builds() {
        let inst = super::usdm_btcusdt();
        assert_eq!(inst.id.to_string(), "BTC/USDT:USDT@BINANCE_USDM");
        assert_eq!(inst.tick.to_string(), "0.10");
    }
}
