//! The instrument catalogue: every market Kestrel can trade or replay, as
//! data.
//!
//! Instruments come from the venues' own instrument endpoints, read in their
//! own formats by the venue adapters into a [`Parsed`] listing ([`listing`]
//! holds the shared field readers). A [`Catalogue`] holds them, is saved and
//! loaded as a catalogue file ([`file`]), and answers lookups by venue and
//! native symbol (what a frame carries) or by canonical id (what a config
//! names). Fees are not in those endpoints; they come from a fee table
//! ([`fees`]) and can be overridden.
//!
//! The offline catalogue shipped in the repository is built by
//! `kestrel-registry`, which knows every adapter's parser.

mod catalogue;
mod civil;
pub mod fees;
pub mod file;
pub mod listing;

pub use catalogue::{Catalogue, LookupError};
pub use listing::{Fields, ParseError, Parsed, Skipped};
