//! The Binance gateway against our simulator over real sockets: order
//! entry, queries and the user-data stream; then the faults it must ride
//! out: answers lost after the venue acted, 5xx, 429, and a dropped stream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kestrel_binance::execution::user_stream::{self, UserEvent};
use kestrel_binance::{BinanceConfig, BinanceExecution};
use kestrel_model::{
    Asset, ClientOrderId, Decimal, ExecKind, OrderStatus, OrderType, Price, Qty, Side, TimeInForce,
};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::AccountId;
use kestrel_sim_server::{RunningServer, ServerConfig};
use kestrel_venue::{Credentials, ExecutionClient, OrderSpec, VenueError};
use tokio::sync::mpsc;

async fn server() -> RunningServer {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let deposits = [
        (Asset::new("USDT").unwrap(), Decimal::from(100_000)),
        (Asset::new("BTC").unwrap(), Decimal::from(1)),
    ];
    kestrel_sim_server::start(ServerConfig::loopback(data, spot_btcusdt()).with_account(
        "k",
        "s",
        AccountId(1),
        deposits,
    ))
    .await
    .unwrap()
}

async fn gateway(server: &RunningServer) -> Arc<BinanceExecution> {
    gateway_with_breaker(server, 5).await
}

async fn gateway_with_breaker(server: &RunningServer, failures: u32) -> Arc<BinanceExecution> {
    let mut config = BinanceConfig::simulator(server.addr.port());
    config.breaker_failures = failures;
    config.retry_delay = Duration::from_millis(5);
    config.max_attempts = 12;
    let g = BinanceExecution::new(config, Credentials::new("k", "s"), spot_btcusdt()).unwrap();
    g.sync_clock().await.unwrap();
    Arc::new(g)
}

fn id(s: &str) -> ClientOrderId {
    ClientOrderId::new(s).unwrap()
}

/// A post-only bid far below the market: it rests.
fn resting(name: &str) -> OrderSpec {
    OrderSpec {
        instrument: IX,
        id: id(name),
        side: Side::Buy,
        kind: OrderType::PostOnly,
        time_in_force: TimeInForce::Gtc,
        price: Some(Price::from_ticks(3_000_000)),
        qty: Qty::from_lots(100_000),
    }
}

/// A buy that takes liquidity at once.
fn taking(name: &str) -> OrderSpec {
    OrderSpec {
        instrument: IX,
        id: id(name),
        side: Side::Buy,
        kind: OrderType::Market,
        time_in_force: TimeInForce::Gtc,
        price: None,
        qty: Qty::from_lots(100_000),
    }
}

async fn next_report(events: &mut mpsc::Receiver<UserEvent>) -> kestrel_model::ExecReport {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("a report within 5 s")
            .expect("stream open")
        {
            UserEvent::Report(r) => return r,
            UserEvent::Malformed(m) => panic!("malformed event: {m}"),
            _ => {}
        }
    }
}

async fn set_faults(server: &RunningServer, faults: serde_json::Value) {
    server.faults.set(serde_json::from_value(faults).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_queries_and_the_user_stream() {
    let server = server().await;
    let gw = gateway(&server).await;
    let (tx, mut events) = mpsc::channel(64);
    tokio::spawn(user_stream::run(Arc::clone(gw.account()), tx));
    assert_eq!(events.recv().await, Some(UserEvent::Connected));

    let placed = gw.submit(&resting("t-rest-1")).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    let report = next_report(&mut events).await;
    assert_eq!(
        (report.client_id, report.kind),
        (id("t-rest-1"), ExecKind::New)
    );
    assert_eq!(
        gw.order(id("t-rest-1")).await.unwrap().order_id,
        placed.order_id
    );
    assert_eq!(gw.open_orders().await.unwrap().len(), 1);

    let cancelled = gw.cancel(id("t-rest-1")).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    assert_eq!(next_report(&mut events).await.kind, ExecKind::Canceled);
    assert_eq!(
        gw.cancel(id("t-rest-1")).await,
        Err(VenueError::UnknownOrder)
    );
    assert_eq!(
        gw.order(id("never-sent")).await,
        Err(VenueError::UnknownOrder)
    );

    let filled = gw.submit(&taking("t-take-1")).await.unwrap();
    assert_eq!(filled.status, OrderStatus::Filled);
    assert_eq!(next_report(&mut events).await.kind, ExecKind::New);
    let report = next_report(&mut events).await;
    assert!(matches!(report.kind, ExecKind::Trade(_)), "{report:?}");
    let fills = gw.fills(0).await.unwrap();
    assert!(!fills.is_empty());
    assert_eq!(fills.iter().map(|f| f.qty.lots()).sum::<u64>(), 100_000);
    let after = gw.fills(fills[fills.len() - 1].trade_id + 1).await.unwrap();
    assert!(after.is_empty());
    let btc = gw
        .balances()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.asset.as_str() == "BTC")
        .unwrap();
    assert_eq!(btc.free, Decimal::parse("1.001").unwrap());

    gw.submit(&resting("t-rest-2")).await.unwrap();
    gw.submit(&resting("t-rest-3")).await.unwrap();
    assert_eq!(gw.cancel_all().await.unwrap().len(), 2);
    assert!(gw.cancel_all().await.unwrap().is_empty());
    assert!(gw.open_orders().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_resolved_by_client_id_and_never_sent_twice() {
    let server = server().await;
    let gw = gateway(&server).await;
    // Every order entry is carried out but its answer is lost.
    set_faults(&server, serde_json::json!({ "lost_answer_rate": 1.0 })).await;
    let found = gw.submit(&taking("t-lost-1")).await.unwrap();
    assert_eq!(found.status, OrderStatus::Filled);
    assert!(gw.counters().lookups.load(Ordering::Relaxed) >= 1);
    set_faults(&server, serde_json::json!({})).await;
    // Filled once: one order's worth of fills.
    let fills = gw.fills(0).await.unwrap();
    assert_eq!(fills.iter().map(|f| f.qty.lots()).sum::<u64>(), 100_000);

    // A cancel whose answer is lost: the retry finds it gone.
    gw.submit(&resting("t-lost-2")).await.unwrap();
    set_faults(&server, serde_json::json!({ "lost_answer_rate": 1.0 })).await;
    let cancelled = gw.cancel(id("t-lost-2")).await;
    set_faults(&server, serde_json::json!({})).await;
    assert_eq!(cancelled, Err(VenueError::UnknownOrder));
    assert_eq!(
        gw.order(id("t-lost-2")).await.unwrap().status,
        OrderStatus::Canceled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_and_the_breaker_opens() {
    let server = server().await;
    // A breaker that never opens, to see the retries alone.
    let gw = gateway_with_breaker(&server, u32::MAX).await;
    // Half the calls fail with 503 before reaching the venue: retried.
    set_faults(
        &server,
        serde_json::json!({ "rest_5xx_rate": 0.5, "seed": 7 }),
    )
    .await;
    for n in 0..6 {
        gw.submit(&resting(&format!("t-flaky-{n}"))).await.unwrap();
    }
    assert!(gw.counters().retries.load(Ordering::Relaxed) > 0);
    assert_eq!(gw.open_orders().await.unwrap().len(), 6);

    // Every call fails: after five in a row the breaker opens and later
    // calls are refused locally until it cools down.
    let gw = gateway(&server).await;
    set_faults(&server, serde_json::json!({ "rest_5xx_rate": 1.0 })).await;
    assert!(gw.open_orders().await.is_err());
    assert!(matches!(
        gw.open_orders().await,
        Err(VenueError::CircuitOpen(_))
    ));
    set_faults(&server, serde_json::json!({})).await;

    // A 429 with a long Retry-After is not retried into a ban.
    set_faults(
        &server,
        serde_json::json!({ "rest_429_rate": 1.0, "retry_after_s": 30 }),
    )
    .await;
    // The breaker from above is still cooling down: ask until it lets a
    // call through (refusals are local and cost the venue nothing).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let limited = loop {
        match gw.open_orders().await {
            Err(VenueError::CircuitOpen(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => break other,
        }
    };
    assert!(
        matches!(limited, Err(VenueError::RateLimited { retry_after }) if retry_after == Duration::from_secs(30)),
        "{limited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_stream_reconnects_after_a_drop() {
    let server = server().await;
    let gw = gateway(&server).await;
    let (tx, mut events) = mpsc::channel(64);
    tokio::spawn(user_stream::run(Arc::clone(gw.account()), tx));
    assert_eq!(events.recv().await, Some(UserEvent::Connected));
    server.close_connections();
    let mut seen = Vec::new();
    while seen.last() != Some(&UserEvent::Connected) {
        seen.push(
            tokio::time::timeout(Duration::from_secs(5), events.recv())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert!(matches!(seen[0], UserEvent::Disconnected(_)), "{seen:?}");
    gw.submit(&resting("t-after-drop")).await.unwrap();
    assert_eq!(next_report(&mut events).await.client_id, id("t-after-drop"));
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
