//! A venue's push stream of our account's events, beside order entry
//! ([`crate::ExecutionClient`]): what a live session listens to for its
//! fills. Each venue adapter implements [`AccountStream`] (Binance: the
//! user-data stream over its WebSocket API).

use std::future::Future;
use std::sync::Arc;

use kestrel_model::ExecReport;
use tokio::sync::mpsc;

/// What an account stream tells its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserEvent {
    /// Subscribed: reports flow from here on.
    Connected,
    /// An execution report, naming its instrument.
    Report(ExecReport),
    /// An event we could not read, with why; the stream goes on.
    Malformed(String),
    /// The connection dropped; a reconnect follows.
    Disconnected(String),
}

/// The venue's push stream of our orders' events on one account, for every
/// market the account trades (a live session routes each report by the
/// instrument it names).
///
/// Reports sent while the stream was down are lost to it: after every
/// [`UserEvent::Connected`] but the first, the owner recovers them by
/// query (open orders, fills since the last trade id it saw).
pub trait AccountStream: Send + Sync {
    /// Runs the stream until `events` is closed: connects, subscribes,
    /// passes reports on, and reconnects after any failure.
    fn stream(self: Arc<Self>, events: mpsc::Sender<UserEvent>) -> impl Future<Output = ()> + Send;
}
