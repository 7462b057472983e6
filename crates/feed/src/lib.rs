//! Kestrel's market-data layer: venue bytes in, trustworthy book events out.
//!
//! * Decoders per venue ([`binance`], [`okx`], [`bybit`]) parse frames in
//!   place into the model's events, without allocating.
//! * Sequencers per venue restate that venue's sync rules next to the code
//!   that implements them; [`sync::BookSync`] applies them to a book,
//!   buffers during resync and says when the book is (un)trusted.
//! * [`pipeline::InstrumentFeed`] joins the two, for live and recorded data alike.
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
pub use sync::{BookSync, SyncStats, SyncStatus, Trust, Untrusted};
