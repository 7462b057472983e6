//! Kestrel's order gateways: the [`ExecutionClient`] trait and what every
//! venue's gateway shares. Each venue's implementation is in its adapter
//! (`kestrel-binance`'s `execution`).
//!
//! * [`ExecutionClient`]: submit, cancel, and the queries recovery needs
//!   (one order, open orders, fills since a trade id, balances).
//! * [`AccountStream`]: the venue's push stream of our orders' events.
//!   A live session needs the two, and is generic over them.
//! * [`Credentials`]: an API key and its HMAC-SHA256 signing secret.
//! * [`VenueError`]: every venue's failures in one enum, saying whether
//!   the call's outcome is unknown and whether a retry can help.
//! * Guards around every call: the venue's order-count limits
//!   ([`throttle`]), a [`breaker`] that stops calling a sick venue, and
//!   [`skew`], the venue's clock for signed timestamps.
//!
//! Only idempotent calls are retried: queries, cancels, and submits, which
//! are made idempotent by the client order id (a submit whose outcome is
//! unknown is looked up by that id before it is sent again).

pub mod account;
pub mod breaker;
pub mod credentials;
pub mod error;
pub mod order;
pub mod skew;
pub mod throttle;

use std::future::Future;

use kestrel_model::{ClientOrderId, Instrument, OrderId, UnixNanos};

pub use account::{AccountStream, UserEvent};
pub use breaker::{BreakerState, CircuitBreaker};
pub use credentials::Credentials;
pub use error::VenueError;
pub use kestrel_model::OrderSpec;
pub use order::{VenueBalance, VenueFill, VenueOrder};

/// Order entry and the venue's view of our orders, for one instrument.
///
/// Execution reports arrive separately, on the venue's push stream; these
/// calls answer with the order's state as the venue returned it.
pub trait ExecutionClient: Send + Sync {
    /// The instrument this client trades.
    fn instrument(&self) -> &Instrument;

    /// Places an order. Safe to call again with the same id after an
    /// unknown outcome: the venue is asked about the id before resending.
    fn submit(
        &self,
        order: &OrderSpec,
    ) -> impl Future<Output = Result<VenueOrder, VenueError>> + Send;

    /// Cancels an order; [`VenueError::UnknownOrder`] if the venue has no
    /// open order of that id.
    fn cancel(
        &self,
        id: ClientOrderId,
    ) -> impl Future<Output = Result<VenueOrder, VenueError>> + Send;

    /// Cancels every open order; the orders cancelled.
    fn cancel_all(&self) -> impl Future<Output = Result<Vec<VenueOrder>, VenueError>> + Send;

    /// One order, open or done; [`VenueError::UnknownOrder`] if the venue
    /// never saw it.
    fn order(
        &self,
        id: ClientOrderId,
    ) -> impl Future<Output = Result<VenueOrder, VenueError>> + Send;

    /// One order by the venue's id (trade history names orders this way).
    fn order_by_venue_id(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<VenueOrder, VenueError>> + Send;

    /// Every open order.
    fn open_orders(&self) -> impl Future<Output = Result<Vec<VenueOrder>, VenueError>> + Send;

    /// Every order placed from `start` to a day after it (a day being
    /// Binance's widest window), open or done, oldest first; orders placed
    /// later may come too. Recovery looks here for orders sent just before
    /// a crash cut them from the journal, and since closed. `start` is our
    /// clock's; the venue reads it on its own (a simulator replaying 2024
    /// lives years from our wall clock).
    fn orders_from(
        &self,
        start: UnixNanos,
    ) -> impl Future<Output = Result<Vec<VenueOrder>, VenueError>> + Send;

    /// Our fills with a trade id at or above `from_trade_id`, oldest first.
    fn fills(
        &self,
        from_trade_id: u64,
    ) -> impl Future<Output = Result<Vec<VenueFill>, VenueError>> + Send;

    /// Every fill of one order (by the venue's id), oldest first.
    fn order_fills(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Vec<VenueFill>, VenueError>> + Send;

    /// Every asset's balance.
    fn balances(&self) -> impl Future<Output = Result<Vec<VenueBalance>, VenueError>> + Send;
}
