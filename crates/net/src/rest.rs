//! The REST client: timeouts, venue rate limits and request weights.
//!
//! Binance counts a *weight* per request against a per-minute budget per IP
//! and reports what is used in `X-MBX-USED-WEIGHT-1M`. Going over it gets
//! HTTP 429 with `Retry-After`; carrying on after a 429 gets HTTP 418, an
//! IP ban of minutes to days. So the client:
//!
//! * refuses locally a request whose weight would exceed the budget, until
//!   the minute turns ([`RestError::WeightBudget`]);
//! * on 429 or 418 stops *all* requests until `Retry-After` has passed
//!   ([`RestError::Blocked`]), rather than letting callers retry into a ban;
//! * trusts the venue's own used-weight header over its local count.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Bytes;

/// Settings of a [`RestClient`].
#[derive(Clone, Debug)]
pub struct RestConfig {
    /// Scheme, host and port, e.g. `https://fapi.binance.com`.
    pub base_url: String,
    /// Limit for one request, connect to last byte.
    pub timeout: Duration,
    /// Request weight allowed per minute (Binance spot 6000, futures 2400).
    pub weight_per_minute: u32,
    /// Wait assumed after a 429/418 that carries no `Retry-After`.
    pub default_retry_after: Duration,
    /// Largest response body read; a longer one is refused, so a hostile
    /// or broken server cannot exhaust memory. Binance spot's full
    /// `exchangeInfo` is some 20 MB.
    pub max_body_bytes: usize,
}

impl RestConfig {
    /// Ten-second timeout and the futures budget of 2400 per minute.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            timeout: Duration::from_secs(10),
            weight_per_minute: 2400,
            default_retry_after: Duration::from_secs(60),
            max_body_bytes: 64 << 20,
        }
    }
}

/// Why a request gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// No answer within the timeout.
    #[error("request timed out")]
    Timeout,
    /// The connection failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The venue limited us (429) or banned us (418).
    #[error("rate limited (HTTP {status}), retry after {retry_after:?}")]
    RateLimited {
        /// 429 or 418.
        status: u16,
        /// How long the venue asked us to wait.
        retry_after: Duration,
    },
    /// Refused locally: a 429/418 asked us to wait and the time is not up.
    #[error("requests blocked by the venue's rate limit for another {0:?}")]
    Blocked(Duration),
    /// Refused locally: the request's weight would exceed this minute's budget.
    #[error("request weight {weight} would exceed the budget ({used} used); wait {retry_after:?}")]
    WeightBudget {
        /// Weight of the refused request.
        weight: u32,
        /// Weight used this minute.
        used: u32,
        /// Until the minute turns.
        retry_after: Duration,
    },
    /// Any other non-success status, with the venue's error body.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The body, e.g. `{"code":-1121,"msg":"Invalid symbol."}`.
        body: String,
    },
    /// A body that is not what the endpoint returns.
    #[error("cannot decode response: {0}")]
    Decode(String),
}

/// An HTTP method a venue API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

/// One request for [`RestClient::send`].
#[derive(Clone, Copy, Debug)]
pub struct RestRequest<'a> {
    /// The method.
    pub method: Method,
    /// Path and query, e.g. `/api/v3/order?symbol=BTCUSDT&…&signature=…`.
    pub path_and_query: &'a str,
    /// A form-encoded body, if any.
    pub body: Option<&'a str>,
    /// Sent as `X-MBX-APIKEY`.
    pub api_key: Option<&'a str>,
    /// The venue's weight of the request.
    pub weight: u32,
}

#[derive(Debug, Default)]
struct Budget {
    /// Minute since the epoch that `used` counts.
    minute: u64,
    used: u32,
    blocked_until: Option<Instant>,
}

/// A REST client for one venue host.
#[derive(Debug)]
pub struct RestClient {
    http: reqwest::Client,
    config: RestConfig,
    budget: Mutex<Budget>,
}

impl RestClient {
    /// A client with its own connection pool.
    pub fn new(config: RestConfig) -> Result<Self, RestError> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| RestError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            config,
            budget: Mutex::new(Budget::default()),
        })
    }

    /// Weight used in the current minute, as last reported by the venue or
    /// counted by us.
    pub fn used_weight(&self) -> u32 {
        let mut budget = self.lock();
        roll_minute(&mut budget);
        budget.used
    }

    /// `GET base_url + path_and_query`, charging `weight` to the budget.
    pub async fn get(&self, path_and_query: &str, weight: u32) -> Result<Bytes, RestError> {
        self.send(RestRequest {
            method: Method::Get,
            path_and_query,
            body: None,
            api_key: None,
            weight,
        })
        .await
    }

    /// Sends any request, charging its weight to the budget. A signed
    /// venue call passes its key here and its signature in the query.
    pub async fn send(&self, request: RestRequest<'_>) -> Result<Bytes, RestError> {
        self.reserve(request.weight)?;
        let url = format!("{}{}", self.config.base_url, request.path_and_query);
        let mut builder = match request.method {
            Method::Get => self.http.get(&url),
            Method::Post => self.http.post(&url),
            Method::Put => self.http.put(&url),
            Method::Delete => self.http.delete(&url),
        };
        if let Some(key) = request.api_key {
            builder = builder.header("X-MBX-APIKEY", key);
        }
        if let Some(body) = request.body {
            builder = builder
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.to_owned());
        }
        let response = builder.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers();
        if let Some(used) = header_u64(headers, "x-mbx-used-weight-1m") {
            let mut budget = self.lock();
            roll_minute(&mut budget);
            budget.used = u32::try_from(used).unwrap_or(u32::MAX);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 418 {
            let retry_after = header_u64(headers, "retry-after")
                .map_or(self.config.default_retry_after, Duration::from_secs);
            self.lock().blocked_until = Some(Instant::now() + retry_after);
            return Err(RestError::RateLimited {
                status: status.as_u16(),
                retry_after,
            });
        }
        let body = self.read_body(response).await?;
        if !status.is_success() {
            return Err(RestError::Status {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body).chars().take(512).collect(),
            });
        }
        Ok(body)
    }

    /// The body, refused past [`RestConfig::max_body_bytes`].
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Bytes, RestError> {
        let cap = self.config.max_body_bytes;
        let too_long = || RestError::Decode(format!("response body longer than {cap} bytes"));
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_long());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > cap {
                return Err(too_long());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    fn reserve(&self, weight: u32) -> Result<(), RestError> {
        let mut budget = self.lock();
        if let Some(until) = budget.blocked_until {
            let now = Instant::now();
            if now < until {
                return Err(RestError::Blocked(until - now));
            }
            budget.blocked_until = None;
        }
        let seconds_into_minute = roll_minute(&mut budget);
        if budget.used.saturating_add(weight) > self.config.weight_per_minute {
            return Err(RestError::WeightBudget {
                weight,
                used: budget.used,
                retry_after: Duration::from_secs(60 - seconds_into_minute),
            });
        }
        budget.used += weight;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Budget> {
        // A poisoned lock only means another request panicked mid-update of
        // plain counters; they are still usable.
        self.budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts a new count when the wall-clock minute turns, as Binance's
/// windows do; returns the seconds into the current minute.
fn roll_minute(budget: &mut Budget) -> u64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if secs / 60 != budget.minute {
        budget.minute = secs / 60;
        budget.used = 0;
    }
    secs % 60
}

fn header_u64(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn transport(e: reqwest::Error) -> RestError {
    if e.is_timeout() {
        RestError::Timeout
    } else {
        RestError::Transport(e.to_string())
    }
}
