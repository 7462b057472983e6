//! Kestrel's Bybit adapter: spot, linear and inverse (v5).
//!
//! The layout every adapter shares (see `kestrel-binance`):
//! * [`endpoints`]: the REST host, each category's instrument listing and
//!   its pacing;
//! * [`data`]: the v5 `orderbook.N` decoder and its sync rules;
//! * [`instruments`]: the parser of `instruments-info`;
//! * `tests/`: behaviour tests.
//!
//! Bybit has no live feed or order entry in Kestrel yet: the `rest` and
//! `execution` modules the Binance adapter has are the template for them.

pub mod data;
pub mod endpoints;
pub mod instruments;

pub use data::{BybitDecoder, BybitSequencer};
pub use endpoints::Category;
