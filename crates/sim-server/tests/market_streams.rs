//! The derived market streams over the spot recording: aggregate trades,
//! klines, tickers and the average price arrive as subscribed, in the raw,
//! combined and all-market forms, and agree with the REST answers; a
//! stream the server does not serve is refused, never accepted and left
//! silent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim_server::{ClockMode, ServerConfig};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Text messages as JSON until `quiet` passes with none.
async fn drain(ws: &mut Socket, quiet: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout(quiet, ws.next()).await {
        if let Message::Text(t) = m {
            out.push(serde_json::from_str(&t).unwrap());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_streams_arrive_as_subscribed_and_unknown_ones_are_refused() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let config = ServerConfig {
        clock: ClockMode::Stepped,
        ..ServerConfig::loopback(data, spot_btcusdt())
    };
    let server = kestrel_sim_server::start(config).await.unwrap();
    let (base, ws_base) = (
        format!("http://{}", server.addr),
        format!("ws://{}", server.addr),
    );
    let http = reqwest::Client::new();

    // A name not served refuses the connection with Binance's error.
    let r = http
        .get(format!("{base}/ws/btcusdt@markPrice"))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], -1100);
    assert!(
        tokio_tungstenite::connect_async(format!("{ws_base}/ws/btcusdt@trade/ethusdt@trade"))
            .await
            .is_err()
    );

    // The raw form with two names, and a SUBSCRIBE on the bare socket.
    let (mut raw, _) =
        tokio_tungstenite::connect_async(format!("{ws_base}/ws/btcusdt@aggTrade/btcusdt@kline_1m"))
            .await
            .unwrap();
    let (mut bare, _) = tokio_tungstenite::connect_async(format!("{ws_base}/ws"))
        .await
        .unwrap();
    let subscribe = |id: u64, params: Value| {
        Message::Text(
            json!({ "method": "SUBSCRIBE", "params": params, "id": id })
                .to_string()
                .into(),
        )
    };
    bare.send(subscribe(1, json!(["btcusdt@ticker", "nope@trade"])))
        .await
        .unwrap();
    let refused = drain(&mut bare, Duration::from_millis(300)).await;
    assert_eq!(refused[0]["error"]["code"], 2, "{refused:?}");
    bare.send(subscribe(
        2,
        json!([
            "btcusdt@ticker",
            "!miniTicker@arr",
            "btcusdt@avgPrice",
            "btcusdt@ticker_1h",
            "btcusdt@ticker"
        ]),
    ))
    .await
    .unwrap();
    assert_eq!(
        drain(&mut bare, Duration::from_millis(300)).await,
        [json!({ "result": null, "id": 2 })]
    );
    bare.send(Message::Text(
        json!({ "method": "LIST_SUBSCRIPTIONS", "id": 3 })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let listed = drain(&mut bare, Duration::from_millis(300)).await;
    assert_eq!(
        listed[0]["result"].as_array().unwrap().len(),
        4,
        "one ticker: {listed:?}"
    );

    // The same name many times over is one stream; a message past 64 KiB
    // ends the connection instead of being read.
    let (mut flood, _) = tokio_tungstenite::connect_async(format!("{ws_base}/ws"))
        .await
        .unwrap();
    flood
        .send(subscribe(4, json!(vec!["btcusdt@trade"; 3_000])))
        .await
        .unwrap();
    assert_eq!(
        drain(&mut flood, Duration::from_millis(300)).await,
        [json!({ "result": null, "id": 4 })]
    );
    let _ = flood
        .send(subscribe(5, json!(vec!["btcusdt@trade"; 10_000])))
        .await;
    let end = tokio::time::timeout(Duration::from_secs(5), flood.next()).await;
    assert!(
        matches!(end, Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_))))),
        "{end:?}"
    );

    // A minute and more of the market.
    http.post(format!("{base}/sim/clock/step?frames=40000"))
        .header(kestrel_sim_server::CONTROL_HEADER, &server.control_token)
        .send()
        .await
        .unwrap();
    let raw_events = drain(&mut raw, Duration::from_millis(1_500)).await;
    let bare_events = drain(&mut bare, Duration::from_millis(300)).await;

    let by_kind = |events: &[Value]| {
        let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for e in events {
            let kind = match e {
                Value::Array(a) => format!("[{}]", a[0]["e"].as_str().unwrap()),
                e => e["e"].as_str().unwrap().to_owned(),
            };
            m.entry(kind).or_default().push(e.clone());
        }
        m
    };
    let raw_kinds = by_kind(&raw_events);
    let aggs = &raw_kinds["aggTrade"];
    assert!(aggs.len() > 100, "{} aggregates", aggs.len());
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
    let klines = &raw_kinds["kline"];
    let closed: Vec<&Value> = klines.iter().filter(|k| k["k"]["x"] == true).collect();
    assert!(!closed.is_empty(), "a minute closed");
    assert!(klines.iter().all(|k| k["k"]["i"] == "1m"));
    // A closed minute's kline is the one REST serves for it.
    let open = closed[0]["k"]["t"].as_u64().unwrap();
    let rest: Value = http
        .get(format!(
            "{base}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={open}&limit=1"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let k = &closed[0]["k"];
    assert_eq!(
        [&k["o"], &k["h"], &k["l"], &k["c"], &k["v"]],
        [
            &rest[0][1],
            &rest[0][2],
            &rest[0][3],
            &rest[0][4],
            &rest[0][5]
        ]
    );
    assert_eq!(k["n"], rest[0][8]);

    let bare_kinds = by_kind(&bare_events);
    for kind in ["24hrTicker", "[24hrMiniTicker]", "avgPrice", "1hTicker"] {
        assert!(
            bare_kinds.contains_key(kind),
            "{kind}: {:?}",
            bare_kinds.keys()
        );
    }
    // The last 24-hour ticker pushed is what REST says now.
    let last = bare_kinds["24hrTicker"].last().unwrap();
    let day: Value = http
        .get(format!("{base}/api/v3/ticker/24hr?symbol=BTCUSDT"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(last["n"].as_u64().unwrap() <= day["count"].as_u64().unwrap());
    assert_eq!(
        last["O"].as_u64().unwrap() + 86_400_000,
        last["C"].as_u64().unwrap()
    );
    server.shutdown().await;
}
