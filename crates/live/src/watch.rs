//! Live market data alone into a kernel whose strategies never trade
//! (alert watches, signal monitors): the same market tasks, sync and
//! integrity policy as a trading session, without order entry, an account
//! or a trading journal.
//!
//! A watch that asks for an order stops with an error: it has no venue to
//! send one to, and an order silently dropped is worse than a stop.

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use kestrel_engine::clock::{Clock, WallClock};
use kestrel_engine::kernel::Kernel;
use kestrel_feed::{
    FeedEvent, FeedKind, FrameDecoder, FrameSync, Sequencer, SyncStatus, Untrusted,
};
use kestrel_model::{InstrumentIndex, UnixNanos};
use kestrel_strategy::Strategy;
use tokio::runtime::Handle;
use tokio::sync::mpsc::UnboundedSender;

use crate::market::{self, MarketFeed, MarketStats, SnapshotRequest};
use crate::{LiveError, LiveInput, each_once};

/// Longest wait for market data before the loop looks at its timers.
const IDLE: Duration = Duration::from_millis(200);

/// What a watch saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchStats {
    /// Frames and snapshot bodies received.
    pub frames: u64,
    /// Events delivered to the kernel (deltas, snapshots, trades, gaps).
    pub events: u64,
    /// Times a market lost its book's continuity and was resynced.
    pub gaps: u64,
    /// Connections dropped.
    pub disconnects: u64,
    /// Frames that could not be read (counted, passed over).
    pub malformed: u64,
    /// Depth snapshots that failed (each retried).
    pub snapshot_failures: u64,
}

/// One market of a watch: its frames' sync and where resyncs are asked.
struct Watched<D, Q> {
    frames: FrameSync<D, Q>,
    slot: FeedEvent,
    resync: UnboundedSender<()>,
}

/// Runs `kernel` on live market data until `stop` resolves: `markets`
/// syncs each kernel instrument's frames (in the kernel's order), `feeds`
/// are the connections carrying them, each instrument in exactly one.
/// Hands back the kernel, stopped, and what was seen.
pub fn watch<S, D, Q, F>(
    runtime: &Handle,
    mut kernel: Kernel<S>,
    markets: Vec<FrameSync<D, Q>>,
    feeds: Vec<MarketFeed<F>>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(Kernel<S>, WatchStats), LiveError>
where
    S: Strategy,
    D: FrameDecoder,
    Q: Sequencer,
    F: FnMut() -> SnapshotRequest + Send + 'static,
{
    each_once(
        markets.len(),
        feeds.iter().flat_map(|f| f.markets.iter().map(|m| m.ix)),
        "market feeds",
    )?;
    let ids: Vec<_> = kernel.instruments().map(|i| i.id).collect();
    if ids.len() != markets.len() {
        return Err(LiveError::Kernel(format!(
            "{} markets synced for {} instruments",
            markets.len(),
            ids.len()
        )));
    }
    let (inputs, received) = mpsc::channel();
    let mut resyncs = Vec::with_capacity(markets.len());
    let mut watched: Vec<Watched<D, Q>> = markets
        .into_iter()
        .zip(&ids)
        .map(|(frames, &id)| {
            let (resync, asked) = tokio::sync::mpsc::unbounded_channel();
            resyncs.push(Some(asked));
            Watched {
                frames,
                slot: FeedEvent::new(id),
                resync,
            }
        })
        .collect();
    let stats = Arc::new(MarketStats::default());
    for feed in feeds {
        let asked = feed
            .markets
            .iter()
            .filter_map(|m| resyncs.get_mut(m.ix.get()).and_then(Option::take))
            .collect();
        runtime.spawn(market::run(feed, inputs.clone(), asked, Arc::clone(&stats)));
    }
    let stopping = inputs.clone();
    runtime.spawn(async move {
        stop.await;
        let _ = stopping.send(LiveInput::Shutdown);
    });
    drop(inputs);

    let mut seen = WatchStats::default();
    kernel.start(WallClock.now());
    loop {
        let wait = kernel.next_timer().map_or(IDLE, |t| {
            Duration::from_nanos(t.as_nanos().saturating_sub(WallClock.now().as_nanos())).min(IDLE)
        });
        let input = match received.recv_timeout(wait) {
            Ok(input) => Some(input),
            Err(RecvTimeoutError::Timeout) => None,
            // Every market task ended: nothing more can come.
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let now = WallClock.now();
        kernel.fire_timers(now);
        match input {
            None => {}
            Some(LiveInput::Shutdown) => break,
            Some(LiveInput::Frame { ix, local, bytes }) => {
                let Some(m) = watched.get_mut(ix.get()) else {
                    continue;
                };
                seen.frames += 1;
                let mut made = m.frames.on_frame(&bytes, local, &mut m.slot);
                while made {
                    seen.events += 1;
                    deliver(&mut kernel, ix, m, now, &mut seen);
                    made = m.frames.next_held(&mut m.slot);
                }
            }
            Some(LiveInput::MarketDown(ix)) => {
                if let Some(m) = watched.get_mut(ix.get()) {
                    seen.disconnects += 1;
                    m.frames.lose_sync(Untrusted::Disconnected);
                    kernel.on_gap(ix, now);
                }
            }
            // Order and account inputs: a watch has neither.
            Some(_) => {}
        }
        refuse_orders(&mut kernel)?;
    }
    kernel.stop(WallClock.now());
    refuse_orders(&mut kernel)?;
    seen.malformed = watched.iter().map(|m| m.frames.malformed()).sum();
    seen.snapshot_failures = stats
        .snapshot_failures
        .load(std::sync::atomic::Ordering::Relaxed);
    Ok((kernel, seen))
}

/// One synced event of market `ix` into the kernel, with the feed's
/// integrity policy on its book after a delta or snapshot.
fn deliver<S: Strategy, D: FrameDecoder, Q: Sequencer>(
    kernel: &mut Kernel<S>,
    ix: InstrumentIndex,
    m: &mut Watched<D, Q>,
    now: UnixNanos,
    seen: &mut WatchStats,
) {
    let book_changed = match m.slot.kind {
        FeedKind::Delta => {
            kernel.on_delta(ix, &m.slot.delta, now);
            true
        }
        FeedKind::Snapshot => {
            kernel.on_snapshot(ix, &m.slot.snapshot, now);
            true
        }
        FeedKind::Trade => {
            kernel.on_trade(ix, &m.slot.trade, now);
            false
        }
        FeedKind::Gap => {
            gap(kernel, ix, m, now, seen);
            false
        }
    };
    let lost = book_changed
        && kernel.book_of(ix).is_some_and(|book| {
            matches!(m.frames.verify(book, m.slot.checksum), SyncStatus::Lost(_))
        });
    if lost {
        gap(kernel, ix, m, now, seen);
    }
}

/// Market `ix` lost its book's continuity: ask for a snapshot.
fn gap<S: Strategy, D, Q>(
    kernel: &mut Kernel<S>,
    ix: InstrumentIndex,
    m: &Watched<D, Q>,
    now: UnixNanos,
    seen: &mut WatchStats,
) {
    seen.gaps += 1;
    let _ = m.resync.send(());
    kernel.on_gap(ix, now);
}

/// Drops what the kernel put out, refusing any order: a watch has no venue.
fn refuse_orders<S: Strategy>(kernel: &mut Kernel<S>) -> Result<(), LiveError> {
    if !kernel.has_output() {
        return Ok(());
    }
    if kernel.drain_intents().next().is_some() {
        return Err(LiveError::Kernel(
            "a watch asked for an order: it has no venue to send it to".into(),
        ));
    }
    kernel.drain_decisions().for_each(drop);
    kernel.drain_points().for_each(drop);
    Ok(())
}
