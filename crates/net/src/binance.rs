//! Binance's public REST endpoints and stream URLs, per market.

use kestrel_model::{Asset, Decimal, Increment, Instrument, InstrumentId, Qty, Symbol, Venue};
use serde::Deserialize;
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

    /// Every trading instrument, with tick, lot and minimums.
    pub async fn instruments(&self) -> Result<Vec<Instrument>, RestError> {
        let weight = match self.market {
            BinanceMarket::Spot => 20,
            BinanceMarket::UsdM | BinanceMarket::CoinM => 1,
        };
        let path = format!("{}/exchangeInfo", self.market.api());
        let body = self.client.get(&path, weight).await?;
        parse_exchange_info(self.market, &body)
    }
}

#[derive(Deserialize)]
struct ExchangeInfo {
    symbols: Vec<SymbolInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SymbolInfo {
    symbol: String,
    /// Spot and USD-M.
    status: Option<String>,
    /// COIN-M.
    contract_status: Option<String>,
    base_asset: String,
    quote_asset: String,
    filters: Vec<Filter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    filter_type: String,
    tick_size: Option<String>,
    step_size: Option<String>,
    min_qty: Option<String>,
    /// Spot `MIN_NOTIONAL` / `NOTIONAL`.
    min_notional: Option<String>,
    /// USD-M `MIN_NOTIONAL`.
    notional: Option<String>,
}

/// Turns an `exchangeInfo` body into instruments: symbols trading now,
/// whose native names normalise. Fee rates are not in `exchangeInfo`; they
/// are zero here and come from the account.
pub fn parse_exchange_info(
    market: BinanceMarket,
    body: &[u8],
) -> Result<Vec<Instrument>, RestError> {
    let info: ExchangeInfo =
        serde_json::from_slice(body).map_err(|e| RestError::Decode(e.to_string()))?;
    let mut out = Vec::with_capacity(info.symbols.len());
    for s in info.symbols {
        let status = s.status.as_deref().or(s.contract_status.as_deref());
        if status != Some("TRADING") {
            continue;
        }
        let bad = |what: &str| RestError::Decode(format!("{}: {what}", s.symbol));
        let filter = |kind: &str| s.filters.iter().find(|f| f.filter_type == kind);
        let increment = |text: Option<&String>, what| {
            text.and_then(|t| Increment::parse(trim_zeros(t)).ok())
                .ok_or_else(|| bad(what))
        };
        let tick = increment(
            filter("PRICE_FILTER").and_then(|f| f.tick_size.as_ref()),
            "tickSize",
        )?;
        let lot_filter = filter("LOT_SIZE");
        let lot = increment(lot_filter.and_then(|f| f.step_size.as_ref()), "stepSize")?;
        let min_qty = match lot_filter.and_then(|f| f.min_qty.as_deref()) {
            Some(q) => Qty::parse(trim_zeros(q), &lot).map_err(|_| bad("minQty"))?,
            None => Qty::ZERO,
        };
        let min_notional = filter("NOTIONAL")
            .or_else(|| filter("MIN_NOTIONAL"))
            .and_then(|f| f.min_notional.as_deref().or(f.notional.as_deref()))
            .map_or(Ok(Decimal::ZERO), |n| {
                n.parse().map_err(|_| bad("minNotional"))
            })?;
        // Symbols that do not normalise (odd test listings) are left out.
        let Ok(id) = InstrumentId::from_native(market.venue(), &s.symbol) else {
            continue;
        };
        out.push(Instrument {
            id,
            native_symbol: Symbol::new(&s.symbol).map_err(|_| bad("symbol"))?,
            base: Asset::new(&s.base_asset).map_err(|_| bad("baseAsset"))?,
            quote: Asset::new(&s.quote_asset).map_err(|_| bad("quoteAsset"))?,
            tick,
            lot,
            min_qty,
            min_notional,
            maker_fee: Decimal::ZERO,
            taker_fee: Decimal::ZERO,
            contract: kestrel_model::Contract::spot(
                Asset::new(&s.quote_asset).map_err(|_| bad("quoteAsset"))?,
            ),
            rules: kestrel_model::TradingRules::default(),
        });
    }
    Ok(out)
}

/// `0.01000000` → `0.01`, `1.00000000` → `1`: the venue pads to eight
/// decimals; the grid's own decimals are what prices are written with.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kestrel_model::Price;

    /// Shaped like Binance's documented responses: a spot symbol with the
    /// eight-decimal padding and `NOTIONAL`, a halted one, and a USD-M
    /// symbol whose minimum is `MIN_NOTIONAL.notional`.
    const SPOT: &str = r#"{"timezone":"UTC","serverTime":1723161255000,"rateLimits":[],
      "symbols":[
        {"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT",
         "filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
                    {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
                    {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true}]},
        {"symbol":"OLDBTC","status":"BREAK","baseAsset":"OLD","quoteAsset":"BTC","filters":[]}]}"#;
    const USDM: &str = r#"{"symbols":[
        {"symbol":"BTCUSDT","status":"TRADING","contractType":"PERPETUAL","baseAsset":"BTC","quoteAsset":"USDT","marginAsset":"USDT",
         "filters":[{"filterType":"PRICE_FILTER","tickSize":"0.10","minPrice":"556.80","maxPrice":"4529764"},
                    {"filterType":"LOT_SIZE","stepSize":"0.001","minQty":"0.001","maxQty":"1000"},
                    {"filterType":"MIN_NOTIONAL","notional":"100"}]}]}"#;

    #[test]
    fn exchange_info_gives_grids_and_minimums() {
        let spot = parse_exchange_info(BinanceMarket::Spot, SPOT.as_bytes()).unwrap();
        assert_eq!(spot.len(), 1);
        let btc = &spot[0];
        assert_eq!(btc.id.to_string(), "BTC/USDT@BINANCE_SPOT");
        assert_eq!(btc.tick.to_string(), "0.01");
        assert_eq!(
            Price::parse("61685.99", &btc.tick).unwrap().ticks(),
            6_168_599
        );
        assert_eq!(btc.min_qty, Qty::from_lots(1));
        assert_eq!(btc.min_notional, "5".parse().unwrap());

        let usdm = parse_exchange_info(BinanceMarket::UsdM, USDM.as_bytes()).unwrap();
        assert_eq!(usdm[0].id.to_string(), "BTC/USDT:USDT@BINANCE_USDM");
        assert_eq!(usdm[0].min_notional, "100".parse().unwrap());
        assert!(parse_exchange_info(BinanceMarket::UsdM, b"{\"symbols\":7}").is_err());
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
