//! `sma_cross` on GOOG daily bars against backtesting.py's SmaCross(10, 20)
//! example, with its semantics: signal on a bar's close, fill at the next
//! bar's open, 0.2 % commission on each fill, 10,000 cash, all-in sizes
//! rounded down to whole units, long/short (each cross closes the position
//! and opens the opposite one). The expected trades and equity were made
//! once with backtesting 0.6.6 by `tests/reference/make_backtesting_expected.py`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_engine::{backtest_bars, read_daily_csv};
use kestrel_model::{Decimal, Increment, Instrument, InstrumentId, Qty, Symbol, Venue};
use kestrel_strategy::SmaCross;

fn goog() -> Instrument {
    Instrument {
        id: InstrumentId::from_native(Venue::Nasdaq, "GOOG").unwrap(),
        native_symbol: Symbol::new("GOOG").unwrap(),
        base: "GOOG".parse().unwrap(),
        quote: "USD".parse().unwrap(),
        tick: Increment::parse("0.01").unwrap(),
        lot: Increment::parse("1").unwrap(),
        min_qty: Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: kestrel_model::Contract::spot("USD".parse().unwrap()),
        rules: kestrel_model::TradingRules::default(),
    }
}

#[test]
fn sma_cross_matches_backtesting_py_trade_for_trade() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bars = read_daily_csv(
        &root.join("../../data/sample/GOOG_daily_2004-2013.csv"),
        &goog(),
    )
    .unwrap();
    assert_eq!(bars.len(), 2_148);
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/reference/backtesting_smacross_goog.json"))
            .unwrap(),
    )
    .unwrap();

    let mut strategy = SmaCross::new(10, 20);
    let report = backtest_bars(
        &goog(),
        &bars,
        &mut strategy,
        Decimal::parse("10000").unwrap(),
        Decimal::parse("0.002").unwrap(),
    );

    let trades = expected["trades"].as_array().unwrap();
    assert_eq!(report.closed.len(), trades.len());
    assert_eq!(report.closed.len(), 93);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6;
    for (k, (ours, theirs)) in report.closed.iter().zip(trades).enumerate() {
        let (exit_bar, exit_price) = ours.exit.unwrap();
        let got = (
            ours.size,
            ours.entry_bar as i64,
            exit_bar as i64,
            ours.entry_price.to_f64(&goog().tick),
            exit_price.to_f64(&goog().tick),
            ours.pnl.unwrap().to_f64(),
        );
        let want = (
            theirs["size"].as_i64().unwrap(),
            theirs["entry_bar"].as_i64().unwrap(),
            theirs["exit_bar"].as_i64().unwrap(),
            theirs["entry_price"].as_f64().unwrap(),
            theirs["exit_price"].as_f64().unwrap(),
            theirs["pnl"].as_f64().unwrap(),
        );
        assert!(
            got.0 == want.0
                && got.1 == want.1
                && got.2 == want.2
                && close(got.3, want.3)
                && close(got.4, want.4)
                && close(got.5, want.5),
            "trade {k}: ours {got:?}, backtesting.py {want:?}"
        );
    }
    let equity = expected["equity"].as_array().unwrap();
    assert_eq!(report.equity.len(), equity.len());
    for (i, (ours, theirs)) in report.equity.iter().zip(equity).enumerate() {
        let theirs = theirs.as_f64().unwrap();
        assert!(
            close(ours.to_f64(), theirs),
            "equity at bar {i}: ours {ours}, backtesting.py {theirs}"
        );
    }
    let final_equity = report.equity.last().unwrap().to_f64();
    assert!(
        close(final_equity, expected["final_equity"].as_f64().unwrap()),
        "{final_equity}"
    );
    assert!((final_equity - 56_263.52).abs() < 0.01);
}
