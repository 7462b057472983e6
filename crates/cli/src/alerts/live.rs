//! `kestrel alerts run` on a live feed: the rules watch a Binance spot
//! market's depth and trade streams (the venue's, or the simulator's), in
//! a kernel that never trades, until Ctrl-C, SIGTERM or `--seconds`.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use kestrel_alerts::{RuleState, WatchEvent};
use kestrel_binance::{BinanceDecoder, BinanceMarket, BinanceRest, SpotSequencer};
use kestrel_engine::{Kernel, KernelSetup, MarketSetup, PriceSource, StrategySetup};
use kestrel_feed::{FrameSync, Instruments};
use kestrel_model::{Instrument, InstrumentIndex};
use kestrel_net::RestClient;
use serde::Deserialize;

use super::AlertsFile;
use crate::live::{BookFeed, listed_instrument, market_feeds};

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
    let instrument = listed_instrument(&runtime, &rest, &live.rest_url, &live.symbol)?;
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
    let feeds = market_feeds(&[BookFeed {
        stream_url: &live.stream_url,
        symbol: &live.symbol,
        depth_limit: live.depth_limit,
        rest,
    }]);
    let stop = crate::live::stop_signal(seconds.map(Duration::from_secs));
    let (_, seen) = kestrel_live::watch(runtime.handle(), kernel, vec![frames], feeds, stop)?;
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
