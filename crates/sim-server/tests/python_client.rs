//! The simulator driven by an unmodified third-party client, python-binance,
//! from the test-only virtualenv `.ci/run` installs. Without
//! `KESTREL_PYTHON` (that venv's interpreter) the test says it was skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;

use kestrel_feed::instruments::spot_btcusdt;
use kestrel_model::{Asset, Decimal};
use kestrel_sim::{AccountId, SimConfig};
use kestrel_sim_server::{ApiKey, ApiKeys, ClockMode, FaultConfig, ServerConfig};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_binance_places_queries_cancels_and_gets_a_fill() {
    let Ok(python) = std::env::var("KESTREL_PYTHON") else {
        println!("skipped: KESTREL_PYTHON (the client venv's python) is not set; .ci/run sets it");
        return;
    };
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
        Command::new(python)
            .arg(script)
            .env("KESTREL_SIM_PORT", port.to_string())
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    server.shutdown().await;
    assert!(output.status.success(), "the python-binance script failed");
}
