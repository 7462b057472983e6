//! Binance spot order entry over signed REST, against any
//! Binance-compatible endpoint: `kestrel sim serve` by default, the testnet
//! or mainnet by configuration. One [`BinanceAccount`] per account; one
//! [`BinanceExecution`] per market traded on it.

mod account;
mod json;
pub mod user_stream;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kestrel_model::{
    ClientOrderId, Decimal, Instrument, OrderId, OrderType, TimeInForce, UnixNanos,
};
use kestrel_net::Method;

use account::Call;
pub use account::{BinanceAccount, GatewayCounters};
use kestrel_venue::skew::ClockSkew;
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

/// Binance spot order entry for one instrument, on its account
/// ([`BinanceAccount::market`]).
pub struct BinanceExecution {
    account: Arc<BinanceAccount>,
    instrument: Instrument,
}

impl BinanceExecution {
    /// A gateway for `instrument` on an account of its own; call
    /// [`Self::sync_clock`] before trading.
    pub fn new(
        config: BinanceConfig,
        credentials: Credentials,
        instrument: Instrument,
    ) -> Result<Self, VenueError> {
        Ok(Arc::new(BinanceAccount::new(config, credentials)?).market(instrument))
    }

    /// The account it trades on.
    pub fn account(&self) -> &Arc<BinanceAccount> {
        &self.account
    }

    /// The venue's clock as measured.
    pub fn skew(&self) -> &ClockSkew {
        self.account.skew()
    }

    /// What the account's gateway has had to do.
    pub fn counters(&self) -> &GatewayCounters {
        self.account.counters()
    }

    /// Measures the venue's clock against ours (`GET /api/v3/time`).
    pub async fn sync_clock(&self) -> Result<(), VenueError> {
        self.account.sync_clock().await
    }

    /// The account's maker and taker fee rates (`GET /api/v3/account`).
    pub async fn fee_rates(&self) -> Result<(Decimal, Decimal), VenueError> {
        self.account.fee_rates().await
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
        json::orders(&self.account.idempotent(&call).await?, &self.instrument)
    }

    /// The bytes of a new-order request, as they go on the wire (path and
    /// signed query): what the tick-to-order benchmark times.
    pub fn order_request(&self, order: &OrderSpec) -> String {
        self.account
            .signed_path("/api/v3/order", &self.order_params(order))
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
        if o.kind.needs_time_in_force() {
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
        self.account
            .counters
            .lookups
            .fetch_add(1, Ordering::Relaxed);
        match self.order(id).await {
            Ok(o) => Ok(Some(o)),
            Err(VenueError::UnknownOrder) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::PostOnly => "LIMIT_MAKER",
        OrderType::StopMarket => "STOP_LOSS",
        OrderType::StopLimit => "STOP_LOSS_LIMIT",
        OrderType::TakeProfitMarket => "TAKE_PROFIT",
        OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
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
        let mut delay = self.account.config.retry_delay;
        let mut attempt = 1;
        loop {
            let error = match self.account.signed(&call).await {
                Ok(body) => return json::order(&body, &self.instrument),
                // Our id is in use: an earlier attempt got there.
                Err(VenueError::Duplicate) if attempt > 1 => {
                    return self.order(order.id).await;
                }
                Err(e) => e,
            };
            if attempt >= self.account.config.max_attempts {
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
            } else if self.account.worth_retrying(&error).await {
                tokio::time::sleep(delay).await;
            } else {
                return Err(error);
            }
            self.account
                .counters
                .retries
                .fetch_add(1, Ordering::Relaxed);
            delay *= 2;
            attempt += 1;
        }
    }

    async fn cancel(&self, id: ClientOrderId) -> Result<VenueOrder, VenueError> {
        let call = self.order_call(Method::Delete, id, 1);
        match self.account.idempotent(&call).await {
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
        match self.account.idempotent(&call).await {
            Ok(body) => json::orders(&body, &self.instrument),
            // Binance answers "unknown order" when nothing is open.
            Err(VenueError::UnknownOrder) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    async fn order(&self, id: ClientOrderId) -> Result<VenueOrder, VenueError> {
        let body = self
            .account
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
        json::order(&self.account.idempotent(&call).await?, &self.instrument)
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, VenueError> {
        let call = Call {
            method: Method::Get,
            path: "/api/v3/openOrders",
            params: format!("symbol={}", self.symbol()),
            weight: 6,
            is_order: false,
        };
        let body = self.account.idempotent(&call).await?;
        json::orders(&body, &self.instrument)
    }

    async fn orders_from(&self, start: UnixNanos) -> Result<Vec<VenueOrder>, VenueError> {
        const PAGE: usize = 1000;
        const DAY_MS: u64 = 24 * 3_600_000;
        // `start` on the venue's clock, less a second for the skew's error.
        let local_ms = i64::try_from(start.as_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let venue_ms = local_ms
            .saturating_add(self.account.skew.offset_ms())
            .saturating_sub(1_000);
        let start_ms = u64::try_from(venue_ms).unwrap_or(0);
        // The day's window first; when a page is full, on by order id (the
        // venue's ids grow with time), which pages past the window's end.
        let mut params = format!(
            "symbol={}&startTime={start_ms}&endTime={}&limit={PAGE}",
            self.symbol(),
            start_ms + DAY_MS - 1
        );
        let mut out: Vec<VenueOrder> = Vec::new();
        loop {
            let call = Call {
                method: Method::Get,
                path: "/api/v3/allOrders",
                params,
                weight: 20,
                is_order: false,
            };
            let page = json::orders(&self.account.idempotent(&call).await?, &self.instrument)?;
            let full = page.len() >= PAGE;
            let last = page.iter().map(|o| o.order_id.0).max();
            out.extend(page);
            match last {
                Some(last) if full => {
                    params = format!("symbol={}&orderId={}&limit={PAGE}", self.symbol(), last + 1);
                }
                _ => return Ok(out),
            }
        }
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
            let mut page = json::fills(&self.account.idempotent(&call).await?, &self.instrument)?;
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
        let mut fills = json::fills(&self.account.idempotent(&call).await?, &self.instrument)?;
        fills.retain(|f| f.order_id == id);
        Ok(fills)
    }

    async fn balances(&self) -> Result<Vec<VenueBalance>, VenueError> {
        self.account.balances().await
    }
}
