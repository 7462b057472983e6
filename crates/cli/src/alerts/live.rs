//! `kestrel alerts run` on a live feed: the rules watch a Binance spot
//! market's depth and trade streams (the venue's, or the simulator's), in
//! a kernel that never trades, until Ctrl-C, SIGTERM or `--seconds`.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use kestrel_alerts::{RuleState, WatchEvent};
use kestrel_binance::endpoints::stream_symbol;
use kestrel_binance::{BinanceDecoder, BinanceMarket, BinanceRest, SpotSequencer};
use kestrel_engine::{Kernel, KernelSetup, MarketSetup, PriceSource, StrategySetup};
use kestrel_feed::{FrameSync, Instruments};
use kestrel_live::{FeedMarket, MarketFeed, Route, SnapshotRequest};
use kestrel_model::{Instrument, InstrumentIndex};
use kestrel_net::{RestClient, WsConfig};
use kestrel_venue::VenueError;
use serde::Deserialize;

use super::AlertsFile;

/// `[live]`: the market an alerts file watches live, instead of `[data]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LiveSection {
    /// The venue's symbol, e.g. `BTCUSDT`.
    symbol: String,
    /// REST base: the instrument's listing and depth snapshots.
    #[serde(default = "binance_rest")]
    rest_url: String,
    /// Combined-stream URL prefix; the stream names follow.
    #[serde(default = "binance_streams")]
    stream_url: String,
    /// Levels in each REST depth snapshot.
    #[serde(default = "thousand")]
    depth_limit: u32,
}

fn binance_rest() -> String {
    "https://api.binance.com".into()
}
fn binance_streams() -> String {
    "wss://stream.binance.com:9443/stream?streams=".into()
}
fn thousand() -> u32 {
    1000
}

/// Watches the `[live]` market until a stop (or `seconds`), the rules in
/// the `states` the journal left them, streaming events to the
/// dispatcher's thread; the market watched.
pub(super) fn watch_live(
    file: &AlertsFile,
    live: &LiveSection,
    seconds: Option<u64>,
    states: &[(String, RuleState)],
    events: mpsc::Sender<WatchEvent>,
) -> anyhow::Result<Instrument> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let book = BinanceMarket::Spot;
    let rest = Arc::new(BinanceRest::new(
        RestClient::new(book.rest_config(live.rest_url.clone()))?,
        book,
    ));
    let instrument = runtime
        .block_on(kestrel_live::patiently(|| async {
            rest.instruments().await.map_err(VenueError::from)
        }))
        .with_context(|| format!("exchangeInfo of {}", live.rest_url))?
        .into_iter()
        .find(|i| i.native_symbol.as_str() == live.symbol)
        .with_context(|| format!("{} does not list {}", live.rest_url, live.symbol))?;
    let mut watch = super::rules_on(file, &instrument)?.with_sink(events);
    watch.restore(states);
    let config = super::watch_config(&instrument)?.kernel;
    let kernel = Kernel::build(
        KernelSetup {
            markets: vec![MarketSetup {
                instrument: instrument.clone(),
                limits: config.risk,
                prices: PriceSource::Book,
            }],
            strategies: vec![StrategySetup {
                strategy: watch,
                subscriptions: vec![InstrumentIndex::FIRST],
                max_loss: None,
            }],
        },
        &config,
    )?;
    let frames = FrameSync::new(
        BinanceDecoder::new(Instruments::new(instrument.clone())),
        SpotSequencer::new(),
    );
    let (symbol, depth) = (live.symbol.clone(), live.depth_limit);
    let snapshot = move || -> SnapshotRequest {
        let (rest, symbol) = (Arc::clone(&rest), symbol.clone());
        Box::pin(async move { rest.depth_snapshot(&symbol, depth).await })
    };
    let wanted = live.symbol.to_ascii_lowercase().into_bytes();
    let route: Route = Box::new(move |frame| (stream_symbol(frame)? == wanted).then_some(0));
    let feed = MarketFeed {
        ws: WsConfig::new(format!(
            "{}{}",
            live.stream_url,
            book.book_streams(&live.symbol)
        )),
        markets: vec![FeedMarket {
            ix: InstrumentIndex::FIRST,
            snapshot,
        }],
        route,
    };
    let stop = crate::live::stop_signal(seconds.map(Duration::from_secs));
    let (_, seen) = kestrel_live::watch(runtime.handle(), kernel, vec![frames], vec![feed], stop)?;
    println!(
        "watched {} live: {} frames ({} malformed), {} market events, {} resyncs, {} disconnects, {} failed snapshots",
        instrument.id,
        seen.frames,
        seen.malformed,
        seen.events,
        seen.gaps,
        seen.disconnects,
        seen.snapshot_failures
    );
    Ok(instrument)
}
