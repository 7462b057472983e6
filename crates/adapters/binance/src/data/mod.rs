//! Binance spot, USDⓈ-M and COIN-M market data.

pub mod decoder;
pub mod history;
mod near;
pub mod sequencer;
pub mod trades_csv;

pub use decoder::BinanceDecoder;
pub use history::BinanceDepthCsvReader;
pub use sequencer::{FuturesSequencer, SpotSequencer};
pub use trades_csv::{BinanceTradesCsvReader, TradeLayout};
