//! The market-data task of one connection: frames from the venue's
//! WebSocket, which carries the streams of every market it serves (a
//! venue's combined streams), each routed to its market; a REST depth
//! snapshot of each market after every (re)connect and whenever the kernel
//! asks for one (after a gap); all handed to the kernel thread in receive
//! order.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kestrel_model::InstrumentIndex;
use kestrel_net::RestError;
use kestrel_net::ws::{self, WsConfig, WsEvent};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio_tungstenite::tungstenite::Bytes;

use super::session::LiveInput;
use kestrel_engine::clock::{Clock, WallClock};

/// A pending REST depth request.
pub type SnapshotRequest = Pin<Box<dyn Future<Output = Result<Bytes, RestError>> + Send>>;

/// What the market-data task did: a session whose book never synced says
/// why in its summary.
#[derive(Debug, Default)]
pub struct MarketStats {
    /// WebSocket connections made, the first included.
    pub connects: AtomicU64,
    /// REST depth snapshots received.
    pub snapshots: AtomicU64,
    /// Depth requests that failed, each tried again.
    pub snapshot_failures: AtomicU64,
    /// Why the last one failed.
    pub last_failure: Mutex<Option<String>>,
    /// Frames of a connection of several markets that named none of them
    /// (subscription answers, a stream nobody asked for): counted, not
    /// passed on.
    pub unrouted: AtomicU64,
}

impl MarketStats {
    fn failed(&self, error: &RestError) {
        self.snapshot_failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_failure.lock() {
            *last = Some(error.to_string());
        }
    }
}

/// How long to wait before asking for a snapshot again: what a rate limit
/// asked for (within reason), else half a second.
fn retry_delay(error: &RestError) -> Duration {
    const QUICK: Duration = Duration::from_millis(500);
    match error {
        RestError::RateLimited { retry_after, .. }
        | RestError::Blocked(retry_after)
        | RestError::WeightBudget { retry_after, .. } => {
            (*retry_after).clamp(QUICK, Duration::from_secs(60))
        }
        _ => QUICK,
    }
}

/// One market of a market-data connection.
pub struct FeedMarket<F> {
    /// The kernel's index of its instrument.
    pub ix: InstrumentIndex,
    /// Makes one REST depth request for it.
    pub snapshot: F,
}

/// Which of a connection's markets a frame belongs to, by its position in
/// [`MarketFeed::markets`]; `None` for a frame of none of them. Venue
/// adapters know where their frames name the stream.
pub type Route = Box<dyn Fn(&[u8]) -> Option<usize> + Send>;

/// A market-data connection: one WebSocket carrying the streams of each of
/// its markets.
pub struct MarketFeed<F> {
    /// The WebSocket, subscribed to every market's streams.
    pub ws: WsConfig,
    /// Its markets.
    pub markets: Vec<FeedMarket<F>>,
    /// Each frame's market (a connection of one market takes every frame).
    pub route: Route,
}

/// A depth answer, tagged with the market and with the connection it was
/// asked on: one asked before a reconnect is dropped.
type Answer = (usize, u64, Result<Bytes, RestError>);

/// How soon a market's next depth request may go: a venue whose books keep
/// failing their checks right after a snapshot (crossed, or off their
/// checksum) would otherwise be asked again and again at once.
#[derive(Clone, Copy, Default)]
struct Pace {
    /// When its last snapshot came.
    last: Option<std::time::Instant>,
    /// Requests in a row that each followed a snapshot within [`Pace::QUICK`].
    streak: u32,
}

impl Pace {
    /// A request this soon after a snapshot counts towards the streak.
    const QUICK: Duration = Duration::from_secs(5);

    /// The wait before a resync request: none after a book that held, then
    /// 0.25 s doubling to about half a minute while they keep failing.
    fn wait(&mut self, now: std::time::Instant) -> Duration {
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Self::QUICK)
        {
            self.streak = (self.streak + 1).min(8);
            Duration::from_millis(125) * (1 << self.streak)
        } else {
            self.streak = 0;
            Duration::ZERO
        }
    }
}

/// Asks for market `pos`'s depth after `wait`, answering on `answers`.
fn ask<F: FnMut() -> SnapshotRequest>(
    market: &mut FeedMarket<F>,
    (pos, generation): (usize, u64),
    wait: Duration,
    answers: &mpsc::UnboundedSender<Answer>,
) {
    let request = (market.snapshot)();
    let answers = answers.clone();
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let _ = answers.send((pos, generation, request.await));
    });
}

/// Runs until the kernel thread has gone: the markets of one connection.
/// `resync[n]` carries the kernel's requests for a fresh book of
/// `feed.markets[n]`.
pub async fn run<F: FnMut() -> SnapshotRequest + Send>(
    feed: MarketFeed<F>,
    inputs: Sender<LiveInput>,
    resync: Vec<UnboundedReceiver<()>>,
    stats: Arc<MarketStats>,
) {
    let MarketFeed {
        ws,
        mut markets,
        route,
    } = feed;
    let (tx, mut events) = mpsc::channel(4096);
    let connection = tokio::spawn(ws::run(ws, tx));
    // Every market's resync requests, by position, on one channel.
    let (resync_tx, mut resyncs) = mpsc::unbounded_channel();
    let forwarders: Vec<_> = resync
        .into_iter()
        .enumerate()
        .map(|(pos, mut rx)| {
            let tx = resync_tx.clone();
            tokio::spawn(async move {
                while rx.recv().await.is_some() {
                    if tx.send(pos).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    drop(resync_tx);
    let (answer_tx, mut answers) = mpsc::unbounded_channel::<Answer>();
    // Bumped at each (dis)connect: answers to older asks are stale.
    let mut generation = 0u64;
    let mut asked = vec![false; markets.len()];
    let mut pace = vec![Pace::default(); markets.len()];
    loop {
        let input = tokio::select! {
            event = events.recv() => match event {
                Some(WsEvent::Frame { data, local }) => {
                    let pos = if markets.len() == 1 { Some(0) } else { route(&data) };
                    let Some(market) = pos.and_then(|p| markets.get(p)) else {
                        stats.unrouted.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    LiveInput::Frame {
                        ix: market.ix,
                        local,
                        bytes: data,
                    }
                }
                Some(WsEvent::Connected(_)) => {
                    stats.connects.fetch_add(1, Ordering::Relaxed);
                    generation += 1;
                    // Diffs are already flowing and held by each market's
                    // sync until its snapshot bridges them.
                    for (pos, market) in markets.iter_mut().enumerate() {
                        asked[pos] = true;
                        ask(market, (pos, generation), Duration::ZERO, &answer_tx);
                    }
                    continue;
                }
                Some(WsEvent::Disconnected { .. }) => {
                    generation += 1;
                    asked.fill(false);
                    let down = markets.iter().map(|m| LiveInput::MarketDown(m.ix));
                    if down.into_iter().any(|d| inputs.send(d).is_err()) {
                        break;
                    }
                    continue;
                }
                None => break,
            },
            Some(pos) = resyncs.recv() => {
                if let (Some(false), Some(market)) = (asked.get(pos).copied(), markets.get_mut(pos)) {
                    asked[pos] = true;
                    let wait = pace[pos].wait(std::time::Instant::now());
                    ask(market, (pos, generation), wait, &answer_tx);
                }
                continue;
            }
            Some((pos, asked_on, answer)) = answers.recv() => {
                let Some(market) = markets.get_mut(pos).filter(|_| asked_on == generation) else {
                    continue;
                };
                match answer {
                    Ok(bytes) => {
                        asked[pos] = false;
                        pace[pos].last = Some(std::time::Instant::now());
                        stats.snapshots.fetch_add(1, Ordering::Relaxed);
                        LiveInput::Frame {
                            ix: market.ix,
                            local: WallClock.now(),
                            bytes,
                        }
                    }
                    Err(error) => {
                        // Try again; the book stays untrusted meanwhile.
                        stats.failed(&error);
                        ask(market, (pos, generation), retry_delay(&error), &answer_tx);
                        continue;
                    }
                }
            }
        };
        if inputs.send(input).is_err() {
            break;
        }
    }
    connection.abort();
    for forwarder in forwarders {
        forwarder.abort();
    }
}
