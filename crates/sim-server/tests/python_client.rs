//! The simulator driven by an unmodified third-party client, python-binance,
//! from the test-only virtualenv `.ci/run` installs. It needs
//! `KESTREL_PYTHON` (that venv's interpreter), so `cargo test` lists it as
//! ignored; `.ci/run` runs it with `--ignored`, and there a missing
//! interpreter fails it rather than passing it unseen.
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
#[ignore = "needs KESTREL_PYTHON, the python-binance venv's interpreter; .ci/run sets it and runs this with --ignored"]
async fn python_binance_places_queries_cancels_and_gets_a_fill() {
    let python = std::env::var("KESTREL_PYTHON").expect(
        "KESTREL_PYTHON (the python-binance venv's interpreter) must be set: .ci/run sets it",
    );
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
    };
    let server = kestrel_sim_server::start(config).await.unwrap();
    let port = server.addr.port();
    let script = root().join("crates/sim-server/tests/clients/python_binance_client.py");
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
                let _ = child.kill();
                panic!("the python-binance script ran past {DEADLINE:?}");
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
    assert!(output.status.success(), "the python-binance script failed");
}
