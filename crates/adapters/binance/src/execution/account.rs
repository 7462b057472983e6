//! A Binance account: the signed REST calls, and the guards around them,
//! that every market traded on it shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use kestrel_model::{Decimal, DecimalText, Instrument};
use kestrel_net::{Method, RestClient, RestConfig, RestRequest};
use kestrel_venue::breaker::CircuitBreaker;
use kestrel_venue::skew::{ClockSkew, local_ms};
use kestrel_venue::throttle::OrderRateLimit;
use kestrel_venue::{Credentials, VenueBalance, VenueError};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Bytes;

use super::{BinanceConfig, BinanceExecution, json};

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

/// A Binance spot account: signed REST with the account's order limits,
/// circuit breaker and clock, shared by the order entry of every market it
/// trades ([`Self::market`]), and one user-data stream for all of them.
pub struct BinanceAccount {
    rest: RestClient,
    pub(super) config: BinanceConfig,
    pub(super) credentials: Credentials,
    pub(super) skew: ClockSkew,
    guards: Mutex<Guards>,
    pub(super) counters: GatewayCounters,
    /// The markets traded through it, whose reports its stream reads.
    markets: RwLock<Vec<Instrument>>,
}

/// One call's request: method, path, unsigned parameters, weight, and
/// whether it counts as an order.
pub(super) struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub params: String,
    pub weight: u32,
    pub is_order: bool,
}

impl BinanceAccount {
    /// An account at `config`'s venue; call [`Self::sync_clock`] before
    /// trading, and [`Self::market`] for each instrument it trades.
    pub fn new(config: BinanceConfig, credentials: Credentials) -> Result<Self, VenueError> {
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
            skew: ClockSkew::default(),
            guards: Mutex::new(guards),
            counters: GatewayCounters::default(),
            markets: RwLock::new(Vec::new()),
        })
    }

    /// Order entry for `instrument` on this account: its orders share the
    /// account's order limits, breaker and clock, and its reports come on
    /// the account's one user stream.
    pub fn market(self: &Arc<Self>, instrument: Instrument) -> BinanceExecution {
        if let Ok(mut markets) = self.markets.write() {
            if !markets.iter().any(|m| m.id == instrument.id) {
                markets.push(instrument.clone());
            }
        }
        BinanceExecution {
            account: Arc::clone(self),
            instrument,
        }
    }

    /// The instrument of a native symbol this account trades.
    pub(crate) fn instrument_of(&self, symbol: &str) -> Option<Instrument> {
        let markets = self.markets.read().ok()?;
        markets
            .iter()
            .find(|m| m.native_symbol.as_str() == symbol)
            .cloned()
    }

    /// Every asset's balance (`GET /api/v3/account`): one answer for the
    /// whole account, whichever markets share its assets.
    pub async fn balances(&self) -> Result<Vec<VenueBalance>, VenueError> {
        json::balances(&self.idempotent(&account_call()).await?)
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
    pub(super) fn signed_path(&self, path: &str, params: &str) -> String {
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

    /// One signed call, through the breaker and the order limits.
    pub(super) async fn signed(&self, call: &Call<'_>) -> Result<Bytes, VenueError> {
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
    pub(super) async fn idempotent(&self, call: &Call<'_>) -> Result<Bytes, VenueError> {
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
    pub(super) async fn worth_retrying(&self, e: &VenueError) -> bool {
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
}

pub(super) fn account_call() -> Call<'static> {
    Call {
        method: Method::Get,
        path: "/api/v3/account",
        params: "omitZeroBalances=false".into(),
        weight: 20,
        is_order: false,
    }
}
