//! Bybit's public REST host, the instrument listing per category and its
//! pacing: plain data, read by the instrument fetch.

use kestrel_model::Venue;

/// Production REST host.
pub const REST_URL: &str = "https://api.bybit.com";

/// Least time between two listing requests, in ms: Bybit allows 600 per
/// 5 s per IP.
pub const LISTING_INTERVAL_MS: u64 = 100;

/// A Bybit v5 product category: each is its own listing and venue, and
/// all three stream in the same shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// Spot.
    Spot,
    /// USDT and USDC perpetuals and futures.
    Linear,
    /// Coin-margined perpetuals and futures.
    Inverse,
}

impl Category {
    /// Every category.
    pub const ALL: [Self; 3] = [Self::Spot, Self::Linear, Self::Inverse];

    /// The venue this category is.
    pub const fn venue(self) -> Venue {
        match self {
            Self::Spot => Venue::BybitSpot,
            Self::Linear => Venue::BybitLinear,
            Self::Inverse => Venue::BybitInverse,
        }
    }

    /// The category a venue is, if it is a Bybit one.
    pub fn of_venue(venue: Venue) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.venue() == venue)
    }

    /// The instrument endpoint's name, as errors print it.
    pub const fn listing_name(self) -> &'static str {
        match self {
            Self::Spot => "Bybit spot instruments-info",
            Self::Linear => "Bybit linear instruments-info",
            Self::Inverse => "Bybit inverse instruments-info",
        }
    }

    /// The listing's first page; later pages add the cursor from
    /// [`kestrel_instruments::Parsed::next_cursor`].
    pub const fn listing_path(self) -> &'static str {
        match self {
            Self::Spot => "/v5/market/instruments-info?category=spot&limit=1000",
            Self::Linear => "/v5/market/instruments-info?category=linear&limit=1000",
            Self::Inverse => "/v5/market/instruments-info?category=inverse&limit=1000",
        }
    }
}
