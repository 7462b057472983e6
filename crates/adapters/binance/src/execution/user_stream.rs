//! The user-data stream over Binance's WebSocket API: subscribe with a
//! signed `userDataStream.subscribe.signature`, turn `executionReport`
//! events into [`ExecReport`]s, reconnect with backoff when the connection
//! drops.
//!
//! Reports sent while the stream was down are lost to it: after every
//! [`UserEvent::Connected`] but the first, the owner must recover them by
//! query (open orders, fills since the last trade id it saw).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kestrel_model::ExecReport;
use kestrel_net::{Backoff, BackoffPolicy};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::{BinanceAccount, json};
pub use kestrel_venue::UserEvent;
use kestrel_venue::{AccountStream, VenueError};

/// Binance's user-data stream is the account stream of a Binance gateway.
impl AccountStream for BinanceAccount {
    fn stream(self: Arc<Self>, events: mpsc::Sender<UserEvent>) -> impl Future<Output = ()> + Send {
        run(self, events)
    }
}

/// Runs the stream until `events` is closed: connects, subscribes, passes
/// reports on, and reconnects after any failure.
pub async fn run(gateway: Arc<BinanceAccount>, events: mpsc::Sender<UserEvent>) {
    let mut backoff = Backoff::new(BackoffPolicy::default(), 0x5eed);
    loop {
        let (reason, subscribed) = match session(&gateway, &events).await {
            Ok(()) => return,
            Err(broken) => broken,
        };
        if events.send(UserEvent::Disconnected(reason)).await.is_err() {
            return;
        }
        // A session that got as far as subscribing starts the delays over.
        if subscribed {
            backoff.reset();
        }
        tokio::time::sleep(backoff.next_delay()).await;
        if events.is_closed() {
            return;
        }
    }
}

/// The head of any frame the WebSocket API sends.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default, borrow)]
    event: Option<EventHead<'a>>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "e", borrow)]
    kind: &'a str,
}

/// What one frame is.
enum Frame {
    /// The subscription's answer: accepted.
    Subscribed,
    /// The subscription's answer: refused.
    Refused(String),
    /// An execution report of ours.
    Report(ExecReport),
    /// An event we could not read.
    Malformed(VenueError),
    /// Anything else (balance updates, other symbols).
    Other,
}

fn read_frame(text: &str, gateway: &BinanceAccount) -> Frame {
    let head: Head<'_> = match serde_json::from_str(text) {
        Ok(h) => h,
        Err(e) => return Frame::Malformed(VenueError::Decode(e.to_string())),
    };
    match (head.event, head.status) {
        (Some(event), _) if event.kind == "executionReport" => {
            // Another market of the account, traded elsewhere, is not ours.
            match json::pushed_execution_report(text.as_bytes(), |s| gateway.instrument_of(s)) {
                Ok(Some(report)) => Frame::Report(report),
                Ok(None) => Frame::Other,
                Err(e) => Frame::Malformed(e),
            }
        }
        (Some(_), _) | (None, None) => Frame::Other,
        (None, Some(200)) => Frame::Subscribed,
        (None, Some(status)) => Frame::Refused(format!(
            "HTTP {status}: {}",
            head.error.map_or_else(String::new, |e| e.to_string())
        )),
    }
}

/// One connection: `Ok` when the owner has gone, `Err` with why it broke
/// and whether it had subscribed.
async fn session(
    gateway: &BinanceAccount,
    events: &mpsc::Sender<UserEvent>,
) -> Result<(), (String, bool)> {
    let url = gateway.config.ws_api_url.as_str();
    kestrel_net::install_crypto_provider();
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .map_err(|_| ("connect timed out".to_owned(), false))?
    .map_err(|e| (format!("connect: {e}"), false))?;
    let key = gateway.credentials.api_key.as_str();
    let timestamp = gateway.skew.venue_ms();
    let signature = gateway
        .credentials
        .sign(&format!("apiKey={key}&timestamp={timestamp}"));
    let subscribe = serde_json::json!({
        "id": "kestrel-user-data",
        "method": "userDataStream.subscribe.signature",
        "params": { "apiKey": key, "timestamp": timestamp, "signature": signature.as_str() },
    });
    ws.send(Message::Text(subscribe.to_string().into()))
        .await
        .map_err(|e| (format!("subscribe: {e}"), false))?;
    let mut subscribed = false;
    while let Some(message) = ws.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Ping(p)) => {
                ws.send(Message::Pong(p))
                    .await
                    .map_err(|e| (format!("pong: {e}"), subscribed))?;
                continue;
            }
            Ok(Message::Close(frame)) => {
                return Err((format!("closed by the venue: {frame:?}"), subscribed));
            }
            Ok(_) => continue,
            Err(e) => return Err((format!("read: {e}"), subscribed)),
        };
        let event = match read_frame(text.as_str(), gateway) {
            Frame::Subscribed if !subscribed => {
                subscribed = true;
                UserEvent::Connected
            }
            Frame::Subscribed | Frame::Other => continue,
            Frame::Refused(why) => return Err((format!("subscription refused: {why}"), false)),
            Frame::Report(report) => UserEvent::Report(report),
            Frame::Malformed(e) => UserEvent::Malformed(e.to_string()),
        };
        if events.send(event).await.is_err() {
            let _ = ws.close(None).await;
            return Ok(());
        }
    }
    Err(("connection ended".into(), subscribed))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use std::sync::Arc;

    use kestrel_model::{InstrumentId, Symbol, Venue};
    use kestrel_venue::Credentials;

    use super::{Frame, read_frame};
    use crate::execution::{BinanceAccount, BinanceConfig};

    fn report(symbol: &str) -> String {
        format!(
            r#"{{"subscriptionId":0,"event":{{"e":"executionReport","E":1,"s":"{symbol}","c":"km-1-c","S":"BUY","o":"LIMIT","f":"GTC","q":"0.02000000","p":"100.00","x":"NEW","X":"NEW","i":7,"l":"0","z":"0","L":"0","n":"0","N":null,"T":1700000000123,"t":-1,"m":false,"C":""}}}}"#
        )
    }

    /// One account, two markets: its one stream reads each market's
    /// reports on that market's grid, and passes over a third symbol's.
    #[test]
    fn one_account_stream_serves_each_of_its_markets() {
        let account = Arc::new(
            BinanceAccount::new(BinanceConfig::simulator(1), Credentials::new("k", "s")).unwrap(),
        );
        let btc = kestrel_model::testing::instrument("0.01", "0.00001");
        let mut eth = kestrel_model::testing::instrument("0.01", "0.0001");
        eth.id = InstrumentId::from_native(Venue::BinanceSpot, "ETHUSDT").unwrap();
        eth.native_symbol = Symbol::new("ETHUSDT").unwrap();
        let (a, b) = (account.market(btc.clone()), account.market(eth.clone()));
        assert!(Arc::ptr_eq(a.account(), b.account()));
        for (symbol, instrument, lots) in [("BTCUSDT", &btc, 2_000), ("ETHUSDT", &eth, 200)] {
            let Frame::Report(r) = read_frame(&report(symbol), &account) else {
                panic!("{symbol}: not a report");
            };
            assert_eq!(r.instrument, instrument.id);
            // 0.02 on each market's own lot.
            assert_eq!(r.leaves.lots() + r.filled.lots(), lots, "{symbol}");
        }
        assert!(matches!(
            read_frame(&report("XRPUSDT"), &account),
            Frame::Other
        ));
    }
}
