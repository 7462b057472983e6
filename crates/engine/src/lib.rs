//! The kernel and its offline runners: the single-threaded trading
//! [`kernel`], the L2 [`backtest`] runner that merges recorded market data
//! with the simulated venue's answers by time, the OHLCV bar backtest
//! ([`bars`]), whose fills follow backtesting.py's semantics so that its
//! results can be checked against that library's, and the journal's
//! records ([`entry`]) and their [`replay`]. Nothing here runs an async
//! runtime or opens a socket: the live runner is `kestrel-live`.

pub mod backtest;
pub mod bars;
pub mod clock;
pub mod entry;
pub mod kernel;
pub mod replay;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use backtest::{
    Backtest, BacktestConfig, BacktestError, ClockOffset, DeliveryProbe, Feed, RunStats,
    run_backtest, run_backtest_probed, run_kernel,
};
pub use bars::{BarError, BarReport, BarTrade, backtest_bars, read_daily_csv};
pub use clock::{Clock, SimClock, WallClock};
pub use kernel::{
    BracketTicks, Kernel, KernelConfig, KernelCounters, KernelError, KernelSetup, MarketSetup,
    OrderIntent, PriceSource, RiskEvent, StrategySetup,
};
