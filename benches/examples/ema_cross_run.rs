//! One `ema_cross` backtest over the synthetic ETHUSDT trades, for
//! instruction counts under callgrind (`KESTREL_TRADES`, default 200,000):
//!
//! ```text
//! cargo build --release -p kestrel-benches --example ema_cross_run
//! valgrind --tool=callgrind target/release/examples/ema_cross_run
//! ```
#![allow(clippy::expect_used)] // an example without its input has nothing to run

use kestrel_benches::backtest::backtest_config;
use kestrel_benches::trades::{ema_cross, synthetic_eth};
use kestrel_engine::backtest::TradeSource;
use kestrel_engine::run_backtest;
use kestrel_feed::TradeIter;

fn main() {
    let n = std::env::var("KESTREL_TRADES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let (instrument, trades) = synthetic_eth(n);
    if std::env::var_os("KESTREL_PARSE_ONLY").is_some() {
        // The Binance CSV reader alone, over the trades written as its file.
        let csv = kestrel_benches::trades::binance_csv(&instrument, &trades);
        let mut reader = kestrel_binance::BinanceTradesCsvReader::new(
            &csv[..],
            &instrument,
            kestrel_binance::TradeLayout::Trades,
        );
        let mut read = 0u64;
        while let Some(t) = kestrel_feed::TradeFile::next_trade(&mut reader) {
            read += t.map_or(0, |t| t.qty.lots());
        }
        println!("{read} lots read");
        return;
    }
    let source = TradeSource::new(TradeIter(trades.into_iter()));
    let run = run_backtest(&instrument, source, ema_cross(), &backtest_config(), |_| {})
        .expect("a backtest");
    println!(
        "{} trades, {} bars",
        run.kernel.counters().trades,
        run.kernel.counters().bars
    );
}
