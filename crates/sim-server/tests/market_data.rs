//! The public market-data endpoints over the bundled spot recording,
//! replayed to its end: tickers, average price, recent, historical and
//! aggregate trades agree with each other, with the klines and with the
//! book, and bad parameters get Binance's errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use kestrel_model::Decimal;
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim_server::{ClockMode, ServerConfig};
use serde_json::Value;

fn dec(v: &Value) -> Decimal {
    Decimal::parse(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

fn sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickers_trades_and_aggregates_agree_with_the_recording() {
    // reqwest is built with rustls but no default crypto provider (see kestrel-net).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let config = ServerConfig {
        clock: ClockMode::Speed(1e9),
        weight_per_minute: 3_000,
        ..ServerConfig::loopback(data, spot_btcusdt())
    };
    let server = kestrel_sim_server::start(config).await.unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // Played to the end: the last trade stops moving.
    let mut last = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (_, t) = get("/api/v3/ticker/price?symbol=BTCUSDT".into()).await;
        if t == last && t["price"] != "0.00" {
            break;
        }
        last = t;
    }

    let (status, day) = get("/api/v3/ticker/24hr?symbol=BTCUSDT".into()).await;
    assert_eq!(status, 200, "{day}");
    let count = day["count"].as_u64().unwrap();
    assert!(count > 1_000, "the recording has trades: {day}");
    let (first_id, last_id) = (
        day["firstId"].as_u64().unwrap(),
        day["lastId"].as_u64().unwrap(),
    );
    assert_eq!(
        last_id - first_id + 1,
        count,
        "spot trade ids are consecutive"
    );
    assert_eq!(day["lastPrice"], last["price"]);

    // The minutes' klines hold the same trades and volume.
    let (_, klines) = get("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000".into()).await;
    let klines = klines.as_array().unwrap();
    let kline_count: u64 = klines.iter().map(|k| k[8].as_u64().unwrap()).sum();
    assert_eq!(kline_count, count);
    assert_eq!(sum(klines.iter().map(|k| dec(&k[5]))), dec(&day["volume"]));
    assert_eq!(
        sum(klines.iter().map(|k| dec(&k[7]))),
        dec(&day["quoteVolume"])
    );
    let high = klines.iter().map(|k| dec(&k[2])).max().unwrap();
    let low = klines.iter().map(|k| dec(&k[3])).min().unwrap();
    assert_eq!((dec(&day["highPrice"]), dec(&day["lowPrice"])), (high, low));
    assert_eq!(dec(&day["openPrice"]), dec(&klines[0][1]));
    // The recording is minutes long: an hour's window holds all of it.
    let (_, hour) = get("/api/v3/ticker?symbol=BTCUSDT&windowSize=1h".into()).await;
    assert_eq!(
        (&hour["count"], &hour["volume"]),
        (&day["count"], &day["volume"])
    );

    // The newest trades, and the same from their first id.
    let (_, newest) = get("/api/v3/trades?symbol=BTCUSDT&limit=1000".into()).await;
    let newest = newest.as_array().unwrap();
    assert_eq!(newest.len(), 1000);
    assert_eq!(newest.last().unwrap()["id"].as_u64(), Some(last_id));
    let from = newest[0]["id"].as_u64().unwrap();
    let (_, again) = get(format!(
        "/api/v3/historicalTrades?symbol=BTCUSDT&fromId={from}&limit=1000"
    ))
    .await;
    assert_eq!(again.as_array().unwrap(), newest);

    // Aggregates cover the trades they name, quantity for quantity.
    let (_, aggs) = get("/api/v3/aggTrades?symbol=BTCUSDT&limit=1000".into()).await;
    let aggs = aggs.as_array().unwrap();
    assert!(!aggs.is_empty());
    let tail: Vec<&Value> = aggs
        .iter()
        .filter(|a| a["f"].as_u64().unwrap() >= from)
        .collect();
    let covered = sum(tail.iter().map(|a| dec(&a["q"])));
    let traded = sum(newest
        .iter()
        .filter(|t| t["id"].as_u64().unwrap() <= tail.last().unwrap()["l"].as_u64().unwrap())
        .filter(|t| t["id"].as_u64().unwrap() >= tail[0]["f"].as_u64().unwrap())
        .map(|t| dec(&t["qty"])));
    assert_eq!(covered, traded);
    for pair in aggs.windows(2) {
        assert_eq!(
            pair[0]["a"].as_u64().unwrap() + 1,
            pair[1]["a"].as_u64().unwrap()
        );
        assert_eq!(
            pair[0]["l"].as_u64().unwrap() + 1,
            pair[1]["f"].as_u64().unwrap()
        );
    }

    // The book's top, two ways.
    let (_, top) = get("/api/v3/ticker/bookTicker?symbol=BTCUSDT".into()).await;
    let (_, depth) = get("/api/v3/depth?symbol=BTCUSDT&limit=5".into()).await;
    assert_eq!(top["bidPrice"], depth["bids"][0][0]);
    assert_eq!(top["askQty"], depth["asks"][0][1]);
    let (_, all) = get("/api/v3/ticker/bookTicker".into()).await;
    assert_eq!(all, Value::Array(vec![top]));

    // The five minutes' average lies within the day's range.
    let (_, avg) = get("/api/v3/avgPrice?symbol=BTCUSDT".into()).await;
    assert_eq!(avg["mins"], 5);
    let avg = dec(&avg["price"]);
    assert!(avg >= low && avg <= high, "{avg}");

    // Bad requests get Binance's errors.
    for (path, code) in [
        ("/api/v3/ticker/24hr?symbol=ETHUSDT", -1121),
        ("/api/v3/trades?symbol=BTCUSDT&limit=abc", -1100),
        ("/api/v3/trades?symbol=BTCUSDT&limit=-1", -1100),
        (
            "/api/v3/aggTrades?symbol=BTCUSDT&startTime=0&endTime=3600001",
            -1127,
        ),
        ("/api/v3/ticker", -1102),
        ("/api/v3/ticker?symbol=BTCUSDT&windowSize=8d", -1100),
        ("/api/v3/avgPrice", -1102),
        (
            "/api/v3/ticker/price?symbol=BTCUSDT&symbols=[\"BTCUSDT\"]",
            -1128,
        ),
        ("/api/v3/depth?symbol=BTCUSDT&limit=-1", -1100),
        ("/api/v3/depth?symbol=BTCUSDT&limit=abc", -1100),
        ("/api/v3/depth?symbol=BTCUSDT&limit=5&limit=10", -1101),
    ] {
        let (status, body) = get(path.into()).await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (400, Some(code)),
            "{path}: {body}"
        );
    }
    // Paths and methods not served answer with a Binance body too.
    let (status, body) = get("/api/v3/nothing".into()).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (404, Some(-1020)),
        "{body}"
    );
    let r = http
        .put(format!("{base}/api/v3/ticker/24hr"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], -1020);
    // The weight limit advertised is the one in force.
    let (_, info) = get("/api/v3/exchangeInfo".into()).await;
    assert_eq!(info["rateLimits"][0]["limit"], 3_000);
    assert_eq!(
        day["prevClosePrice"], "0.00",
        "nothing traded before the recording"
    );
    server.shutdown().await;
}
