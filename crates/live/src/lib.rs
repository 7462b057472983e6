//! The live runner: the same kernel as the backtest, fed by real sockets.
//!
//! ```text
//!  market WS + REST depth ─► market task ─┐   (one per connection, which
//!                                         │    carries several markets)
//!  user-data stream ───────► report pump ─┼─► kernel thread ─► gateway task ─► venue REST
//!  stop signal ────────────► stop task ───┘        │
//!                                                  └─► journal writer thread
//! ```
//!
//! The kernel thread ([`session`]) is the only owner of trading state; the
//! tasks around it talk to it by channel, so it never waits on I/O.
//! [`watch`] runs a kernel that never trades (alert watches) on the same
//! market tasks, with no venue or account.

pub mod gateway;
pub mod latency;
pub mod market;
pub mod metrics;
pub mod reconcile;
pub mod recover;
pub mod session;
pub mod watch;

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{InstrumentId, InstrumentIndex};
use kestrel_strategy::Strategy;
use kestrel_venue::VenueError;
use kestrel_venue::{AccountStream, ExecutionClient, UserEvent};
use tokio::runtime::Handle;

pub use gateway::GatewayStats;
pub use latency::{Latencies, Stage};
pub use market::{FeedMarket, MarketFeed, MarketStats, Route, SnapshotRequest};
pub use reconcile::{ReconcileMode, Reconciled, UnknownOrderPolicy};
pub use session::{
    GatewayCommand, LiveInput, LiveSession, SessionError, SessionMarket, SessionStats,
};
pub use watch::{WatchStats, watch};

use kestrel_engine::clock::{Clock, WallClock};
use kestrel_engine::kernel::Kernel;
use kestrel_engine::replay;
use kestrel_feed::FrameSync;

/// How a session ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownPolicy {
    /// Cancel every open order, wait for the venue's reports, then stop.
    CancelAll,
    /// Leave orders working (a restart adopts or cancels them).
    LeaveOpen,
}

/// A finished session.
pub struct LiveOutcome<S> {
    /// The kernel as it stopped.
    pub kernel: Kernel<S>,
    /// What the kernel thread did.
    pub session: SessionStats,
    /// Stage latencies, the gateway's included.
    pub latency: Latencies,
    /// What the gateway did.
    pub gateway: Arc<GatewayStats>,
    /// What the market-data tasks did.
    pub market: Arc<MarketStats>,
    /// User-stream reconnects.
    pub user_stream_reconnects: u64,
    /// What reconciliation did, for a resumed session.
    pub reconciled: Option<Reconciled>,
    /// A new session's adopted leftovers of an earlier one.
    pub leftovers: Option<Reconciled>,
}

impl<S> LiveOutcome<S> {
    /// What every market's reconciliation and leftovers found, added up.
    fn totals(found: Vec<Reconciled>) -> Reconciled {
        found.into_iter().fold(Reconciled::default(), |mut all, r| {
            all.corrections.extend(r.corrections);
            all.to_cancel.extend(r.to_cancel);
            all.agreed += r.agreed;
            all.resolved += r.resolved;
            all.never_arrived += r.never_arrived;
            all.adopted += r.adopted;
            all.missed_fills += r.missed_fills;
            all.passes = all.passes.max(r.passes);
            all
        })
    }
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The user-data stream did not subscribe in time: trading blind to
    /// our own fills is not allowed.
    #[error("the user-data stream did not connect: {0}")]
    UserStream(String),
    /// A venue call needed to start failed.
    #[error("venue: {0}")]
    Venue(String),
    /// The journal and the venue disagree: trading does not resume.
    #[error("not reconciled: {0}")]
    Unreconciled(String),
    /// The metrics endpoint could not listen.
    #[error("metrics endpoint: {0}")]
    Metrics(String),
    /// The kernel thread could not be started or panicked.
    #[error("kernel thread: {0}")]
    Kernel(String),
}

/// One market's order connection. `V` is the venue adapter's order entry
/// for that market.
pub struct Connection<V> {
    /// The order gateway.
    pub venue: Arc<V>,
}

/// A venue account's push stream of our orders' events, and the markets
/// traded on that account: one stream per account, whatever it trades.
pub struct AccountLink<A> {
    /// The stream.
    pub stream: Arc<A>,
    /// The kernel instruments traded on the account.
    pub markets: Vec<InstrumentIndex>,
}

/// What a session connects to, and how it ends.
pub struct Wiring<F, V, A> {
    /// One order connection per kernel instrument, in the kernel's order.
    pub connections: Vec<Connection<V>>,
    /// The accounts: each kernel instrument on exactly one.
    pub accounts: Vec<AccountLink<A>>,
    /// The market-data connections: each kernel instrument in exactly one.
    pub feeds: Vec<MarketFeed<F>>,
    /// What happens to open orders at the end.
    pub policy: ShutdownPolicy,
    /// A new session, or one resuming from its journal.
    pub start: SessionStart,
    /// Where to serve `GET /metrics`, if anywhere.
    pub metrics: Option<std::net::SocketAddr>,
}

/// How a session begins.
#[derive(Clone, Debug)]
pub enum SessionStart {
    /// A new journal: open venue orders carrying `id_prefix` (an earlier
    /// session's, whose journal is gone) are adopted and then cancelled
    /// or left working by `unknown_orders`, and reported.
    Fresh {
        /// The sessions' client-id prefix.
        id_prefix: String,
        /// What to do with such orders.
        unknown_orders: UnknownOrderPolicy,
    },
    /// Resuming from the journal.
    Resume(RecoveryPlan),
}

/// How a resumed session catches up with the venue before it trades.
#[derive(Clone, Debug)]
pub struct RecoveryPlan {
    /// Every fill the journal holds, by instrument and trade id.
    pub applied: std::collections::HashSet<replay::FillKey>,
    /// The venues' balances of each instrument's assets when the session
    /// began, as journaled.
    pub start_balances: replay::StartBalances,
    /// What to do with orders the journal lacks.
    pub unknown_orders: UnknownOrderPolicy,
    /// The new id session.
    pub session_ms: u64,
}

/// Runs a session until `stop` resolves: wires each market's tasks on
/// `runtime`, runs the kernel on its own thread, and shuts down by the
/// policy.
pub fn run<S, D, Q, F, V, A>(
    runtime: &Handle,
    session: LiveSession<S, D, Q>,
    channels: Channels,
    wiring: Wiring<F, V, A>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<LiveOutcome<S>, LiveError>
where
    S: Strategy + serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    D: FrameDecoder + Send + 'static,
    Q: Sequencer + Send + 'static,
    F: FnMut() -> SnapshotRequest + Send + 'static,
    V: ExecutionClient + 'static,
    A: AccountStream + 'static,
{
    let Channels {
        input_tx,
        input_rx,
        markets: ends,
    } = channels;
    let Wiring {
        connections,
        accounts,
        feeds,
        policy,
        start,
        metrics,
    } = wiring;
    if ends.len() != connections.len() {
        return Err(LiveError::Kernel(format!(
            "{} connections for {} markets",
            connections.len(),
            ends.len()
        )));
    }
    each_once(
        ends.len(),
        feeds.iter().flat_map(|f| f.markets.iter().map(|m| m.ix)),
        "market feeds",
    )?;
    each_once(
        ends.len(),
        accounts.iter().flat_map(|a| a.markets.iter().copied()),
        "accounts",
    )?;
    let mut session = session;

    // The user streams first: no order goes out before our fills can come in.
    let mut user_streams = Vec::with_capacity(accounts.len());
    for account in &accounts {
        let (user_tx, mut user_rx) = tokio::sync::mpsc::channel(1024);
        runtime.spawn(Arc::clone(&account.stream).stream(user_tx));
        let first = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    match user_rx.recv().await {
                        Some(UserEvent::Connected) => return Ok(()),
                        Some(UserEvent::Disconnected(why)) => return Err(why),
                        Some(_) => {}
                        None => return Err("stream ended".to_owned()),
                    }
                }
            })
            .await
        });
        let why = match first {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some("timed out".to_owned()),
        };
        if let Some(why) = why {
            let names: Vec<String> = account
                .markets
                .iter()
                .filter_map(|ix| connections.get(ix.get()))
                .map(|c| c.venue.instrument().id.to_string())
                .collect();
            return Err(LiveError::UserStream(format!(
                "{}: {why}",
                names.join(", ")
            )));
        }
        user_streams.push(user_rx);
    }
    // Reports that arrive while we reconcile wait in the channels; the
    // session drops the ones reconciliation already applied.
    let legs: Vec<recover::Leg<'_, V>> = connections
        .iter()
        .enumerate()
        .map(|(n, c)| recover::Leg {
            ix: index(n),
            venue: &*c.venue,
            instrument: c.venue.instrument(),
            // Each market is on exactly one account (checked above).
            account: accounts
                .iter()
                .position(|a| a.markets.contains(&index(n)))
                .unwrap_or(n),
        })
        .collect();
    let (reconciled, leftovers) = match start {
        SessionStart::Resume(plan) => (
            Some(runtime.block_on(recover::recover(&mut session, &legs, plan))?),
            None,
        ),
        SessionStart::Fresh {
            id_prefix,
            unknown_orders,
        } => (
            None,
            Some(runtime.block_on(recover::start_fresh(
                &mut session,
                &legs,
                &id_prefix,
                unknown_orders,
            ))?),
        ),
    };
    drop(legs);
    let reconnects = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let ids: Arc<Vec<InstrumentId>> = Arc::new(
        connections
            .iter()
            .map(|c| c.venue.instrument().id)
            .collect(),
    );
    for (account, mut user_rx) in accounts.iter().zip(user_streams) {
        let (inputs, reconnects) = (input_tx.clone(), Arc::clone(&reconnects));
        let (markets, ids) = (account.markets.clone(), Arc::clone(&ids));
        runtime.spawn(async move {
            while let Some(event) = user_rx.recv().await {
                let sent = match event {
                    // Each report to its market, by the instrument it names.
                    UserEvent::Report(report) => {
                        let ix = markets
                            .iter()
                            .copied()
                            .find(|ix| ids.get(ix.get()) == Some(&report.instrument));
                        match ix {
                            Some(ix) => inputs.send(LiveInput::Report(ix, report)).is_ok(),
                            None => true,
                        }
                    }
                    UserEvent::Connected => {
                        reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        markets
                            .iter()
                            .all(|&ix| inputs.send(LiveInput::UserStreamReconnected(ix)).is_ok())
                    }
                    UserEvent::Disconnected(_) | UserEvent::Malformed(_) => true,
                };
                if !sent {
                    break;
                }
            }
        });
    }

    for found in reconciled.iter().chain(&leftovers) {
        for (r, end) in found.iter().zip(&ends) {
            for id in &r.to_cancel {
                let _ = end.gateway_tx.send(GatewayCommand::Cancel(*id));
            }
        }
    }
    let gateway_stats = Arc::new(GatewayStats::default());
    let market_stats = Arc::new(MarketStats::default());
    let mut resyncs: Vec<_> = Vec::with_capacity(ends.len());
    for (n, (c, end)) in connections.into_iter().zip(ends).enumerate() {
        runtime.spawn(gateway::run(
            Arc::clone(&c.venue),
            (index(n), c.venue.instrument().clone()),
            end.gateway_rx,
            input_tx.clone(),
            Arc::clone(&gateway_stats),
        ));
        resyncs.push(Some(end.resync_rx));
    }
    for feed in feeds {
        // Each market is in exactly one feed (checked above).
        let resync = feed
            .markets
            .iter()
            .filter_map(|m| resyncs.get_mut(m.ix.get()).and_then(Option::take))
            .collect();
        runtime.spawn(market::run(
            feed,
            input_tx.clone(),
            resync,
            Arc::clone(&market_stats),
        ));
    }
    {
        let inputs = input_tx.clone();
        runtime.spawn(async move {
            stop.await;
            if policy == ShutdownPolicy::CancelAll {
                // The kernel cancels its orders and stops once their
                // reports have come in.
                let until = WallClock.now().saturating_add_nanos(3_000_000_000);
                let _ = inputs.send(LiveInput::Drain { until });
                // Wake it at the deadline even if nothing else arrives.
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            let _ = inputs.send(LiveInput::Shutdown);
        });
    }
    drop(input_tx);

    let rendered = Arc::new(std::sync::Mutex::new(String::new()));
    if let Some(addr) = metrics {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| LiveError::Metrics(format!("{addr}: {e}")))?;
        runtime.spawn(metrics::serve(
            listener,
            Arc::clone(&rendered),
            Arc::clone(&gateway_stats),
        ));
    }
    let publish = metrics.map(|_| Arc::clone(&rendered));
    let kernel_thread = std::thread::Builder::new()
        .name("kestrel-kernel".into())
        .spawn(move || session::run(session, &input_rx, publish.as_deref()))
        .map_err(|e| LiveError::Kernel(e.to_string()))?;
    let (kernel, stats, mut latency) = kernel_thread
        .join()
        .map_err(|_| LiveError::Kernel("panicked".into()))?;
    if let Ok(l) = gateway_stats.latency.lock() {
        latency.merge(&l);
    }
    Ok(LiveOutcome {
        kernel,
        session: stats,
        latency,
        gateway: gateway_stats,
        market: market_stats,
        user_stream_reconnects: reconnects.load(std::sync::atomic::Ordering::Relaxed),
        reconciled: reconciled.map(LiveOutcome::<S>::totals),
        leftovers: leftovers.map(LiveOutcome::<S>::totals),
    })
}

/// Checks that `served` names each of `markets` markets exactly once.
fn each_once(
    markets: usize,
    served: impl Iterator<Item = InstrumentIndex>,
    what: &str,
) -> Result<(), LiveError> {
    let mut count = vec![0usize; markets];
    for ix in served {
        match count.get_mut(ix.get()) {
            Some(c) => *c += 1,
            None => return Err(LiveError::Kernel(format!("{what} name {ix}, not a market"))),
        }
    }
    match count.iter().position(|&c| c != 1) {
        Some(n) => Err(LiveError::Kernel(format!(
            "market {n} is in {} {what}: each must be in one",
            count[n]
        ))),
        None => Ok(()),
    }
}

/// The kernel index of the `n`th market (a session has far fewer than
/// 65,536; [`Channels::new`] refuses more).
fn index(n: usize) -> InstrumentIndex {
    InstrumentIndex(u16::try_from(n).unwrap_or(u16::MAX))
}

/// Runs a venue call that must succeed before trading starts, again and
/// again while it fails transiently (a venue in trouble, rate limits),
/// for up to about a minute.
pub async fn patiently<T, F, Fut>(mut call: F) -> Result<T, VenueError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, VenueError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if e.is_transient() && attempt < 120 => {
                attempt += 1;
                let wait = match e {
                    VenueError::RateLimited { retry_after }
                    | VenueError::Throttled(_, retry_after)
                    | VenueError::CircuitOpen(retry_after) => retry_after,
                    _ => Duration::from_millis(250),
                };
                tokio::time::sleep(wait.min(Duration::from_secs(5))).await;
            }
            other => return other,
        }
    }
}

/// The channels between the kernel thread and the tasks around it.
pub struct Channels {
    input_tx: mpsc::Sender<LiveInput>,
    input_rx: mpsc::Receiver<LiveInput>,
    markets: Vec<MarketEnds>,
}

/// One market's gateway and resync channels.
struct MarketEnds {
    gateway_tx: tokio::sync::mpsc::UnboundedSender<GatewayCommand>,
    gateway_rx: tokio::sync::mpsc::UnboundedReceiver<GatewayCommand>,
    resync_tx: tokio::sync::mpsc::UnboundedSender<()>,
    resync_rx: tokio::sync::mpsc::UnboundedReceiver<()>,
}

impl Channels {
    /// Fresh channels for a session of `markets` markets (at most 65,536).
    pub fn new(markets: usize) -> Self {
        let (input_tx, input_rx) = mpsc::channel();
        let markets = (0..markets.min(usize::from(u16::MAX) + 1))
            .map(|_| {
                let (gateway_tx, gateway_rx) = tokio::sync::mpsc::unbounded_channel();
                let (resync_tx, resync_rx) = tokio::sync::mpsc::unbounded_channel();
                MarketEnds {
                    gateway_tx,
                    gateway_rx,
                    resync_tx,
                    resync_rx,
                }
            })
            .collect();
        Self {
            input_tx,
            input_rx,
            markets,
        }
    }

    /// The session's side of market `n`: `frames` syncing `instrument`,
    /// whose orders and snapshot requests go to that market's tasks.
    /// `None` past the markets these channels were made for.
    pub fn session_market<D, Q>(
        &self,
        n: usize,
        instrument: InstrumentId,
        frames: FrameSync<D, Q>,
    ) -> Option<SessionMarket<D, Q>> {
        let ends = self.markets.get(n)?;
        Some(SessionMarket::new(
            instrument,
            frames,
            ends.gateway_tx.clone(),
            ends.resync_tx.clone(),
        ))
    }

    /// A sender of kernel inputs (operator commands, tests).
    pub fn inputs(&self) -> mpsc::Sender<LiveInput> {
        self.input_tx.clone()
    }
}
