//! Strategies on trades and alerts, end to end as a user runs them:
//! `ema_cross` on the bundled trades alone and on the capture they came
//! from (the same decisions), bad rows counted, and `alerts test` / `run`
//! over the capture (a second run over the same journal sends nothing) and
//! on a live feed (the simulator's), where a restart does not fire again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{kestrel, repo, start_sim_at, text};

const LIMIT: Duration = Duration::from_secs(300);

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-trades-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A bundled config with its outputs moved into `dir`, and `edits` made.
fn config(name: &str, dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("configs").join(name)).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{name} has no {from:?}");
        text = text.replace(from, to);
    }
    let text = text
        .replace("html = \"", &format!("html = \"{}/", dir.display()))
        .replace("json = \"", &format!("json = \"{}/", dir.display()))
        .replace(
            "dir = \"alerts-journal\"",
            &format!("dir = \"{}/journal\"", dir.display()),
        );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A line's number after `label` in the summary.
fn count(out: &str, label: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{out}"));
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

#[test]
fn ema_cross_decides_alike_on_the_trades_alone_and_on_the_capture() {
    let dir = scratch("ema");
    let trades = config("ema_cross_btcusdt_trades.toml", &dir, &[]);
    let out = kestrel(&["backtest", "--config", trades.to_str().unwrap()], LIMIT);
    let trades_out = text(&out);
    assert!(out.status.success(), "{trades_out}");
    let capture = config(
        "ema_cross_btcusdt_trades.toml",
        &dir,
        &[
            (
                "data/sample/binance-futures_trades_2024-08-08_BTCUSDT.derived.csv.gz",
                "data/sample/binance_usdm_btcusdt_20240808.raw.gz",
            ),
            ("format = \"tardis-trades\"", "format = \"capture\""),
        ],
    );
    let out = kestrel(&["backtest", "--config", capture.to_str().unwrap()], LIMIT);
    let capture_out = text(&out);
    assert!(out.status.success(), "{capture_out}");
    // The same trades make the same 1 s bars and the same crossings: the
    // same orders and round trips, whether fills come from the next trade
    // or from the recorded book.
    assert_eq!(count(&trades_out, "orders"), 15, "{trades_out}");
    assert_eq!(count(&capture_out, "orders"), 15, "{capture_out}");
    assert_eq!(count(&trades_out, "trades"), count(&capture_out, "trades"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ema_cross_report.json")).unwrap())
            .unwrap();
    assert!(
        report["counters"]["bars"].as_u64().unwrap() > 300,
        "{}",
        report["counters"]
    );
}

#[test]
fn bad_rows_of_a_binance_trades_file_are_counted_not_fatal() {
    let dir = scratch("bad");
    let csv = dir.join("trades.csv");
    let mut rows = String::from("id,price,qty,quote_qty,time,is_buyer_maker\n");
    for i in 0..600u64 {
        let price = 3000.0 + (i % 7) as f64 * 0.5;
        rows.push_str(&format!(
            "{i},{price:.2},0.010,30,{},false\n",
            1_704_067_200_000 + i * 1_000
        ));
        if i == 300 {
            rows.push_str("301,not-a-price,0.010,30,1704067500000,false\n");
            rows.push_str("302,3000.00,0.010,30,1704067500001,maybe\n");
        }
    }
    std::fs::write(&csv, rows).unwrap();
    let file = dir.join("run.toml");
    let (csv, dir_s) = (csv.display(), dir.display());
    std::fs::write(
        &file,
        format!(
            "[data]\nfile = \"{csv}\"\nformat = \"binance-trades\"\ninstrument = \"binance_usdm:ETHUSDT\"\n\
             [strategy]\nkind = \"ema_cross\"\nbar = \"10s\"\nfast = 3\nslow = 5\nqty = \"0.01\"\n\
             [report]\nhtml = \"{dir_s}/r.html\"\njson = \"{dir_s}/r.json\"\n"
        ),
    )
    .unwrap();
    let out = kestrel(&["backtest", "--config", file.to_str().unwrap()], LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(
        report["counters"]["malformed_frames"], 2,
        "{}",
        report["counters"]
    );
    assert_eq!(report["counters"]["market_trades"], 600);
}

#[test]
fn a_binance_trades_csv_its_tape_and_its_parquet_decide_alike() {
    let dir = scratch("forms");
    let csv = dir.join("ETHUSDT-trades-synthetic.csv");
    let csv_s = csv.to_str().unwrap();
    let made = kestrel(
        &["data", "synth-trades", "--count", "20000", "-o", csv_s],
        LIMIT,
    );
    assert!(made.status.success(), "{}", text(&made));
    let mut outputs = Vec::new();
    for (file, format) in [
        ("ETHUSDT-trades-synthetic.csv", "binance-trades"),
        ("trades.tape", "capture"),
        ("trades.parquet", "parquet-trades"),
    ] {
        let path = dir.join(file);
        if format != "binance-trades" {
            // The symbol comes from the file's name, the venue from its
            // futures header.
            let out = kestrel(
                &["data", "convert", csv_s, "-o", path.to_str().unwrap()],
                LIMIT,
            );
            assert!(out.status.success(), "{}", text(&out));
        }
        let (path_s, dir_s) = (path.display(), dir.display());
        let run = dir.join(format!("{format}.toml"));
        std::fs::write(
            &run,
            format!(
                "[data]\nfile = \"{path_s}\"\nformat = \"{format}\"\ninstrument = \"binance_usdm:ETHUSDT\"\n\
                 [strategy]\nkind = \"ema_cross\"\nbar = \"2s\"\nfast = 3\nslow = 5\nqty = \"0.01\"\n\
                 [report]\nhtml = \"{dir_s}/{format}.html\"\njson = \"{dir_s}/{format}.json\"\n"
            ),
        )
        .unwrap();
        let out = kestrel(&["backtest", "--config", run.to_str().unwrap()], LIMIT);
        let shown = text(&out);
        assert!(out.status.success(), "{shown}");
        assert_eq!(count(&shown, "run"), 20_000, "every trade read: {shown}");
        outputs.push(shown);
    }
    let orders = count(&outputs[0], "orders");
    assert!(orders > 10, "{}", outputs[0]);
    for out in &outputs[1..] {
        assert_eq!(count(out, "orders"), orders, "{out}");
        assert_eq!(count(out, "trades"), count(&outputs[0], "trades"));
    }
    // Alert rules read the tape's trades too.
    let alerts = dir.join("alerts.toml");
    std::fs::write(
        &alerts,
        format!(
            "[data]\nfile = \"{}\"\n[[alerts]]\nname = \"above 1,000\"\n\
             instrument = \"binance_usdm:ETHUSDT\"\nwhen = {{ price_above = 1000 }}\n",
            dir.join("trades.tape").display()
        ),
    )
    .unwrap();
    let out = kestrel(
        &["alerts", "test", "--config", alerts.to_str().unwrap()],
        LIMIT,
    );
    let shown = text(&out);
    assert!(
        out.status.success() && shown.contains(": 1 firings"),
        "{shown}"
    );
}

#[test]
fn alerts_fire_once_and_a_second_run_sends_nothing_again() {
    let dir = scratch("alerts");
    let file = config("alerts_btcusdt.toml", &dir, &[]);
    let out = kestrel(
        &["alerts", "test", "--config", file.to_str().unwrap()],
        LIMIT,
    );
    let tested = text(&out);
    assert!(out.status.success(), "{tested}");
    assert!(
        tested.contains("16 firings (a test: nothing delivered)"),
        "{tested}"
    );
    assert!(
        tested.contains("2024-08-08 23:57:19.042  fired                  below 61,700 at 61699.9"),
        "{tested}"
    );
    assert!(!dir.join("journal").exists(), "a test journals nothing");
    let out = kestrel(
        &["alerts", "run", "--config", file.to_str().unwrap()],
        LIMIT,
    );
    let first = text(&out);
    assert!(out.status.success(), "{first}");
    assert_eq!(first.matches("ALERT ").count(), 16, "{first}");
    assert!(
        first.contains("delivered 16 (to each sink once), 16 new alerts"),
        "{first}"
    );
    let out = kestrel(
        &["alerts", "run", "--config", file.to_str().unwrap()],
        LIMIT,
    );
    let second = text(&out);
    assert_eq!(second.matches("ALERT ").count(), 0, "{second}");
    assert!(
        second.contains("delivered 0 (to each sink once), 0 new alerts, 16 met again"),
        "{second}"
    );
    // A rule naming another market is refused, by name.
    let other = config(
        "alerts_btcusdt.toml",
        &dir,
        &[(
            "name = \"below 61,700\"\ninstrument = \"binance_usdm:BTCUSDT\"",
            "name = \"eth\"\ninstrument = \"binance_usdm:ETHUSDT\"",
        )],
    );
    let out = kestrel(
        &["alerts", "test", "--config", other.to_str().unwrap()],
        LIMIT,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("alert \"eth\" names binance_usdm:ETHUSDT"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_capture_as_parquet_trades_backtests_to_the_same_decisions() {
    let dir = scratch("parquet");
    let parquet = dir.join("trades.parquet");
    let out = kestrel(
        &[
            "data",
            "convert",
            "data/sample/binance_usdm_btcusdt_20240808.raw.gz",
            "-o",
            parquet.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("wrote 21313 trades"), "{}", text(&out));
    let config = config(
        "ema_cross_btcusdt_trades.toml",
        &dir,
        &[
            (
                "data/sample/binance-futures_trades_2024-08-08_BTCUSDT.derived.csv.gz",
                parquet.to_str().unwrap(),
            ),
            ("format = \"tardis-trades\"", "format = \"parquet-trades\""),
        ],
    );
    let out = kestrel(&["backtest", "--config", config.to_str().unwrap()], LIMIT);
    let run = text(&out);
    assert!(out.status.success(), "{run}");
    assert_eq!(count(&run, "orders"), 15, "{run}");
    // Bars and deltas convert too; an unknown kind is refused.
    for kind in ["bars:1m", "deltas"] {
        let out = kestrel(
            &[
                "data",
                "convert",
                "data/sample/binance_usdm_btcusdt_20240808.raw.gz",
                "-o",
                dir.join("x.parquet").to_str().unwrap(),
                "--kind",
                kind,
            ],
            LIMIT,
        );
        assert!(out.status.success(), "{kind}: {}", text(&out));
    }
    let out = kestrel(
        &[
            "data",
            "convert",
            "data/sample/binance_usdm_btcusdt_20240808.raw.gz",
            "-o",
            "x.parquet",
            "--kind",
            "candles",
        ],
        LIMIT,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("write trades, deltas or bars:SPEC"),
        "{}",
        text(&out)
    );
}

/// Klines backfilled from the simulator, page by page and resumed, are
/// the 1-second bars Kestrel makes from the same recording's trades.
#[test]
fn klines_backfilled_from_the_simulator_are_our_own_bars_and_resume_exactly() {
    use kestrel_model::{Price, Qty};
    let dir = scratch("klines");
    let sim = common::start_sim_at("100000", None);
    // The six recorded minutes replay in well under this.
    std::thread::sleep(Duration::from_secs(3));
    let csv = dir.join("klines.csv");
    let url = format!("http://127.0.0.1:{}", sim.port);
    let backfill = |extra: &[&str]| {
        let mut args = vec![
            "data",
            "klines",
            "--base-url",
            &url,
            "--symbol",
            "BTCUSDT",
            "--interval",
            "1s",
            "--start-ms",
            "1723161255000",
            "--end-ms",
            "1723161700000",
            "--page",
            "50",
            "-o",
            csv.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = kestrel(&args, LIMIT);
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    let first = backfill(&["--max-requests", "2"]);
    assert!(first.contains("100 klines of BTCUSDT 1s"), "{first}");
    let second = backfill(&[]);
    assert!(second.contains("(resumed)"), "{second}");
    let rows: Vec<Vec<String>> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let opens: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        opens.windows(2).all(|w| w[1] == w[0] + 1_000),
        "one row a second, none twice"
    );
    // Our bars of the same trades.
    let parquet = dir.join("bars.parquet");
    let out = kestrel(
        &[
            "data",
            "convert",
            "data/sample/binance_spot_btcusdt_20240808.raw.gz",
            "-o",
            parquet.to_str().unwrap(),
            "--kind",
            "bars:1s",
        ],
        LIMIT,
    );
    assert!(out.status.success(), "{}", text(&out));
    let instrument = kestrel_registry::testing::spot_btcusdt();
    let (_, bars) = kestrel_parquet::read_bars(&parquet, &instrument).unwrap();
    // The simulator's newest kline is still open; ours closed ones only.
    assert_eq!(
        rows.len(),
        bars.len() + 1,
        "{} klines, {} bars",
        rows.len(),
        bars.len()
    );
    // The simulator serves the market from its book's sync: the capture's
    // trades before it (in the first second) are in no stream and no
    // kline. Every kline after that one is our bar of the same second.
    let qty = |s: &str| Qty::parse(s, &instrument.lot).unwrap();
    assert!(qty(&rows[0][5]) <= bars[0].volume);
    for (row, bar) in rows.iter().zip(&bars).skip(1) {
        let px = |s: &str| Price::parse(s, &instrument.tick).unwrap();
        assert_eq!(
            row[0].parse::<u64>().unwrap() * 1_000_000,
            bar.open_time.as_nanos()
        );
        assert_eq!(
            [px(&row[1]), px(&row[2]), px(&row[3]), px(&row[4])],
            [bar.open, bar.high, bar.low, bar.close],
            "{row:?}"
        );
        assert_eq!(qty(&row[5]), bar.volume, "{row:?}");
    }
}

#[test]
fn alerts_run_on_a_live_feed_fires_once_and_not_again_after_a_restart() {
    let dir = scratch("live");
    let sim = start_sim_at("5", None);
    let file = dir.join("live.toml");
    let port = sim.port;
    std::fs::write(
        &file,
        format!(
            "[live]\nsymbol = \"BTCUSDT\"\nrest_url = \"http://127.0.0.1:{port}\"\n\
             stream_url = \"ws://127.0.0.1:{port}/stream?streams=\"\n\
             [journal]\ndir = \"{}/journal\"\n\
             [[alerts]]\nname = \"above 1,000\"\ninstrument = \"binance_spot:BTCUSDT\"\n\
             when = {{ price_above = 1000 }}\n\
             [[alerts]]\nname = \"below 1,000\"\ninstrument = \"binance_spot:BTCUSDT\"\n\
             when = {{ price_below = 1000 }}\n",
            dir.display()
        ),
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let run = |seconds: &str| {
        let out = kestrel(
            &["alerts", "run", "--config", config, "--seconds", seconds],
            LIMIT,
        );
        let shown = text(&out);
        assert!(out.status.success(), "{shown}");
        shown
    };
    let first = run("6");
    assert!(
        first.contains("watched BTC/USDT@BINANCE_SPOT live"),
        "{first}"
    );
    assert!(
        first.contains("1 firings") && first.contains("fired                  above 1,000"),
        "the market is above 1,000 from its first trade: once\n{first}"
    );
    // The condition still holds: the journal's state keeps it disarmed.
    let second = run("3");
    assert!(second.contains("0 firings"), "{second}");
    let test = kestrel(&["alerts", "test", "--config", config], LIMIT);
    assert!(!test.status.success(), "a test replays a recording");
}

#[test]
fn a_kline_file_cut_short_is_refused_and_left_as_it_is() {
    let dir = scratch("klines-cut");
    let header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";
    let row = "1723161255000,1,1,1,1,1,1723161255999,1,1,1,1,0";
    // A row cut inside its open time, and one cut inside its last field.
    for (cut, why) in [
        (
            format!("{header}\n{row}\n17231612"),
            "not a whole kline row",
        ),
        (
            format!("{header}\n{row}\n{}", &row[..row.len() - 1]),
            "partial row",
        ),
    ] {
        let csv = dir.join("klines.csv");
        std::fs::write(&csv, &cut).unwrap();
        let out = kestrel(
            &[
                "data",
                "klines",
                "--base-url",
                "http://127.0.0.1:9",
                "--symbol",
                "BTCUSDT",
                "--interval",
                "1s",
                "--start-ms",
                "1723161255000",
                "-o",
                csv.to_str().unwrap(),
            ],
            LIMIT,
        );
        let shown = text(&out);
        assert!(!out.status.success() && shown.contains(why), "{shown}");
        assert_eq!(
            std::fs::read_to_string(&csv).unwrap(),
            cut,
            "nothing cut or added"
        );
    }
}
