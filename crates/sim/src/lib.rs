//! The exchange simulator: the venue of every backtest, and (in server mode)
//! a Binance-compatible server for paper trading and tests.
//!
//! The market is recorded real data: L2 diffs and trades replayed into an
//! [`OrderBook`](kestrel_book::OrderBook). Our orders are overlaid on it and
//! trade against it:
//!
//! * a resting limit order joins the back of its level's queue, and the
//!   queue ahead of it shrinks with trades at that price and, by a
//!   [`QueueModel`] (from `kestrel-book`, shared with the strategy side's
//!   estimate), with recorded size decreases;
//! * a trade that prints through its price, or a recorded book that moves
//!   through it, fills it;
//! * an aggressive order walks the recorded book, paying the slippage of the
//!   levels it consumes; what it took stays taken until the feed next
//!   updates that level (market impact that recovers as data refreshes);
//! * post-only orders that would take are rejected, stops trigger on trades,
//!   self-trade prevention follows Binance's modes, and fills pay the
//!   instrument's maker or taker fee.
//!
//! [`MatchingEngine`] is the pure venue: it runs in exchange time and knows
//! nothing of latency. [`SimVenue`] puts it behind order-entry and ack
//! latencies, so that what a strategy sees, and when, is what a real venue
//! would have shown it. Everything is deterministic: the same data, config
//! and seed give the same reports, byte for byte.

pub mod latency;
pub mod ledger;
mod link;
pub mod margin;
pub mod matching;
pub mod order;
pub mod report;
mod rng;
pub mod synthetic;
#[cfg(test)]
mod test_support;
pub mod venue;

pub use kestrel_book::queue::QueueModel;
pub use latency::{FeedLatency, LatencyModel};
pub use ledger::{Balance, Ledger, LedgerError};
pub use matching::{MatchingEngine, OrderRef};
pub use order::{AccountId, OrderId, OrderRequest, SelfTradePrevention};
pub use report::{ExecKind, ExecReport, ExpireReason, Fill, Liquidity, OrderStatus, RejectReason};
pub use synthetic::{SyntheticSpec, SyntheticTrades};
pub use venue::{Command, SimConfig, SimVenue, VenueEvent, local_clock_offset};
