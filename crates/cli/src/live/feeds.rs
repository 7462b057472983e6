//! What a live session and a live alert watch share: each market's
//! instrument from the venue's listing, and the market-data connections
//! carrying its book and trade streams.

use std::sync::Arc;

use anyhow::Context;
use kestrel_binance::endpoints::stream_symbol;
use kestrel_binance::{BinanceMarket, BinanceRest};
use kestrel_live::{FeedMarket, MarketFeed, Route, SnapshotRequest};
use kestrel_model::{Instrument, InstrumentIndex};
use kestrel_net::WsConfig;
use kestrel_venue::VenueError;

/// One market's book streams: where they are served, and its REST
/// client for depth snapshots.
pub(crate) struct BookFeed<'a> {
    /// Combined-stream URL prefix.
    pub stream_url: &'a str,
    /// The venue's symbol.
    pub symbol: &'a str,
    /// Levels in each depth snapshot.
    pub depth_limit: u32,
    /// The market's REST client.
    pub rest: Arc<BinanceRest>,
}

/// The market-data connections of `markets` (kernel instruments in their
/// order): one per stream host, carrying the streams of every market
/// served there (Binance's combined streams), each frame routed to its
/// market by the stream it names.
pub(crate) fn market_feeds(
    markets: &[BookFeed<'_>],
) -> Vec<MarketFeed<impl FnMut() -> SnapshotRequest + Send + use<>>> {
    let book = BinanceMarket::Spot;
    let mut hosts: Vec<&str> = markets.iter().map(|m| m.stream_url).collect();
    hosts.sort_unstable();
    hosts.dedup();
    hosts
        .into_iter()
        .map(|host| {
            let (mut streams, mut symbols, mut feed_markets) = (Vec::new(), Vec::new(), Vec::new());
            for (n, m) in markets.iter().enumerate() {
                if m.stream_url != host {
                    continue;
                }
                streams.push(book.book_streams(m.symbol));
                symbols.push(m.symbol.to_ascii_lowercase().into_bytes());
                let (rest, symbol, depth) =
                    (Arc::clone(&m.rest), m.symbol.to_owned(), m.depth_limit);
                let snapshot = move || -> SnapshotRequest {
                    let (rest, symbol) = (Arc::clone(&rest), symbol.clone());
                    Box::pin(async move { rest.depth_snapshot(&symbol, depth).await })
                };
                feed_markets.push(FeedMarket {
                    ix: InstrumentIndex(n as u16),
                    snapshot,
                });
            }
            let route: Route = Box::new(move |frame| {
                let named = stream_symbol(frame)?;
                symbols.iter().position(|s| s.as_slice() == named)
            });
            MarketFeed {
                ws: WsConfig::new(format!("{host}{}", streams.join("/"))),
                markets: feed_markets,
                route,
            }
        })
        .collect()
}

/// The instrument `rest` lists as `symbol`, from its exchangeInfo.
pub(crate) fn listed_instrument(
    runtime: &tokio::runtime::Runtime,
    rest: &BinanceRest,
    rest_url: &str,
    symbol: &str,
) -> anyhow::Result<Instrument> {
    runtime
        .block_on(kestrel_live::patiently(|| async {
            rest.instruments().await.map_err(VenueError::from)
        }))
        .with_context(|| format!("exchangeInfo of {rest_url}"))?
        .into_iter()
        .find(|i| i.native_symbol.as_str() == symbol)
        .with_context(|| format!("{rest_url} does not list {symbol}"))
}
