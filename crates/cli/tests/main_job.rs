//! The main job as a user runs it: `kestrel` with no arguments backtests
//! the built-in configuration over the bundled capture, prints its table
//! and writes both reports; two runs write byte-identical JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `kestrel args` in a fresh directory; its stdout and the directory.
fn kestrel(name: &str, args: &[&str]) -> (String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("kestrel-main-job-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kestrel {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, dir)
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn main_job_reports_and_repeats_byte_for_byte() {
    let (first, a) = kestrel("a", &[]);
    let (_, b) = kestrel("b", &[]);
    assert!(first.contains("Kestrel backtest: imbalance_mm"), "{first}");
    assert!(first.contains("464570 market events"), "{first}");
    let json = read(&a, "report.json");
    assert_eq!(json, read(&b, "report.json"), "two runs, different JSON");
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let fills = report["summary"]["activity"]["fills"].as_u64().unwrap();
    assert!(fills > 100, "{fills} fills");
    assert_eq!(report["counters"]["level_updates"], 443_262);
    let html = String::from_utf8(read(&a, "report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("http://") && !html.contains("https://"));
    let _ = std::fs::remove_dir_all(a);
    let _ = std::fs::remove_dir_all(b);
}

#[test]
fn sma_cross_config_matches_the_fidelity_figures() {
    let config = repo().join("configs/sma_cross_goog.toml");
    let (out, dir) = kestrel("sma", &["backtest", "--config", config.to_str().unwrap()]);
    assert!(out.contains("10000.00 → 56263.52"), "{out}");
    assert!(out.contains("93 closed"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_config_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("kestrel-bad-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[data]\nfile = \"x\"\nmarket = \"nowhere\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["backtest", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nowhere") || err.contains("unknown variant"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
