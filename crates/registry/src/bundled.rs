//! The offline catalogue shipped in the repository (`data/instruments/`):
//! each venue's instrument endpoint as it answered in August 2024, trimmed
//! to the markets of the bundled data and the most traded spot and
//! perpetual symbols, read by the same parsers as a live fetch, with the
//! venues' regular-tier fees. Provenance: `data/instruments/SOURCES.md`.

use std::sync::OnceLock;

use kestrel_binance::BinanceMarket;
use kestrel_bybit::Category;
use kestrel_instruments::Catalogue;
use kestrel_instruments::fees::FeeSchedule;
use kestrel_instruments::file::CatalogueFile;

use crate::listing::{Endpoint, parse};

/// The saved responses, by endpoint.
const RESPONSES: [(Endpoint, &str); 7] = [
    (
        Endpoint::Binance(BinanceMarket::Spot),
        include_str!("../../../data/instruments/binance_spot.exchangeInfo.json"),
    ),
    (
        Endpoint::Binance(BinanceMarket::UsdM),
        include_str!("../../../data/instruments/binance_usdm.exchangeInfo.json"),
    ),
    (
        Endpoint::Binance(BinanceMarket::CoinM),
        include_str!("../../../data/instruments/binance_coinm.exchangeInfo.json"),
    ),
    (
        Endpoint::Okx,
        include_str!("../../../data/instruments/okx.instruments.json"),
    ),
    (
        Endpoint::Bybit(Category::Spot),
        include_str!("../../../data/instruments/bybit_spot.instruments-info.json"),
    ),
    (
        Endpoint::Bybit(Category::Linear),
        include_str!("../../../data/instruments/bybit_linear.instruments-info.json"),
    ),
    (
        Endpoint::Bybit(Category::Inverse),
        include_str!("../../../data/instruments/bybit_inverse.instruments-info.json"),
    ),
];

const FEES: &str = include_str!("../../../data/instruments/fees.json");

/// Markets with no venue endpoint we read (equity bars), in catalogue-file
/// form.
const OTHERS: &str = include_str!("../../../data/instruments/others.catalogue.json");

/// The bundled fee table.
pub fn fee_schedule() -> &'static FeeSchedule {
    static FEES_TABLE: OnceLock<FeeSchedule> = OnceLock::new();
    // The bundled table is checked by the tests; were it unreadable, fees
    // would be left at zero rather than stop every command.
    FEES_TABLE.get_or_init(|| FeeSchedule::from_json(FEES).unwrap_or_default())
}

/// The offline catalogue, built once. An error here means the repository's
/// own data files are damaged; the tests read them on every run.
pub fn bundled() -> Result<&'static Catalogue, &'static str> {
    static CATALOGUE: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    CATALOGUE
        .get_or_init(build)
        .as_ref()
        .map_err(String::as_str)
}

fn build() -> Result<Catalogue, String> {
    let fees = fee_schedule();
    let mut catalogue = Catalogue::new();
    for (endpoint, body) in RESPONSES {
        let parsed = parse(endpoint, body.as_bytes()).map_err(|e| format!("bundled {e}"))?;
        for mut instrument in parsed.instruments {
            fees.apply(&mut instrument);
            catalogue.insert(instrument);
        }
    }
    let others = CatalogueFile::parse(OTHERS).map_err(|e| format!("bundled {e}"))?;
    catalogue.extend(others.catalogue.iter().cloned());
    Ok(catalogue)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kestrel_model::{ContractKind, Venue};

    use super::*;

    #[test]
    fn every_saved_response_parses_whole() {
        for (endpoint, body) in RESPONSES {
            let parsed = parse(endpoint, body.as_bytes()).unwrap();
            assert!(
                parsed.skipped.is_empty(),
                "{endpoint}: {:?}",
                parsed.skipped
            );
            assert!(!parsed.instruments.is_empty(), "{endpoint}");
        }
    }

    /// The markets of the bundled recordings, with the grids their frames
    /// are written on.
    #[test]
    fn the_bundled_recordings_markets_are_listed() {
        let c = bundled().unwrap();
        let cases = [
            (
                Venue::BinanceUsdm,
                "BTCUSDT",
                "BTC/USDT:USDT",
                "0.10",
                "0.001",
            ),
            (
                Venue::BinanceSpot,
                "BTCUSDT",
                "BTC/USDT",
                "0.01",
                "0.00000001",
            ),
            (
                Venue::BinanceCoinm,
                "BTCUSD_PERP",
                "BTC/USD:BTC",
                "0.1",
                "1",
            ),
            (Venue::Okx, "BTC-USDT", "BTC/USDT", "0.1", "0.00000001"),
            (
                Venue::BybitLinear,
                "XRPUSDT",
                "XRP/USDT:USDT",
                "0.0001",
                "1",
            ),
            (Venue::Nasdaq, "GOOG", "GOOG/USD", "0.01", "1"),
        ];
        for (venue, native, canonical, tick, lot) in cases {
            let i = c.find(venue, native).unwrap();
            assert_eq!(i.id.symbol.as_str(), canonical, "{venue} {native}");
            assert_eq!(i.tick.to_string(), tick, "{venue} {native}");
            assert_eq!(i.lot.to_string(), lot, "{venue} {native}");
        }
        let coinm = c.find(Venue::BinanceCoinm, "BTCUSD_PERP").unwrap();
        assert_eq!(coinm.contract.kind, ContractKind::Inverse);
        assert_eq!(coinm.contract.multiplier, "100".parse().unwrap());
        assert_eq!(coinm.contract.settle.as_str(), "BTC");
        let spot = c.find(Venue::BinanceSpot, "BTCUSDT").unwrap();
        assert_eq!(spot.maker_fee, "0.001".parse().unwrap());
        // Orders step by 0.00001 BTC, a thousand of the book's lots.
        assert_eq!(spot.rules.order_qty_step.unwrap().lots(), 1000);
        assert_eq!(spot.min_qty.lots(), 1000);
    }

    #[test]
    fn dated_contracts_carry_their_delivery() {
        let c = bundled().unwrap();
        for (venue, native, canonical) in [
            (Venue::BinanceUsdm, "BTCUSDT_240927", "BTC/USDT:USDT-240927"),
            (Venue::BinanceCoinm, "BTCUSD_240927", "BTC/USD:BTC-240927"),
            (Venue::Okx, "BTC-USD-240927", "BTC/USD:BTC-240927"),
        ] {
            let i = c.find(venue, native).unwrap();
            assert_eq!(i.id.symbol.as_str(), canonical);
            assert_eq!(
                i.contract.expiry.unwrap().as_nanos() / 1_000_000,
                1_727_424_000_000
            );
        }
        let okx_swap = c.find(Venue::Okx, "BTC-USDT-SWAP").unwrap();
        assert_eq!(okx_swap.contract.kind, ContractKind::Linear);
        assert_eq!(okx_swap.contract.multiplier, "0.01".parse().unwrap());
        let bybit_inverse = c.find(Venue::BybitInverse, "BTCUSD").unwrap();
        assert_eq!(bybit_inverse.contract.kind, ContractKind::Inverse);
        assert_eq!(bybit_inverse.contract.settle.as_str(), "BTC");
    }
}
