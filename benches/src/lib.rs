//! Shared inputs for the benchmarks: real captures turned into the exact
//! streams the hot paths see, decoded once outside the timed loops.

pub mod alloc_count;
pub mod backtest;
pub mod baseline;
pub mod dense;
pub mod live;
pub mod okx;
pub mod portfolio;
pub mod trades;

use std::path::{Path, PathBuf};

use kestrel_binance::{BinanceDecoder, FuturesSequencer};
use kestrel_feed::capture::CaptureReader;
use kestrel_feed::{Decoded, FeedError, FrameDecoder, Instruments, Sequencer, Verdict};
use kestrel_model::{BookDelta, BookSnapshot, Instrument, LevelUpdate, MarketEvent, UnixNanos};
use kestrel_registry::testing::usdm_btcusdt;

/// The bundled Binance USD-M BTCUSDT capture.
pub fn sample_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/sample/binance_usdm_btcusdt_20240808.raw.gz")
}

/// A capture as a book sees it: the snapshot, then every level update of the
/// diffs that Binance's sync rules apply, in order.
pub struct BookStream {
    /// The capture's instrument.
    pub instrument: Instrument,
    /// The REST snapshot the diffs bridge to.
    pub snapshot: BookSnapshot,
    /// Level updates of all applied diffs, flattened.
    pub updates: Vec<LevelUpdate>,
    /// The applied diffs, one entry per venue message.
    pub diffs: Vec<Vec<LevelUpdate>>,
}

impl BookStream {
    /// Every price in the snapshot and the updates.
    pub fn prices(&self) -> impl Iterator<Item = kestrel_model::Price> + Clone + '_ {
        let snapshot = self.snapshot.bids.iter().chain(&self.snapshot.asks);
        snapshot
            .map(|l| l.price)
            .chain(self.updates.iter().map(|u| u.price))
    }
}

/// The bundled Binance spot BTCUSDT capture, the simulator's default market.
pub fn spot_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/sample/binance_spot_btcusdt_20240808.raw.gz")
}

/// Every frame of a capture with its receive time, read into memory once so
/// the timed loops measure decoding, not gunzip.
pub fn load_frames(path: &Path) -> Result<Vec<(UnixNanos, Vec<u8>)>, FeedError> {
    let mut reader = CaptureReader::open(path)?;
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame?;
        frames.push((frame.local.unwrap_or_default(), frame.frame.to_vec()));
    }
    Ok(frames)
}

/// Replays the bundled capture by Binance's futures rules into a [`BookStream`].
pub fn load_book_stream() -> Result<BookStream, FeedError> {
    let instrument = usdm_btcusdt();
    let mut decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let mut sequencer = FuturesSequencer::new();
    let mut snapshot = None;
    let mut pending: Vec<BookDelta> = Vec::new();
    let mut diffs: Vec<Vec<LevelUpdate>> = Vec::new();
    for (local, frame) in load_frames(&sample_capture())? {
        match decoder.decode(&frame, local) {
            Ok(Decoded::Snapshot { snapshot: s, .. }) => {
                sequencer.on_snapshot(s.last_update_id);
                snapshot = Some(s.clone());
                for delta in pending.drain(..) {
                    if sequencer.on_delta(&delta.ids) == Verdict::Apply {
                        diffs.push(delta.updates);
                    }
                }
            }
            Ok(Decoded::Delta { delta, .. }) => match sequencer.on_delta(&delta.ids) {
                Verdict::Apply => diffs.push(delta.updates.clone()),
                Verdict::Buffer => pending.push(delta.clone()),
                Verdict::Stale => {}
                Verdict::Gap { .. } => return Err(FeedError::Format("gap in the capture".into())),
            },
            _ => {}
        }
    }
    Ok(BookStream {
        instrument,
        snapshot: snapshot.ok_or(FeedError::NoSnapshot)?,
        updates: diffs.concat(),
        diffs,
    })
}

/// The bundled capture as the simulator's market: the snapshot, then every
/// diff Binance's rules apply and every trade, in arrival order.
pub fn load_market_events() -> Result<(Instrument, Vec<MarketEvent>), FeedError> {
    let instrument = usdm_btcusdt();
    let events = load_events_of(&sample_capture(), &instrument, FuturesSequencer::new())?;
    Ok((instrument, events))
}

/// A Binance capture of `instrument` as market events, by `sequencer`'s
/// sync rules.
pub fn load_events_of(
    path: &Path,
    instrument: &Instrument,
    mut sequencer: impl Sequencer,
) -> Result<Vec<MarketEvent>, FeedError> {
    let mut decoder = BinanceDecoder::new(Instruments::new(instrument.clone()));
    let mut events = Vec::new();
    let mut pending: Vec<BookDelta> = Vec::new();
    let mut synced = false;
    for (local, frame) in load_frames(path)? {
        match decoder.decode(&frame, local) {
            Ok(Decoded::Snapshot { snapshot, .. }) => {
                sequencer.on_snapshot(snapshot.last_update_id);
                events.push(MarketEvent::Snapshot(snapshot.clone()));
                synced = true;
                for delta in pending.drain(..) {
                    if sequencer.on_delta(&delta.ids) == Verdict::Apply {
                        events.push(MarketEvent::Delta(delta));
                    }
                }
            }
            Ok(Decoded::Delta { delta, .. }) => match sequencer.on_delta(&delta.ids) {
                Verdict::Apply => events.push(MarketEvent::Delta(delta.clone())),
                Verdict::Buffer => pending.push(delta.clone()),
                Verdict::Stale => {}
                Verdict::Gap { .. } => return Err(FeedError::Format("gap in the capture".into())),
            },
            Ok(Decoded::Trades(trades)) if synced => {
                events.extend(trades.iter().map(|t| MarketEvent::Trade(*t)));
            }
            _ => {}
        }
    }
    Ok(events)
}
