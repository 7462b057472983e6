//! `/ws-api/v3`: Binance's WebSocket API. Order, account and market-data
//! methods are the REST endpoints' own: each call is made a request to the
//! server's router in process, so its parameters, signature, weight, faults
//! and errors are exactly REST's, and the answer comes back in the WebSocket
//! API's envelope. The user-data stream subscription is served here, its
//! events arriving as `{"subscriptionId":…,"event":{…}}`.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::Method;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use kestrel_sim::AccountId;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tower::ServiceExt;

use super::AppState;
use super::ws::{MAX_MESSAGE, account_json};
use crate::error::ApiError;
use crate::exchange::wall_ms;

/// The methods answered by a REST endpoint: name, HTTP method, path, and
/// whether the call is signed (the endpoint checks that itself).
const METHODS: [(&str, Method, &str, bool); 23] = [
    ("order.place", Method::POST, "/api/v3/order", true),
    (
        "order.cancelReplace",
        Method::POST,
        "/api/v3/order/cancelReplace",
        true,
    ),
    ("order.test", Method::POST, "/api/v3/order/test", true),
    ("order.status", Method::GET, "/api/v3/order", true),
    ("order.cancel", Method::DELETE, "/api/v3/order", true),
    ("openOrders.status", Method::GET, "/api/v3/openOrders", true),
    (
        "openOrders.cancelAll",
        Method::DELETE,
        "/api/v3/openOrders",
        true,
    ),
    ("allOrders", Method::GET, "/api/v3/allOrders", true),
    ("myTrades", Method::GET, "/api/v3/myTrades", true),
    ("account.status", Method::GET, "/api/v3/account", true),
    (
        "account.commission",
        Method::GET,
        "/api/v3/account/commission",
        true,
    ),
    ("exchangeInfo", Method::GET, "/api/v3/exchangeInfo", false),
    ("depth", Method::GET, "/api/v3/depth", false),
    ("trades.recent", Method::GET, "/api/v3/trades", false),
    (
        "trades.historical",
        Method::GET,
        "/api/v3/historicalTrades",
        false,
    ),
    ("trades.aggregate", Method::GET, "/api/v3/aggTrades", false),
    ("klines", Method::GET, "/api/v3/klines", false),
    ("uiKlines", Method::GET, "/api/v3/uiKlines", false),
    ("avgPrice", Method::GET, "/api/v3/avgPrice", false),
    ("ticker.24hr", Method::GET, "/api/v3/ticker/24hr", false),
    ("ticker", Method::GET, "/api/v3/ticker", false),
    ("ticker.price", Method::GET, "/api/v3/ticker/price", false),
    (
        "ticker.book",
        Method::GET,
        "/api/v3/ticker/bookTicker",
        false,
    ),
];

pub(super) async fn ws_api(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state))
}

/// One connection's subscriptions and the router its calls go through.
struct Connection {
    state: AppState,
    router: Router,
    /// User-data subscriptions: (id, account).
    subscribed: Vec<(u64, AccountId)>,
    next_id: u64,
    /// The key a `session.logon` authenticated, with its account and
    /// when: signed calls may then leave out `apiKey` and `signature`.
    session: Option<(String, AccountId, u64)>,
    /// When the connection opened, venue ms.
    connected_ms: u64,
}

async fn serve(socket: WebSocket, state: AppState) {
    let (mut tx, mut rx) = socket.split();
    let mut accounts = state.outlets.accounts.subscribe();
    let mut kick = state.kick.subscribe();
    let mut conn = Connection {
        router: super::router(state.clone()),
        connected_ms: state.clock.now_ms(),
        state,
        subscribed: Vec::new(),
        next_id: 0,
        session: None,
    };
    loop {
        let outgoing = tokio::select! {
            event = accounts.recv() => match event {
                Ok(event) => {
                    let Some(&(id, _)) = conn.subscribed.iter().find(|(_, a)| *a == event.account()) else {
                        continue;
                    };
                    conn.state.faults.delay_ack().await;
                    json!({ "subscriptionId": id, "event": account_json(&conn.state, &event) }).to_string()
                }
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
            },
            message = rx.next() => match message {
                Some(Ok(Message::Text(text))) => conn.reply(&text).await,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
            _ = kick.recv() => {
                let _ = tx.send(Message::Close(None)).await;
                break;
            }
        };
        if tx
            .send(Message::Text(Utf8Bytes::from(outgoing)))
            .await
            .is_err()
        {
            break;
        }
    }
}

#[derive(Deserialize)]
struct ApiCall {
    id: Value,
    method: String,
    #[serde(default)]
    params: serde_json::Map<String, Value>,
}

/// A parameter's text: strings as they are, arrays (`symbols`) and numbers
/// as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The parameters but `signature`, sorted by name: what a client signs.
fn sorted(params: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| *k != "signature")
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    pairs.sort();
    pairs
}

impl Connection {
    /// Checks a signed call's own `apiKey`, `signature` and `timestamp`.
    fn verify_call(&self, params: &serde_json::Map<String, Value>) -> Result<AccountId, ApiError> {
        let mut query: String = sorted(params)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        if let Some(sig) = params.get("signature") {
            // As a query would carry it: a base64 signature's `+` and `/`
            // escaped.
            let escaped: String = form_urlencoded::byte_serialize(text(sig).as_bytes()).collect();
            query.push_str(&format!("&signature={escaped}"));
        }
        let key = params.get("apiKey").map(text);
        self.state.keys.verify(
            key.as_deref(),
            &query,
            "",
            self.state.clock.signing(wall_ms()),
        )
    }

    /// In a logged-on session, a signed call without its own signature is
    /// signed with the session key's server-side secret, so the REST
    /// endpoint checks it (and its timestamp) as any other.
    fn sign_for_session(&self, params: &mut serde_json::Map<String, Value>) {
        let Some((key, ..)) = &self.session else {
            return;
        };
        if params.contains_key("signature") {
            return;
        }
        let Some(api_key) = self.state.keys.0.iter().find(|k| &k.key == key) else {
            return;
        };
        params.insert("apiKey".into(), Value::String(key.clone()));
        let payload = sorted(params)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let signature = crate::auth::sign(&api_key.secret, &payload);
        params.insert("signature".into(), Value::String(signature));
    }

    /// `session.status`'s answer.
    fn session_status(&self) -> Value {
        let (key, since) = match &self.session {
            Some((key, _, since)) => (Value::String(key.clone()), Value::from(*since)),
            None => (Value::Null, Value::Null),
        };
        json!({
            "apiKey": key,
            "authorizedSince": since,
            "connectedSince": self.connected_ms,
            "returnRateLimits": true,
            "serverTime": self.state.clock.now_ms(),
            "userDataStream": !self.subscribed.is_empty(),
        })
    }

    async fn reply(&mut self, message: &str) -> String {
        let Ok(call) = serde_json::from_str::<ApiCall>(message) else {
            return json!({ "id": null, "status": 400, "error": { "code": -1100, "msg": "Malformed request." } }).to_string();
        };
        let ok = |result: Value, used: Option<u32>| {
            let limits = used.map_or_else(Vec::new, |count| {
                vec![json!({
                    "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                    "limit": self.state.weight.limit(), "count": count,
                })]
            });
            json!({ "id": call.id, "status": 200, "result": result, "rateLimits": limits })
                .to_string()
        };
        let err = |status: u16, code: i64, msg: &str| {
            json!({ "id": call.id, "status": status, "error": { "code": code, "msg": msg } })
                .to_string()
        };
        let route = METHODS
            .iter()
            .find(|(name, ..)| *name == call.method)
            .map(|(_, method, path, signed)| (method.clone(), *path, *signed));
        if let Some((method, path, signed)) = route {
            let mut params = call.params.clone();
            if signed {
                self.sign_for_session(&mut params);
            }
            let (status, body, used) = self.forward(method, path, &params).await;
            return if status == 200 {
                ok(body, used)
            } else {
                let code = body["code"].as_i64().unwrap_or(-1000);
                err(status, code, body["msg"].as_str().unwrap_or("error"))
            };
        }
        match call.method.as_str() {
            "ping" => ok(json!({}), None),
            "time" => ok(json!({ "serverTime": self.state.clock.now_ms() }), None),
            "session.logon" => match self.verify_call(&call.params) {
                Ok(account) => {
                    let key = call.params.get("apiKey").map(text).unwrap_or_default();
                    self.session = Some((key, account, self.state.clock.now_ms()));
                    ok(self.session_status(), None)
                }
                Err(e) => err(e.status.as_u16(), i64::from(e.code), &e.msg),
            },
            "session.status" => ok(self.session_status(), None),
            "session.logout" => {
                self.session = None;
                ok(self.session_status(), None)
            }
            "userDataStream.subscribe" => match &self.session {
                Some((_, account, _)) => {
                    let (id, account) = (self.next_id, *account);
                    self.next_id += 1;
                    self.subscribed.push((id, account));
                    ok(json!({ "subscriptionId": id }), None)
                }
                None => err(
                    401,
                    -2015,
                    "Invalid API-key, IP, or permissions for action.",
                ),
            },
            "userDataStream.subscribe.signature" => match self.verify_call(&call.params) {
                Ok(account) => {
                    let id = self.next_id;
                    self.next_id += 1;
                    self.subscribed.push((id, account));
                    ok(json!({ "subscriptionId": id }), None)
                }
                Err(e) => err(e.status.as_u16(), i64::from(e.code), &e.msg),
            },
            "userDataStream.unsubscribe" => {
                match call.params.get("subscriptionId").and_then(Value::as_u64) {
                    Some(id) => self.subscribed.retain(|(s, _)| *s != id),
                    None => self.subscribed.clear(),
                }
                ok(json!({}), None)
            }
            _ => {
                let e = ApiError::with_code(-1100, "Unknown method.");
                err(e.status.as_u16(), i64::from(e.code), &e.msg)
            }
        }
    }

    /// The call as a request to the REST endpoint: the parameters as its
    /// query (sorted, form-encoded; the signature checks against their
    /// decoded text, which is what a WebSocket API client signs), the API
    /// key as its header. Its status, JSON body and the minute's weight.
    async fn forward(
        &self,
        method: Method,
        path: &str,
        params: &serde_json::Map<String, Value>,
    ) -> (u16, Value, Option<u32>) {
        let uri = {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in sorted(params) {
                query.append_pair(&k, &v);
            }
            if let Some(sig) = params.get("signature") {
                query.append_pair("signature", &text(sig));
            }
            format!("{path}?{}", query.finish())
        };
        let mut request = axum::http::Request::builder().method(method).uri(uri);
        if let Some(key) = params.get("apiKey") {
            request = request.header("X-MBX-APIKEY", text(key));
        }
        let Ok(request) = request.body(axum::body::Body::empty()) else {
            return (
                400,
                json!({ "code": -1100, "msg": "Malformed request." }),
                None,
            );
        };
        let Ok(response) = self.router.clone().oneshot(request).await;
        let status = response.status().as_u16();
        let used = response
            .headers()
            .get("x-mbx-used-weight-1m")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let body = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        (status, body, used)
    }
}
