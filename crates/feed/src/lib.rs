//! Kestrel's market-data layer: venue bytes in, trustworthy book events out.
//!
//! So far: the Binance futures depth sequencer and a reader for recorded
//! Binance captures (`<local_ts_ns> <json>` lines, optionally gzipped).

pub mod binance;
mod error;

pub use error::FeedError;
