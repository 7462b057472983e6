//! Binance's public hosts, paths, stream names and request weights, per
//! market: plain data, read by the REST client, the recorder and the
//! instrument fetch alike.

use kestrel_model::Venue;

/// Least time between two instrument-listing requests, in ms: well inside
/// every market's request weight.
pub const LISTING_INTERVAL_MS: u64 = 250;

/// A Binance market: each has its own hosts, paths and weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinanceMarket {
    /// Spot.
    Spot,
    /// USDⓈ-M futures.
    UsdM,
    /// COIN-M futures.
    CoinM,
}

impl BinanceMarket {
    /// Every market.
    pub const ALL: [Self; 3] = [Self::Spot, Self::UsdM, Self::CoinM];

    /// The market a venue is, if it is a Binance one.
    pub fn of_venue(venue: Venue) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.venue() == venue)
    }

    /// The instrument endpoint's name, as errors print it.
    pub const fn listing_name(self) -> &'static str {
        match self {
            Self::Spot => "Binance spot exchangeInfo",
            Self::UsdM => "Binance USDⓈ-M exchangeInfo",
            Self::CoinM => "Binance COIN-M exchangeInfo",
        }
    }

    /// Path of the instrument endpoint, and its request weight (spot's
    /// weighs 20 of 6,000 a minute, the futures' 1 of 2,400).
    pub const fn listing_request(self) -> (&'static str, u32) {
        match self {
            Self::Spot => ("/api/v3/exchangeInfo", 20),
            Self::UsdM => ("/fapi/v1/exchangeInfo", 1),
            Self::CoinM => ("/dapi/v1/exchangeInfo", 1),
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

    /// Path and query of a klines page from `start_ms` (klines opening at
    /// or after it, up to `end_ms`), and its request weight.
    pub fn klines_request(
        self,
        native_symbol: &str,
        interval: &str,
        start_ms: u64,
        end_ms: u64,
        limit: u32,
    ) -> (String, u32) {
        let weight = match self {
            Self::Spot => 2,
            Self::UsdM | Self::CoinM => match limit {
                0..=99 => 1,
                100..=499 => 2,
                500..=1000 => 5,
                _ => 10,
            },
        };
        let path = format!(
            "{}/klines?symbol={}&interval={interval}&startTime={start_ms}&endTime={end_ms}&limit={limit}",
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
/// The symbol a combined-stream frame names, lower case as streams are
/// (`btcusdt` of `{"stream":"btcusdt@depth@100ms","data":…}`); `None` for a
/// frame that is not one (a subscription answer, a bare stream's frame).
pub fn stream_symbol(frame: &[u8]) -> Option<&[u8]> {
    let rest = frame.strip_prefix(b"{\"stream\":\"")?;
    let end = rest.iter().position(|&b| b == b'@' || b == b'"')?;
    (rest.get(end) == Some(&b'@')).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn combined_frames_name_their_symbol() {
        let frame = br#"{"stream":"ethusdt@trade","data":{"e":"trade"}}"#;
        assert_eq!(stream_symbol(frame), Some(&b"ethusdt"[..]));
        assert_eq!(stream_symbol(br#"{"result":null,"id":1}"#), None);
        assert_eq!(stream_symbol(br#"{"stream":"noat","data":{}}"#), None);
        assert_eq!(stream_symbol(b"{\"stream\":\"btc"), None);
    }

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
