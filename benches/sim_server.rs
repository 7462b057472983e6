//! Order round trips through `kestrel sim serve` on loopback
//! (`cargo bench -p kestrel-benches --bench sim_server`).
//!
//! The server runs in process on 127.0.0.1 with the market clock stopped, so
//! every order meets the same book. A client signs and sends, on one
//! keep-alive connection, a LIMIT buy far from the market (it rests) and
//! then its cancel; each call is timed from send to parsed answer. A second
//! run spreads the same calls over 8 concurrent clients for throughput.
//! Percentiles are of individual calls.
//!
//! Then the clock releases 20,000 frames of the recording and clients call
//! the public market-data endpoints in turn (tickers, average price, the
//! book's top, recent and aggregate trades, klines), unsigned, 1 and 8 at a
//! time.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kestrel_benches::{sample_capture as usdm_capture, spot_capture};
use kestrel_model::{Asset, Decimal};
use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};
use kestrel_sim::{AccountId, SimConfig};
use kestrel_sim_server::auth::sign;
use kestrel_sim_server::{ApiKey, ApiKeys, ClockMode, FaultConfig, ServerConfig};

const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";
const CALLS: usize = 4_000;

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// One signed call; returns its latency.
async fn call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    params: &str,
) -> Duration {
    let payload = format!("{params}&timestamp={}", now_ms());
    let body = format!("{payload}&signature={}", sign(SECRET, &payload));
    let started = Instant::now();
    let response = http
        .request(method, format!("{base}/api/v3/order"))
        .header("X-MBX-APIKEY", KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(response.status().is_success(), "{}", response.status());
    let _ = response.bytes().await;
    started.elapsed()
}

/// `clients` tasks each place and cancel `CALLS / clients` orders; returns
/// every call's latency and the wall time.
async fn run(
    base: Arc<String>,
    clients: usize,
    tag: &str,
) -> (Vec<Duration>, Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let base = Arc::clone(&base);
        let tag = format!("{tag}{c}");
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut place, mut cancel) = (Vec::new(), Vec::new());
            for k in 0..CALLS / clients {
                let id = format!("{tag}x{k}");
                place.push(
                    call(&http, &base, reqwest::Method::POST,
                        &format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000&newClientOrderId={id}"))
                    .await,
                );
                cancel.push(
                    call(&http, &base, reqwest::Method::DELETE, &format!("symbol=BTCUSDT&origClientOrderId={id}")).await,
                );
            }
            (place, cancel)
        }));
    }
    let (mut place, mut cancel) = (Vec::new(), Vec::new());
    for t in tasks {
        let (p, c) = t.await.unwrap_or_else(|e| panic!("{e}"));
        place.extend(p);
        cancel.extend(c);
    }
    (place, cancel, started.elapsed())
}

/// The public market-data calls, in turn.
const MARKET_CALLS: [&str; 8] = [
    "/api/v3/ticker/24hr?symbol=BTCUSDT",
    "/api/v3/ticker/price?symbol=BTCUSDT",
    "/api/v3/ticker/bookTicker?symbol=BTCUSDT",
    "/api/v3/avgPrice?symbol=BTCUSDT",
    "/api/v3/depth?symbol=BTCUSDT&limit=5",
    "/api/v3/trades?symbol=BTCUSDT&limit=100",
    "/api/v3/aggTrades?symbol=BTCUSDT&limit=100",
    "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=100",
];
/// The USDⓈ-M venue's public calls, in turn.
const FAPI_CALLS: [&str; 8] = [
    "/fapi/v1/ticker/24hr?symbol=BTCUSDT",
    "/fapi/v1/ticker/price?symbol=BTCUSDT",
    "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT",
    "/fapi/v1/premiumIndex?symbol=BTCUSDT",
    "/fapi/v1/depth?symbol=BTCUSDT&limit=5",
    "/fapi/v1/trades?symbol=BTCUSDT&limit=100",
    "/fapi/v1/aggTrades?symbol=BTCUSDT&limit=100",
    "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=100",
];
/// Market-data calls a run makes.
const MARKET_TOTAL: usize = 16_000;

/// `clients` tasks share [`MARKET_TOTAL`] of the market-data `calls`;
/// every call's latency and the wall time.
async fn run_market(
    base: Arc<String>,
    clients: usize,
    calls: &'static [&'static str],
) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let base = Arc::clone(&base);
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut took = Vec::with_capacity(MARKET_TOTAL / clients);
            for k in 0..MARKET_TOTAL / clients {
                let path = calls[(k + c) % calls.len()];
                let t = Instant::now();
                let response = http
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    response.status().is_success(),
                    "{path}: {}",
                    response.status()
                );
                let _ = response.bytes().await;
                took.push(t.elapsed());
            }
            took
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_else(|e| panic!("{e}")));
    }
    (all, started.elapsed())
}

/// The market's first 20,000 frames (trades, tickers and klines), then
/// the `calls` from 1 and 8 clients.
async fn market_data(base: &Arc<String>, token: &str, venue: &str, calls: &'static [&'static str]) {
    reqwest::Client::new()
        .post(format!("{base}/sim/clock/step?frames=20000"))
        .header(kestrel_sim_server::CONTROL_HEADER, token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    run_market(Arc::clone(base), 1, calls).await;
    for clients in [1, 8] {
        let (took, wall) = run_market(Arc::clone(base), clients, calls).await;
        println!(
            "sim_server/{venue} market data, {clients} client(s): {} calls in {:.2} s = {:.0} calls/s",
            took.len(),
            wall.as_secs_f64(),
            took.len() as f64 / wall.as_secs_f64()
        );
        percentiles("market", took);
    }
}

fn percentiles(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    println!(
        "  {name:<8} n={:<5} p50 {:>6.1} µs  p90 {:>6.1} µs  p99 {:>6.1} µs  max {:>7.1} µs",
        v.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(1.0)
    );
}

fn main() {
    // reqwest is built with rustls (for the venue clients) but no default
    // crypto provider.
    kestrel_net::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let account = AccountId(1);
        let usdt = Asset::new("USDT").unwrap_or_else(|e| panic!("{e}"));
        let server = kestrel_sim_server::start(ServerConfig {
            data: spot_capture(),
            instrument: spot_btcusdt(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clock: ClockMode::Stepped,
            keys: ApiKeys(vec![ApiKey::hmac(KEY, SECRET, account)]),
            deposits: vec![(account, usdt, Decimal::parse("1000000000").unwrap_or_else(|e| panic!("{e}")))],
            faults: FaultConfig::default(),
            sim: SimConfig::default(),
            // The weight meter would stop the run at 6,000 calls a minute.
            weight_per_minute: u32::MAX / 2,
            control_token: kestrel_sim_server::new_control_token(),
            order_limits: kestrel_sim_server::order_count::OrderLimits { per_10s: u32::MAX, per_day: u32::MAX },
            futures: Default::default(),
            idle_timeout: kestrel_sim_server::IDLE_TIMEOUT,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let base = Arc::new(format!("http://{}", server.addr));
        // Warm-up: connections, allocator, caches.
        run(Arc::clone(&base), 1, "w").await;
        for clients in [1, 8] {
            let (place, cancel, wall) = run(Arc::clone(&base), clients, &format!("c{clients}_")).await;
            let calls = place.len() + cancel.len();
            println!(
                "sim_server/{clients} client(s): {calls} calls in {:.2} s = {:.0} calls/s ({:.0} orders placed+cancelled/s)",
                wall.as_secs_f64(),
                calls as f64 / wall.as_secs_f64(),
                place.len() as f64 / wall.as_secs_f64()
            );
            percentiles("place", place);
            percentiles("cancel", cancel);
        }
        market_data(&base, &server.control_token, "spot", &MARKET_CALLS).await;
        server.shutdown().await;
        let server = kestrel_sim_server::start(ServerConfig {
            clock: ClockMode::Stepped,
            weight_per_minute: u32::MAX / 2,
            ..ServerConfig::loopback(usdm_capture(), usdm_btcusdt())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let base = Arc::new(format!("http://{}", server.addr));
        market_data(&base, &server.control_token, "USD-M", &FAPI_CALLS).await;
        server.shutdown().await;
    });
}
