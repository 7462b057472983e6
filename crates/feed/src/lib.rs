//! Kestrel's market-data layer: venue bytes in, trustworthy book events out.
//!
//! * Decoders per venue ([`binance`], [`okx`], [`bybit`]) parse frames in
//!   place into the model's events, without allocating.
//! * Sequencers per venue restate that venue's sync rules next to the code
//!   that implements them.
//! * [`sync`] is the one pipeline that applies them, for replay, backtest
//!   and live alike: it holds deltas during a resync, checks every book by
//!   one integrity policy and says when a book is (un)trusted.
//!   [`sync::BookSync`] keeps the book itself; [`sync::FrameSync`] hands
//!   events to a caller that keeps it (the kernel).
//! * [`pipeline::InstrumentFeed`] joins a decoder and a [`sync::BookSync`].
//! * Recorded data: raw frame captures ([`capture`]), Tardis CSV
//!   ([`tardis`]) and Binance's historical depth CSV ([`binance::history`]).

pub mod binance;
pub mod bybit;
pub mod capture;
mod csv;
pub mod decode;
mod error;
pub mod identify;
pub mod json;
mod level_scan;
mod lines;
mod list_end;
pub mod okx;
pub mod pipeline;
pub mod sequence;
pub mod sync;
pub mod tardis;

pub use decode::{Decoded, FrameDecoder, Instruments, NearDelta};
pub use error::{FeedError, FrameError};
pub use pipeline::{FeedStats, FeedUpdate, InstrumentFeed};
pub use sequence::{SequenceState, Sequencer, Verdict};
pub use sync::{
    BookSync, FeedEvent, FeedKind, FrameStart, FrameSync, NearRest, SplitFault, SyncStats,
    SyncStatus, Trust, Untrusted,
};
