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
    let source = TradeSource::new(TradeIter(trades.into_iter()));
    let run = run_backtest(&instrument, source, ema_cross(), &backtest_config(), |_| {})
        .expect("a backtest");
    println!(
        "{} trades, {} bars",
        run.kernel.counters().trades,
        run.kernel.counters().bars
    );
}
