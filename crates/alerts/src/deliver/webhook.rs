//! The signed webhook: each alert POSTed as JSON with
//!
//! * `X-Kestrel-Alert-Id`: the alert's id (a receiver drops repeats);
//! * `X-Kestrel-Timestamp`: when it was sent, Unix ms;
//! * `X-Kestrel-Signature`: `v1=` and the lower-case hex HMAC-SHA256, under
//!   the shared secret, of `"{timestamp}.{body}"`,
//!
//! so a receiver can check who sent it and refuse a replayed request (a
//! stale timestamp, or a body the signature does not cover). A refusal
//! that may pass (a timeout, a connection error, 5xx, 429) is retried
//! after a backoff doubling from `first_backoff`; any other status, or the
//! last try, is a failure the caller dead-letters. Each try has a timeout,
//! so a receiver that hangs costs at most `attempts × timeout` plus the
//! waits.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;

use crate::watch::Alert;

/// The webhook's settings.
#[derive(Clone)]
pub struct WebhookConfig {
    /// Where to POST.
    pub url: String,
    /// The shared secret; never printed.
    pub secret: String,
    /// Tries in all, at least 1.
    pub attempts: u32,
    /// The wait before the second try; it doubles, up to 30 s.
    pub first_backoff: Duration,
    /// Each try's time limit.
    pub timeout: Duration,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"<hidden>")
            .field("attempts", &self.attempts)
            .field("first_backoff", &self.first_backoff)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The client could not be made.
    #[error("webhook client: {0}")]
    Client(String),
    /// The receiver refused for good.
    #[error("webhook answered {status}")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// Every try failed.
    #[error("webhook gave up after {attempts} tries: {last}")]
    GaveUp {
        /// Tries made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

/// The longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A webhook client with its own small runtime, so a synchronous
/// dispatcher can deliver.
pub struct Webhook {
    config: WebhookConfig,
    key: hmac::Key,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Webhook {
    /// A client for `config`.
    pub fn new(config: WebhookConfig) -> Result<Self, WebhookError> {
        kestrel_net::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, config.secret.as_bytes()),
            config,
            client,
            runtime,
        })
    }

    /// The signature header's value for `body` sent at `timestamp_ms`.
    pub fn signature(secret: &str, timestamp_ms: u64, body: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        sign(&key, timestamp_ms, body)
    }

    /// Delivers `alert`, retrying as the module docs say; the tries made.
    pub fn deliver_blocking(&self, alert: &Alert) -> Result<u32, WebhookError> {
        self.runtime.block_on(self.deliver(alert))
    }

    /// Delivers `alert`, retrying as the module docs say; the tries made.
    pub async fn deliver(&self, alert: &Alert) -> Result<u32, WebhookError> {
        let body = serde_json::to_vec(alert).map_err(|e| WebhookError::Client(e.to_string()))?;
        let attempts = self.config.attempts.max(1);
        let mut wait = self.config.first_backoff;
        let mut last = String::new();
        for attempt in 1..=attempts {
            let timestamp_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let sent = self
                .client
                .post(&self.config.url)
                .header("content-type", "application/json")
                .header("x-kestrel-alert-id", &alert.id)
                .header("x-kestrel-timestamp", timestamp_ms.to_string())
                .header("x-kestrel-signature", sign(&self.key, timestamp_ms, &body))
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => return Ok(attempt),
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    if !(status >= 500 || status == 429) {
                        return Err(WebhookError::Refused { status });
                    }
                    last = format!("HTTP {status}");
                }
                Err(e) if e.is_timeout() => last = "timed out".to_owned(),
                Err(e) => last = e.to_string(),
            }
            if attempt < attempts {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        }
        Err(WebhookError::GaveUp { attempts, last })
    }
}

fn sign(key: &hmac::Key, timestamp_ms: u64, body: &[u8]) -> String {
    let mut context = hmac::Context::with_key(key);
    context.update(timestamp_ms.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    let tag = context.sign();
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v1=");
    for b in tag.as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
