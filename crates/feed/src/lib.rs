//! Kestrel's market-data layer: venue bytes in, trustworthy book events out.
//!
//! * What every venue adapter builds on: the [`FrameDecoder`] and
//!   [`Sequencer`] traits, an in-place JSON [`json::Scanner`], level-list
//!   readers ([`level_scan`], [`list_end`]) and CSV rows ([`csv`]). The
//!   decoders and sequencers themselves live in the venue adapters
//!   (`crates/adapters/`), each restating its venue's sync rules next to
//!   the code that implements them.
//! * [`sync`] is the one pipeline that applies them, for replay, backtest
//!   and live alike: it holds deltas during a resync, checks every book by
//!   one integrity policy and says when a book is (un)trusted.
//!   [`sync::BookSync`] keeps the book itself; [`sync::FrameSync`] hands
//!   events to a caller that keeps it (the kernel).
//! * [`pipeline::InstrumentFeed`] joins a decoder and a [`sync::BookSync`].
//! * Recorded data: raw frame captures ([`capture`]) and Tardis CSV
//!   ([`tardis`]).

pub mod capture;
pub mod csv;
pub mod decode;
mod error;
pub mod json;
pub mod level_scan;
mod lines;
pub mod list_end;
pub mod pipeline;
pub mod sequence;
pub mod sync;
pub mod tardis;
pub mod trade_file;

pub use decode::{Decoded, FrameDecoder, Instruments, NearDelta};
pub use error::{FeedError, FrameError};
pub use pipeline::{FeedStats, FeedUpdate, InstrumentFeed};
pub use sequence::{SequenceState, Sequencer, Verdict};
pub use sync::{
    BookSync, FeedEvent, FeedKind, FrameStart, FrameSync, NearRest, SplitFault, SyncStats,
    SyncStatus, Trust, Untrusted,
};
pub use trade_file::{ReadAhead, TradeFile, TradeIter};
