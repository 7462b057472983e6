//! The server's REST faults, order refusals, ack delay, listen-key user
//! stream, cancel-all and stepped clock, each as a client sees them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use kestrel_model::{Asset, Decimal};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::AccountId;
use kestrel_sim_server::auth::sign;
use kestrel_sim_server::{RunningServer, ServerConfig};
use serde_json::{Value, json};

const KEY: &str = "k";
/// The control token the tests set.
const TOKEN: &str = "rest-and-streams-control";
const SECRET: &str = "s";

async fn server() -> RunningServer {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let usdt = (
        Asset::new("USDT").unwrap(),
        Decimal::parse("100000").unwrap(),
    );
    let config = ServerConfig {
        control_token: TOKEN.into(),
        ..ServerConfig::loopback(data, spot_btcusdt())
    };
    kestrel_sim_server::start(config.with_account(KEY, SECRET, AccountId(1), [usdt]))
        .await
        .unwrap()
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// A signed call; the status and JSON body.
async fn signed(
    base: &str,
    method: reqwest::Method,
    path: &str,
    params: &str,
    ts: u128,
) -> (u16, Value) {
    let payload = format!("{params}&timestamp={ts}");
    let body = format!("{payload}&signature={}", sign(SECRET, &payload));
    let response = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header("X-MBX-APIKEY", KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn set_faults(base: &str, faults: Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/sim/faults"))
        .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

const RESTING: &str =
    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_refusals_and_the_clock_as_clients_see_them() {
    // reqwest is built with rustls but no default crypto provider (see kestrel-net).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = server().await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    // The control endpoints are the token holder's alone: no token, a
    // wrong one, another origin or a body that is not JSON is refused,
    // and nothing changes.
    let faults_url = format!("{base}/sim/faults");
    let reject_all = r#"{"rest_5xx_rate": 1.0}"#;
    let refused = [
        http.post(&faults_url)
            .body(reject_all)
            .header("Content-Type", "application/json"),
        http.post(&faults_url)
            .header(kestrel_sim_server::CONTROL_HEADER, "guess")
            .header("Content-Type", "application/json")
            .body(reject_all),
        http.post(&faults_url)
            .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
            .header("Origin", "http://evil.example")
            .header("Content-Type", "application/json")
            .body(reject_all),
        http.post(&faults_url)
            .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
            .header("Content-Type", "text/plain")
            .body(reject_all),
    ];
    for (request, status) in refused.into_iter().zip([401, 401, 403, 415]) {
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status);
    }
    let now: Value = http
        .get(&faults_url)
        .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        now,
        serde_json::to_value(kestrel_sim_server::FaultConfig::default()).unwrap()
    );
    // A body past the limit is refused with a Binance body.
    let huge = "x".repeat(100_000);
    let r = http
        .post(format!("{base}/api/v3/order"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], -1101);

    // 429 with Retry-After, then 503, both logged.
    set_faults(&base, json!({ "rest_429_rate": 1.0, "retry_after_s": 7 })).await;
    let r = http
        .get(format!("{base}/api/v3/time"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(r.json::<Value>().await.unwrap()["code"], -1003);
    set_faults(&base, json!({ "rest_5xx_rate": 1.0 })).await;
    let r = http
        .get(format!("{base}/api/v3/time"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);

    // Orders refused with the configured code.
    set_faults(&base, json!({ "reject_code": -2010 })).await;
    let (status, body) = signed(
        &base,
        reqwest::Method::POST,
        "/api/v3/order",
        RESTING,
        now_ms(),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(-2010)));

    // Acks held back.
    set_faults(&base, json!({ "ack_delay_ms": 150 })).await;
    let started = Instant::now();
    let (status, _) = signed(
        &base,
        reqwest::Method::POST,
        "/api/v3/order",
        RESTING,
        now_ms(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    set_faults(&base, json!({})).await;

    let log: Value = http
        .get(format!("{base}/sim/faults/log"))
        .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for kind in ["rest_429", "rest_5xx", "reject_order"] {
        assert!(kinds.contains(&kind), "{kind} logged: {kinds:?}");
    }
    assert!(log[0]["time_ms"].as_u64().unwrap() > 0);

    // An old timestamp and a bad signature.
    let (status, body) = signed(
        &base,
        reqwest::Method::POST,
        "/api/v3/order",
        RESTING,
        now_ms() - 60_000,
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(-1021)));

    // The listen-key stream carries the fill and the balances.
    let key: Value = http
        .post(format!("{base}/api/v3/userDataStream"))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "ws://{}/ws/{}",
        server.addr,
        key["listenKey"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let market = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    let (status, order) = signed(
        &base,
        reqwest::Method::POST,
        "/api/v3/order",
        market,
        now_ms(),
    )
    .await;
    assert_eq!((status, order["status"].as_str()), (200, Some("FILLED")));
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|e: &Value| e["e"] == "outboundAccountPosition")
    {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Ok(text) = message.to_text() {
            seen.push(serde_json::from_str(text).unwrap());
        }
    }
    let exec: Vec<&str> = seen
        .iter()
        .filter(|e| e["e"] == "executionReport" && e["i"] == order["orderId"])
        .map(|e| e["x"].as_str().unwrap())
        .collect();
    assert_eq!(exec, ["NEW", "TRADE"]);

    // A market buy that names what to spend (ccxt sends this).
    let spend = "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100";
    let (status, order) = signed(
        &base,
        reqwest::Method::POST,
        "/api/v3/order",
        spend,
        now_ms(),
    )
    .await;
    assert_eq!((status, order["status"].as_str()), (200, Some("FILLED")));
    let spent: f64 = order["cummulativeQuoteQty"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let bought: f64 = order["executedQty"].as_str().unwrap().parse().unwrap();
    assert!(spent <= 100.0 && spent > 99.0 && bought > 0.0, "{order}");

    // Cancel-all answers every open order, then -2011 when none is left.
    signed(
        &base,
        reqwest::Method::POST,
        "/api/v3/order",
        RESTING,
        now_ms(),
    )
    .await;
    let (status, cancelled) = signed(
        &base,
        reqwest::Method::DELETE,
        "/api/v3/openOrders",
        "symbol=BTCUSDT",
        now_ms(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        cancelled.as_array().unwrap().len(),
        2,
        "the delayed-ack order and this one"
    );
    assert!(
        cancelled
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "CANCELED")
    );
    let (status, body) = signed(
        &base,
        reqwest::Method::DELETE,
        "/api/v3/openOrders",
        "symbol=BTCUSDT",
        now_ms(),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(-2011)));

    // A stepped clock moves only when told.
    let depth = |http: reqwest::Client| {
        let url = format!("{base}/api/v3/depth?symbol=BTCUSDT&limit=5");
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["lastUpdateId"]
                .as_u64()
                .unwrap()
        }
    };
    let before = depth(http.clone()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(depth(http.clone()).await, before);
    http.post(format!("{base}/sim/clock/step?frames=200"))
        .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(depth(http.clone()).await > before);
    server.shutdown().await;
}
