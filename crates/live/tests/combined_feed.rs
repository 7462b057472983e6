//! One market-data connection carrying two markets' streams (a venue's
//! combined streams) against a local WebSocket server: each frame reaches
//! its own market, each market gets its own depth snapshot on connect and
//! on the kernel's request, a frame naming neither is counted, and a
//! dropped connection takes both books down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::SinkExt;
use kestrel_live::{FeedMarket, LiveInput, MarketFeed, MarketStats, Route, SnapshotRequest};
use kestrel_model::InstrumentIndex;
use kestrel_net::WsConfig;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Bytes, Message};

const BTC: &str = r#"{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT"}}"#;
const ETH: &str = r#"{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","s":"ETHUSDT"}}"#;
const NOBODY: &str = r#"{"stream":"xrpusdt@trade","data":{}}"#;

/// A server that accepts one connection, sends `frames`, waits for
/// `close` and drops it.
async fn server(frames: Vec<&'static str>, close: tokio::sync::oneshot::Receiver<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/stream?streams=", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for f in frames {
            ws.send(Message::text(f)).await.unwrap();
        }
        let _ = close.await;
        drop(ws);
        // Later reconnects find nobody.
        drop(listener);
    });
    url
}

fn snapshot(body: &'static str) -> impl FnMut() -> SnapshotRequest + Send {
    move || -> SnapshotRequest { Box::pin(async move { Ok(Bytes::from_static(body.as_bytes())) }) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_markets_share_one_connection() {
    let (close_tx, close_rx) = tokio::sync::oneshot::channel();
    let url = server(vec![BTC, ETH, NOBODY], close_rx).await;
    let symbols = [b"btcusdt".as_slice(), b"ethusdt".as_slice()];
    let route: Route = Box::new(move |frame| {
        let named = kestrel_binance::endpoints::stream_symbol(frame)?;
        symbols.iter().position(|s| *s == named)
    });
    let feed = MarketFeed {
        ws: WsConfig::new(url),
        markets: vec![
            FeedMarket {
                ix: InstrumentIndex(0),
                snapshot: snapshot("btc book"),
            },
            FeedMarket {
                ix: InstrumentIndex(1),
                snapshot: snapshot("eth book"),
            },
        ],
        route,
    };
    let (inputs, received) = std::sync::mpsc::channel();
    let (resync_btc, resync_btc_rx) = tokio::sync::mpsc::unbounded_channel();
    let (_resync_eth, resync_eth_rx) = tokio::sync::mpsc::unbounded_channel();
    let stats = Arc::new(MarketStats::default());
    let task = tokio::spawn(kestrel_live::market::run(
        feed,
        inputs,
        vec![resync_btc_rx, resync_eth_rx],
        Arc::clone(&stats),
    ));
    let next = || {
        received
            .recv_timeout(Duration::from_secs(10))
            .expect("an input")
    };
    let frame = |input: LiveInput| match input {
        LiveInput::Frame { ix, bytes, .. } => (ix.0, String::from_utf8(bytes.to_vec()).unwrap()),
        other => panic!("not a frame: {other:?}"),
    };
    let mut seen: Vec<(u16, String)> = (0..4).map(|_| frame(next())).collect();
    seen.sort();
    let mut expected = [
        (0, BTC.to_owned()),
        (0, "btc book".to_owned()),
        (1, ETH.to_owned()),
        (1, "eth book".to_owned()),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    // The kernel asks for one market's book again: only that one comes,
    // and as the book came just before, after a pause (a venue whose books
    // keep failing is not asked again at once).
    let asked = std::time::Instant::now();
    resync_btc.send(()).unwrap();
    assert_eq!(frame(next()), (0, "btc book".to_owned()));
    assert!(
        asked.elapsed() >= Duration::from_millis(200),
        "{:?}",
        asked.elapsed()
    );
    // The frame naming neither market follows the two: counted, not passed.
    for _ in 0..500 {
        if stats.unrouted.load(Ordering::Relaxed) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stats.unrouted.load(Ordering::Relaxed), 1);
    assert_eq!(stats.snapshots.load(Ordering::Relaxed), 3);
    // The connection drops: both books go down.
    close_tx.send(()).unwrap();
    let mut down: Vec<u16> = (0..2)
        .map(|_| match next() {
            LiveInput::MarketDown(ix) => ix.0,
            other => panic!("not a market down: {other:?}"),
        })
        .collect();
    down.sort();
    assert_eq!(down, [0, 1]);
    task.abort();
}
