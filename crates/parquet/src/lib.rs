//! Market data as Parquet files: trades, bars and book deltas, one
//! instrument a file.
//!
//! # Schema
//!
//! Every file carries key-value metadata: `kestrel.kind` (`trades`,
//! `bars` or `deltas`), `kestrel.instrument` (the canonical id, e.g.
//! `BTC/USDT:USDT@BINANCE_USDM`) and `kestrel.schema` (`1`); bar files
//! add `kestrel.bar_spec` (`1m`, `ticks:100`, …). Times are
//! `Timestamp(ns, "UTC")`. Prices and sizes are exact `Decimal128(38,
//! s)` at the instrument's tick and lot decimals: a reader sees
//! `61659.70`, never a float near it.
//!
//! | kind | columns |
//! |---|---|
//! | trades | `exchange_ts`, `local_ts`, `trade_id: UInt64`, `price`, `qty`, `aggressor: Int8` (1 buy, −1 sell, 0 not given) |
//! | bars | `open_time`, `close_time`, `open`, `high`, `low`, `close`, `volume` |
//! | deltas | `exchange_ts`, `local_ts`, `first_id: UInt64`, `last_id: UInt64`, `prev_id: UInt64` (null when the venue sends none), `side: Int8` (1 bid, −1 ask), `price`, `qty` (0 removes the level) |
//!
//! A delta is the rows sharing its `exchange_ts`, `local_ts` and ids, in
//! file order. Reading checks the kind, the instrument, the columns and
//! every value against the instrument's grid; a file that does not match
//! is refused with the reason, never read approximately.

mod bars;
mod columns;
mod deltas;
mod trades;

pub use bars::{read_bars, write_bars};
pub use deltas::{read_deltas, write_deltas};
pub use trades::{TradesReader, write_trades};

/// The schema version written.
pub const SCHEMA: &str = "1";

/// Why a Parquet file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The Parquet or Arrow library refused (a malformed file).
    #[error("{path}: {what}")]
    Format {
        /// The file.
        path: String,
        /// What it said.
        what: String,
    },
    /// A file that is not what it was opened as.
    #[error("{path}: {what}")]
    Schema {
        /// The file.
        path: String,
        /// What was wrong.
        what: String,
    },
}
