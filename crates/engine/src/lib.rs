//! The kernel and its runners. So far: the OHLCV bar backtest
//! ([`bars`]), whose fills follow backtesting.py's semantics so that its
//! results can be checked against that library's.

pub mod bars;

pub use bars::{BarError, BarReport, BarTrade, backtest_bars, read_daily_csv};
