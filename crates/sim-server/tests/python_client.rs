//! The simulator driven by unmodified third-party clients, python-binance
//! and ccxt, from the test-only virtualenv `.ci/run` installs. They need
//! `KESTREL_PYTHON` (that venv's interpreter), so `cargo test` lists them
//! as ignored; `.ci/run` runs them with `--ignored`, and there a missing
//! interpreter fails them rather than passing them unseen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kestrel_model::{Asset, Decimal};
use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};
use kestrel_sim::AccountId;
use kestrel_sim_server::{ClockMode, ServerConfig};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The longest the client script may run.
const DEADLINE: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn python_binance_reads_the_market_places_queries_cancels_and_gets_a_fill() {
    run_script("python_binance_client.py", Market::Spot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn ccxt_reads_the_market_and_trades() {
    run_script("ccxt_client.py", Market::Spot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn ccxt_binanceusdm_trades_the_perpetual() {
    run_script("ccxt_usdm_client.py", Market::UsdM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn python_binance_futures_trades_the_perpetual() {
    run_script("python_binance_futures_client.py", Market::UsdM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn ccxt_pro_watches_the_spot_streams() {
    run_script("ccxt_pro_client.py", Market::Spot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn ccxt_pro_watches_the_usdm_streams() {
    run_script("ccxt_pro_client.py", Market::UsdM).await;
}

/// Which recording a script trades.
#[derive(Clone, Copy)]
enum Market {
    /// Spot BTCUSDT, with 100 000 USDT and 1 BTC.
    Spot,
    /// The BTCUSDT perpetual, with 10 000 USDT of margin.
    UsdM,
}

/// Serves a recording at 5× its pace to one client script, which must
/// exit 0 within [`DEADLINE`].
async fn run_script(name: &str, market: Market) {
    let python = std::env::var("KESTREL_PYTHON")
        .expect("KESTREL_PYTHON (the client venv's interpreter) must be set: .ci/run sets it");
    let usdt = |n: &str| (Asset::new("USDT").unwrap(), Decimal::parse(n).unwrap());
    let (data, instrument, deposits) = match market {
        Market::Spot => (
            "binance_spot_btcusdt_20240808.raw.gz",
            spot_btcusdt(),
            vec![
                usdt("100000"),
                (Asset::new("BTC").unwrap(), Decimal::from(1)),
            ],
        ),
        Market::UsdM => (
            "binance_usdm_btcusdt_20240808.raw.gz",
            usdm_btcusdt(),
            vec![usdt("10000")],
        ),
    };
    let config = ServerConfig {
        clock: ClockMode::Speed(5.0),
        control_token: "python-client-control".into(),
        ..ServerConfig::loopback(root().join("data/sample").join(data), instrument)
    }
    .with_account(
        "kestrel-sim-key",
        "kestrel-sim-secret",
        AccountId(1),
        deposits,
    );
    let market_name = match market {
        Market::Spot => "spot",
        Market::UsdM => "usdm",
    };
    let server = kestrel_sim_server::start(config).await.unwrap();
    let port = server.addr.port();
    let script = root().join("crates/sim-server/tests/clients").join(name);
    let output = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(python)
            .arg(script)
            .env("KESTREL_SIM_PORT", port.to_string())
            .env("KESTREL_SIM_MARKET", market_name)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let started = Instant::now();
        while child.try_wait()?.is_none() {
            if started.elapsed() > DEADLINE {
                // Killed, it fails below, with what it printed so far.
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output()
    })
    .await
    .unwrap()
    .unwrap();
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    server.shutdown().await;
    assert!(
        output.status.success(),
        "{name} failed (or ran past {DEADLINE:?})"
    );
}
