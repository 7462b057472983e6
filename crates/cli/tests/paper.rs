//! `kestrel paper` as a user runs it: the simulator on the bundled capture
//! and a live session trading it over real sockets, in one command. Its
//! journal then replays through a fresh kernel decision for decision: the
//! same risk verdicts and the same orders, in the same order, from the
//! same inputs (market data and the venue's reports as they came).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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

    let verify = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["journal", "verify"])
        .arg(&journal)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "verify failed:\n{report}");
    assert!(number_before(&report, "decisions matched") > 0, "{report}");
    assert!(report.contains("  ok"), "{report}");
    let _ = std::fs::remove_dir_all(&journal);
}
