//! Kestrel's own recorded-event format, the *tape*.
//!
//! Venue captures are text and must be parsed again on every replay; a tape
//! holds the parsed events, one framed message per venue message
//! ([`message`]: a fixed head with both clocks, the event in varints, a
//! checksum), after a header that lists the instruments and the tick and
//! lot grids their prices and sizes are counted on ([`header`]).
//!
//! * Every message carries the venue's timestamp and our local receive
//!   time, so feed latency is a property of the data.
//! * Venue ids are kept as sent, so a replay goes through the same
//!   sequencers as live data and detects the same gaps.
//! * [`TapeReader`] streams from any reader through a buffer the size of
//!   the largest message; [`MappedTape`] maps the file. Both feed
//!   [`TapeEvents`], which rebuilds the model's events one message at a
//!   time.
//! * [`TapeDecoder`] reads a mapped tape's messages as frames
//!   ([`MappedTape::message`]), so replay and backtest sync a tape through
//!   the same sequencers as a live feed, without parsing anything.
//! * [`TapeTrades`] reads a tape of trades alone (a trades CSV converted)
//!   as a trades file, for backtests on trades.
//! * [`merge`] joins tapes by receive time: a market's days into one, or
//!   several markets into one tape.
//! * Every message is checked against its checksum and read whole; a torn
//!   or damaged one stops the read with an error after every whole event
//!   before it.

mod crc;
mod decoder;
mod error;
pub mod events;
pub mod header;
mod merge;
pub mod message;
pub mod reader;
mod trades;
pub mod writer;

pub use decoder::TapeDecoder;
pub use error::TapeError;
pub use events::{TapeEvent, TapeEvents};
pub use merge::{Merged, merge};
pub use reader::{MappedTape, Message, MessageSource, TapeReader};
pub use trades::TapeTrades;
pub use writer::TapeWriter;
