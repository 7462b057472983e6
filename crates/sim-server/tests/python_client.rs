//! The simulator driven by unmodified third-party clients, python-binance
//! and ccxt, from the test-only virtualenv `.ci/run` installs. They need
//! `KESTREL_PYTHON` (that venv's interpreter), so `cargo test` lists them
//! as ignored; `.ci/run` runs them with `--ignored`, and there a missing
//! interpreter fails them rather than passing them unseen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kestrel_model::{Asset, Decimal};
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::{AccountId, SimConfig};
use kestrel_sim_server::{ApiKey, ApiKeys, ClockMode, FaultConfig, ServerConfig};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The longest the client script may run.
const DEADLINE: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn python_binance_reads_the_market_places_queries_cancels_and_gets_a_fill() {
    run_script("python_binance_client.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs KESTREL_PYTHON, the client venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn ccxt_reads_the_market_and_trades() {
    run_script("ccxt_client.py").await;
}

/// Serves the spot recording at 5× its pace to one client script, which
/// must exit 0 within [`DEADLINE`].
async fn run_script(name: &str) {
    let python = std::env::var("KESTREL_PYTHON")
        .expect("KESTREL_PYTHON (the client venv's interpreter) must be set: .ci/run sets it");
    let account = AccountId(1);
    let config = ServerConfig {
        data: root().join("data/sample/binance_spot_btcusdt_20240808.raw.gz"),
        instrument: spot_btcusdt(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        clock: ClockMode::Speed(5.0),
        keys: ApiKeys(vec![ApiKey {
            key: "kestrel-sim-key".into(),
            secret: "kestrel-sim-secret".into(),
            account,
        }]),
        deposits: vec![
            (
                account,
                Asset::new("USDT").unwrap(),
                Decimal::parse("100000").unwrap(),
            ),
            (
                account,
                Asset::new("BTC").unwrap(),
                Decimal::parse("1").unwrap(),
            ),
        ],
        faults: FaultConfig::default(),
        sim: SimConfig::default(),
        weight_per_minute: kestrel_sim_server::weight::WEIGHT_PER_MINUTE,
        control_token: "python-client-control".into(),
        order_limits: kestrel_sim_server::order_count::OrderLimits::default(),
        futures: Default::default(),
    };
    let server = kestrel_sim_server::start(config).await.unwrap();
    let port = server.addr.port();
    let script = root().join("crates/sim-server/tests/clients").join(name);
    let output = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(python)
            .arg(script)
            .env("KESTREL_SIM_PORT", port.to_string())
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
