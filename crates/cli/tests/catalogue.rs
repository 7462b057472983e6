//! Markets as data, end to end: a capture of any listed symbol replays with
//! no flags; an unlisted one gets an inferred grid (replay) or an error
//! naming the fetch command (convert); a capture of several symbols is
//! refused or split; prices off the catalogue's grid are reported as a
//! possible tick-size change; `instruments fetch` reads the simulator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::rewrite::rewritten;
use common::{kestrel, repo, start_sim, text};
use flate2::read::GzDecoder;

/// The capture the other markets' captures are made from.
const USDM: &str = "data/sample/binance_usdm_btcusdt_20240808.raw.gz";

const LIMIT: Duration = Duration::from_secs(300);

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-catalogue-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_capture_of_another_listed_symbol_replays_on_its_own_grid_with_no_flags() {
    let dir = scratch("xrp");
    // BTCUSDT (tick 0.10, lot 0.001) onto XRPUSDT (tick 0.0001, lot 0.1):
    // prices × 0.001, sizes × 100, exactly.
    let xrp = rewritten(&dir, USDM, "XRPUSDT", "0.001", "100");
    let out = kestrel(&["replay", "--file", s(&xrp)], LIMIT);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("XRP/USDT:USDT@BINANCE_USDM (XRPUSDT), from the catalogue"),
        "{t}"
    );
    // The bundled oracle, mapped: same update id and level counts.
    assert!(t.contains("last update   5123135475514"), "{t}");
    assert!(t.contains("best bid      61.6597 × 148.6"), "{t}");
    assert!(t.contains("best ask      61.6598 × 98.1"), "{t}");
    assert!(t.contains("5018 bids / 4578 asks"), "{t}");
    assert!(t.contains("0 malformed"), "{t}");

    // A catalogue whose XRPUSDT tick is ten times coarser than the data's:
    // reported as a possible tick-size change, exit 1.
    let listed = kestrel(&["instruments", "show", "binance_usdm:XRPUSDT"], LIMIT);
    assert!(listed.status.success(), "{}", text(&listed));
    let catalogue = dir.join("coarse.json");
    let mut file = kestrel_instruments::file::CatalogueFile::default();
    let mut coarse = kestrel_registry::bundled()
        .unwrap()
        .find(kestrel_model::Venue::BinanceUsdm, "XRPUSDT")
        .unwrap()
        .clone();
    coarse.tick = "0.001".parse().unwrap();
    file.catalogue.insert(coarse);
    file.save(&catalogue).unwrap();
    let out = kestrel(
        &["replay", "--file", s(&xrp), "--catalogue", s(&catalogue)],
        LIMIT,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("may have changed its tick"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unlisted_symbol_is_inferred_for_replay_and_refused_for_a_tape() {
    let dir = scratch("unlisted");
    let foo = rewritten(&dir, USDM, "FOOUSDT", "1", "1");
    let out = kestrel(&["replay", "--file", s(&foo)], LIMIT);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("not in the instrument catalogue"), "{t}");
    assert!(t.contains("grid inferred from the data"), "{t}");
    assert!(t.contains("best bid      61659.7 × 1.486"), "{t}");
    let tape = dir.join("foo.ktape");
    let out = kestrel(&["data", "convert", s(&foo), "-o", s(&tape)], LIMIT);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("kestrel instruments fetch --venue binance_usdm"),
        "{t}"
    );
    assert!(!tape.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_capture_of_two_symbols_is_refused_unless_one_is_chosen() {
    let dir = scratch("mixed");
    let xrp = rewritten(&dir, USDM, "XRPUSDT", "0.001", "100");
    let btc = repo().join("data/sample/binance_usdm_btcusdt_20240808.raw.gz");
    let mixed = dir.join("mixed.raw");
    let mut out = std::fs::File::create(&mixed).unwrap();
    let btc_lines = BufReader::new(GzDecoder::new(std::fs::File::open(btc).unwrap())).lines();
    let xrp_lines = BufReader::new(std::fs::File::open(&xrp).unwrap()).lines();
    for (a, b) in btc_lines.zip(xrp_lines) {
        writeln!(out, "{}\n{}", a.unwrap(), b.unwrap()).unwrap();
    }
    drop(out);
    let refused = kestrel(&["replay", "--file", s(&mixed)], LIMIT);
    let t = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{t}");
    assert!(t.contains("mixes 2 symbols (BTCUSDT, XRPUSDT)"), "{t}");
    let chosen = kestrel(
        &["replay", "--file", s(&mixed), "--symbol", "XRPUSDT"],
        LIMIT,
    );
    let t = text(&chosen);
    assert!(chosen.status.success(), "{t}");
    assert!(t.contains("best bid      61.6597 × 148.6"), "{t}");
    assert!(t.contains("other symbols BTCUSDT"), "{t}");
    // BTCUSDT's REST snapshot names no symbol: tried on XRPUSDT's grid, it
    // does not fit and is counted, not applied.
    assert!(t.contains("93953 other, 1 malformed"), "{t}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn instruments_fetch_reads_the_simulators_exchange_info_into_a_catalogue() {
    let dir = scratch("fetch");
    let sim = start_sim(None);
    let file = dir.join("spot.json");
    let url = format!("http://127.0.0.1:{}", sim.port);
    let out = kestrel(
        &[
            "instruments",
            "fetch",
            "--venue",
            "binance_spot",
            "--base-url",
            &url,
            "-o",
            s(&file),
        ],
        LIMIT,
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("1 instruments in 1 requests"), "{t}");
    let fetched = kestrel_instruments::file::CatalogueFile::load(&file).unwrap();
    let btc = fetched
        .catalogue
        .find(kestrel_model::Venue::BinanceSpot, "BTCUSDT")
        .unwrap();
    let bundled = kestrel_registry::bundled()
        .unwrap()
        .find(kestrel_model::Venue::BinanceSpot, "BTCUSDT")
        .unwrap();
    assert_eq!(
        btc, bundled,
        "served from the catalogue, read back the same"
    );
    assert_eq!(fetched.sources.len(), 1);
    let listed = kestrel(
        &[
            "instruments",
            "list",
            "--catalogue",
            s(&file),
            "--venue",
            "binance_spot",
        ],
        LIMIT,
    );
    assert!(
        text(&listed).contains("BTC/USDT@BINANCE_SPOT"),
        "{}",
        text(&listed)
    );
    let _ = std::fs::remove_dir_all(dir);
}
