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

/// The same for the USDⓈ-M venue's answer: every bundled linear contract
/// reads back through Binance's USDⓈ-M parser as it was served, price
/// band and contract terms aside (the futures answer writes none).
#[test]
fn every_bundled_usdm_contract_reads_back_as_it_was_served() {
    let contracts: Vec<_> = bundled()
        .unwrap()
        .iter()
        .filter(|i| i.id.venue == Venue::BinanceUsdm)
        .collect();
    assert!(!contracts.is_empty());
    for instrument in contracts {
        let body = kestrel_sim_server::futures::wire::exchange_info(
            instrument,
            1_723_680_000_000,
            2_400,
            kestrel_sim_server::order_count::OrderLimits::default(),
        )
        .to_string();
        let parsed = parse(BinanceMarket::UsdM, body.as_bytes()).unwrap();
        let back = parsed.instruments.into_iter().next().unwrap();
        assert_eq!(back.id, instrument.id);
        assert_eq!((back.tick, back.lot), (instrument.tick, instrument.lot));
        assert_eq!(back.min_qty, instrument.min_qty, "{}", instrument.id);
        assert_eq!(
            back.min_notional, instrument.min_notional,
            "{}",
            instrument.id
        );
        assert_eq!(back.contract.kind, instrument.contract.kind);
        assert_eq!(back.contract.settle, instrument.contract.settle);
        assert_eq!(
            (back.rules.max_qty, back.rules.max_market_qty),
            (instrument.rules.max_qty, instrument.rules.max_market_qty),
            "{}",
            instrument.id
        );
    }
}
