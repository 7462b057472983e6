//! Our own market-data stack (WebSocket client, Binance spot decoder and
//! sync rules, REST snapshots) against the simulator while it injects
//! faults: it must notice every fault, resync, and end on the venue's book.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use kestrel_binance::{BinanceDecoder, SpotSequencer};
use kestrel_binance::{BinanceMarket, BinanceRest};
use kestrel_book::OrderBook;
use kestrel_feed::{FeedUpdate, InstrumentFeed, Instruments, SyncStatus, Untrusted};
use kestrel_model::{Level, Side, UnixNanos};
use kestrel_net::{BackoffPolicy, RestClient, RestConfig, WsConfig, WsEvent};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::{SimConfig, SimVenue};
use kestrel_sim_server::{ApiKeys, ClockMode, FaultConfig, MarketReplay, ServerConfig};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

/// The control token the tests set.
const TOKEN: &str = "feed-sync-control";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

type SpotFeed = InstrumentFeed<BinanceDecoder, SpotSequencer>;

fn capture() -> PathBuf {
    root().join("data/sample/binance_spot_btcusdt_20240808.raw.gz")
}

/// The venue's book right after the diff ending at `update_id`, rebuilt
/// from the capture alone.
fn reference_book(update_id: u64) -> Option<OrderBook> {
    let instrument = spot_btcusdt();
    let mut venue = SimVenue::new([instrument.clone()], SimConfig::default());
    let mut replay = MarketReplay::open(&capture(), &instrument).unwrap();
    while replay.next_frame(&mut venue).is_some() {
        replay.apply_staged(&mut venue);
        match replay.last_update_id() {
            Some(id) if id == update_id => {
                return venue.engine(instrument.id).map(|e| e.book().clone());
            }
            Some(id) if id > update_id => return None,
            _ => {}
        }
    }
    None
}

/// Runs the feed on `rx` until `until`, fetching a snapshot whenever the
/// book is lost; returns the snapshots fetched.
async fn pump(
    feed: &mut SpotFeed,
    rx: &mut mpsc::Receiver<WsEvent>,
    rest: &BinanceRest,
    until: Instant,
) -> u64 {
    let mut snapshots = 0;
    let mut need_snapshot = feed.sync().trusted_book().is_none();
    while Instant::now() < until {
        if need_snapshot {
            // A failed snapshot is retried on the next round.
            if let Ok(body) = rest.depth_snapshot("BTCUSDT", 1000).await {
                feed.on_frame(&body, UnixNanos::new(0));
                snapshots += 1;
                need_snapshot = false;
            }
        }
        let Ok(Some(event)) = timeout(Duration::from_millis(50), rx.recv()).await else {
            continue;
        };
        match event {
            WsEvent::Frame { data, local } => {
                if let FeedUpdate::Book(SyncStatus::Lost(_)) = feed.on_frame(&data, local) {
                    need_snapshot = true;
                }
            }
            WsEvent::Disconnected { .. } => {
                feed.sync_mut().on_disconnect(Untrusted::Disconnected);
                need_snapshot = true;
            }
            WsEvent::Connected(_) => {}
        }
    }
    snapshots
}

/// Releases a stepped clock's frames and waits until they have all gone
/// out: by the venue's update id, not by wall time.
struct Stepper<'a> {
    http: &'a reqwest::Client,
    addr: SocketAddr,
    feed: &'a mut SpotFeed,
    rx: &'a mut mpsc::Receiver<WsEvent>,
    rest: &'a BinanceRest,
}

impl Stepper<'_> {
    /// Releases `frames` frames, 250 at a time; after each batch, pumps
    /// the feed until the venue's update id holds still over a slice. The
    /// snapshots the feed fetched.
    async fn frames(&mut self, frames: u64) -> u64 {
        const BATCH: u64 = 250;
        let depth_url = format!("http://{}/api/v3/depth?symbol=BTCUSDT&limit=5", self.addr);
        let mut snapshots = 0;
        for _ in 0..frames.div_ceil(BATCH) {
            self.http
                .post(format!(
                    "http://{}/sim/clock/step?frames={BATCH}",
                    self.addr
                ))
                .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
                .send()
                .await
                .unwrap();
            // A bound for a very slow machine, not a pace.
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut seen = None;
            loop {
                let slice = Instant::now() + Duration::from_millis(50);
                snapshots += pump(self.feed, self.rx, self.rest, slice).await;
                let depth: serde_json::Value = self
                    .http
                    .get(&depth_url)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = depth["lastUpdateId"].as_u64();
                if id.is_some() && id == seen {
                    break;
                }
                seen = id;
                assert!(
                    Instant::now() < deadline,
                    "the stepped frames never went out"
                );
            }
        }
        snapshots
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_feed_stays_in_sync_through_injected_faults() {
    sync_through_faults("btcusdt@depth@100ms", true).await;
}

/// The 1 s stream: each second's diffs merged, chained the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_feed_stays_in_sync_on_the_one_second_stream() {
    sync_through_faults("btcusdt@depth", false).await;
}

/// Runs the feed on `stream` through faults; `many_frames` says the stream
/// is dense enough for the random faults to be sure to hit it.
async fn sync_through_faults(stream: &str, many_frames: bool) {
    let instrument = spot_btcusdt();
    let faults = FaultConfig {
        drop_rate: 0.01,
        duplicate_rate: 0.02,
        reorder_rate: 0.01,
        skip_ids_rate: 0.02,
        seed: 7,
        ..FaultConfig::default()
    };
    let server = kestrel_sim_server::start(ServerConfig {
        data: capture(),
        instrument: instrument.clone(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        // Stepped: the test releases the capture's frames itself, so the
        // same frames meet the same seeded faults on any machine.
        clock: ClockMode::Stepped,
        keys: ApiKeys::default(),
        deposits: Vec::new(),
        faults,
        sim: SimConfig::default(),
        weight_per_minute: kestrel_sim_server::weight::WEIGHT_PER_MINUTE,
        control_token: TOKEN.into(),
        order_limits: kestrel_sim_server::order_count::OrderLimits::default(),
        futures: Default::default(),
        idle_timeout: kestrel_sim_server::IDLE_TIMEOUT,
    })
    .await
    .unwrap();
    let addr = server.addr;
    let mut ws = WsConfig::new(format!("ws://{addr}/stream?streams={stream}"));
    ws.backoff = BackoffPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        factor: 2,
    };
    let (tx, mut rx) = mpsc::channel(1 << 14);
    let client = tokio::spawn(kestrel_net::ws::run(ws, tx));
    let rest = BinanceRest::new(
        RestClient::new(RestConfig::new(format!("http://{addr}"))).unwrap(),
        BinanceMarket::Spot,
    );
    let mut feed = InstrumentFeed::new(
        &instrument,
        BinanceDecoder::new(Instruments::new(instrument.clone())),
        SpotSequencer::new(),
    );

    // Faults over 7,000 recorded frames (about a minute of market), with
    // every connection closed halfway; then 1,000 frames without faults.
    let http = reqwest::Client::new();
    let mut snapshots = 0;
    let mut step = Stepper {
        http: &http,
        addr,
        feed: &mut feed,
        rx: &mut rx,
        rest: &rest,
    };
    snapshots += step.frames(3_500).await;
    http.post(format!("http://{addr}/sim/faults/close-connections"))
        .header(kestrel_sim_server::CONTROL_HEADER, TOKEN)
        .send()
        .await
        .unwrap();
    snapshots += step.frames(3_500).await;
    server.faults.set(FaultConfig::default());
    snapshots += step.frames(1_000).await;
    // Drained when the feed is trusted at the venue's update id (bounded,
    // for a slow machine).
    let depth_url = format!("http://{addr}/api/v3/depth?symbol=BTCUSDT&limit=100");
    let mut depth = serde_json::Value::Null;
    for _ in 0..30 {
        let until = Instant::now() + Duration::from_millis(300);
        snapshots += pump(&mut feed, &mut rx, &rest, until).await;
        depth = http
            .get(&depth_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let synced = feed.sync().trusted_book().map(|b| b.last_update_id());
        // The 1 s stream lags the venue by the open second: there, being
        // trusted after the drain is the end.
        if synced.is_some() && (!many_frames || synced == depth["lastUpdateId"].as_u64()) {
            break;
        }
    }

    let log = server.log.records();
    let kinds = |k: &str| log.iter().filter(|r| r.kind == k).count();
    println!(
        "faults: {} skip_ids, {} drop, {} duplicate, {} reorder, {} close; {snapshots} snapshots; sync {:?}",
        kinds("skip_ids"),
        kinds("drop"),
        kinds("duplicate"),
        kinds("reorder"),
        kinds("close_connections"),
        feed.sync().stats()
    );
    assert_eq!(kinds("close_connections"), 1);
    if many_frames {
        assert!(kinds("skip_ids") > 0 && kinds("duplicate") > 0);
    }
    // At least the first sync and the one after the closed connection.
    assert!(
        snapshots >= if many_frames { 3 } else { 2 },
        "every lost book was rebuilt from a fresh snapshot"
    );
    assert!(
        !many_frames || feed.sync().stats().gaps > 0,
        "the skipped ids were seen as gaps"
    );

    let book = feed.sync().trusted_book().expect("the feed ends trusted");
    let top = |b: &OrderBook, side| -> Vec<Level> { b.levels(side).take(100).collect() };
    // The feed's book is the capture's own book at the same update id,
    // rebuilt here independently of the server.
    let reference =
        reference_book(book.last_update_id()).expect("the feed's update id is in the capture");
    for side in [Side::Buy, Side::Sell] {
        assert_eq!(top(book, side), top(&reference, side), "{side:?}");
    }
    if many_frames {
        // And it is what the server's REST snapshot shows, at the same id.
        assert_eq!(depth["lastUpdateId"].as_u64(), Some(book.last_update_id()));
        for (side, key) in [(Side::Buy, "bids"), (Side::Sell, "asks")] {
            let venue: Vec<(String, String)> = depth[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l[0].as_str().unwrap().to_owned(),
                        l[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let ours: Vec<(String, String)> = top(book, side)
                .iter()
                .map(|l| {
                    (
                        l.price.display(&instrument.tick).to_string(),
                        l.qty.display(&instrument.lot).to_string(),
                    )
                })
                .collect();
            assert_eq!(ours, venue, "{key}");
        }
    }
    client.abort();
    server.shutdown().await;
}
