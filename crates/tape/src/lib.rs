//! Kestrel's own recorded-event format, the *tape*.
//!
//! Venue captures are text and must be parsed again on every replay; a tape
//! holds the parsed events as fixed 64-byte little-endian records (one cache
//! line each, [`record`]), after a header that lists the instruments and the
//! tick and lot grids their prices and sizes are counted on ([`header`]).
//!
//! * Every record carries the venue's timestamp and our local receive time,
//!   so feed latency is a property of the data.
//! * Venue ids are kept as sent, so a replay goes through the same
//!   sequencers as live data and detects the same gaps.
//! * [`TapeReader`] streams from any reader with a fixed buffer;
//!   [`MappedTape`] maps the file for random access. Both feed
//!   [`TapeEvents`], which rebuilds the model's events one venue message at
//!   a time, so memory stays bounded by the largest message.
//! * [`TapeDecoder`] reads a mapped tape's messages as frames
//!   ([`MappedTape::message`]), so replay and backtest sync a tape through
//!   the same sequencers as a live feed, without parsing anything.
//! * [`merge`] joins tapes by receive time: a market's days into one, or
//!   several markets into one tape.
//! * Every record is validated on read; a torn or corrupt tail stops the
//!   read with an error after every whole event before it.

mod decoder;
mod error;
pub mod events;
pub mod header;
mod merge;
pub mod reader;
pub mod record;
pub mod writer;

pub use decoder::TapeDecoder;
pub use error::TapeError;
pub use events::{TapeEvent, TapeEvents};
pub use merge::{Merged, merge};
pub use reader::{MappedTape, Message, RecordSource, SliceRecords, TapeReader};
pub use record::{Flags, RECORD_SIZE, Record, RecordKind};
pub use writer::TapeWriter;
