//! The market-data task: frames from the venue's WebSocket, a REST depth
//! snapshot after every (re)connect and whenever the kernel asks for one
//! (after a gap), all handed to the kernel thread in receive order.

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

/// Runs until the kernel thread has gone: the market of the kernel's
/// instrument `ix`. `snapshot` makes one depth request; `resync` carries
/// the kernel's requests for a fresh book.
pub async fn run(
    ix: InstrumentIndex,
    config: WsConfig,
    mut snapshot: impl FnMut() -> SnapshotRequest + Send,
    inputs: Sender<LiveInput>,
    mut resync: UnboundedReceiver<()>,
    stats: Arc<MarketStats>,
) {
    let (tx, mut events) = mpsc::channel(4096);
    let connection = tokio::spawn(ws::run(config, tx));
    let mut pending: Option<SnapshotRequest> = None;
    loop {
        let input = tokio::select! {
            event = events.recv() => match event {
                Some(WsEvent::Frame { data, local }) => LiveInput::Frame {
                    ix,
                    local,
                    bytes: data,
                },
                Some(WsEvent::Connected(_)) => {
                    stats.connects.fetch_add(1, Ordering::Relaxed);
                    // Diffs are already flowing and held by the sync until
                    // this snapshot bridges them.
                    pending = Some(snapshot());
                    continue;
                }
                Some(WsEvent::Disconnected { .. }) => {
                    pending = None;
                    LiveInput::MarketDown(ix)
                }
                None => break,
            },
            Some(()) = resync.recv() => {
                if pending.is_none() {
                    pending = Some(snapshot());
                }
                continue;
            }
            body = async {
                match pending.as_mut() {
                    Some(request) => request.await,
                    None => std::future::pending().await,
                }
            }, if pending.is_some() => match body {
                Ok(bytes) => {
                    pending = None;
                    stats.snapshots.fetch_add(1, Ordering::Relaxed);
                    LiveInput::Frame {
                        ix,
                        local: WallClock.now(),
                        bytes,
                    }
                }
                Err(error) => {
                    // Try again; the book stays untrusted meanwhile.
                    stats.failed(&error);
                    let wait = retry_delay(&error);
                    let retry = snapshot();
                    pending = Some(Box::pin(async move {
                        tokio::time::sleep(wait).await;
                        retry.await
                    }));
                    continue;
                }
            },
        };
        if inputs.send(input).is_err() {
            break;
        }
    }
    connection.abort();
}
