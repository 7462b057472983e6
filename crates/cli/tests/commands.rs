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
        info.status.success() && text(&info).contains("every message whole"),
        "{}",
        text(&info)
    );
    // Quotes left out on request, and said so; the book is the same.
    let lean = dir.join("usdm-no-quotes.ktape");
    let out = kestrel(
        &[
            "data",
            "convert",
            s(&capture),
            "-o",
            s(&lean),
            "--without",
            "quotes",
        ],
        LIMIT,
    );
    assert!(
        text(&out).contains("left out    66089 events"),
        "{}",
        text(&out)
    );
    let info = text(&kestrel(&["data", "info", s(&lean)], LIMIT));
    assert!(info.contains("21313 trades, 0 quotes"), "{info}");
    let replayed = |t: &std::path::Path| {
        let out = text(&kestrel(&["replay", "--file", s(t)], LIMIT));
        let pick = |key: &str| {
            out.lines()
                .find(|l| l.contains(key))
                .unwrap_or("")
                .to_owned()
        };
        [pick("best bid"), pick("best ask"), pick("levels")]
    };
    assert_eq!(replayed(&tape), replayed(&lean));
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
    assert!(
        said.contains("converted"),
        "the capture is decoded once: {said}"
    );
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

/// The COIN-M capture backtested: the engine's equity change must be what
/// the inverse formula gives for its own fills, worked here independently
/// (FIFO lots, `n·100·(1/entry − 1/exit)` BTC per close, the open lots
/// marked at the last mid, less the fees), all in BTC.
#[test]
fn an_inverse_backtest_counts_pnl_in_coins_by_the_venues_formula() {
    let dir = scratch("coinm");
    let config = std::fs::read_to_string(repo().join("configs/imbalance_mm_coinm.toml")).unwrap();
    let json = dir.join("coinm.json");
    let config = config
        .replace("report_coinm.json", s(&json))
        .replace("report_coinm.html", s(&dir.join("coinm.html")));
    let path = dir.join("coinm.toml");
    std::fs::write(&path, config).unwrap();
    let out = kestrel(&["backtest", "--config", s(&path)], LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("BTC  (PnL"), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["basis"]["currency"], "BTC");
    assert_eq!(report["basis"]["qty_unit"], "contracts of 100 USD");
    let summary = &report["summary"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let mut lots: std::collections::VecDeque<(f64, f64)> = Default::default();
    let (mut side, mut realised) = (0.0f64, 0.0f64);
    let fills = report["series"]["fills"].as_array().unwrap();
    assert!(fills.len() > 50, "a run that trades");
    for fill in fills {
        let (price, mut qty) = (f(&fill["price"]), f(&fill["qty"]));
        let dir = if fill["buy"].as_bool().unwrap() {
            1.0
        } else {
            -1.0
        };
        while qty > 0.0 && side != 0.0 && side != dir {
            let (entry, open) = lots.front_mut().unwrap();
            let take = qty.min(*open);
            realised += side * take * 100.0 * (1.0 / *entry - 1.0 / price);
            (*open, qty) = (*open - take, qty - take);
            if *open == 0.0 {
                lots.pop_front();
            }
            if lots.is_empty() {
                side = 0.0;
            }
        }
        if qty > 0.0 {
            side = dir;
            lots.push_back((price, qty));
        }
    }
    let prices = report["series"]["price"].as_array().unwrap();
    let mark = f(&prices.last().unwrap()[1]);
    let unrealised: f64 = lots
        .iter()
        .map(|(entry, open)| side * open * 100.0 * (1.0 / entry - 1.0 / mark))
        .sum();
    let fees = f(&summary["activity"]["fees"]);
    let expected = realised + unrealised - fees;
    let pnl = f(&summary["end_equity"]) - f(&summary["start_equity"]);
    assert!(
        (pnl - expected).abs() < 1e-7,
        "engine {pnl} BTC, formula {expected} BTC (realised {realised}, open {unrealised}, fees {fees})"
    );
    // Fees in coins: 0.02 % or 0.05 % of each fill's coin value.
    let coin_value: f64 = fills
        .iter()
        .map(|x| f(&x["qty"]) * 100.0 / f(&x["price"]))
        .sum();
    assert!(
        fees > coin_value * 0.0002 - 1e-12 && fees < coin_value * 0.0005 + 1e-12,
        "{fees} of {coin_value}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Two recordings (spot and USDⓈ-M BTCUSDT), two strategies, one kernel:
/// the run is the same twice over, every strategy trades, and the legs'
/// PnL adds up to the portfolio's.
#[test]
fn a_two_market_two_strategy_backtest_is_deterministic_and_adds_up() {
    portfolio_adds_up(
        "lead_lag_btc",
        "report_lead_lag",
        ["BTC/USDT@BINANCE_SPOT", "BTC/USDT:USDT@BINANCE_USDM"],
    );
}

/// Two perpetuals settled in USDT and in BTC: the coin leg is converted
/// into the portfolio's USDT, and the legs still add up to it.
#[test]
fn legs_settled_in_different_assets_add_up_in_one_currency() {
    portfolio_adds_up(
        "perps_usdt_and_coin",
        "report_perps",
        ["BTC/USDT:USDT@BINANCE_USDM", "BTC/USD:BTC@BINANCE_COINM"],
    );
}

/// Runs `configs/{name}.toml` twice (its reports renamed from `stub`):
/// the same run twice over, every leg trades and is sampled, and the legs'
/// PnL adds up to the portfolio's.
fn portfolio_adds_up(name: &str, stub: &str, instruments: [&str; 2]) {
    let dir = scratch(name);
    let config = std::fs::read_to_string(repo().join(format!("configs/{name}.toml"))).unwrap();
    let mut reports = Vec::new();
    for run in ["a", "b"] {
        let json = dir.join(format!("{run}.json"));
        let edited = config
            .replace(&format!("{stub}.json"), s(&json))
            .replace(&format!("{stub}.html"), s(&dir.join(format!("{run}.html"))));
        let path = dir.join(format!("{run}.toml"));
        std::fs::write(&path, edited).unwrap();
        let out = kestrel(&["backtest", "--config", s(&path)], LIMIT);
        assert!(out.status.success(), "{}", text(&out));
        reports.push(std::fs::read_to_string(&json).unwrap());
        let html = std::fs::read_to_string(dir.join(format!("{run}.html"))).unwrap();
        assert!(html.contains("<h2>Legs</h2>"), "each leg is shown");
    }
    assert_eq!(reports[0], reports[1], "the same run twice");
    let report: serde_json::Value = serde_json::from_str(&reports[0]).unwrap();
    let legs = report["series"]["legs"].as_array().unwrap();
    let names: Vec<&str> = legs
        .iter()
        .map(|l| l["instrument"].as_str().unwrap())
        .collect();
    assert_eq!(names, instruments);
    assert_eq!(report["basis"]["currency"], "USDT");
    for leg in legs {
        assert!(leg["fill_count"].as_u64().unwrap() > 10, "{leg}");
        assert!(
            leg["price"].as_array().unwrap().len() > 300,
            "sampled each second"
        );
    }
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let legs_pnl: f64 = legs
        .iter()
        .map(|l| f(&l["realised"]) + f(&l["unrealised"]))
        .sum();
    let pnl = f(&report["summary"]["pnl"]);
    assert!(
        (legs_pnl - pnl).abs() < 1e-6,
        "legs {legs_pnl} vs portfolio {pnl}"
    );
    // Exposure at the end, and the venue accounts the fills moved: a spot
    // leg's base moved by its position, a derivative's margin by its PnL.
    let portfolio = &report["portfolio"];
    let (gross, net) = (
        f(&portfolio["gross_exposure"]),
        f(&portfolio["net_exposure"]),
    );
    assert!(gross > 0.0 && gross + 1e-9 >= net.abs(), "{portfolio}");
    for leg in legs {
        let name = leg["instrument"].as_str().unwrap();
        let venue = name.rsplit('@').next().unwrap();
        let account = portfolio["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["venue"] == venue)
            .unwrap_or_else(|| panic!("no account {venue}: {portfolio}"));
        let asset = |code: &str| {
            account["assets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["asset"] == code)
                .unwrap_or_else(|| panic!("{venue} has no {code}: {account}"))
                .clone()
        };
        if !name.contains(':') {
            let base = name.split('/').next().unwrap();
            assert!(
                (f(&asset(base)["moved"]) - f(&leg["position"])).abs() < 1e-9,
                "{name}"
            );
        } else if name.contains(":USDT") {
            assert!(
                (f(&asset("USDT")["moved"]) - f(&leg["realised"])).abs() < 1e-6,
                "{name}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
