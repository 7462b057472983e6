//! Tapes as inputs, decoded once: a capture converted to a tape replays
//! and backtests exactly as the capture does (the same book, the same
//! report); tapes merged into one feed a portfolio backtest of both
//! markets exactly as their captures do; a sweep converts its capture once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{kestrel, repo, text};

const LIMIT: Duration = Duration::from_secs(300);
const USDM: &str = "data/sample/binance_usdm_btcusdt_20240808.raw.gz";
const SPOT: &str = "data/sample/binance_spot_btcusdt_20240808.raw.gz";

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-tape-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Converts a bundled capture into a tape in `dir`.
fn tape_of(dir: &Path, capture: &str, name: &str) -> PathBuf {
    let tape = dir.join(name);
    let out = kestrel(
        &["data", "convert", s(&repo().join(capture)), "-o", s(&tape)],
        LIMIT,
    );
    assert!(out.status.success(), "{}", text(&out));
    tape
}

/// What a replay says of the book, without the file's name or its speed.
fn book_lines(said: &str) -> Vec<String> {
    said.lines()
        .filter(|l| !l.contains("replay of") && !l.contains("replay rate") && !l.contains("oracle"))
        .map(str::to_owned)
        .collect()
}

/// Runs `config` (its report paths rewritten into `dir` as `name`) and
/// returns the JSON report.
fn backtest(dir: &Path, config: &str, name: &str) -> String {
    let json = dir.join(format!("{name}.json"));
    let html = dir.join(format!("{name}.html"));
    let mut doc: toml::Table = toml::from_str(config).unwrap();
    let report = doc
        .entry("report")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .unwrap();
    report.insert("json".into(), s(&json).into());
    report.insert("html".into(), s(&html).into());
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
    let out = kestrel(&["backtest", "--config", s(&path)], LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::read_to_string(json).unwrap()
}

#[test]
fn a_tape_replays_and_backtests_exactly_as_its_capture() {
    let dir = scratch("one");
    let tape = tape_of(&dir, USDM, "usdm.tape");

    let from_capture = kestrel(&["replay", "--file", s(&repo().join(USDM))], LIMIT);
    let from_tape = kestrel(&["replay", "--file", s(&tape)], LIMIT);
    assert!(from_tape.status.success(), "{}", text(&from_tape));
    assert!(
        text(&from_tape).contains("mapped tape"),
        "{}",
        text(&from_tape)
    );
    assert_eq!(
        book_lines(&text(&from_capture)),
        book_lines(&text(&from_tape))
    );

    let config = std::fs::read_to_string(repo().join("configs/imbalance_mm.toml")).unwrap();
    let on_capture = backtest(&dir, &config, "capture");
    let on_tape = backtest(
        &dir,
        &config.replace(
            &format!("file = \"{USDM}\""),
            &format!("file = \"{}\"", s(&tape)),
        ),
        "tape",
    );
    assert_eq!(
        on_capture, on_tape,
        "the same report, decision for decision"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_merged_tape_of_two_markets_feeds_a_portfolio_as_its_captures_do() {
    let dir = scratch("two");
    let spot = tape_of(&dir, SPOT, "spot.tape");
    let usdm = tape_of(&dir, USDM, "usdm.tape");
    let both = dir.join("both.tape");
    let out = kestrel(
        &["data", "merge", s(&spot), s(&usdm), "-o", s(&both)],
        LIMIT,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("#1 BTC/USDT:USDT@BINANCE_USDM"),
        "{}",
        text(&out)
    );

    // Two markets in one file: replay asks which.
    let which = kestrel(&["replay", "--file", s(&both)], LIMIT);
    assert!(!which.status.success());
    assert!(text(&which).contains("pass --symbol"), "{}", text(&which));
    let one = kestrel(
        &[
            "replay",
            "--file",
            s(&both),
            "--symbol",
            "BTCUSDT",
            "--venue",
            "binance_usdm",
        ],
        LIMIT,
    );
    let alone = kestrel(&["replay", "--file", s(&usdm)], LIMIT);
    assert_eq!(book_lines(&text(&one)), book_lines(&text(&alone)));

    let config = std::fs::read_to_string(repo().join("configs/lead_lag_btc.toml")).unwrap();
    let on_captures = backtest(&dir, &config, "captures");
    let feeds = format!(
        "[[feeds]]\nfile = \"{b}\"\ninstrument = \"binance_spot:BTCUSDT\"\n\n\
         [[feeds]]\nfile = \"{b}\"\ninstrument = \"binance_usdm:BTCUSDT\"\n",
        b = s(&both)
    );
    let on_tape = config
        .replace(&format!("[[feeds]]\nfile = \"{SPOT}\"\n"), "")
        .replace(&format!("[[feeds]]\nfile = \"{USDM}\"\n"), &feeds);
    assert!(on_tape.contains(s(&both)), "the feeds were replaced");
    assert_eq!(on_captures, backtest(&dir, &on_tape, "tape"));
    let _ = std::fs::remove_dir_all(dir);
}
