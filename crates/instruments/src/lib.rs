//! The instrument catalogue: every market Kestrel can trade or replay, as
//! data.
//!
//! Instruments come from the venues' own instrument endpoints, read in their
//! own formats by [`venues::parse`]: Binance spot, USDⓈ-M and COIN-M
//! `exchangeInfo`, OKX `public/instruments`, Bybit `instruments-info`. A
//! [`Catalogue`] holds them, is saved and loaded as a catalogue file
//! ([`file`]), and answers lookups by venue and native symbol (what a frame
//! carries) or by canonical id (what a config names). Fees are not in those
//! endpoints; they come from a fee table ([`fees`]) and can be overridden.
//!
//! [`bundled`] is the offline catalogue shipped in the repository: the
//! venues' August 2024 listings of the markets in the bundled data and the
//! most traded spot and perpetual symbols (provenance in
//! `data/instruments/SOURCES.md`).

mod bundled;
mod catalogue;
mod civil;
pub mod fees;
pub mod file;
#[cfg(feature = "testing")]
pub mod testing;
pub mod venues;

pub use bundled::{bundled, fee_schedule as bundled_fee_schedule};
pub use catalogue::{Catalogue, LookupError};
pub use venues::{Endpoint, ParseError, Parsed, Skipped};
