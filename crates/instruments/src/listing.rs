//! What a parser of a venue's instrument endpoint produces, and the field
//! readers every such parser shares. The parsers themselves live in the
//! venue adapters (`kestrel-binance`, `kestrel-okx`, `kestrel-bybit`), each
//! in the venue's own format. Every parser reads the whole listing, keeps each instrument it
//! can represent (whatever its status: a halted market is still a market),
//! and lists the ones it cannot, with the reason, so nothing is dropped
//! unseen. A field the engine needs that is missing or malformed fails the
//! whole parse with an error naming the symbol and the field: a catalogue
//! is never half-right.

mod fields;

pub use fields::Fields;

use kestrel_model::Instrument;

/// Why an endpoint's answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is not the endpoint's JSON.
    #[error("{endpoint}: not the endpoint's JSON: {message}")]
    Json {
        /// What was parsed: the endpoint's name.
        endpoint: &'static str,
        /// The JSON parser's message.
        message: String,
    },
    /// The venue answered with its own error instead of a listing.
    #[error("{endpoint}: the venue answered with an error: {message}")]
    Venue {
        /// What was parsed: the endpoint's name.
        endpoint: &'static str,
        /// The venue's code and message.
        message: String,
    },
    /// A field the engine needs is missing or malformed.
    #[error("{endpoint}: {symbol}: {field} {problem}")]
    Field {
        /// What was parsed: the endpoint's name.
        endpoint: &'static str,
        /// The instrument, as the venue names it.
        symbol: String,
        /// The venue's name for the field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// An instrument the listing holds that the catalogue cannot represent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its native name.
    pub symbol: String,
    /// Why it was left out (options, an unrecognised name, …).
    pub reason: String,
}

/// What one response held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The instruments, fees zero until a [`FeeSchedule`](crate::fees::FeeSchedule) is applied.
    pub instruments: Vec<Instrument>,
    /// Those left out, each with its reason.
    pub skipped: Vec<Skipped>,
    /// Bybit's `nextPageCursor`, when more pages follow.
    pub next_cursor: Option<String>,
}
