//! Kestrel's Binance adapter: spot, USDⓈ-M and COIN-M.
//!
//! Every adapter has the same layout, so the next venue starts as a copy:
//! * [`endpoints`]: hosts, paths, stream names and request weights (data);
//! * [`data`]: frame decoders and the venue's book sync rules (sequencers),
//!   plus Binance's historical depth CSV;
//! * [`instruments`]: the parser of the instrument endpoint
//!   (`exchangeInfo`);
//! * `rest` (feature `live`): the public REST calls a live feed makes;
//! * `execution` (feature `live`): order entry over signed REST and the
//!   user-data stream, an `ExecutionClient` and an `AccountStream`;
//! * `tests/`: behaviour tests against recorded data and the simulator.
//!
//! Without `live` the adapter has no async runtime or network in its tree,
//! so offline runners (replay, backtest) can use it.

pub mod data;
pub mod endpoints;
#[cfg(feature = "live")]
pub mod execution;
pub mod instruments;
#[cfg(feature = "live")]
pub mod rest;

pub use data::{
    BinanceDecoder, BinanceDepthCsvReader, BinanceTradesCsvReader, FuturesSequencer, SpotSequencer,
    TradeLayout,
};
pub use endpoints::BinanceMarket;
#[cfg(feature = "live")]
pub use execution::{BinanceAccount, BinanceConfig, BinanceExecution, GatewayCounters};
#[cfg(feature = "live")]
pub use rest::BinanceRest;
