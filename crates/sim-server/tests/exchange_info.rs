//! The simulator's `exchangeInfo` is written from the catalogue, so
//! Binance's own format carries every rule we hold: parsed back by the
//! catalogue's parser, each bundled Binance spot market comes out as it
//! went in (fees aside: they come from the account, not this endpoint).
#![allow(clippy::unwrap_used)]

use kestrel_binance::BinanceMarket;
use kestrel_binance::instruments::parse;
use kestrel_model::{Decimal, Venue};
use kestrel_registry::bundled;
use kestrel_sim_server::wire::exchange_info;

#[test]
fn every_bundled_spot_market_reads_back_as_it_was_served() {
    let spot: Vec<_> = bundled()
        .unwrap()
        .iter()
        .filter(|i| i.id.venue == Venue::BinanceSpot)
        .collect();
    assert!(spot.len() >= 5);
    for instrument in spot {
        let body = exchange_info(
            instrument,
            1_723_680_000_000,
            6_000,
            kestrel_sim_server::order_count::OrderLimits::default(),
        )
        .to_string();
        let parsed = parse(BinanceMarket::Spot, body.as_bytes()).unwrap();
        let mut back = parsed.instruments.into_iter().next().unwrap();
        (back.maker_fee, back.taker_fee) = (instrument.maker_fee, instrument.taker_fee);
        assert_eq!(&back, instrument, "{}", instrument.id);
        assert_ne!(instrument.maker_fee, Decimal::ZERO);
    }
}
