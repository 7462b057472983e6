//! Binance's public REST endpoints and stream URLs, per market.

use kestrel_instruments::Endpoint;
use kestrel_model::{Instrument, Venue};
use tokio_tungstenite::tungstenite::Bytes;

use crate::rest::{RestClient, RestConfig, RestError};

/// A Binance market: each has its own hosts, paths and weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinanceMarket {
    /// Spot.
    Spot,
    /// USDⓈ-M futures.
    UsdM,
    /// COIN-M futures.
    CoinM,
}

impl BinanceMarket {
    /// The instrument endpoint of this market.
    pub const fn endpoint(self) -> Endpoint {
        match self {
            Self::Spot => Endpoint::BinanceSpot,
            Self::UsdM => Endpoint::BinanceUsdm,
            Self::CoinM => Endpoint::BinanceCoinm,
        }
    }

    /// The venue this market is.
    pub const fn venue(self) -> Venue {
        match self {
            Self::Spot => Venue::BinanceSpot,
            Self::UsdM => Venue::BinanceUsdm,
            Self::CoinM => Venue::BinanceCoinm,
        }
    }

    /// Request weight Binance allows per minute per IP: 6,000 on spot,
    /// 2,400 on either futures market.
    pub const fn weight_per_minute(self) -> u32 {
        match self {
            Self::Spot => 6_000,
            Self::UsdM | Self::CoinM => 2_400,
        }
    }

    /// REST settings for this market at `base_url` (production or any
    /// compatible host), budgeted at the market's request weight.
    pub fn rest_config(self, base_url: impl Into<String>) -> RestConfig {
        let mut config = RestConfig::new(base_url);
        config.weight_per_minute = self.weight_per_minute();
        config
    }

    /// Production REST host.
    pub const fn rest_url(self) -> &'static str {
        match self {
            Self::Spot => "https://api.binance.com",
            Self::UsdM => "https://fapi.binance.com",
            Self::CoinM => "https://dapi.binance.com",
        }
    }

    /// Production combined-stream URL prefix; stream names follow.
    pub const fn stream_url(self) -> &'static str {
        match self {
            Self::Spot => "wss://stream.binance.com:9443/stream?streams=",
            Self::UsdM => "wss://fstream.binance.com/stream?streams=",
            Self::CoinM => "wss://dstream.binance.com/stream?streams=",
        }
    }

    const fn api(self) -> &'static str {
        match self {
            Self::Spot => "/api/v3",
            Self::UsdM => "/fapi/v1",
            Self::CoinM => "/dapi/v1",
        }
    }

    /// Path and query of the depth snapshot, and its request weight.
    pub fn depth_request(self, native_symbol: &str, limit: u32) -> (String, u32) {
        let weight = match self {
            Self::Spot => match limit {
                0..=100 => 5,
                101..=500 => 25,
                501..=1000 => 50,
                _ => 250,
            },
            Self::UsdM | Self::CoinM => match limit {
                0..=50 => 2,
                51..=100 => 5,
                101..=500 => 10,
                _ => 20,
            },
        };
        let path = format!(
            "{}/depth?symbol={}&limit={limit}",
            self.api(),
            native_symbol.to_ascii_uppercase()
        );
        (path, weight)
    }

    /// The streams a book needs, by Binance's names: diffs, trades, quotes.
    pub fn book_streams(self, native_symbol: &str) -> String {
        let s = native_symbol.to_ascii_lowercase();
        let depth = match self {
            Self::Spot => "depth@100ms",
            Self::UsdM | Self::CoinM => "depth@0ms",
        };
        format!("{s}@{depth}/{s}@trade/{s}@bookTicker")
    }
}

/// Binance's REST API for one market.
#[derive(Debug)]
pub struct BinanceRest {
    client: RestClient,
    market: BinanceMarket,
}

impl BinanceRest {
    /// Wraps a client pointed at `market`'s host (or a simulator).
    pub fn new(client: RestClient, market: BinanceMarket) -> Self {
        Self { client, market }
    }

    /// The underlying client, for its weight count.
    pub fn client(&self) -> &RestClient {
        &self.client
    }

    /// The raw depth snapshot body, for the market's feed decoder.
    pub async fn depth_snapshot(
        &self,
        native_symbol: &str,
        limit: u32,
    ) -> Result<Bytes, RestError> {
        let (path, weight) = self.market.depth_request(native_symbol, limit);
        self.client.get(&path, weight).await
    }

    /// Every instrument the market lists, with grids, minimums, contract
    /// terms and rules; fees are zero (they come from the account).
    pub async fn instruments(&self) -> Result<Vec<Instrument>, RestError> {
        let weight = match self.market {
            BinanceMarket::Spot => 20,
            BinanceMarket::UsdM | BinanceMarket::CoinM => 1,
        };
        let path = format!("{}/exchangeInfo", self.market.api());
        let body = self.client.get(&path, weight).await?;
        let parsed = kestrel_instruments::venues::parse(self.market.endpoint(), &body)
            .map_err(|e| RestError::Decode(e.to_string()))?;
        Ok(parsed.instruments)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn depth_weights_follow_the_documented_tables() {
        assert_eq!(BinanceMarket::Spot.depth_request("btcusdt", 5000).1, 250);
        let (path, weight) = BinanceMarket::UsdM.depth_request("btcusdt", 1000);
        assert_eq!(
            (path.as_str(), weight),
            ("/fapi/v1/depth?symbol=BTCUSDT&limit=1000", 20)
        );
    }
}
