//! Every instrument endpoint Kestrel reads, by venue, and the adapter that
//! parses each: the registry's half of `kestrel instruments fetch` and of
//! the bundled catalogue.

use std::fmt;

use kestrel_binance::BinanceMarket;
use kestrel_bybit::Category;
use kestrel_instruments::{ParseError, Parsed};
use kestrel_model::Venue;

/// An instrument endpoint, which fixes the response format and the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Binance `exchangeInfo` of one market.
    Binance(BinanceMarket),
    /// OKX `GET /api/v5/public/instruments` (any `instType`).
    Okx,
    /// Bybit `GET /v5/market/instruments-info` of one category.
    Bybit(Category),
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Self; 7] = [
        Self::Binance(BinanceMarket::Spot),
        Self::Binance(BinanceMarket::UsdM),
        Self::Binance(BinanceMarket::CoinM),
        Self::Okx,
        Self::Bybit(Category::Spot),
        Self::Bybit(Category::Linear),
        Self::Bybit(Category::Inverse),
    ];

    /// The venue whose instruments it lists.
    pub const fn venue(self) -> Venue {
        match self {
            Self::Binance(market) => market.venue(),
            Self::Okx => Venue::Okx,
            Self::Bybit(category) => category.venue(),
        }
    }

    /// The endpoint that lists a venue's instruments, if we read one.
    pub fn for_venue(venue: Venue) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.venue() == venue)
    }

    /// Public base URL of the venue's REST API.
    pub const fn base_url(self) -> &'static str {
        match self {
            Self::Binance(market) => market.rest_url(),
            Self::Okx => kestrel_okx::endpoints::REST_URL,
            Self::Bybit(_) => kestrel_bybit::endpoints::REST_URL,
        }
    }

    /// The request paths (with query) that together list every
    /// instrument, and each one's request weight. OKX needs one per
    /// instrument type; Bybit pages with a cursor, added by the caller
    /// from [`Parsed::next_cursor`].
    pub fn requests(self) -> Vec<(&'static str, u32)> {
        match self {
            Self::Binance(market) => vec![market.listing_request()],
            Self::Okx => kestrel_okx::endpoints::LISTING_PATHS
                .iter()
                .map(|p| (*p, 1))
                .collect(),
            Self::Bybit(category) => vec![(category.listing_path(), 1)],
        }
    }

    /// The least time between two requests of a fetch, in ms: well inside
    /// each venue's documented limits.
    pub const fn min_interval_ms(self) -> u64 {
        match self {
            Self::Binance(_) => kestrel_binance::endpoints::LISTING_INTERVAL_MS,
            Self::Okx => kestrel_okx::endpoints::LISTING_INTERVAL_MS,
            Self::Bybit(_) => kestrel_bybit::endpoints::LISTING_INTERVAL_MS,
        }
    }

    /// The name errors and catalogue sources print.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Binance(market) => market.listing_name(),
            Self::Okx => kestrel_okx::endpoints::LISTING_NAME,
            Self::Bybit(category) => category.listing_name(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads one response of `endpoint`, by its venue's adapter.
pub fn parse(endpoint: Endpoint, body: &[u8]) -> Result<Parsed, ParseError> {
    match endpoint {
        Endpoint::Binance(market) => kestrel_binance::instruments::parse(market, body),
        Endpoint::Okx => kestrel_okx::instruments::parse(body),
        Endpoint::Bybit(category) => kestrel_bybit::instruments::parse(category, body),
    }
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
