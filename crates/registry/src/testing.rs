//! The markets of the bundled recordings, from the bundled catalogue, for
//! tests, fuzz targets and benches (feature `testing`). Commands look
//! instruments up by what the data or the config names instead.
#![allow(clippy::expect_used)]

use kestrel_model::{Instrument, Venue};

fn find(venue: Venue, native: &str) -> Instrument {
    crate::bundled()
        .expect("the bundled catalogue reads (its own tests check it)")
        .find(venue, native)
        .expect("the bundled catalogue lists the bundled recordings' markets")
        .clone()
}

/// Binance USDⓈ-M BTCUSDT perpetual (the bundled main capture).
pub fn usdm_btcusdt() -> Instrument {
    find(Venue::BinanceUsdm, "BTCUSDT")
}

/// Binance COIN-M BTCUSD_PERP: inverse, contracts of 100 USD.
pub fn coinm_btcusd_perp() -> Instrument {
    find(Venue::BinanceCoinm, "BTCUSD_PERP")
}

/// Binance spot BTCUSDT: book sizes in 10⁻⁸ BTC, orders by 0.00001.
pub fn spot_btcusdt() -> Instrument {
    find(Venue::BinanceSpot, "BTCUSDT")
}

/// OKX spot BTC-USDT.
pub fn okx_btc_usdt() -> Instrument {
    find(Venue::Okx, "BTC-USDT")
}

/// Bybit linear XRPUSDT perpetual.
pub fn bybit_linear_xrpusdt() -> Instrument {
    find(Venue::BybitLinear, "XRPUSDT")
}
