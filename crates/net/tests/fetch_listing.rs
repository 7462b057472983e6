//! Fetching instrument listings from a local server that speaks like the
//! venues: pages, rate limits, oversized bodies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kestrel_binance::BinanceMarket;
use kestrel_bybit::Category;
use kestrel_net::{RestClient, RestConfig, RestError};
use kestrel_registry::Endpoint;
use kestrel_registry::fetch::fetch;

mod common;
use common::server;

fn bybit_page(symbol: &str, cursor: &str) -> String {
    format!(
        r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"linear","nextPageCursor":"{cursor}","list":[
        {{"symbol":"{symbol}","contractType":"LinearPerpetual","status":"Trading","baseCoin":"{base}","quoteCoin":"USDT",
          "settleCoin":"USDT","deliveryTime":"0","priceFilter":{{"minPrice":"0.1","maxPrice":"1999","tickSize":"0.1"}},
          "lotSizeFilter":{{"maxOrderQty":"100","minOrderQty":"0.01","qtyStep":"0.01","maxMktOrderQty":"10","minNotionalValue":"5"}}}}]}},
        "retExtInfo":{{}},"time":1723680000000}}"#,
        base = symbol.trim_end_matches("USDT")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_followed_and_a_rate_limit_is_waited_out() {
    let (url, seen) = server(|n, path| match n {
        0 => (429, vec![("retry-after", "1".into())], "{}".into()),
        _ if path.contains("cursor=next%3D2") => (200, vec![], bybit_page("SOLUSDT", "")),
        _ => (200, vec![], bybit_page("ETHUSDT", "next=2")),
    })
    .await;
    let started = Instant::now();
    let fetched = fetch(Endpoint::Bybit(Category::Linear), &url)
        .await
        .unwrap();
    let names: Vec<_> = fetched
        .parsed
        .instruments
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(
        names,
        ["ETH/USDT:USDT@BYBIT_LINEAR", "SOL/USDT:USDT@BYBIT_LINEAR"]
    );
    assert_eq!(fetched.requests, 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After kept"
    );
    let seen = seen.lock().unwrap();
    assert!(seen[0].starts_with("/v5/market/instruments-info?category=linear"));
    assert!(seen[2].ends_with("&cursor=next%3D2"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_okx_instrument_type_is_asked_for() {
    let (url, seen) =
        server(|_, _| (200, vec![], r#"{"code":"0","msg":"","data":[]}"#.into())).await;
    let fetched = fetch(Endpoint::Okx, &url).await.unwrap();
    assert_eq!(fetched.requests, 3);
    let seen = seen.lock().unwrap();
    for kind in ["SPOT", "SWAP", "FUTURES"] {
        assert!(
            seen.iter()
                .any(|p| p.ends_with(&format!("instType={kind}"))),
            "{seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_longer_than_we_wait_and_a_venue_error_stop_the_fetch() {
    let (url, _) = server(|_, _| (418, vec![("retry-after", "7200".into())], "{}".into())).await;
    let err = fetch(Endpoint::Binance(BinanceMarket::Spot), &url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("418"), "{err}");
    let (url, _) = server(|_, _| {
        (
            200,
            vec![],
            r#"{"retCode":10006,"retMsg":"Too many visits!","result":{}}"#.into(),
        )
    })
    .await;
    let err = fetch(Endpoint::Bybit(Category::Spot), &url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10006"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_cap_is_refused() {
    let (url, _) = server(|_, _| (200, vec![], "x".repeat(4096))).await;
    let mut config = RestConfig::new(&url);
    config.max_body_bytes = 1024;
    let client = RestClient::new(config).unwrap();
    match client.get("/api/v3/exchangeInfo", 1).await {
        Err(RestError::Decode(message)) => assert!(message.contains("longer than 1024")),
        other => panic!("{other:?}"),
    }
}
