//! The offline commands end to end, as a user runs them: `replay`, `data
//! convert` and `info` (bad input included), `journal dump`, and
//! `backtest --sweep`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{kestrel, repo, text};

const LIMIT: Duration = Duration::from_secs(300);

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-commands-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn replay_rebuilds_the_bundled_book_with_no_flags() {
    let out = kestrel(&["replay"], LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("oracle        matches"),
        "{}",
        text(&out)
    );
}

#[test]
fn data_convert_writes_a_valid_tape_and_refuses_bad_input_leaving_nothing() {
    let dir = scratch("convert");
    let capture = repo().join("data/sample/binance_usdm_btcusdt_20240808.raw.gz");
    let tape = dir.join("usdm.ktape");
    let out = kestrel(&["data", "convert", s(&capture), "-o", s(&tape)], LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    let info = kestrel(&["data", "info", s(&tape)], LIMIT);
    assert!(
        info.status.success() && text(&info).contains("every record valid"),
        "{}",
        text(&info)
    );
    // A truncated gzip, an empty file, and garbage: exit 1, no tape.
    let bytes = std::fs::read(&capture).unwrap();
    let cases = [
        ("truncated.gz", bytes[..bytes.len() / 3].to_vec(), ""),
        ("empty.raw", Vec::new(), "empty"),
        (
            "garbage.raw",
            b"not json\n{\"also\": \"not a frame\"}\n".to_vec(),
            "no market events",
        ),
    ];
    for (name, content, says) in cases {
        let input = dir.join(name);
        std::fs::write(&input, content).unwrap();
        let output = dir.join(format!("{name}.ktape"));
        let out = kestrel(&["data", "convert", s(&input), "-o", s(&output)], LIMIT);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        assert!(text(&out).contains(says), "{name}: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{name}: {}", text(&out));
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(name) && n != name)
            .collect();
        assert!(left.is_empty(), "{name}: left behind {left:?}");
    }
    // A reader that stops early ends the command quietly.
    let piped = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} data info {} | head -1",
            env!("CARGO_BIN_EXE_kestrel"),
            s(&tape)
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        piped.status.success() && stderr.is_empty(),
        "a closed pipe: {stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn journal_dump_prints_a_paper_session_record_by_record() {
    let dir = scratch("dump");
    let journal = dir.join("journal");
    let out = kestrel(
        &[
            "paper",
            "--seconds",
            "3",
            "--speed",
            "5",
            "--journal",
            s(&journal),
        ],
        LIMIT,
    );
    assert!(out.status.success(), "{}", text(&out));
    let dump = kestrel(&["journal", "dump", s(&journal), "--limit", "5"], LIMIT);
    let said = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.status.success(), "{}", text(&dump));
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 5, "{said}");
    assert!(lines[0].trim_start().starts_with("0 session"), "{said}");
    let verify = kestrel(&["journal", "verify", s(&journal)], LIMIT);
    assert!(
        verify.status.success() && text(&verify).contains("ended        cleanly"),
        "{}",
        text(&verify)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn backtest_sweep_runs_every_point_of_the_grid() {
    let dir = scratch("sweep");
    let config = repo().join("configs/imbalance_mm.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["backtest", "--config", s(&config), "--sweep"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // The grid in the config is 3 × 2 × 2 points, each run and reported.
    let points = said.lines().filter(|l| l.contains(" equity ")).count();
    assert_eq!(points, 12, "{said}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("sweep.json")).unwrap()).unwrap();
    let runs = json
        .as_array()
        .or_else(|| json["runs"].as_array())
        .map(Vec::len);
    assert_eq!(runs, Some(12), "{json}");
    let _ = std::fs::remove_dir_all(dir);
}
