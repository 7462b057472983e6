//! Alerts: rules on a market's prices, indicators and book, each firing
//! once per crossing, journaled, and delivered.
//!
//! * [`rule`]: rules as configs write them ([`RuleConfig`], [`Condition`]):
//!   price above, below or crossing a level; percent change over a
//!   window; RSI beyond a level, a MACD signal cross, a Bollinger
//!   breakout, on bars of any spec; a book signal (imbalance, spread,
//!   abnormal trade size) beyond a level; `all`/`any` of these.
//! * [`watch`]: [`AlertWatch`], the rules as a strategy that never
//!   trades, so the kernel feeds them on recordings and live alike; it
//!   reports [`WatchEvent`]s in order, kept and streamed to a channel.
//! * [`journal`]: the events and deliveries on disk, and what a restart
//!   needs from them.
//! * [`deliver`]: the sinks: the log, the channel, and (feature
//!   `webhook`) an HTTP webhook signed with HMAC-SHA256 over a timestamp
//!   and the body, retried with backoff, dead-lettered after the last try.

pub mod deliver;
pub mod journal;
pub mod rule;
pub mod watch;

#[cfg(feature = "webhook")]
pub use deliver::webhook::{Webhook, WebhookConfig, WebhookError};
pub use deliver::{DeadLetters, Dispatched, Dispatcher, LogSink, Sink};
pub use journal::{AlertJournal, AlertJournalError, Entry, Recovered};
pub use rule::{Condition, Direction, RuleConfig, RuleError, SignalName};
pub use watch::{Alert, AlertWatch, RuleState, WatchEvent};
