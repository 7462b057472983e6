//! The market-data task: frames from the venue's WebSocket, a REST depth
//! snapshot after every (re)connect and whenever the kernel asks for one
//! (after a gap), all handed to the kernel thread in receive order.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::Sender;
use std::time::Duration;

use kestrel_net::RestError;
use kestrel_net::ws::{self, WsConfig, WsEvent};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio_tungstenite::tungstenite::Bytes;

use super::session::LiveInput;
use crate::clock::{Clock, WallClock};

/// A pending REST depth request.
pub type SnapshotRequest = Pin<Box<dyn Future<Output = Result<Bytes, RestError>> + Send>>;

/// Runs until the kernel thread has gone. `snapshot` makes one depth
/// request; `resync` carries the kernel's requests for a fresh book.
pub async fn run(
    config: WsConfig,
    mut snapshot: impl FnMut() -> SnapshotRequest + Send,
    inputs: Sender<LiveInput>,
    mut resync: UnboundedReceiver<()>,
) {
    let (tx, mut events) = mpsc::channel(4096);
    let connection = tokio::spawn(ws::run(config, tx));
    let mut pending: Option<SnapshotRequest> = None;
    loop {
        let input = tokio::select! {
            event = events.recv() => match event {
                Some(WsEvent::Frame { data, local }) => LiveInput::Frame { local, bytes: data },
                Some(WsEvent::Connected(_)) => {
                    // Diffs are already flowing and held by the sync until
                    // this snapshot bridges them.
                    pending = Some(snapshot());
                    continue;
                }
                Some(WsEvent::Disconnected { .. }) => {
                    pending = None;
                    LiveInput::MarketDown
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
                    LiveInput::Frame { local: WallClock.now(), bytes }
                }
                Err(_) => {
                    // Try again shortly; the book stays untrusted meanwhile.
                    let retry = snapshot();
                    pending = Some(Box::pin(async move {
                        tokio::time::sleep(Duration::from_millis(500)).await;
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
