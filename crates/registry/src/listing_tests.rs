#![allow(clippy::unwrap_used)]

use kestrel_model::{ContractKind, Decimal, InstrumentStatus, Qty};

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A Binance spot listing shaped like the documented response: one symbol
/// trading, one in `BREAK`, one with a status from the future.
const SPOT: &str = r#"{"timezone":"UTC","serverTime":1723680000000,"rateLimits":[],"exchangeFilters":[],
  "symbols":[
    {"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","baseAssetPrecision":8,"quoteAsset":"BTC",
     "filters":[{"filterType":"PRICE_FILTER","minPrice":"0.00001000","maxPrice":"922327.00000000","tickSize":"0.00001000"},
                {"filterType":"LOT_SIZE","minQty":"0.00010000","maxQty":"100000.00000000","stepSize":"0.00010000"},
                {"filterType":"MARKET_LOT_SIZE","minQty":"0.00000000","maxQty":"908.99024267","stepSize":"0.00000000"},
                {"filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"5","bidMultiplierDown":"0.2","askMultiplierUp":"5","askMultiplierDown":"0.2","avgPriceMins":5},
                {"filterType":"NOTIONAL","minNotional":"0.00010000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5},
                {"filterType":"MAX_NUM_ORDERS","maxNumOrders":200},
                {"filterType":"MAX_NUM_ALGO_ORDERS","maxNumAlgoOrders":5}]},
    {"symbol":"OLDBTC","status":"BREAK","baseAsset":"OLD","baseAssetPrecision":8,"quoteAsset":"BTC",
     "filters":[{"filterType":"PRICE_FILTER","tickSize":"0.00000001"},{"filterType":"LOT_SIZE","minQty":"1.00000000","stepSize":"1.00000000"}]},
    {"symbol":"NEWBTC","status":"SOMETHING_NEW","baseAsset":"NEW","quoteAsset":"BTC","filters":[]}]}"#;

#[test]
fn binance_spot_reads_grids_rules_and_every_status() {
    let parsed = parse(Endpoint::Binance(BinanceMarket::Spot), SPOT.as_bytes()).unwrap();
    assert_eq!(parsed.instruments.len(), 2);
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(parsed.skipped[0].symbol, "NEWBTC");
    assert!(parsed.skipped[0].reason.contains("SOMETHING_NEW"));
    let eth = &parsed.instruments[0];
    assert_eq!(eth.id.to_string(), "ETH/BTC@BINANCE_SPOT");
    assert_eq!(eth.tick.to_string(), "0.00001");
    assert_eq!(eth.lot.to_string(), "0.00000001");
    assert_eq!(eth.min_qty, Qty::from_lots(10_000));
    assert_eq!(eth.rules.order_qty_step, Some(Qty::from_lots(10_000)));
    // 908.99024267 ETH in lots of 10^-8.
    assert_eq!(
        eth.rules.max_market_qty,
        Some(Qty::from_lots(90_899_024_267))
    );
    assert_eq!(eth.min_notional, d("0.0001"));
    assert_eq!(eth.rules.max_notional, Some(d("9000000")));
    assert_eq!(eth.rules.price_band.unwrap().bid_down, d("0.2"));
    assert_eq!(eth.rules.max_open_orders, Some(200));
    assert_eq!(eth.rules.max_algo_orders, Some(5));
    assert_eq!(parsed.instruments[1].rules.status, InstrumentStatus::Halted);
}

#[test]
fn binance_futures_are_linear_or_inverse_with_their_contract() {
    let usdm = r#"{"symbols":[{"symbol":"ETHUSDT","pair":"ETHUSDT","contractType":"PERPETUAL","deliveryDate":4133404800000,
        "status":"TRADING","baseAsset":"ETH","quoteAsset":"USDT","marginAsset":"USDT",
        "filters":[{"filterType":"PRICE_FILTER","minPrice":"39.86","maxPrice":"306177","tickSize":"0.01"},
                   {"filterType":"LOT_SIZE","stepSize":"0.001","maxQty":"10000","minQty":"0.001"},
                   {"filterType":"MARKET_LOT_SIZE","stepSize":"0.001","maxQty":"2000","minQty":"0.001"},
                   {"filterType":"MAX_NUM_ORDERS","limit":200},{"filterType":"MAX_NUM_ALGO_ORDERS","limit":10},
                   {"filterType":"MIN_NOTIONAL","notional":"20"},
                   {"filterType":"PERCENT_PRICE","multiplierUp":"1.0500","multiplierDown":"0.9500","multiplierDecimal":"4"}]}]}"#;
    let parsed = parse(Endpoint::Binance(BinanceMarket::UsdM), usdm.as_bytes()).unwrap();
    let eth = &parsed.instruments[0];
    assert_eq!(eth.id.to_string(), "ETH/USDT:USDT@BINANCE_USDM");
    assert_eq!(eth.contract.kind, ContractKind::Linear);
    assert_eq!(eth.min_notional, d("20"));
    assert_eq!(eth.rules.max_qty, Some(Qty::from_lots(10_000_000)));
    assert_eq!(eth.rules.price_band.unwrap().ask_up, d("1.05"));
    assert_eq!(eth.rules.max_algo_orders, Some(10));

    let coinm = r#"{"symbols":[{"symbol":"ETHUSD_PERP","pair":"ETHUSD","contractType":"PERPETUAL","contractStatus":"TRADING",
        "contractSize":10,"marginAsset":"ETH","baseAsset":"ETH","quoteAsset":"USD",
        "filters":[{"filterType":"PRICE_FILTER","tickSize":"0.01","minPrice":"50","maxPrice":"306159"},
                   {"filterType":"LOT_SIZE","stepSize":"1","minQty":"1","maxQty":"1000000"}]}]}"#;
    let eth = &parse(Endpoint::Binance(BinanceMarket::CoinM), coinm.as_bytes())
        .unwrap()
        .instruments[0];
    assert_eq!(eth.id.to_string(), "ETH/USD:ETH@BINANCE_COINM");
    assert_eq!(eth.contract.kind, ContractKind::Inverse);
    assert_eq!(eth.contract.multiplier, d("10"));
    // An inverse contract's value does not move with price: 3 × 10 USD.
    let price = kestrel_model::Price::parse("2500.00", &eth.tick).unwrap();
    assert_eq!(eth.notional(price, Qty::from_lots(3)), Some(d("30")));
    // Without contractSize an inverse listing cannot be read.
    let broken = coinm.replace("\"contractSize\":10,", "");
    let err = parse(Endpoint::Binance(BinanceMarket::CoinM), broken.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("ETHUSD_PERP: contractSize"),
        "{err}"
    );
}

#[test]
fn missing_or_malformed_fields_name_symbol_and_field() {
    let cases = [
        (
            SPOT.replace("\"tickSize\":\"0.00001000\"", "\"tickSize\":\"abc\""),
            "ETHBTC: PRICE_FILTER.tickSize",
        ),
        (
            SPOT.replacen("\"minQty\":\"0.00010000\"", "\"minQty\":\"0.000100001\"", 1),
            "ETHBTC: LOT_SIZE.minQty",
        ),
        (
            SPOT.replacen("\"baseAssetPrecision\":8,", "", 1),
            "ETHBTC: baseAssetPrecision",
        ),
        (
            SPOT.replacen("\"baseAsset\":\"ETH\",", "", 1),
            "ETHBTC: baseAsset",
        ),
        (
            SPOT.replacen("\"maxNumOrders\":200", "\"maxNumOrders\":\"many\"", 1),
            "ETHBTC: symbol entry",
        ),
    ];
    for (body, expected) in cases {
        let err = parse(Endpoint::Binance(BinanceMarket::Spot), body.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
    let err = parse(
        Endpoint::Binance(BinanceMarket::Spot),
        br#"{"code":-1003,"msg":"Too many requests"}"#,
    )
    .unwrap_err();
    assert!(matches!(err, ParseError::Venue { .. }), "{err}");
    assert!(matches!(
        parse(Endpoint::Binance(BinanceMarket::Spot), b"[1,2]"),
        Err(ParseError::Json { .. })
    ));
}

#[test]
fn okx_counts_contracts_and_leaves_options_out() {
    let body = r#"{"code":"0","msg":"","data":[
      {"instType":"SWAP","instId":"ETH-USDT-SWAP","uly":"ETH-USDT","instFamily":"ETH-USDT","baseCcy":"","quoteCcy":"",
       "settleCcy":"USDT","ctVal":"0.1","ctMult":"1","ctValCcy":"ETH","ctType":"linear","expTime":"","tickSz":"0.01",
       "lotSz":"0.01","minSz":"0.01","maxLmtSz":"1000000","maxMktSz":"20000","maxLmtAmt":"20000000","state":"live"},
      {"instType":"OPTION","instId":"BTC-USD-240927-60000-C","uly":"BTC-USD","state":"live","tickSz":"0.0005","lotSz":"1","minSz":"1"},
      {"instType":"SPOT","instId":"SOL-USDT","baseCcy":"SOL","quoteCcy":"USDT","tickSz":"0.01","lotSz":"0.000001",
       "minSz":"0.01","maxLmtSz":"","maxMktSz":"1000000","state":"suspend"}]}"#;
    let parsed = parse(Endpoint::Okx, body.as_bytes()).unwrap();
    assert_eq!(parsed.instruments.len(), 2);
    assert_eq!(parsed.skipped[0].symbol, "BTC-USD-240927-60000-C");
    let eth = &parsed.instruments[0];
    assert_eq!(eth.id.to_string(), "ETH/USDT:USDT@OKX");
    assert_eq!(eth.contract.multiplier, d("0.1"));
    // 5 contracts of 0.1 ETH at 2500: 1250 USDT.
    let price = kestrel_model::Price::parse("2500", &eth.tick).unwrap();
    assert_eq!(eth.notional(price, Qty::from_lots(500)), Some(d("1250")));
    assert_eq!(parsed.instruments[1].rules.status, InstrumentStatus::Halted);
    assert_eq!(parsed.instruments[1].rules.max_qty, None);
    let err = parse(
        Endpoint::Okx,
        br#"{"code":"50011","msg":"Rate limit reached","data":[]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("50011"), "{err}");
}

#[test]
fn bybit_pages_and_refuses_a_contract_in_the_wrong_listing() {
    let body = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"abc",
      "list":[{"symbol":"BTC-27SEP24","contractType":"LinearFutures","status":"Trading","baseCoin":"BTC","quoteCoin":"USDC",
               "settleCoin":"USDC","deliveryTime":"1727424000000",
               "priceFilter":{"minPrice":"0.50","maxPrice":"199999.00","tickSize":"0.50"},
               "lotSizeFilter":{"maxOrderQty":"500","minOrderQty":"0.001","qtyStep":"0.001","maxMktOrderQty":"50","minNotionalValue":"5"}}]},
      "retExtInfo":{},"time":1723680000000}"#;
    let parsed = parse(Endpoint::Bybit(Category::Linear), body.as_bytes()).unwrap();
    assert_eq!(parsed.next_cursor.as_deref(), Some("abc"));
    let btc = &parsed.instruments[0];
    assert_eq!(btc.id.to_string(), "BTC/USDC:USDC-240927@BYBIT_LINEAR");
    assert_eq!(btc.min_notional, d("5"));
    let err = parse(Endpoint::Bybit(Category::Inverse), body.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("contractType"), "{err}");
    let err = parse(
        Endpoint::Bybit(Category::Spot),
        br#"{"retCode":10006,"retMsg":"Too many visits!","result":{}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("10006"), "{err}");
}

proptest::proptest! {
    /// No byte string makes a parser panic.
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        for endpoint in Endpoint::ALL {
            let _ = parse(endpoint, &bytes);
        }
    }

    /// Nor does any single-byte change to a real listing.
    #[test]
    fn parsers_never_panic_on_a_damaged_listing(at in 0usize..SPOT.len(), byte in proptest::num::u8::ANY) {
        let mut body = SPOT.as_bytes().to_vec();
        body[at] = byte;
        let _ = parse(Endpoint::Binance(BinanceMarket::Spot), &body);
    }
}
