//! Kestrel's OKX adapter: spot, perpetual swaps and dated futures.
//!
//! The layout every adapter shares (see `kestrel-binance`):
//! * [`endpoints`]: the REST host, the instrument listing and its pacing;
//! * [`data`]: the v5 public channels' decoder and the `books` sync rules;
//! * [`instruments`]: the parser of `public/instruments`;
//! * `tests/`: behaviour tests.
//!
//! OKX has no live feed or order entry in Kestrel yet: the `rest` and
//! `execution` modules the Binance adapter has are the template for them.

pub mod data;
pub mod endpoints;
pub mod instruments;

pub use data::{OkxDecoder, OkxSequencer};
