//! Binance spot order entry over signed REST, against any
//! Binance-compatible endpoint: `kestrel sim serve` by default, the testnet
//! or mainnet by configuration.

mod json;
pub mod user_stream;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kestrel_model::{
    ClientOrderId, Decimal, DecimalText, Instrument, OrderId, OrderType, TimeInForce,
};
use kestrel_net::{Method, RestClient, RestConfig, RestRequest};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Bytes;

use kestrel_venue::breaker::CircuitBreaker;
use kestrel_venue::skew::{ClockSkew, local_ms};
use kestrel_venue::throttle::OrderRateLimit;
use kestrel_venue::{
    Credentials, ExecutionClient, OrderSpec, VenueBalance, VenueError, VenueFill, VenueOrder,
};

/// Where and how to reach a Binance-compatible venue.
#[derive(Clone, Debug)]
pub struct BinanceConfig {
    /// REST base, e.g. `http://127.0.0.1:8765` or `https://api.binance.com`.
    pub rest_url: String,
    /// WebSocket API, e.g. `ws://127.0.0.1:8765/ws-api/v3`.
    pub ws_api_url: String,
    /// `recvWindow` of signed calls.
    pub recv_window_ms: u64,
    /// Limit for one REST call.
    pub timeout: Duration,
    /// Attempts of an idempotent call before giving up.
    pub max_attempts: u32,
    /// Wait before the first retry, doubled on each further one.
    pub retry_delay: Duration,
    /// The venue's order-count limits.
    pub orders_per_10s: usize,
    /// The venue's daily order limit.
    pub orders_per_day: usize,
    /// Request weight per minute.
    pub weight_per_minute: u32,
    /// Failures in a row that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the breaker stays open.
    pub breaker_cool_down: Duration,
}

impl BinanceConfig {
    /// Binance spot's limits at `rest_url` / `ws_api_url`.
    pub fn new(rest_url: impl Into<String>, ws_api_url: impl Into<String>) -> Self {
        Self {
            rest_url: rest_url.into(),
            ws_api_url: ws_api_url.into(),
            recv_window_ms: 5_000,
            timeout: Duration::from_secs(5),
            max_attempts: 4,
            retry_delay: Duration::from_millis(50),
            orders_per_10s: 100,
            orders_per_day: 200_000,
            weight_per_minute: 6_000,
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(2),
        }
    }

    /// Our simulator on 127.0.0.1:`port`.
    pub fn simulator(port: u16) -> Self {
        Self::new(
            format!("http://127.0.0.1:{port}"),
            format!("ws://127.0.0.1:{port}/ws-api/v3"),
        )
    }

    /// Binance's spot testnet.
    pub fn testnet() -> Self {
        Self::new(
            "https://testnet.binance.vision",
            "wss://ws-api.testnet.binance.vision/ws-api/v3",
        )
    }

    /// Binance spot.
    pub fn mainnet() -> Self {
        Self::new(
            "https://api.binance.com",
            "wss://ws-api.binance.com:443/ws-api/v3",
        )
    }
}

/// What the gateway has had to do, for the shutdown summary and metrics.
#[derive(Debug, Default)]
pub struct GatewayCounters {
    /// Calls retried after a transient failure.
    pub retries: AtomicU64,
    /// Submits whose outcome was unknown and were looked up by client id.
    pub lookups: AtomicU64,
    /// Calls refused locally by the breaker or the order limits.
    pub refused: AtomicU64,
    /// Clock re-syncs after the venue refused a timestamp.
    pub resyncs: AtomicU64,
}

struct Guards {
    breaker: CircuitBreaker,
    per_10s: OrderRateLimit,
    per_day: OrderRateLimit,
}

/// Binance spot order entry for one instrument.
pub struct BinanceExecution {
    rest: RestClient,
    config: BinanceConfig,
    credentials: Credentials,
    instrument: Instrument,
    skew: ClockSkew,
    guards: Mutex<Guards>,
    counters: GatewayCounters,
}

/// One call's request: method, path, unsigned parameters, weight, and
/// whether it counts as an order.
struct Call<'a> {
    method: Method,
    path: &'a str,
    params: String,
    weight: u32,
    is_order: bool,
}

impl BinanceExecution {
    /// A gateway for `instrument`; call [`Self::sync_clock`] before trading.
    pub fn new(
        config: BinanceConfig,
        credentials: Credentials,
        instrument: Instrument,
    ) -> Result<Self, VenueError> {
        let mut rest = RestConfig::new(config.rest_url.clone());
        rest.timeout = config.timeout;
        rest.weight_per_minute = config.weight_per_minute;
        let guards = Guards {
            breaker: CircuitBreaker::new(config.breaker_failures, config.breaker_cool_down),
            per_10s: OrderRateLimit::new(
                "orders per 10 s",
                config.orders_per_10s,
                Duration::from_secs(10),
            ),
            per_day: OrderRateLimit::new(
                "orders per day",
                config.orders_per_day,
                Duration::from_secs(86_400),
            ),
        };
        Ok(Self {
            rest: RestClient::new(rest)?,
            config,
            credentials,
            instrument,
            skew: ClockSkew::default(),
            guards: Mutex::new(guards),
            counters: GatewayCounters::default(),
        })
    }

    /// The venue's clock as measured.
    pub fn skew(&self) -> &ClockSkew {
        &self.skew
    }

    /// What the gateway has had to do.
    pub fn counters(&self) -> &GatewayCounters {
        &self.counters
    }

    /// Measures the venue's clock against ours (`GET /api/v3/time`).
    pub async fn sync_clock(&self) -> Result<(), VenueError> {
        let sent = local_ms();
        let body = self
            .rest
            .send(RestRequest {
                method: Method::Get,
                path_and_query: "/api/v3/time",
                body: None,
                api_key: None,
                weight: 1,
            })
            .await?;
        let received = local_ms();
        self.skew.update(sent, json::server_time(&body)?, received);
        Ok(())
    }

    /// Every order of the account on this symbol, open or done
    /// (`GET /api/v3/allOrders`, the latest 1000): for audits.
    pub async fn all_orders(&self) -> Result<Vec<VenueOrder>, VenueError> {
        let call = Call {
            method: Method::Get,
            path: "/api/v3/allOrders",
            params: format!("symbol={}&limit=1000", self.symbol()),
            weight: 20,
            is_order: false,
        };
        json::orders(&self.idempotent(&call).await?, &self.instrument)
    }

    /// The account's maker and taker fee rates (`GET /api/v3/account`).
    pub async fn fee_rates(&self) -> Result<(Decimal, Decimal), VenueError> {
        json::fee_rates(&self.idempotent(&account_call()).await?)
    }

    fn guards(&self) -> std::sync::MutexGuard<'_, Guards> {
        // The guards are counters; a panic elsewhere leaves them usable.
        self.guards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Path and query of a signed call: the parameters, `recvWindow`, the
    /// venue's time, and the HMAC-SHA256 signature of all of them.
    /// `path?params&recvWindow=…&timestamp=…&signature=…`, built in one
    /// buffer: it is on the way from a decision to the wire.
    fn signed_path(&self, path: &str, params: &str) -> String {
        let mut out = String::with_capacity(path.len() + params.len() + 160);
        out.push_str(path);
        out.push('?');
        let query = out.len();
        out.push_str(params);
        if !params.is_empty() {
            out.push('&');
        }
        let recv_window = i64::try_from(self.config.recv_window_ms).unwrap_or(i64::MAX);
        out.push_str("recvWindow=");
        out.push_str(DecimalText::integer(recv_window).as_str());
        out.push_str("&timestamp=");
        out.push_str(DecimalText::integer(self.skew.venue_ms()).as_str());
        let signature = self.credentials.sign(&out[query..]);
        out.push_str("&signature=");
        out.push_str(signature.as_str());
        out
    }

    /// The bytes of a new-order request, as they go on the wire (path and
    /// signed query): what the tick-to-order benchmark times.
    pub fn order_request(&self, order: &OrderSpec) -> String {
        self.signed_path("/api/v3/order", &self.order_params(order))
    }

    /// One signed call, through the breaker and the order limits.
    async fn signed(&self, call: &Call<'_>) -> Result<Bytes, VenueError> {
        {
            let now = Instant::now();
            let mut g = self.guards();
            let admitted = g
                .breaker
                .admit(now)
                .map_err(VenueError::CircuitOpen)
                .and_then(|()| {
                    if call.is_order {
                        g.per_10s
                            .try_acquire(now)
                            .and_then(|()| g.per_day.try_acquire(now))
                            .map_err(|(name, wait)| VenueError::Throttled(name, wait))
                    } else {
                        Ok(())
                    }
                });
            if let Err(e) = admitted {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        }
        let path = self.signed_path(call.path, &call.params);
        let result = self
            .rest
            .send(RestRequest {
                method: call.method,
                path_and_query: &path,
                body: None,
                api_key: Some(&self.credentials.api_key),
                weight: call.weight,
            })
            .await
            .map_err(VenueError::from);
        let mut g = self.guards();
        match &result {
            Err(e) if e.trips_breaker() => g.breaker.on_failure(Instant::now()),
            _ => g.breaker.on_success(),
        }
        result
    }

    /// A call that is safe to repeat: retried on transient failures, with
    /// the clock re-synced after a refused timestamp.
    async fn idempotent(&self, call: &Call<'_>) -> Result<Bytes, VenueError> {
        let mut delay = self.config.retry_delay;
        let mut attempt = 1;
        loop {
            match self.signed(call).await {
                Err(e) if attempt < self.config.max_attempts && self.worth_retrying(&e).await => {
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Whether `e` is worth another attempt soon; re-syncs the clock first
    /// if that was the trouble.
    async fn worth_retrying(&self, e: &VenueError) -> bool {
        match e {
            VenueError::ClockSkew(_) => {
                self.counters.resyncs.fetch_add(1, Ordering::Relaxed);
                self.sync_clock().await.is_ok()
            }
            VenueError::RateLimited { retry_after } | VenueError::Throttled(_, retry_after) => {
                *retry_after <= Duration::from_secs(1)
            }
            // A breaker that opened stays open longer than a retry waits.
            VenueError::CircuitOpen(_) => false,
            e => e.is_transient(),
        }
    }

    fn symbol(&self) -> &str {
        self.instrument.native_symbol.as_str()
    }

    fn order_params(&self, o: &OrderSpec) -> String {
        let i = &self.instrument;
        let side = match o.side {
            kestrel_model::Side::Buy => "BUY",
            kestrel_model::Side::Sell => "SELL",
        };
        let mut p = String::with_capacity(160);
        for part in [
            "symbol=",
            self.symbol(),
            "&side=",
            side,
            "&type=",
            order_type(o.kind),
            "&quantity=",
            o.qty.display(&i.lot).as_str(),
            "&newClientOrderId=",
            o.id.as_str(),
            "&newOrderRespType=RESULT",
        ] {
            p.push_str(part);
        }
        if let Some(price) = o.price.filter(|_| o.kind.has_limit_price()) {
            p.push_str("&price=");
            p.push_str(price.display(&i.tick).as_str());
        }
        if matches!(o.kind, OrderType::Limit | OrderType::StopLimit) {
            p.push_str("&timeInForce=");
            p.push_str(time_in_force(o.time_in_force));
        }
        p
    }

    fn order_call(&self, method: Method, id: ClientOrderId, weight: u32) -> Call<'static> {
        Call {
            method,
            path: "/api/v3/order",
            params: format!("symbol={}&origClientOrderId={}", self.symbol(), id.as_str()),
            weight,
            is_order: false,
        }
    }

    /// Looks an order up after a submit of unknown outcome: `Some` if the
    /// venue has it, `None` if it certainly never arrived.
    async fn look_up(&self, id: ClientOrderId) -> Result<Option<VenueOrder>, VenueError> {
        self.counters.lookups.fetch_add(1, Ordering::Relaxed);
        match self.order(id).await {
            Ok(o) => Ok(Some(o)),
            Err(VenueError::UnknownOrder) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn account_call() -> Call<'static> {
    Call {
        method: Method::Get,
        path: "/api/v3/account",
        params: "omitZeroBalances=false".into(),
        weight: 20,
        is_order: false,
    }
}

fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::PostOnly => "LIMIT_MAKER",
        OrderType::StopMarket => "STOP_LOSS",
        OrderType::StopLimit => "STOP_LOSS_LIMIT",
    }
}

fn time_in_force(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc | TimeInForce::Gtx => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

impl ExecutionClient for BinanceExecution {
    fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    async fn submit(&self, order: &OrderSpec) -> Result<VenueOrder, VenueError> {
        let call = Call {
            method: Method::Post,
            path: "/api/v3/order",
            params: self.order_params(order),
            weight: 1,
            is_order: true,
        };
        let mut delay = self.config.retry_delay;
        let mut attempt = 1;
        loop {
            let error = match self.signed(&call).await {
                Ok(body) => return json::order(&body, &self.instrument),
                // Our id is in use: an earlier attempt got there.
                Err(VenueError::Duplicate) if attempt > 1 => {
                    return self.order(order.id).await;
                }
                Err(e) => e,
            };
            if attempt >= self.config.max_attempts {
                return Err(error);
            }
            if error.outcome_unknown() {
                // Resend only once the venue says it never saw the id: a
                // filled order's id may be reused on Binance, so a blind
                // resend could trade twice.
                tokio::time::sleep(delay).await;
                if let Some(found) = self.look_up(order.id).await? {
                    return Ok(found);
                }
            } else if self.worth_retrying(&error).await {
                tokio::time::sleep(delay).await;
            } else {
                return Err(error);
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            delay *= 2;
            attempt += 1;
        }
    }

    async fn cancel(&self, id: ClientOrderId) -> Result<VenueOrder, VenueError> {
        let call = self.order_call(Method::Delete, id, 1);
        match self.idempotent(&call).await {
            Ok(body) => json::order(&body, &self.instrument),
            Err(e) => Err(e),
        }
    }

    async fn cancel_all(&self) -> Result<Vec<VenueOrder>, VenueError> {
        let call = Call {
            method: Method::Delete,
            path: "/api/v3/openOrders",
            params: format!("symbol={}", self.symbol()),
            weight: 1,
            is_order: false,
        };
        match self.idempotent(&call).await {
            Ok(body) => json::orders(&body, &self.instrument),
            // Binance answers "unknown order" when nothing is open.
            Err(VenueError::UnknownOrder) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    async fn order(&self, id: ClientOrderId) -> Result<VenueOrder, VenueError> {
        let body = self
            .idempotent(&self.order_call(Method::Get, id, 4))
            .await?;
        json::order(&body, &self.instrument)
    }

    async fn order_by_venue_id(&self, id: OrderId) -> Result<VenueOrder, VenueError> {
        let call = Call {
            method: Method::Get,
            path: "/api/v3/order",
            params: format!("symbol={}&orderId={}", self.symbol(), id.0),
            weight: 4,
            is_order: false,
        };
        json::order(&self.idempotent(&call).await?, &self.instrument)
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, VenueError> {
        let call = Call {
            method: Method::Get,
            path: "/api/v3/openOrders",
            params: format!("symbol={}", self.symbol()),
            weight: 6,
            is_order: false,
        };
        let body = self.idempotent(&call).await?;
        json::orders(&body, &self.instrument)
    }

    async fn fills(&self, from_trade_id: u64) -> Result<Vec<VenueFill>, VenueError> {
        const PAGE: usize = 1000;
        let mut out = Vec::new();
        let mut from = from_trade_id;
        loop {
            let call = Call {
                method: Method::Get,
                path: "/api/v3/myTrades",
                params: format!("symbol={}&fromId={from}&limit={PAGE}", self.symbol()),
                weight: 20,
                is_order: false,
            };
            let mut page = json::fills(&self.idempotent(&call).await?, &self.instrument)?;
            page.retain(|f| f.trade_id >= from);
            let full = page.len() == PAGE;
            from = page.last().map_or(from, |f| f.trade_id + 1);
            out.extend(page);
            if !full {
                return Ok(out);
            }
        }
    }

    async fn order_fills(&self, id: OrderId) -> Result<Vec<VenueFill>, VenueError> {
        let call = Call {
            method: Method::Get,
            path: "/api/v3/myTrades",
            params: format!("symbol={}&orderId={}", self.symbol(), id.0),
            weight: 5,
            is_order: false,
        };
        let mut fills = json::fills(&self.idempotent(&call).await?, &self.instrument)?;
        fills.retain(|f| f.order_id == id);
        Ok(fills)
    }

    async fn balances(&self) -> Result<Vec<VenueBalance>, VenueError> {
        json::balances(&self.idempotent(&account_call()).await?)
    }
}
