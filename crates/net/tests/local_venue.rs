//! The connection layer against a venue on 127.0.0.1 that serves the real
//! capture, drops connections mid-stream, goes silent, and rate-limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_binance::{BinanceMarket, BinanceRest};
use kestrel_feed::capture::{CaptureReader, CaptureWriter};
use kestrel_feed::{InstrumentFeed, Instruments, Trust};
use kestrel_net::{
    BackoffPolicy, Disconnect, RestClient, RestConfig, RestError, WsConfig, WsEvent,
};
use kestrel_registry::testing::usdm_btcusdt;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::{Bytes, Message};

mod common;

const CAPTURE: &str = "../../data/sample/binance_usdm_btcusdt_20240808.raw.gz";

/// The capture's first `n` lines: websocket frames and the REST snapshot body.
fn capture_prefix(n: usize) -> (Vec<String>, String) {
    let mut reader =
        CaptureReader::open(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CAPTURE)).unwrap();
    let (mut frames, mut snapshot) = (Vec::new(), String::new());
    while let Some(frame) = reader.next_frame() {
        let text = String::from_utf8(frame.unwrap().frame.to_vec()).unwrap();
        if text.contains("lastUpdateId") {
            snapshot = text;
        } else {
            frames.push(text);
        }
        if frames.len() == n {
            break;
        }
    }
    (frames, snapshot)
}

/// How the test venue treats connection number `i` (from 0).
#[derive(Clone)]
enum Ending {
    /// Send the frames, then close the TCP connection without a close
    /// frame. Unread bytes on our side make that a reset, and a reset
    /// discards what the client had not read yet: frames are lost, as in a
    /// real drop.
    Drop,
    /// Send the frames, then, once the test notifies, close with the
    /// WebSocket close handshake.
    CloseWhen(Arc<Notify>),
    /// Send the frames, then hold the connection open, sending nothing and
    /// reading nothing (no pongs either).
    Silent,
    /// Send the frames and keep reading until the client leaves.
    Stay,
}

#[derive(Default)]
struct Seen {
    /// Text messages received, per connection.
    texts: Vec<Vec<String>>,
    /// Pong payloads received.
    pongs: Vec<Bytes>,
}

/// A WebSocket venue: connection `i` gets `script(i)`.
async fn ws_venue(
    script: impl Fn(usize) -> (Vec<String>, Ending) + Send + 'static,
) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/stream", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        for i in 0.. {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            record.lock().unwrap().texts.push(Vec::new());
            let (frames, ending) = script(i);
            // The client subscribes first; then a heartbeat, then data.
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                record.lock().unwrap().texts[i].push(t.to_string());
            }
            if ws
                .send(Message::Ping(Bytes::from_static(b"hb")))
                .await
                .is_err()
            {
                continue;
            }
            for f in frames {
                if ws.send(Message::text(f)).await.is_err() {
                    break;
                }
            }
            match ending {
                Ending::Drop => drop(ws),
                Ending::CloseWhen(notify) => {
                    notify.notified().await;
                    let _ = ws.close(None).await;
                    while let Some(Ok(_)) = ws.next().await {}
                }
                Ending::Silent => {
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        drop(ws);
                    });
                }
                Ending::Stay => {
                    let record = Arc::clone(&record);
                    tokio::spawn(async move {
                        while let Some(Ok(m)) = ws.next().await {
                            if let Message::Pong(p) = m {
                                record.lock().unwrap().pongs.push(p);
                            }
                        }
                    });
                }
            }
        }
    });
    (url, seen)
}

fn fast_config(url: &str) -> WsConfig {
    let mut config = WsConfig::new(url);
    config.subscribe =
        vec![r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@0ms"],"id":1}"#.into()];
    config.stale_after = Duration::from_millis(400);
    config.backoff = BackoffPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
        factor: 2,
    };
    config
}

/// Collects events until `count` frames have arrived.
async fn collect(rx: &mut mpsc::Receiver<WsEvent>, frames: usize) -> Vec<WsEvent> {
    let mut events = Vec::new();
    let mut seen = 0;
    while seen < frames {
        let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("venue too slow")
            .expect("client stopped");
        seen += usize::from(matches!(event, WsEvent::Frame { .. }));
        events.push(event);
    }
    events
}

fn frames_of(events: &[WsEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            WsEvent::Frame { data, .. } => Some(String::from_utf8(data.to_vec()).unwrap()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_capture_in_order_and_answers_pings() {
    let (frames, _) = capture_prefix(500);
    let served = frames.clone();
    let (url, seen) = ws_venue(move |_| (served.clone(), Ending::Stay)).await;
    let (tx, mut rx) = mpsc::channel(64);
    let client = tokio::spawn(kestrel_net::ws::run(fast_config(&url), tx));
    let events = collect(&mut rx, frames.len()).await;
    assert_eq!(events[0], WsEvent::Connected(1));
    assert!(
        frames_of(&events) == frames,
        "frames differ from those served"
    );
    // Receive stamps never go backwards.
    let stamps: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WsEvent::Frame { local, .. } => Some(*local),
            _ => None,
        })
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.pongs, [Bytes::from_static(b"hb")]);
    assert!(seen.texts[0][0].contains("SUBSCRIBE"));
    client.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_reconnects_resubscribes_and_goes_on() {
    let (frames, _) = capture_prefix(300);
    let (first, rest) = (frames[..120].to_vec(), frames[120..].to_vec());
    let (url, seen) = ws_venue(move |i| match i {
        0 => (first.clone(), Ending::Drop),
        _ => (rest.clone(), Ending::Stay),
    })
    .await;
    let (tx, mut rx) = mpsc::channel(64);
    let client = tokio::spawn(kestrel_net::ws::run(fast_config(&url), tx));
    // Wait for the second connection's last frame; the first connection's
    // tail may have been lost in the reset.
    let mut events = Vec::new();
    while frames_of(&events)
        .last()
        .is_none_or(|f| f != frames.last().unwrap())
    {
        events.extend(collect(&mut rx, 1).await);
    }
    let got = frames_of(&events);
    let from_first = got.len() - (frames.len() - 120);
    assert!(from_first <= 120);
    assert!(
        got[..from_first] == frames[..from_first],
        "first connection out of order"
    );
    assert!(
        got[from_first..] == frames[120..],
        "second connection incomplete"
    );
    let markers: Vec<_> = events
        .iter()
        .filter(|e| !matches!(e, WsEvent::Frame { .. }))
        .collect();
    assert_eq!(markers.len(), 3, "{markers:?}");
    assert_eq!(markers[0], &WsEvent::Connected(1));
    let WsEvent::Disconnected { reason, retry_in } = markers[1] else {
        panic!("{markers:?}")
    };
    assert!(matches!(reason, Disconnect::Closed | Disconnect::Error(_)));
    // Data had flowed, so the backoff restarted from its initial step.
    assert!(*retry_in <= Duration::from_millis(20));
    assert_eq!(markers[2], &WsEvent::Connected(2));
    assert_eq!(seen.lock().unwrap().texts.len(), 2);
    assert!(seen.lock().unwrap().texts[1][0].contains("SUBSCRIBE"));
    client.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_venue_is_declared_stale_and_replaced() {
    let (frames, _) = capture_prefix(40);
    let (first, rest) = (frames[..10].to_vec(), frames[10..].to_vec());
    let (url, _) = ws_venue(move |i| match i {
        0 => (first.clone(), Ending::Silent),
        _ => (rest.clone(), Ending::Stay),
    })
    .await;
    let (tx, mut rx) = mpsc::channel(64);
    let client = tokio::spawn(kestrel_net::ws::run(fast_config(&url), tx));
    let started = std::time::Instant::now();
    let events = collect(&mut rx, frames.len()).await;
    assert!(
        frames_of(&events) == frames,
        "frames differ from those served"
    );
    assert!(
        events.contains(&WsEvent::Disconnected {
            reason: Disconnect::Stale(Duration::from_millis(400)),
            retry_in: match events
                .iter()
                .find(|e| matches!(e, WsEvent::Disconnected { .. }))
            {
                Some(WsEvent::Disconnected { retry_in, .. }) => *retry_in,
                _ => panic!("no disconnect: {events:?}"),
            },
        })
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
    client.abort();
}

/// A one-route HTTP/1.1 venue: answers every request with `respond(n)`.
async fn http_venue(respond: impl Fn(usize) -> common::Reply + Send + 'static) -> String {
    common::server(move |n, _| respond(n)).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_block_every_request_until_retry_after() {
    let url = http_venue(|n| match n {
        0 => (200, vec![("x-mbx-used-weight-1m", "7".into())], "{}".into()),
        _ => (
            429,
            vec![("retry-after", "2".into())],
            r#"{"code":-1003}"#.into(),
        ),
    })
    .await;
    let client = RestClient::new(RestConfig::new(&url)).unwrap();
    client.get("/fapi/v1/time", 1).await.unwrap();
    assert_eq!(client.used_weight(), 7, "the venue's count wins");
    match client.get("/fapi/v1/depth", 20).await {
        Err(RestError::RateLimited {
            status: 429,
            retry_after,
        }) => {
            assert_eq!(retry_after, Duration::from_secs(2));
        }
        other => panic!("{other:?}"),
    }
    // Refused locally: the venue is not asked again inside Retry-After.
    assert!(matches!(
        client.get("/fapi/v1/time", 1).await,
        Err(RestError::Blocked(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weight_budget_refuses_locally_and_timeouts_are_typed() {
    let url = http_venue(|_| (200, vec![], "{}".into())).await;
    let mut config = RestConfig::new(&url);
    config.weight_per_minute = 30;
    let client = RestClient::new(config).unwrap();
    client.get("/fapi/v1/depth", 20).await.unwrap();
    match client.get("/fapi/v1/depth", 20).await {
        Err(RestError::WeightBudget {
            weight: 20,
            used: 20,
            ..
        }) => {}
        // The wall-clock minute turned between the two calls.
        Ok(_) => assert_eq!(client.used_weight(), 20),
        other => panic!("{other:?}"),
    }

    // A venue that accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            held.push(listener.accept().await.unwrap());
        }
    });
    let mut config = RestConfig::new(&url);
    config.timeout = Duration::from_millis(200);
    let client = RestClient::new(config).unwrap();
    assert!(matches!(client.get("/", 1).await, Err(RestError::Timeout)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_session_with_a_reconnect_replays_to_the_live_book() {
    // The venue serves the capture's frames over two connections (closing
    // the first cleanly once its snapshot is recorded: a snapshot answered
    // after its connection ended is dropped) and its REST snapshot once;
    // the second snapshot request fails, which the recorder counts and
    // survives.
    let (frames, snapshot) = capture_prefix(3000);
    let (first, rest) = (frames[..1500].to_vec(), frames[1500..].to_vec());
    let snapshot_written = Arc::new(Notify::new());
    let snapshot_body = snapshot.clone();
    let close_first = Ending::CloseWhen(Arc::clone(&snapshot_written));
    let (ws_url, _) = ws_venue(move |i| match i {
        0 => (first.clone(), close_first.clone()),
        _ => (rest.clone(), Ending::Stay),
    })
    .await;
    let snapshot_requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let requests = Arc::clone(&snapshot_requests);
    let rest_url = http_venue(move |n| {
        requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match n {
            0 => (200, vec![], snapshot.clone()),
            _ => (503, vec![], "maintenance".into()),
        }
    })
    .await;
    let binance = Arc::new(BinanceRest::new(
        RestClient::new(RestConfig::new(&rest_url)).unwrap(),
        BinanceMarket::UsdM,
    ));
    let mut recording = CaptureWriter::new(Vec::new());
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let expected = frames.len() as u64;
    let mut written = 0u64;
    let mut done_tx = Some(done_tx);
    // This test is about the reconnect the venue causes, not staleness: a
    // loaded machine must not make the quiet second connection look stale
    // and reconnect a third time (which would record its frames twice).
    let mut config = fast_config(&ws_url);
    config.stale_after = Duration::from_secs(10);
    let stats = kestrel_net::record::record(
        config,
        || {
            let binance = Arc::clone(&binance);
            async move { binance.depth_snapshot("BTCUSDT", 1000).await }
        },
        Some(Duration::from_secs(30)),
        async {
            let _ = done_rx.await;
            // Every frame is in; the reconnect's snapshot request may still
            // be on its way. Stop once it has been answered with its 503 and
            // the recorder has had time to count it (on a loaded machine
            // the frames can win that race).
            while snapshot_requests.load(std::sync::atomic::Ordering::SeqCst) < 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        },
        |local, bytes| {
            recording.write_frame(local, bytes)?;
            if bytes == snapshot_body.as_bytes() {
                snapshot_written.notify_one();
            }
            written += 1;
            if written == expected + 1 {
                if let Some(tx) = done_tx.take() {
                    let _ = tx.send(());
                }
            }
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!(stats.frames, expected, "{stats:?}");
    assert_eq!(
        (stats.connections, stats.disconnects, stats.snapshots),
        (2, 1, 1)
    );
    // The failed request is counted (and maybe its retries).
    assert!(stats.snapshot_failures >= 1, "{stats:?}");

    // Replaying the recording gives the book the venue's frames give.
    let instrument = usdm_btcusdt();
    let replay = |lines: &mut dyn BufRead| {
        let decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
        let mut feed = InstrumentFeed::new(&instrument, decoder, FuturesSequencer::new());
        let mut reader = CaptureReader::new(lines);
        while let Some(frame) = reader.next_frame() {
            let frame = frame.unwrap();
            feed.on_frame(frame.frame, frame.local.unwrap());
        }
        feed
    };
    let bytes = recording.into_inner().unwrap();
    let recorded = replay(&mut &bytes[..]);
    assert_eq!(recorded.sync().trust(), Trust::Trusted);
    assert_eq!(recorded.stats().malformed, 0);
    let mut original = Vec::new();
    flate2::read::MultiGzDecoder::new(
        std::fs::File::open(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CAPTURE)).unwrap(),
    )
    .read_to_end(&mut original)
    .unwrap();
    let lines: Vec<&[u8]> = original.split(|&b| b == b'\n').take(3001).collect();
    let original = lines.join(&b'\n');
    let live = replay(&mut &original[..]);
    let (a, b) = (recorded.sync().book(), live.sync().book());
    assert_eq!(a.last_update_id(), b.last_update_id());
    assert_eq!(a.best_bid(), b.best_bid());
    assert_eq!(a.best_ask(), b.best_ask());
    // Every level, both sides; only the receive stamps differ.
    let (a, b) = (a.snapshot(usize::MAX), b.snapshot(usize::MAX));
    assert!(a.bids == b.bids && a.asks == b.asks, "books differ");
}
