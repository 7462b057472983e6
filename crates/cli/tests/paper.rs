//! `kestrel paper` as a user runs it: the simulator on the bundled capture
//! and a live session trading it over real sockets, in one command. Its
//! journal then replays through a fresh kernel decision for decision: the
//! same risk verdicts and the same orders, in the same order, from the
//! same inputs (market data and the venue's reports as they came).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::repo;
use common::rewrite::rewritten;
use kestrel_engine::OrderIntent;
use kestrel_engine::entry::{self, Entry};
use kestrel_journal::JournalReader;

fn number_before(text: &str, label: &str) -> u64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    text[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before {label:?} in:\n{text}"))
}

/// `kestrel journal verify` on `journal`: it must pass, having matched
/// decisions; its report.
fn verified(journal: &Path) -> String {
    let verify = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["journal", "verify"])
        .arg(journal)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(verify.status.success(), "verify failed:\n{report}");
    assert!(number_before(&report, "decisions matched") > 0, "{report}");
    report
}

#[test]
fn a_paper_session_trades_and_replays_decision_for_decision() {
    let journal = std::env::temp_dir().join(format!("kestrel-paper-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&journal);
    let paper = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["paper", "--seconds", "10", "--speed", "3", "--journal"])
        .arg(&journal)
        .current_dir(repo())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&paper.stdout);
    assert!(
        paper.status.success(),
        "kestrel paper failed:\n{out}\n{}",
        String::from_utf8_lossy(&paper.stderr)
    );
    assert!(
        number_before(&out, "sent,") > 0,
        "no order was sent:\n{out}"
    );
    assert!(
        out.contains("decode_to_decision"),
        "no latency table:\n{out}"
    );

    let report = verified(&journal);
    assert!(report.contains("  ok"), "{report}");
    let _ = std::fs::remove_dir_all(&journal);
}

/// Two venues' markets in one session, a simulator each: imbalance_mm on
/// BTCUSDT, and lead_lag quoting ETHUSDT around BTCUSDT's microprice.
/// The ETHUSDT capture is the BTCUSDT one renamed, sizes × 10: a test
/// market on ETHUSDT's grid (the bundled data holds one spot market).
const TWO_MARKETS: &str = r#"
title = "paper: imbalance_mm on BTCUSDT + lead_lag on ETHUSDT"

[[venues]]
kind = "binance-spot"
rest_url = "http://127.0.0.1:1"
ws_api_url = "ws://127.0.0.1:1/ws-api/v3"
stream_url = "ws://127.0.0.1:1/stream?streams="
symbol = "BTCUSDT"
api_key_env = "UNUSED_KEY"
api_secret_env = "UNUSED_SECRET"
data = "data/sample/binance_spot_btcusdt_20240808.raw.gz"

[[venues]]
kind = "binance-spot"
rest_url = "http://127.0.0.1:1"
ws_api_url = "ws://127.0.0.1:1/ws-api/v3"
stream_url = "ws://127.0.0.1:1/stream?streams="
symbol = "ETHUSDT"
api_key_env = "UNUSED_KEY"
api_secret_env = "UNUSED_SECRET"
data = "ETH_CAPTURE"

[session]
id_prefix = "kp"
snapshot_every = 2000

[[strategies]]
kind = "imbalance_mm"
instrument = "binance_spot:BTCUSDT"
qty = "0.001"
half_spread_ticks = 2.0
imbalance_skew_ticks = 3.0
inventory_skew_ticks = 4.0
max_position = "0.005"
reprice_min_move_ticks = 3
reprice_min_interval_ms = 100
hopeless_queue = "0.5"
max_volatility = 0.001

[[strategies]]
kind = "lead_lag"
instrument = "binance_spot:ETHUSDT"
lead = "binance_spot:BTCUSDT"
qty = "0.01"
half_spread_ticks = 150.0
inventory_skew_ticks = 200.0
max_position = "0.05"
basis_alpha = 0.01
reprice_min_move_ticks = 50
reprice_min_interval_ms = 100
max_loss = "100"

[account]
cash = "100000"

[risk]
max_order_qty = "0.1"
max_order_notional = "10000"
max_position = "0.1"
max_exposure = "10000"
price_band_bps = 50
orders_burst = 40
orders_per_second = 20.0
max_book_age_ms = 5000
max_trade_loss = "100"
max_daily_loss = "500"
max_drawdown = "500"
max_ack_p99_ms = 1000
"#;

/// The instruments the journal's submitted orders were for, by index.
fn submitted_instruments(journal: &Path) -> BTreeSet<u16> {
    let header = kestrel_engine::replay::read_header(journal).unwrap();
    let ids = header.ids();
    let mut reader = JournalReader::open(journal, 0).unwrap();
    let mut seen = BTreeSet::new();
    while let Some(record) = reader.next_record().unwrap() {
        if let Ok(Entry::Intent {
            intent: OrderIntent::Submit(order),
            ..
        }) = entry::decode(record.kind, record.payload, &ids)
        {
            seen.insert(order.instrument.0);
        }
    }
    seen
}

#[test]
fn a_paper_session_trades_two_markets_and_replays_them() {
    let dir = std::env::temp_dir().join(format!("kestrel-paper-two-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let eth = rewritten(
        &dir,
        "data/sample/binance_spot_btcusdt_20240808.raw.gz",
        "ETHUSDT",
        "1",
        "10",
    );
    let config = dir.join("two_markets.toml");
    std::fs::write(
        &config,
        TWO_MARKETS.replace("ETH_CAPTURE", eth.to_str().unwrap()),
    )
    .unwrap();
    let journal = dir.join("journal");
    let paper = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["paper", "--seconds", "12", "--speed", "3", "--config"])
        .arg(&config)
        .arg("--journal")
        .arg(&journal)
        .current_dir(repo())
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&paper.stdout);
    assert!(
        paper.status.success(),
        "kestrel paper failed:\n{out}\n{}",
        String::from_utf8_lossy(&paper.stderr)
    );
    assert_eq!(
        out.matches("kestrel paper: simulator on").count(),
        2,
        "a simulator per market:\n{out}"
    );
    for market in [
        "BTC/USDT@BINANCE_SPOT position",
        "ETH/USDT@BINANCE_SPOT position",
    ] {
        assert!(out.contains(market), "no {market:?} in:\n{out}");
    }
    assert_eq!(
        submitted_instruments(&journal),
        BTreeSet::from([0, 1]),
        "both markets were traded:\n{out}"
    );

    let report = verified(&journal);
    assert!(report.contains("#1 ETH/USDT@BINANCE_SPOT"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}
