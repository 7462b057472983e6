//! Binance spot, USDⓈ-M and COIN-M `exchangeInfo`: any bytes parse to instruments or a typed error, never a panic.
#![no_main]

use kestrel_binance::BinanceMarket;
use kestrel_binance::instruments::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for market in BinanceMarket::ALL {
        let _ = parse(market, data);
    }
});
