//! Every indicator against TA-Lib 0.8 (the `ta-lib` 0.8.2 wheel, C library
//! 0.8.1) on two bundled series, GOOG daily (2,148 bars, prices in the
//! hundreds) and EURUSD hourly (5,000 bars, five decimals), column by
//! column, from goldens its own code wrote (`tests/golden/make_golden.py`):
//! the same first bar with a value, and the same values bit for bit, all
//! 24 columns. `KESTREL_PARITY_REPORT=1` prints each column's worst
//! relative difference before the check, for when TA-Lib changes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::PathBuf;

use kestrel_indicators::{
    Adx, Atr, Bar, Bollinger, Cci, Dema, Ema, EmaSeed, Indicator, Kama, Macd, Mfi, Natr, Obv, Roc,
    Rsi, Sma, StdDev, Stoch, Tema, WillR, Wma, batch,
};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// TA-Lib's columns by name, `None` in its lookback.
type Columns = Vec<(String, Vec<Option<f64>>)>;

/// A series' bars, and TA-Lib's columns for it.
fn load(bars: &str, golden: &str) -> (Vec<Bar>, Columns) {
    let bars: Vec<Bar> = std::fs::read_to_string(repo(bars))
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
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(repo(golden)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    let names = lines.next().unwrap().split(',').skip(1).map(str::to_owned);
    let mut columns: Columns = names.map(|n| (n, Vec::new())).collect();
    for line in lines {
        for (value, (_, column)) in line.split(',').skip(1).zip(&mut columns) {
            column.push((!value.is_empty()).then(|| value.parse().unwrap()));
        }
    }
    assert!(columns.iter().all(|(_, c)| c.len() == bars.len()));
    (bars, columns)
}

/// Our value for each input, through `pick`.
fn ours<I: Indicator>(
    indicator: I,
    inputs: impl IntoIterator<Item = I::Input>,
    pick: impl Fn(&I::Output) -> f64,
) -> Vec<Option<f64>> {
    batch(indicator, inputs)
        .unwrap()
        .iter()
        .map(|v| v.as_ref().map(&pick))
        .collect()
}

/// Compares our column with TA-Lib's, bit for bit.
fn check(series: &str, name: &str, ours: &[Option<f64>], theirs: &Columns) {
    let (_, theirs) = theirs.iter().find(|(n, _)| n == name).expect(name);
    assert_eq!(ours.len(), theirs.len(), "{series} {name}");
    let first = |c: &[Option<f64>]| c.iter().position(Option::is_some);
    assert_eq!(
        first(ours),
        first(theirs),
        "{series} {name}: the first bar with a value"
    );
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let same = match (a, b) {
            (Some(a), Some(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a.is_none() && b.is_none(),
        };
        assert!(same, "{series} {name} bar {i}: {a:?} vs {b:?}");
    }
}

fn every_indicator_matches_talib(series: &str, bars_file: &str, golden: &str) {
    let (bars, talib) = load(bars_file, golden);
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let c = || closes.iter().copied();
    let b = || bars.iter().copied();
    let id = |v: &f64| *v;
    let macd = || Macd::new(12, 26, 9).unwrap();
    let bands = || Bollinger::new(20, 2.0, 2.0).unwrap();
    let stoch = || Stoch::new(5, 3, 3).unwrap();
    let columns: Vec<(&str, Vec<Option<f64>>)> = vec![
        ("sma_20", ours(Sma::new(20).unwrap(), c(), id)),
        ("ema_10", ours(Ema::new(10, EmaSeed::Sma).unwrap(), c(), id)),
        ("wma_10", ours(Wma::new(10).unwrap(), c(), id)),
        ("dema_10", ours(Dema::new(10).unwrap(), c(), id)),
        ("tema_10", ours(Tema::new(10).unwrap(), c(), id)),
        ("kama_10", ours(Kama::new(10).unwrap(), c(), id)),
        ("rsi_14", ours(Rsi::new(14).unwrap(), c(), id)),
        ("macd", ours(macd(), c(), |v| v.macd)),
        ("macd_signal", ours(macd(), c(), |v| v.signal)),
        ("macd_hist", ours(macd(), c(), |v| v.histogram)),
        ("roc_10", ours(Roc::new(10).unwrap(), c(), id)),
        ("bb_upper", ours(bands(), c(), |v| v.upper)),
        ("bb_middle", ours(bands(), c(), |v| v.middle)),
        ("bb_lower", ours(bands(), c(), |v| v.lower)),
        ("stddev_20", ours(StdDev::new(20).unwrap(), c(), id)),
        ("atr_14", ours(Atr::new(14).unwrap(), b(), id)),
        ("natr_14", ours(Natr::new(14).unwrap(), b(), id)),
        ("obv", ours(Obv::new(), b(), id)),
        ("adx_14", ours(Adx::new(14).unwrap(), b(), id)),
        ("stoch_k", ours(stoch(), b(), |v| v.k)),
        ("stoch_d", ours(stoch(), b(), |v| v.d)),
        ("cci_14", ours(Cci::new(14).unwrap(), b(), id)),
        ("mfi_14", ours(Mfi::new(14).unwrap(), b(), id)),
        ("willr_14", ours(WillR::new(14).unwrap(), b(), id)),
    ];
    // Every golden column is checked.
    assert_eq!(columns.len(), talib.len());
    if std::env::var_os("KESTREL_PARITY_REPORT").is_some() {
        for (name, values) in &columns {
            let (_, theirs) = talib.iter().find(|(n, _)| n == name).unwrap();
            let worst = values
                .iter()
                .zip(theirs)
                .filter_map(|(a, b)| Some((a.as_ref()? - b.as_ref()?).abs() / b.as_ref()?.abs()))
                .fold(0.0f64, f64::max);
            eprintln!("{series} {name}: worst relative difference {worst:e}");
        }
    }
    for (name, values) in &columns {
        check(series, name, values, &talib);
    }
}

#[test]
fn every_indicator_matches_talib_on_goog_daily() {
    every_indicator_matches_talib(
        "GOOG",
        "data/sample/GOOG_daily_2004-2013.csv",
        "crates/indicators/tests/golden/goog_daily_talib.csv.gz",
    );
}

#[test]
fn every_indicator_matches_talib_on_eurusd_hourly() {
    every_indicator_matches_talib(
        "EURUSD",
        "data/sample/EURUSD_hourly_2017-2018.csv",
        "crates/indicators/tests/golden/eurusd_hourly_talib.csv.gz",
    );
}
