//! Kestrel's L2 order book.
//!
//! [`OrderBook`] keeps one instrument's levels in fixed-point ticks and lots:
//! O(1) best bid/ask, incremental level updates with no allocation in steady
//! state, snapshots in and out, depth aggregation ([`Sweep`], cumulative and
//! near-mid size), crossed-book detection and the OKX checksum.
//! [`reference::ReferenceBook`] is the naive oracle it is tested against.

mod bitset;
mod book;
mod checksum;
mod depth;
mod far;
mod ladder;
pub mod queue;
pub mod reference;

pub use book::{BookError, DEFAULT_WINDOW_TICKS, Levels, OrderBook};
pub use checksum::OKX_CHECKSUM_DEPTH;
pub use depth::Sweep;
pub use queue::{QueueModel, QueuePosition};

#[cfg(test)]
mod test_support;
