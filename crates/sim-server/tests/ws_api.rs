//! Binance's WebSocket API on the simulator: orders placed, queried and
//! cancelled, the account and the market read, each answered in the API's
//! envelope with REST's own checks (signature, filters, weight).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use kestrel_model::{Asset, Decimal};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::AccountId;
use kestrel_sim_server::auth::sign;
use kestrel_sim_server::{ClockMode, ServerConfig};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "k";
const SECRET: &str = "s";

/// `params` with the API key, timestamp and signature a client adds: the
/// signature is over the parameters sorted by name.
fn signed(params: Value) -> Value {
    let mut m: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    m.insert("apiKey".into(), json!(KEY));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    m.insert("timestamp".into(), json!(now));
    let mut pairs: Vec<(String, String)> = m
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    pairs.sort();
    let payload: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    m.insert("signature".into(), json!(sign(SECRET, &payload.join("&"))));
    Value::Object(m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_account_and_market_over_the_websocket_api() {
    // reqwest is built with rustls but no default crypto provider (see kestrel-net).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let usdt = (Asset::new("USDT").unwrap(), Decimal::from(100_000));
    let config = ServerConfig {
        clock: ClockMode::Speed(1e9),
        ..ServerConfig::loopback(data, spot_btcusdt())
    }
    .with_account(KEY, SECRET, AccountId(1), [usdt]);
    let server = kestrel_sim_server::start(config).await.unwrap();
    // Played to the end (the book stops moving), so that the answers
    // below describe one market however loaded the machine is.
    let depth_url = format!("http://{}/api/v3/depth?symbol=BTCUSDT&limit=5", server.addr);
    let mut last = Value::Null;
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now: Value = reqwest::get(&depth_url)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if now == last && now["lastUpdateId"].is_u64() {
            break;
        }
        last = now;
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws-api/v3", server.addr))
        .await
        .unwrap();
    let mut next = 0;
    let mut call = async |method: &str, params: Value| -> Value {
        next += 1;
        let request = json!({ "id": next, "method": method, "params": params });
        ws.send(Message::Text(request.to_string().into()))
            .await
            .unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(v["id"], next, "{v}");
                return v;
            }
        }
    };

    let book = call("depth", json!({ "symbol": "BTCUSDT", "limit": 5 })).await;
    assert_eq!(book["status"], 200, "{book}");
    let bid: f64 = book["result"]["bids"][0][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(book["rateLimits"][0]["count"].as_u64().unwrap() > 0);
    let top = call("ticker.book", json!({ "symbol": "BTCUSDT" })).await;
    assert_eq!(top["result"]["bidPrice"], book["result"]["bids"][0][0]);

    let far = format!("{:.2}", bid * 0.9);
    let placed = call(
        "order.place",
        signed(json!({
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.001", "price": far, "newClientOrderId": "ws-1",
        })),
    )
    .await;
    assert_eq!(placed["status"], 200, "{placed}");
    assert_eq!(placed["result"]["status"], "NEW");
    let status = call(
        "order.status",
        signed(json!({ "symbol": "BTCUSDT", "origClientOrderId": "ws-1" })),
    )
    .await;
    assert_eq!(status["result"]["orderId"], placed["result"]["orderId"]);
    let open = call("openOrders.status", signed(json!({ "symbol": "BTCUSDT" }))).await;
    assert_eq!(open["result"].as_array().unwrap().len(), 1);
    let cancelled = call(
        "order.cancel",
        signed(json!({ "symbol": "BTCUSDT", "origClientOrderId": "ws-1" })),
    )
    .await;
    assert_eq!(cancelled["result"]["status"], "CANCELED", "{cancelled}");
    let account = call("account.status", signed(json!({}))).await;
    assert!(account["result"]["balances"].is_array(), "{account}");

    // REST's refusals, in the envelope.
    let tiny = call(
        "order.place",
        signed(json!({
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.00000001", "price": far,
        })),
    )
    .await;
    assert_eq!(
        (tiny["status"].as_u64(), tiny["error"]["code"].as_i64()),
        (Some(400), Some(-1013))
    );
    let mut forged = signed(json!({ "symbol": "BTCUSDT" }));
    forged["signature"] = json!("00");
    let refused = call("openOrders.status", forged).await;
    assert_eq!(refused["error"]["code"], -1022, "{refused}");
    let unknown = call("order.teleport", json!({})).await;
    assert_eq!(unknown["error"]["code"], -1100);
    server.shutdown().await;
}

/// `session.logon` with an Ed25519 key: the signed calls that follow carry
/// only their timestamp; after `session.logout` they are refused again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ed25519_session_signs_once_for_its_calls() {
    use base64::Engine;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let mut config = ServerConfig {
        clock: ClockMode::Speed(1e9),
        ..ServerConfig::loopback(data, spot_btcusdt())
    };
    let account = AccountId(4);
    config.keys.0.push(kestrel_sim_server::ApiKey::ed25519(
        "ed-key", public, account,
    ));
    config
        .deposits
        .push((account, Asset::new("USDT").unwrap(), Decimal::from(100_000)));
    let server = kestrel_sim_server::start(config).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws-api/v3", server.addr))
        .await
        .unwrap();
    let mut next = 0;
    let mut call = async |method: &str, params: Value| -> Value {
        next += 1;
        let request = json!({ "id": next, "method": method, "params": params });
        ws.send(Message::Text(request.to_string().into()))
            .await
            .unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            let v: Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
            if v["id"] == next {
                return v;
            }
        }
    };
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let ts = now();
    let payload = format!("apiKey=ed-key&timestamp={ts}");
    let signature = base64::engine::general_purpose::STANDARD.encode(pair.sign(payload.as_bytes()));
    let logon = call(
        "session.logon",
        json!({ "apiKey": "ed-key", "timestamp": ts, "signature": signature }),
    )
    .await;
    assert_eq!(
        (logon["status"].as_u64(), &logon["result"]["apiKey"]),
        (Some(200), &json!("ed-key")),
        "{logon}"
    );
    let order = || {
        json!({ "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                "quantity": "0.001", "price": "30000.00", "timestamp": now() })
    };
    let placed = call("order.place", order()).await;
    assert_eq!(placed["status"], 200, "{placed}");
    let status = call("session.status", json!({})).await;
    assert_eq!(status["result"]["apiKey"], "ed-key");
    let out = call("session.logout", json!({})).await;
    assert_eq!(out["result"]["apiKey"], Value::Null);
    let refused = call("order.place", order()).await;
    assert_eq!(refused["error"]["code"], -2014, "{refused}");
    // A wrong Ed25519 signature does not log on.
    let bad = call(
        "session.logon",
        json!({ "apiKey": "ed-key", "timestamp": now(), "signature": signature }),
    )
    .await;
    assert_eq!(bad["error"]["code"], -1022, "{bad}");
    server.shutdown().await;
}
