//! Definitions of the instruments in the bundled recordings.
//!
//! Values are those the venues' instrument endpoints gave at the time of the
//! captures (`exchangeInfo`, OKX `instruments`, Bybit `instruments-info`); a
//! live session reads them from the venue instead.

use kestrel_model::{Decimal, Increment, Instrument, InstrumentId, Qty, Symbol, Venue};

/// The fields that differ between the built-in instruments.
struct Spec {
    venue: Venue,
    native: &'static str,
    base: &'static str,
    quote: &'static str,
    tick: &'static str,
    lot: &'static str,
    min_lots: u64,
    min_notional: &'static str,
    maker_fee: &'static str,
    taker_fee: &'static str,
}

fn build(spec: &Spec) -> Instrument {
    let make = || -> Result<Instrument, Box<dyn std::error::Error>> {
        Ok(Instrument {
            id: InstrumentId::from_native(spec.venue, spec.native)?,
            native_symbol: Symbol::new(spec.native)?,
            base: spec.base.parse()?,
            quote: spec.quote.parse()?,
            tick: Increment::parse(spec.tick)?,
            lot: Increment::parse(spec.lot)?,
            min_qty: Qty::from_lots(spec.min_lots),
            min_notional: spec.min_notional.parse::<Decimal>()?,
            maker_fee: spec.maker_fee.parse::<Decimal>()?,
            taker_fee: spec.taker_fee.parse::<Decimal>()?,
            contract: kestrel_model::Contract::spot(spec.quote.parse()?),
            rules: kestrel_model::TradingRules::default(),
        })
    };
    match make() {
        Ok(instrument) => instrument,
        // Constant input, covered by the test below: cannot fail at run time.
        Err(e) => unreachable!("invalid built-in instrument {}: {e}", spec.native),
    }
}

/// BTCUSDT perpetual on USDⓈ-M futures: tick 0.10, lot 0.001, minimum
/// notional 100 USDT, regular-tier fees 0.02 % maker / 0.05 % taker.
pub fn usdm_btcusdt() -> Instrument {
    build(&Spec {
        venue: Venue::BinanceUsdm,
        native: "BTCUSDT",
        base: "BTC",
        quote: "USDT",
        tick: "0.10",
        lot: "0.001",
        min_lots: 1,
        min_notional: "100",
        maker_fee: "0.0002",
        taker_fee: "0.0005",
    })
}

/// BTCUSD_PERP on COIN-M futures: tick 0.1, sizes in contracts of 100 USD,
/// no minimum notional, fees 0.02 % / 0.05 %.
pub fn coinm_btcusd_perp() -> Instrument {
    build(&Spec {
        venue: Venue::BinanceCoinm,
        native: "BTCUSD_PERP",
        base: "BTC",
        quote: "USD",
        tick: "0.1",
        lot: "1",
        min_lots: 1,
        min_notional: "0",
        maker_fee: "0.0002",
        taker_fee: "0.0005",
    })
}

/// BTCUSDT on Binance spot: tick 0.01, minimum notional 5 USDT, fees 0.1 %
/// both ways. Order sizes step by 0.00001 (minimum 0.00001), but the book
/// carries older resting sizes on a finer grid (the capture has `25.426189`),
/// so sizes are counted in units of 0.00000001, the decimals Binance writes.
pub fn spot_btcusdt() -> Instrument {
    build(&Spec {
        venue: Venue::BinanceSpot,
        native: "BTCUSDT",
        base: "BTC",
        quote: "USDT",
        tick: "0.01",
        lot: "0.00000001",
        min_lots: 1000,
        min_notional: "5",
        maker_fee: "0.001",
        taker_fee: "0.001",
    })
}

/// BTC-USDT on OKX spot: tick 0.1, lot 0.00000001, minimum size 0.00001,
/// fees 0.08 % / 0.1 %.
pub fn okx_btc_usdt() -> Instrument {
    build(&Spec {
        venue: Venue::Okx,
        native: "BTC-USDT",
        base: "BTC",
        quote: "USDT",
        tick: "0.1",
        lot: "0.00000001",
        min_lots: 1000,
        min_notional: "0",
        maker_fee: "0.0008",
        taker_fee: "0.001",
    })
}

/// XRPUSDT perpetual on Bybit linear: tick 0.0001, lot 1 XRP, minimum
/// notional 5 USDT, fees 0.02 % / 0.055 %.
pub fn bybit_linear_xrpusdt() -> Instrument {
    build(&Spec {
        venue: Venue::BybitLinear,
        native: "XRPUSDT",
        base: "XRP",
        quote: "USDT",
        tick: "0.0001",
        lot: "1",
        min_lots: 1,
        min_notional: "5",
        maker_fee: "0.0002",
        taker_fee: "0.00055",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_instrument_builds_with_its_canonical_id() {
        let ids: Vec<String> = [
            usdm_btcusdt(),
            coinm_btcusd_perp(),
            spot_btcusdt(),
            okx_btc_usdt(),
            bybit_linear_xrpusdt(),
        ]
        .iter()
        .map(|i| i.id.to_string())
        .collect();
        assert_eq!(
            ids,
            [
                "BTC/USDT:USDT@BINANCE_USDM",
                "BTC/USD:BTC@BINANCE_COINM",
                "BTC/USDT@BINANCE_SPOT",
                "BTC/USDT@OKX",
                "XRP/USDT:USDT@BYBIT_LINEAR",
            ]
        );
        assert_eq!(usdm_btcusdt().tick.to_string(), "0.10");
    }
}
