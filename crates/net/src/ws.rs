//! The market-data WebSocket client.
//!
//! One task owns one connection and reports everything that matters to the
//! feed as a [`WsEvent`] on a channel:
//!
//! * every frame, stamped with our receive time the moment it is read;
//! * `Connected` after each (re)connect and resubscription: the consumer
//!   must treat its books as untrusted from the `Disconnected` before it and
//!   resync them from a fresh snapshot;
//! * `Disconnected` with the reason and the delay before the next attempt.
//!
//! Heartbeats both ways: a venue `Ping` is answered with a `Pong` carrying
//! its payload at once (Binance disconnects a client that misses pongs for
//! a minute), and we ping every `ping_interval` so a half-open TCP
//! connection is noticed. A connection on which nothing at all arrives for
//! `stale_after` is declared stale and replaced: a feed that goes quiet
//! without closing is worse than one that fails loudly.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kestrel_model::UnixNanos;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::backoff::{Backoff, BackoffPolicy};
use crate::clock;

/// Settings of one WebSocket feed connection.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// `ws://` or `wss://` URL, streams included where the venue takes them
    /// in the URL (Binance combined streams).
    pub url: String,
    /// Text messages sent after every connect, in order (OKX and Bybit
    /// `subscribe` requests); empty when the URL names the streams.
    pub subscribe: Vec<String>,
    /// How often we ping the venue.
    pub ping_interval: Duration,
    /// Silence after which the connection is declared stale and replaced.
    pub stale_after: Duration,
    /// Limit for the TCP, TLS and WebSocket handshakes together.
    pub connect_timeout: Duration,
    /// Delays between attempts.
    pub backoff: BackoffPolicy,
    /// Seed of the backoff jitter.
    pub seed: u64,
    /// Largest message accepted; larger ones end the connection.
    pub max_message_bytes: usize,
}

impl WsConfig {
    /// Defaults suited to Binance: ping every 20 s, stale after 10 s of
    /// silence (a `@depth@100ms` stream is never quiet that long), 10 s to
    /// connect, 16 MiB messages.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            subscribe: Vec::new(),
            ping_interval: Duration::from_secs(20),
            stale_after: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            backoff: BackoffPolicy::default(),
            seed: 0x6b65_7374_7265_6c00,
            max_message_bytes: 16 << 20,
        }
    }
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// The attempt to connect failed or timed out.
    ConnectFailed(String),
    /// The venue closed the connection.
    Closed,
    /// The connection failed while open.
    Error(String),
    /// Nothing arrived for the configured time.
    Stale(Duration),
}

/// What the client tells the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsEvent {
    /// Connection number `n` (from 1) is open and subscribed.
    Connected(u64),
    /// One message, as received.
    Frame {
        /// Its bytes (text frames as UTF-8).
        data: Bytes,
        /// Our receive time.
        local: UnixNanos,
    },
    /// The connection ended; the next attempt starts after `retry_in`.
    Disconnected {
        /// Why.
        reason: Disconnect,
        /// Delay before reconnecting.
        retry_in: Duration,
    },
}

/// Runs the connection until the receiver of `events` is dropped,
/// reconnecting with backoff whenever it ends.
pub async fn run(config: WsConfig, events: mpsc::Sender<WsEvent>) {
    crate::tls::install_crypto_provider();
    let mut backoff = Backoff::new(config.backoff, config.seed);
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes));
    for connection in 1u64.. {
        let connect =
            tokio_tungstenite::connect_async_with_config(&config.url, Some(ws_config), true);
        let reason = match timeout(config.connect_timeout, connect).await {
            Err(_) => Disconnect::ConnectFailed("timed out".into()),
            Ok(Err(e)) => Disconnect::ConnectFailed(e.to_string()),
            Ok(Ok((ws, _))) => {
                match session(ws, &config, &events, connection, &mut backoff).await {
                    Some(reason) => reason,
                    None => return,
                }
            }
        };
        let retry_in = backoff.next_delay();
        let event = WsEvent::Disconnected { reason, retry_in };
        if events.send(event).await.is_err() {
            return;
        }
        sleep(retry_in).await;
    }
}

/// Serves one open connection; `None` when the consumer has gone.
async fn session<S>(
    ws: tokio_tungstenite::WebSocketStream<S>,
    config: &WsConfig,
    events: &mpsc::Sender<WsEvent>,
    connection: u64,
    backoff: &mut Backoff,
) -> Option<Disconnect>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut write, mut read) = ws.split();
    for request in &config.subscribe {
        if let Err(e) = write.send(Message::text(request.as_str())).await {
            return Some(Disconnect::Error(e.to_string()));
        }
    }
    events.send(WsEvent::Connected(connection)).await.ok()?;
    let mut next_ping = Instant::now() + config.ping_interval;
    let mut last_heard = Instant::now();
    let mut healthy = false;
    loop {
        tokio::select! {
            message = read.next() => {
                let local = clock::now();
                last_heard = Instant::now();
                let data = match message {
                    None => return Some(Disconnect::Closed),
                    Some(Err(e)) => return Some(Disconnect::Error(e.to_string())),
                    Some(Ok(Message::Text(text))) => Bytes::from(text),
                    Some(Ok(Message::Binary(data))) => data,
                    Some(Ok(Message::Ping(payload))) => {
                        if let Err(e) = write.send(Message::Pong(payload)).await {
                            return Some(Disconnect::Error(e.to_string()));
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) => return Some(Disconnect::Closed),
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => continue,
                };
                if !healthy {
                    // Data flows: the next failure starts from a short delay.
                    healthy = true;
                    backoff.reset();
                }
                events.send(WsEvent::Frame { data, local }).await.ok()?;
            }
            () = sleep_until(next_ping) => {
                next_ping = Instant::now() + config.ping_interval;
                if let Err(e) = write.send(Message::Ping(Bytes::new())).await {
                    return Some(Disconnect::Error(e.to_string()));
                }
            }
            () = sleep_until(last_heard + config.stale_after) => {
                return Some(Disconnect::Stale(config.stale_after));
            }
        }
    }
}
