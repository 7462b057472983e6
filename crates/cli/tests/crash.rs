//! Kill runs: a live session trades the simulator (a separate process)
//! and is killed with SIGKILL at seeded random moments, then restarted,
//! again and again; then once more, stopped gracefully. Every restart must
//! replay its journal, reconcile with the venue and find the position the
//! venue has, or it refuses to trade and the run fails. At the end:
//!
//! * no fill the venue made is missing from the journal, none is there
//!   twice, none is invented;
//! * no client order id reached the venue twice;
//! * every order the venue saw is known to the journal;
//! * the venue's balances moved by exactly what the journal's fills say;
//! * `kestrel journal verify` replays every decision identically.
//!
//! CI runs a short seeded run; `KESTREL_CRASH_KILLS=50` runs the full one
//! (`BENCHMARKS.md` has its figures). The fault run does the same while the
//! simulator drops WebSocket connections, fails REST calls with 5xx and
//! 429, loses order answers and delays acks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Rng, live, live_config, show, start_sim};
use kestrel_model::Side;
use kestrel_venue::ExecutionClient;

/// Kills and restarts a session `kills` times, stops it cleanly, and
/// checks the journal against the simulator. Restarts treat venue orders
/// the journal lacks by `unknown_orders` (`cancel` or `adopt`).
fn kill_run(
    name: &str,
    faults: Option<serde_json::Value>,
    unknown_orders: &str,
    kills: u64,
    seed: u64,
) {
    // An idle run would pass every check below trivially: the runs must
    // trade. The floors are a fraction of what 6 kills give (BENCHMARKS.md).
    let (min_fills, min_orders) = (kills * 2, kills * 8);
    let dir = std::env::temp_dir().join(format!("kestrel-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let faults_file = faults.map(|f| {
        let path = dir.join("faults.json");
        std::fs::write(&path, f.to_string()).unwrap();
        path
    });
    let sim = start_sim(faults_file.as_deref());
    let config = live_config(&dir, sim.port, unknown_orders);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let venue = common::venue_client(&runtime, sim.port);
    // Under `adopt`, an order placed behind the session's back, far from
    // the touch, must be adopted by the next restart.
    let foreign = (unknown_orders == "adopt").then(|| {
        let i = venue.instrument();
        kestrel_venue::OrderSpec {
            instrument: IX,
            id: kestrel_model::ClientOrderId::new("outside-1").unwrap(),
            side: Side::Buy,
            kind: kestrel_model::OrderType::Limit,
            time_in_force: kestrel_model::TimeInForce::Gtc,
            price: Some(kestrel_model::Price::from_ticks(
                i.tick.steps(b"50000").unwrap(),
            )),
            qty: kestrel_model::Qty::from_lots(i.lot.steps_unsigned(b"0.001").unwrap()),
        }
    });
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    for n in 0..kills {
        let log = dir.join(format!("run-{n}.log"));
        let mut child = live(&config, &log, None);
        let alive = Duration::from_millis(600 + rng.below(2_400));
        let deadline = Instant::now() + alive;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("run {n} exited by itself ({status}):\n{}", show(&log));
            }
            std::thread::sleep(Duration::from_millis(20));
            if faults_file.is_some() && rng.below(100) == 0 {
                // A dropped WebSocket now and then, market and user stream.
                let _ = runtime.block_on(close_connections(sim.port));
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if let Some(order) = foreign.as_ref().filter(|_| n == kills / 2) {
            runtime
                .block_on(kestrel_live::patiently(|| venue.submit(order)))
                .unwrap();
        }
    }
    let log = dir.join("final.log");
    let mut last = live(&config, &log, Some(4));
    common::wait_at_most(&mut last, Duration::from_secs(120), "the final run");
    let status = last.wait().unwrap();
    assert!(status.success(), "the final run failed:\n{}", show(&log));
    let out = show(&log);
    assert!(kills == 0 || out.contains("reconciled"), "{out}");
    assert!(
        kills < 3 || out.contains("from the snapshot at record"),
        "the restart did not use a snapshot:\n{out}"
    );
    println!(
        "{name}: {kills} kills in {:.1} s; final run:\n{out}",
        started.elapsed().as_secs_f64()
    );

    let journal = common::read_journal(&dir.join("journal"));
    assert!(!journal.torn, "a torn tail after a clean stop");
    let orders = common::venue_agrees(&runtime, &venue, &journal, true);
    assert!(
        journal.fills.len() as u64 >= min_fills && orders as u64 >= min_orders,
        "an idle run proves nothing: {} fills and {orders} orders, below {min_fills} and {min_orders}",
        journal.fills.len(),
    );
    if let Some(order) = &foreign {
        assert!(
            journal.adopted >= 1 && journal.orders.contains(order.id.as_str()),
            "the order placed behind the session's back was not adopted"
        );
    }

    let verify = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["journal", "verify"])
        .arg(dir.join("journal"))
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "journal verify:\n{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    println!(
        "{name}: {} fills, {orders} orders ({} adopted at restarts), all checks hold",
        journal.fills.len(),
        journal.adopted
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `POST /sim/faults/close-connections`, with the control token.
async fn close_connections(port: u16) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!(
        "POST /sim/faults/close-connections HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         {}: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        kestrel_sim_server::CONTROL_HEADER,
        common::SIM_CONTROL
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err(std::io::Error::other(
            String::from_utf8_lossy(&answer).into_owned(),
        ))
    }
}

fn kills() -> u64 {
    std::env::var("KESTREL_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(6)
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    kill_run("kills", None, "cancel", kills(), 0x6b65_7374);
}

#[test]
fn sigkill_under_venue_faults_loses_nothing() {
    let faults = serde_json::json!({
        "rest_5xx_rate": 0.03,
        "rest_429_rate": 0.002,
        "retry_after_s": 1,
        "lost_answer_rate": 0.05,
        "ack_delay_ms": 30,
        "seed": 11,
    });
    // Orders a crash cut from the journal are adopted and left working here.
    kill_run("faults", Some(faults), "adopt", kills(), 0x6661_756c);
}

/// The one instrument of these tests.
const IX: kestrel_model::InstrumentIndex = kestrel_model::InstrumentIndex::FIRST;
