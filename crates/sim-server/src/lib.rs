//! The exchange simulator served over the Binance spot wire protocol on
//! 127.0.0.1, so that our own feed and gateway, and any unmodified Binance
//! client library, can trade against recorded real markets.
//!
//! * Market data: the recorded `@depth@100ms`, `@trade` and `@bookTicker`
//!   frames, verbatim, and `@depth` (each second's diffs merged), on
//!   `/ws/<stream>`, `/stream?streams=…` and `/ws` with `SUBSCRIBE`, paced by
//!   a [`ClockMode`].
//! * REST: public `time`, `exchangeInfo`, `depth` (consistent with the
//!   stream's `U`/`u`) and `klines`/`uiKlines` (built from the trades
//!   replayed so far, [`klines`]), and HMAC-signed order entry, queries
//!   and account.
//! * User data: `executionReport` and `outboundAccountPosition` events, on a
//!   listen key's stream or through the WebSocket API
//!   (`/ws-api/v3`, `userDataStream.subscribe.signature`).
//! * Faults ([`FaultConfig`]), logged with their time.
//!
//! Market frames keep the recorded venue timestamps; order and account
//! messages use the server's wall clock, the clock clients sign with.

pub mod auth;
mod clock;
mod depth_window;
pub mod error;
pub mod exchange;
pub mod faults;
pub mod futures;
mod http;
pub mod klines;
pub mod market;
pub mod order_count;
pub mod orders;
pub mod replay;
pub mod request;
pub mod streams;
pub mod weight;
pub mod wire;

pub use auth::{ApiKey, ApiKeys, SigningClocks};
pub use clock::{ClockMode, VenueClock};
pub use error::ApiError;
pub use faults::{FaultConfig, FaultLog, FaultRecord, SharedFaults};
pub use http::{
    CONTROL_HEADER, IDLE_TIMEOUT, RunningServer, ServerConfig, ServerError, new_control_token,
    parse_clock, start,
};
pub use replay::{MarketFrame, MarketReplay};
pub use streams::StreamKind;
