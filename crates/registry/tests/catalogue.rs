//! The catalogue, its files and the fee table, on the bundled listings.
#![allow(clippy::unwrap_used)]

use kestrel_instruments::fees::FeeSchedule;
use kestrel_instruments::file::CatalogueFile;
use kestrel_instruments::{Catalogue, LookupError};
use kestrel_model::{ContractKind, Venue};
use kestrel_registry::{bundled, bundled_fee_schedule};

#[test]
fn the_bundled_table_reads_and_bad_rows_are_named() {
    let table = bundled_fee_schedule();
    let usdm = table
        .rates(Venue::BinanceUsdm, ContractKind::Linear)
        .unwrap();
    assert_eq!(usdm.maker, "0.0002".parse().unwrap());
    assert_eq!(usdm.taker, "0.0005".parse().unwrap());
    let err = FeeSchedule::from_json(
        r#"{"tiers":[{"venue":"OKX","kind":"option","maker":"0","taker":"0"}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("kind \"option\""), "{err}");
    assert!(FeeSchedule::from_json("[]").is_err());
}

#[test]
fn lookups_by_native_canonical_and_config_name_agree() {
    let catalogue = bundled().unwrap();
    let by_native = catalogue.find(Venue::BinanceUsdm, "btcusdt").unwrap();
    let by_name = catalogue.resolve("binance_usdm:BTCUSDT").unwrap();
    let by_id = catalogue.resolve("BTC/USDT:USDT@BINANCE_USDM").unwrap();
    assert_eq!(by_native, by_name);
    assert_eq!(by_native, by_id);
    // The same native name on another venue is another market.
    let spot = catalogue.find(Venue::BinanceSpot, "BTCUSDT").unwrap();
    assert_ne!(spot.id, by_native.id);
}

#[test]
fn a_missing_symbol_names_the_fetch_command() {
    let err = bundled()
        .unwrap()
        .find(Venue::BinanceUsdm, "NOSUCHUSDT")
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("kestrel instruments fetch --venue binance_usdm"),
        "{text}"
    );
    assert!(matches!(
        bundled().unwrap().resolve("BTCUSDT"),
        Err(LookupError::BadName(_))
    ));
    assert!(matches!(
        bundled().unwrap().resolve("nowhere:BTCUSDT"),
        Err(LookupError::BadName(_))
    ));
}

#[test]
fn a_newer_listing_replaces_the_older() {
    let mut catalogue = Catalogue::new();
    let mut first = bundled()
        .unwrap()
        .find(Venue::BinanceSpot, "BTCUSDT")
        .unwrap()
        .clone();
    catalogue.insert(first.clone());
    first.tick = "0.1".parse().unwrap();
    let old = catalogue.insert(first.clone()).unwrap();
    assert_eq!(old.tick.to_string(), "0.01");
    assert_eq!(catalogue.len(), 1);
    assert_eq!(catalogue.get(&first.id).unwrap().tick.to_string(), "0.1");
}

#[test]
fn the_bundled_catalogue_round_trips_through_a_file() {
    let file = CatalogueFile {
        sources: vec![],
        catalogue: bundled().unwrap().clone(),
    };
    let text = file.to_json();
    let back = CatalogueFile::parse(&text).unwrap();
    let a: Vec<_> = file.catalogue.iter().collect();
    let b: Vec<_> = back.catalogue.iter().collect();
    assert_eq!(a, b);
}

#[test]
fn malformed_and_missing_fields_are_named() {
    let good = CatalogueFile {
        sources: vec![],
        catalogue: bundled().unwrap().clone(),
    }
    .to_json();
    let cases = [
        (
            good.replacen("\"tick\": \"0.01\"", "\"tick\": \"0.0x\"", 1),
            "tick",
        ),
        (
            good.replacen("\"kind\": \"spot\"", "\"kind\": \"option\"", 1),
            "kind",
        ),
        (
            good.replacen(
                "\"min_qty\": \"0.00001\"",
                "\"min_qty\": \"0.000000001\"",
                1,
            ),
            "min_qty",
        ),
        (good.replacen("\"lot\":", "\"lott\":", 1), "unknown field"),
        (
            good.replacen("\"native\": \"BTCUSDT\",", "", 1),
            "missing field",
        ),
        (
            good.replacen("\"version\": 1", "\"version\": 2", 1),
            "version 2",
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(text, good, "{expected}: the case did not change the file");
        let err = CatalogueFile::parse(&text).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
}
