//! Kestrel's venue connections: where bytes enter the engine.
//!
//! * [`ws`]: the market-data WebSocket client: heartbeats both ways,
//!   stale-feed detection, reconnect with exponential backoff and jitter
//!   ([`backoff`]), resubscription, and an explicit event when the stream
//!   breaks so the feed marks its books untrusted and resyncs.
//! * [`rest`]: the REST client: timeouts, HTTP 429/418 with `Retry-After`,
//!   request-weight accounting. Each venue's endpoints are in its adapter
//!   (`kestrel-binance`'s `rest`), the listing fetch in `kestrel-registry`.
//! * [`record`]: a live session to a replayable recording.
//!
//! Decoding and sequencing are not here: frames go to `kestrel-feed`
//! unchanged, so live and recorded data take one path.

pub mod backoff;
mod clock;
pub mod record;
pub mod rest;
mod tls;
pub mod ws;

pub use backoff::{Backoff, BackoffPolicy};
pub use rest::{Method, RestClient, RestConfig, RestError, RestRequest};
pub use tls::install_crypto_provider;
pub use ws::{Disconnect, WsConfig, WsEvent};
