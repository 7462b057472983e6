//! Writes the report of `sma_cross` on the bundled GOOG bars
//! (`cargo run -p kestrel-engine --example goog_report -- OUT.html`), the
//! page the report's look is checked on.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_analytics::to_html;
use kestrel_engine::{backtest_bars, read_daily_csv};
use kestrel_model::{Decimal, Instrument, Venue};
use kestrel_strategy::SmaCross;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "report.html".into());
    let instrument = Instrument {
        id: kestrel_model::InstrumentId::from_native(Venue::Nasdaq, "GOOG").unwrap(),
        native_symbol: kestrel_model::Symbol::new("GOOG").unwrap(),
        base: "GOOG".parse().unwrap(),
        quote: "USD".parse().unwrap(),
        tick: "0.01".parse().unwrap(),
        lot: "1".parse().unwrap(),
        min_qty: kestrel_model::Qty::from_lots(1),
        min_notional: Decimal::ZERO,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::ZERO,
        contract: kestrel_model::Contract::spot("USD".parse().unwrap()),
        rules: kestrel_model::TradingRules::default(),
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bars = read_daily_csv(
        &root.join("data/sample/GOOG_daily_2004-2013.csv"),
        &instrument,
    )
    .unwrap();
    let report = backtest_bars(
        &instrument,
        &bars,
        &mut SmaCross::new(10, 20),
        Decimal::parse("10000").unwrap(),
        Decimal::parse("0.002").unwrap(),
    );
    let report = report.to_report(
        "sma_cross(10, 20) on GOOG daily, 2004–2013",
        &instrument,
        &bars,
        0.002,
    );
    std::fs::write(&out, to_html(&report)).unwrap();
    println!(
        "wrote {out}: end equity {:.2}, {} trades",
        report.summary.end_equity, report.summary.trades.trades
    );
}
