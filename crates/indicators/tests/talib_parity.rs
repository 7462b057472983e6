//! Every indicator against TA-Lib 0.8.2 on the bundled GOOG daily bars
//! (2,148 bars), column by column, from the goldens its own code wrote
//! (`tests/golden/make_golden.py`): the same first bar with a value, and
//! the same values, bit for bit where TA-Lib's arithmetic allows (SMA, EMA,
//! MACD's line, the bands' middle), else within 1e-9 relative.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_indicators::{Atr, Bar, Bollinger, Ema, EmaSeed, Macd, Rsi, Sma, StdDev};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// TA-Lib's columns by name, `None` in its lookback.
type Columns = Vec<(String, Vec<Option<f64>>)>;

/// The bars, and TA-Lib's columns.
fn load() -> (Vec<Bar>, Columns) {
    let bars: Vec<Bar> = std::fs::read_to_string(repo("data/sample/GOOG_daily_2004-2013.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<f64> = line
                .split(',')
                .skip(1)
                .map(|v| v.parse().unwrap())
                .collect();
            Bar {
                open: f[0],
                high: f[1],
                low: f[2],
                close: f[3],
                volume: f[4],
            }
        })
        .collect();
    let text = std::fs::read_to_string(repo("crates/indicators/tests/golden/goog_daily_talib.csv"))
        .unwrap();
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(str::to_owned)
        .collect();
    let mut columns: Columns = names.into_iter().map(|n| (n, Vec::new())).collect();
    for line in lines {
        for (value, (_, column)) in line.split(',').skip(1).zip(&mut columns) {
            column.push((!value.is_empty()).then(|| value.parse().unwrap()));
        }
    }
    assert!(columns.iter().all(|(_, c)| c.len() == bars.len()));
    (bars, columns)
}

/// Compares our column with TA-Lib's: exactly, or within `rel`.
fn check(name: &str, ours: &[Option<f64>], theirs: &Columns, rel: f64) {
    let (_, theirs) = theirs.iter().find(|(n, _)| n == name).expect(name);
    assert_eq!(ours.len(), theirs.len(), "{name}");
    let first = |c: &[Option<f64>]| c.iter().position(Option::is_some);
    assert_eq!(
        first(ours),
        first(theirs),
        "{name}: the first bar with a value"
    );
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        match (a, b) {
            (Some(a), Some(b)) if rel == 0.0 => {
                assert_eq!(a.to_bits(), b.to_bits(), "{name} bar {i}: {a} vs {b}")
            }
            (Some(a), Some(b)) => {
                let scale = b.abs().max(1e-12);
                assert!((a - b).abs() / scale <= rel, "{name} bar {i}: {a} vs {b}");
            }
            (None, None) => {}
            _ => panic!("{name} bar {i}: {a:?} vs {b:?}"),
        }
    }
}

#[test]
fn every_indicator_matches_talib_on_goog_daily() {
    let (bars, talib) = load();
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let run = |mut f: Box<dyn FnMut(f64) -> Option<f64>>| -> Vec<Option<f64>> {
        closes.iter().map(|&c| f(c)).collect()
    };
    let mut sma = Sma::new(20).unwrap();
    check(
        "sma_20",
        &run(Box::new(move |c| sma.update(c).unwrap())),
        &talib,
        0.0,
    );
    let mut ema = Ema::new(10, EmaSeed::Sma).unwrap();
    check(
        "ema_10",
        &run(Box::new(move |c| ema.update(c).unwrap())),
        &talib,
        0.0,
    );
    let mut rsi = Rsi::new(14).unwrap();
    check(
        "rsi_14",
        &run(Box::new(move |c| rsi.update(c).unwrap())),
        &talib,
        1e-9,
    );
    let mut sd = StdDev::new(20).unwrap();
    check(
        "stddev_20",
        &run(Box::new(move |c| sd.update(c).unwrap())),
        &talib,
        1e-9,
    );

    let mut macd = Macd::new(12, 26, 9).unwrap();
    let values: Vec<_> = closes.iter().map(|&c| macd.update(c).unwrap()).collect();
    check(
        "macd",
        &values.iter().map(|v| v.map(|v| v.macd)).collect::<Vec<_>>(),
        &talib,
        0.0,
    );
    check(
        "macd_signal",
        &values
            .iter()
            .map(|v| v.map(|v| v.signal))
            .collect::<Vec<_>>(),
        &talib,
        1e-9,
    );
    check(
        "macd_hist",
        &values
            .iter()
            .map(|v| v.map(|v| v.histogram))
            .collect::<Vec<_>>(),
        &talib,
        1e-9,
    );

    let mut bands = Bollinger::new(20, 2.0, 2.0).unwrap();
    let values: Vec<_> = closes.iter().map(|&c| bands.update(c).unwrap()).collect();
    check(
        "bb_middle",
        &values
            .iter()
            .map(|v| v.map(|v| v.middle))
            .collect::<Vec<_>>(),
        &talib,
        0.0,
    );
    check(
        "bb_upper",
        &values
            .iter()
            .map(|v| v.map(|v| v.upper))
            .collect::<Vec<_>>(),
        &talib,
        1e-9,
    );
    check(
        "bb_lower",
        &values
            .iter()
            .map(|v| v.map(|v| v.lower))
            .collect::<Vec<_>>(),
        &talib,
        1e-9,
    );

    let mut atr = Atr::new(14).unwrap();
    let values: Vec<_> = bars.iter().map(|b| atr.update(b).unwrap()).collect();
    check("atr_14", &values, &talib, 1e-9);
}
