//! Writes the report of `sma_cross` on the bundled GOOG bars
//! (`cargo run -p kestrel-engine --example goog_report -- OUT.html`), the
//! page the report's look is checked on.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use kestrel_analytics::{Activity, FillMark, Report, RunSeries, TradeStats, to_html};
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
    let ms = |i: usize| bars[i].open_time.as_nanos() / 1_000_000;
    let mut trades = TradeStats::default();
    let mut fills = Vec::new();
    let mut inventory = vec![(ms(0), 0.0)];
    for t in report.closed.iter().chain(report.open.iter()) {
        let px = |p: kestrel_model::Price| p.to_f64(&instrument.tick);
        fills.push(FillMark {
            time_ms: ms(t.entry_bar),
            price: px(t.entry_price),
            qty: t.size.abs() as f64,
            buy: t.size > 0,
        });
        inventory.push((ms(t.entry_bar), t.size as f64));
        if let (Some((bar, price)), Some(pnl)) = (t.exit, t.pnl) {
            fills.push(FillMark {
                time_ms: ms(bar),
                price: px(price),
                qty: t.size.abs() as f64,
                buy: t.size < 0,
            });
            trades.add(pnl.to_f64());
        }
    }
    inventory.push((
        ms(bars.len() - 1),
        report.open.map_or(0.0, |t| t.size as f64),
    ));
    // Every fill paid 0.2 % of its notional.
    let traded: f64 = fills.iter().map(|f| f.price * f.qty).sum();
    let fees = traded * 0.002;
    let series = RunSeries {
        equity: report
            .equity
            .iter()
            .enumerate()
            .map(|(i, e)| (ms(i), e.to_f64()))
            .collect(),
        inventory,
        price: bars
            .iter()
            .map(|b| {
                (
                    b.open_time.as_nanos() / 1_000_000,
                    b.close.to_f64(&instrument.tick),
                )
            })
            .collect(),
        fills,
    };
    let activity = Activity {
        orders: 2 * report.closed.len() as u64 + 1,
        filled_orders: 2 * report.closed.len() as u64 + 1,
        fills: 2 * report.closed.len() as u64 + 1,
        traded,
        fees,
        ..Activity::default()
    };
    let report = Report::new(
        "sma_cross(10, 20) on GOOG daily, 2004–2013",
        series,
        trades,
        activity,
        252.0,
    );
    std::fs::write(&out, to_html(&report)).unwrap();
    println!(
        "wrote {out}: end equity {:.2}, {} trades",
        report.summary.end_equity, report.summary.trades.trades
    );
}
