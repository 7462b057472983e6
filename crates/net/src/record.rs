//! Recording a live session: every frame as received, plus a REST depth
//! snapshot after every (re)connect, so the recording replays through the
//! same sync rules, resyncs included, exactly as the session saw them.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use kestrel_model::UnixNanos;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Bytes;

use crate::clock;
use crate::rest::RestError;
use crate::ws::{self, WsConfig, WsEvent};

/// What a recording session did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordStats {
    /// Frames written.
    pub frames: u64,
    /// Snapshots written.
    pub snapshots: u64,
    /// Snapshot requests that failed (the next connect asks again).
    pub snapshot_failures: u64,
    /// Connections opened.
    pub connections: u64,
    /// Connections lost or never made.
    pub disconnects: u64,
    /// Why the last connection ended, if one did.
    pub last_disconnect: Option<crate::ws::Disconnect>,
}

/// Why a recording stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Writing the recording failed; what was written before is intact.
    #[error("cannot write the recording: {0}")]
    Write(#[from] std::io::Error),
}

type Snapshot = Pin<Box<dyn Future<Output = Result<Bytes, RestError>> + Send>>;

/// Records until `duration` has passed (forever with `None`) or `stop`
/// resolves. `snapshot` makes the REST request for a fresh book; `write`
/// receives each line's receive time and bytes, in receive order.
pub async fn record<F>(
    config: WsConfig,
    mut snapshot: impl FnMut() -> F,
    duration: Option<Duration>,
    stop: impl Future<Output = ()>,
    mut write: impl FnMut(UnixNanos, &[u8]) -> std::io::Result<()>,
) -> Result<RecordStats, RecordError>
where
    F: Future<Output = Result<Bytes, RestError>> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel(4096);
    let connection = tokio::spawn(ws::run(config, tx));
    let deadline = duration.map(|d| Instant::now() + d);
    let mut pending: Option<Snapshot> = None;
    let mut stats = RecordStats::default();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(WsEvent::Frame { data, local }) => {
                    write(local, &data)?;
                    stats.frames += 1;
                }
                Some(WsEvent::Connected(_)) => {
                    stats.connections += 1;
                    // Diffs are already flowing; the snapshot is written when
                    // it arrives, between the frames received around it.
                    pending = Some(Box::pin(snapshot()));
                }
                Some(WsEvent::Disconnected { reason, .. }) => {
                    stats.disconnects += 1;
                    stats.last_disconnect = Some(reason);
                    pending = None;
                }
                None => break,
            },
            body = async {
                match pending.as_mut() {
                    Some(request) => request.await,
                    None => std::future::pending().await,
                }
            }, if pending.is_some() => {
                pending = None;
                match body {
                    Ok(body) => {
                        write(clock::now(), &body)?;
                        stats.snapshots += 1;
                    }
                    Err(_) => stats.snapshot_failures += 1,
                }
            }
            () = async {
                match deadline {
                    Some(d) => sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => break,
            () = &mut stop => break,
        }
    }
    connection.abort();
    Ok(stats)
}
