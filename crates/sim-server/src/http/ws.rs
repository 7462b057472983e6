//! WebSocket streams: market data on `/ws/<stream>`, `/stream?streams=…`
//! and `/ws` with `SUBSCRIBE`; a listen key in the same places gives that
//! account's user-data events.

use std::collections::HashSet;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use kestrel_sim::AccountId;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::error::ApiError;
use crate::exchange::AccountEvent;
use crate::replay::MarketFrame;
use crate::streams::{self, Stream};
use crate::wire;

/// How the server pings idle clients, as Binance does.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Most streams one connection may hold, Binance's limit.
const MAX_STREAMS: usize = 1024;
/// Largest message (and frame) a client may send: a `SUBSCRIBE` of the
/// most streams fits many times over.
pub(super) const MAX_MESSAGE: usize = 64 * 1024;

/// What a connection receives.
struct Subscriptions {
    /// Wrap each message as `{"stream":…,"data":…}`.
    combined: bool,
    /// Market streams, by the name the client gave.
    streams: Vec<(String, Stream)>,
    /// The names in `streams`, for de-duplication in O(1).
    names: HashSet<String>,
    /// Listen keys subscribed, with their accounts.
    accounts: Vec<(String, AccountId)>,
}

/// What a name asks for.
enum Wanted {
    Market(Stream),
    Account(AccountId),
}

impl Subscriptions {
    fn new(combined: bool) -> Self {
        Self {
            combined,
            streams: Vec::new(),
            names: HashSet::new(),
            accounts: Vec::new(),
        }
    }

    /// Adds every name, or none: a name the server does not serve, or one
    /// stream too many, refuses the lot; the message says which.
    fn add_all(&mut self, state: &AppState, names: &[String]) -> Result<(), String> {
        let symbol = state.instrument.native_symbol.as_str().to_ascii_lowercase();
        let mut wanted = Vec::with_capacity(names.len());
        let mut fresh = HashSet::new();
        for name in names {
            let what = if name.contains('@') || name.starts_with('!') {
                streams::parse(name, &symbol, state.futures).map(Wanted::Market)
            } else {
                state
                    .listen_keys
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get(name.as_str())
                    .copied()
                    .map(Wanted::Account)
            };
            let what = what.ok_or_else(|| format!("Invalid request: unknown stream '{name}'"))?;
            if matches!(what, Wanted::Market(_)) && !self.names.contains(name) {
                fresh.insert(name.as_str());
            }
            wanted.push((name, what));
        }
        if self.streams.len() + fresh.len() > MAX_STREAMS {
            return Err(format!(
                "Invalid request: at most {MAX_STREAMS} streams a connection"
            ));
        }
        for (name, what) in wanted {
            match what {
                Wanted::Market(stream) => {
                    if self.names.insert(name.clone()) {
                        self.streams.push((name.clone(), stream));
                    }
                }
                Wanted::Account(account) => {
                    if !self.accounts.iter().any(|(k, _)| k == name) {
                        self.accounts.push((name.clone(), account));
                    }
                }
            }
        }
        Ok(())
    }

    fn remove_all(&mut self, names: &[String]) {
        let gone: HashSet<&str> = names.iter().map(String::as_str).collect();
        self.streams.retain(|(n, _)| !gone.contains(n.as_str()));
        self.names.retain(|n| !gone.contains(n.as_str()));
        self.accounts.retain(|(k, _)| !gone.contains(k.as_str()));
    }

    /// The messages a market frame makes for this connection: one per
    /// stream subscribed that carries it, in the all-market form an array.
    fn deliver(&self, frame: &MarketFrame) -> Vec<String> {
        let mut out = Vec::new();
        for (name, stream) in &self.streams {
            if stream.kind != frame.kind {
                continue;
            }
            let payload = String::from_utf8_lossy(&frame.payload);
            if stream.all_market {
                out.push(self.wrap(name, &format!("[{payload}]")));
            } else {
                out.push(self.wrap(name, &payload));
            }
        }
        out
    }

    fn wrap(&self, stream: &str, payload: &str) -> String {
        if self.combined {
            format!("{{\"stream\":\"{stream}\",\"data\":{payload}}}")
        } else {
            payload.to_owned()
        }
    }
}

pub(super) async fn bare(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    upgrade(ws, state, false, Vec::new())
}

/// `/ws/<stream>` and `/ws/<a>/<b>`: the raw form, several names apart by
/// `/`. A segment of digits alone names a connection, not a stream
/// (ccxt.pro opens `/ws/0`, `/ws/1`, … and subscribes by message, as
/// Binance allows): it opens with nothing subscribed.
pub(super) async fn raw(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Path(streams): Path<String>,
) -> Response {
    let names = streams
        .split('/')
        .filter(|s| !s.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    upgrade(ws, state, false, names)
}

#[derive(Deserialize)]
pub(super) struct PrivateQuery {
    #[serde(rename = "listenKey")]
    listen_key: Option<String>,
}

/// The futures venue's private stream: `/private/ws?listenKey=…`.
pub(super) async fn private(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Query(q): Query<PrivateQuery>,
) -> Response {
    upgrade(ws, state, false, q.listen_key.into_iter().collect())
}

#[derive(Deserialize)]
pub(super) struct CombinedQuery {
    streams: Option<String>,
}

pub(super) async fn combined(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Query(q): Query<CombinedQuery>,
) -> Response {
    let names = q
        .streams
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    upgrade(ws, state, true, names)
}

/// Upgrades with the streams the URL names: a name the server does not
/// serve refuses the upgrade with Binance's error, before any socket.
fn upgrade(ws: WebSocketUpgrade, state: AppState, combined: bool, names: Vec<String>) -> Response {
    use axum::response::IntoResponse;
    let mut subs = Subscriptions::new(combined);
    if let Err(why) = subs.add_all(&state, &names) {
        return ApiError::with_code(-1100, why).into_response();
    }
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, subs))
}

#[derive(Deserialize)]
struct Method {
    method: String,
    #[serde(default)]
    params: Vec<String>,
    id: Value,
}

/// Pumps one connection until either side closes it or a fault kicks it.
async fn serve(socket: WebSocket, state: AppState, mut subs: Subscriptions) {
    let (mut tx, mut rx) = socket.split();
    let mut market = state.outlets.market.subscribe();
    let mut accounts = state.outlets.accounts.subscribe();
    let mut kick = state.kick.subscribe();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let outgoing = tokio::select! {
            frame = market.recv() => match frame {
                Ok(frame) => {
                    let messages = subs.deliver(&frame);
                    if messages.is_empty() {
                        continue;
                    }
                    messages
                }
                // A client too slow for the stream is cut off, as Binance does.
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
            },
            event = accounts.recv() => match event {
                Ok(event) => {
                    let Some(text) = account_message(&state, &subs, &event) else { continue };
                    state.faults.delay_ack().await;
                    vec![text]
                }
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
            },
            message = rx.next() => match message {
                Some(Ok(Message::Text(text))) => match control_reply(&state, &mut subs, &text) {
                    Some(reply) => vec![reply],
                    None => continue,
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
            _ = kick.recv() => {
                let _ = tx.send(Message::Close(None)).await;
                break;
            }
            _ = ping.tick() => {
                if tx.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
                continue;
            }
        };
        for text in outgoing {
            if tx.send(Message::Text(Utf8Bytes::from(text))).await.is_err() {
                return;
            }
        }
    }
}

/// An account event as Binance's JSON.
pub(super) fn account_json(state: &AppState, event: &AccountEvent) -> Value {
    let now = state.clock.now_ms();
    match event {
        // A conditional order's own changes are the algo service's; its
        // fills, once triggered, the book's.
        AccountEvent::Report(r, record)
            if state.futures
                && record.request.kind.has_trigger_price()
                && !matches!(r.kind, kestrel_sim::ExecKind::Trade(_)) =>
        {
            crate::futures::wire::algo_update(record, &state.instrument, now)
        }
        AccountEvent::Report(r, record) if state.futures => {
            crate::futures::wire::order_trade_update(r, record, &state.instrument, now)
        }
        AccountEvent::Report(r, record) => {
            wire::execution_report(r, record, &state.instrument, now)
        }
        AccountEvent::Balances(_, balances) => wire::account_position(balances, now),
        AccountEvent::Margin(_, update) => {
            crate::futures::wire::account_update(update, &state.instrument, now)
        }
        AccountEvent::Liquidated(l, at) => {
            crate::futures::wire::liquidation_update(l, &state.instrument, *at)
        }
    }
}

/// The event for a listen key this connection holds, rendered; other
/// accounts' events are not rendered at all.
fn account_message(state: &AppState, subs: &Subscriptions, event: &AccountEvent) -> Option<String> {
    let (key, _) = subs.accounts.iter().find(|(_, a)| *a == event.account())?;
    Some(subs.wrap(key, &account_json(state, event).to_string()))
}

/// Answers `SUBSCRIBE`, `UNSUBSCRIBE` and `LIST_SUBSCRIPTIONS`.
fn control_reply(state: &AppState, subs: &mut Subscriptions, text: &str) -> Option<String> {
    let Ok(m) = serde_json::from_str::<Method>(text) else {
        return Some(json!({ "error": { "code": 2, "msg": "Invalid request" } }).to_string());
    };
    let result = match m.method.as_str() {
        "SUBSCRIBE" => {
            if let Err(msg) = subs.add_all(state, &m.params) {
                return Some(json!({ "error": { "code": 2, "msg": msg }, "id": m.id }).to_string());
            }
            Value::Null
        }
        "UNSUBSCRIBE" => {
            subs.remove_all(&m.params);
            Value::Null
        }
        "LIST_SUBSCRIPTIONS" => {
            let names: Vec<&str> = subs.streams.iter().map(|(n, _)| n.as_str()).collect();
            json!(names)
        }
        _ => {
            return Some(
                json!({ "error": { "code": 1, "msg": "Unknown method" }, "id": m.id }).to_string(),
            );
        }
    };
    Some(json!({ "result": result, "id": m.id }).to_string())
}
