//! Parsers of the venues' instrument endpoints, each in the venue's own
//! format. Every parser reads the whole listing, keeps each instrument it
//! can represent (whatever its status: a halted market is still a market),
//! and lists the ones it cannot, with the reason, so nothing is dropped
//! unseen. A field the engine needs that is missing or malformed fails the
//! whole parse with an error naming the symbol and the field: a catalogue
//! is never half-right.

mod binance;
mod bybit;
mod fields;
mod okx;

use std::fmt;

use kestrel_model::{Instrument, Venue};

/// An instrument endpoint, which fixes the response format and the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Binance spot `GET /api/v3/exchangeInfo`.
    BinanceSpot,
    /// Binance USDⓈ-M `GET /fapi/v1/exchangeInfo`.
    BinanceUsdm,
    /// Binance COIN-M `GET /dapi/v1/exchangeInfo`.
    BinanceCoinm,
    /// OKX `GET /api/v5/public/instruments` (any `instType`).
    Okx,
    /// Bybit `GET /v5/market/instruments-info?category=spot`.
    BybitSpot,
    /// Bybit `GET /v5/market/instruments-info?category=linear`.
    BybitLinear,
    /// Bybit `GET /v5/market/instruments-info?category=inverse`.
    BybitInverse,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Self; 7] = [
        Self::BinanceSpot,
        Self::BinanceUsdm,
        Self::BinanceCoinm,
        Self::Okx,
        Self::BybitSpot,
        Self::BybitLinear,
        Self::BybitInverse,
    ];

    /// The venue whose instruments it lists.
    pub const fn venue(self) -> Venue {
        match self {
            Self::BinanceSpot => Venue::BinanceSpot,
            Self::BinanceUsdm => Venue::BinanceUsdm,
            Self::BinanceCoinm => Venue::BinanceCoinm,
            Self::Okx => Venue::Okx,
            Self::BybitSpot => Venue::BybitSpot,
            Self::BybitLinear => Venue::BybitLinear,
            Self::BybitInverse => Venue::BybitInverse,
        }
    }

    /// The endpoint that lists a venue's instruments, if we read one.
    pub fn for_venue(venue: Venue) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.venue() == venue)
    }

    /// Public base URL of the venue's REST API.
    pub const fn base_url(self) -> &'static str {
        match self {
            Self::BinanceSpot => "https://api.binance.com",
            Self::BinanceUsdm => "https://fapi.binance.com",
            Self::BinanceCoinm => "https://dapi.binance.com",
            Self::Okx => "https://www.okx.com",
            Self::BybitSpot | Self::BybitLinear | Self::BybitInverse => "https://api.bybit.com",
        }
    }

    /// The request paths (with query) that together list every
    /// instrument: OKX needs one per instrument type. Bybit pages with a
    /// cursor, added by the caller from [`Parsed::next_cursor`].
    pub const fn paths(self) -> &'static [&'static str] {
        match self {
            Self::BinanceSpot => &["/api/v3/exchangeInfo"],
            Self::BinanceUsdm => &["/fapi/v1/exchangeInfo"],
            Self::BinanceCoinm => &["/dapi/v1/exchangeInfo"],
            Self::Okx => &[
                "/api/v5/public/instruments?instType=SPOT",
                "/api/v5/public/instruments?instType=SWAP",
                "/api/v5/public/instruments?instType=FUTURES",
            ],
            Self::BybitSpot => &["/v5/market/instruments-info?category=spot&limit=1000"],
            Self::BybitLinear => &["/v5/market/instruments-info?category=linear&limit=1000"],
            Self::BybitInverse => &["/v5/market/instruments-info?category=inverse&limit=1000"],
        }
    }

    /// The least time between two requests of a fetch, in ms: well inside
    /// the documented limits (Binance spot `exchangeInfo` weighs 20 of
    /// 6000 a minute, futures 1 of 2400; OKX allows 20 requests per 2 s;
    /// Bybit 600 per 5 s per IP).
    pub const fn min_interval_ms(self) -> u64 {
        match self {
            Self::BinanceSpot | Self::BinanceUsdm | Self::BinanceCoinm => 250,
            Self::Okx => 200,
            Self::BybitSpot | Self::BybitLinear | Self::BybitInverse => 100,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::BinanceSpot => "Binance spot exchangeInfo",
            Self::BinanceUsdm => "Binance USDⓈ-M exchangeInfo",
            Self::BinanceCoinm => "Binance COIN-M exchangeInfo",
            Self::Okx => "OKX public/instruments",
            Self::BybitSpot => "Bybit spot instruments-info",
            Self::BybitLinear => "Bybit linear instruments-info",
            Self::BybitInverse => "Bybit inverse instruments-info",
        };
        f.write_str(name)
    }
}

/// Why an endpoint's answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is not the endpoint's JSON.
    #[error("{endpoint}: not the endpoint's JSON: {message}")]
    Json {
        /// What was parsed.
        endpoint: Endpoint,
        /// The JSON parser's message.
        message: String,
    },
    /// The venue answered with its own error instead of a listing.
    #[error("{endpoint}: the venue answered with an error: {message}")]
    Venue {
        /// What was parsed.
        endpoint: Endpoint,
        /// The venue's code and message.
        message: String,
    },
    /// A field the engine needs is missing or malformed.
    #[error("{endpoint}: {symbol}: {field} {problem}")]
    Field {
        /// What was parsed.
        endpoint: Endpoint,
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

/// Reads one response of `endpoint`.
pub fn parse(endpoint: Endpoint, body: &[u8]) -> Result<Parsed, ParseError> {
    match endpoint {
        Endpoint::BinanceSpot => binance::parse_spot(body),
        Endpoint::BinanceUsdm | Endpoint::BinanceCoinm => binance::parse_futures(endpoint, body),
        Endpoint::Okx => okx::parse(body),
        Endpoint::BybitSpot | Endpoint::BybitLinear | Endpoint::BybitInverse => {
            bybit::parse(endpoint, body)
        }
    }
}

#[cfg(test)]
mod tests;
