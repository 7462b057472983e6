//! Binance's public REST calls for market data: the depth snapshot a book
//! syncs from, and the instrument listing.

use kestrel_model::Instrument;
use kestrel_net::{RestClient, RestConfig, RestError};
use tokio_tungstenite::tungstenite::Bytes;

use crate::endpoints::BinanceMarket;

impl BinanceMarket {
    /// REST settings for this market at `base_url` (production or any
    /// compatible host), budgeted at the market's request weight.
    pub fn rest_config(self, base_url: impl Into<String>) -> RestConfig {
        let mut config = RestConfig::new(base_url);
        config.weight_per_minute = self.weight_per_minute();
        config
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
        let (path, weight) = self.market.listing_request();
        let body = self.client.get(path, weight).await?;
        let parsed = crate::instruments::parse(self.market, &body)
            .map_err(|e| RestError::Decode(e.to_string()))?;
        Ok(parsed.instruments)
    }
}
