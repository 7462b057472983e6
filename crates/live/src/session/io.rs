//! What goes into the kernel thread, what it asks of the gateways, and
//! what it counts.

use kestrel_model::{
    ClientOrderId, ExecReport, InstrumentIndex, OrderId, RejectReason, Side, UnixNanos,
};
use kestrel_venue::{OrderSpec, VenueError, VenueFill};
use tokio_tungstenite::tungstenite::Bytes;

use crate::reconcile::{KnownOrder, Reconciled};

/// An input to the kernel thread.
#[derive(Debug)]
pub enum LiveInput {
    /// A market frame, or a REST depth snapshot's body, as received.
    Frame {
        /// Whose market.
        ix: InstrumentIndex,
        /// Our receive time.
        local: UnixNanos,
        /// The bytes.
        bytes: Bytes,
    },
    /// A market connection dropped: its book is untrusted until the
    /// snapshot that follows the reconnect.
    MarketDown(InstrumentIndex),
    /// An execution report from the venue connection of an instrument.
    Report(InstrumentIndex, ExecReport),
    /// The venue certainly did not take an order.
    SubmitFailed {
        /// Its instrument.
        ix: InstrumentIndex,
        /// The order.
        id: ClientOrderId,
        /// Its side.
        side: Side,
        /// Why.
        reason: RejectReason,
    },
    /// The venue refused a cancel.
    CancelFailed(ClientOrderId),
    /// Every fill of an order, fetched because a report showed fills the
    /// session never received (or why the fetch failed).
    OrderFills {
        /// The order.
        id: ClientOrderId,
        /// Its fills, oldest first.
        fills: Result<Vec<VenueFill>, VenueError>,
    },
    /// An instrument's user-data stream reconnected: reports sent
    /// meanwhile are lost to it, and the venue is asked.
    UserStreamReconnected(InstrumentIndex),
    /// What asking an instrument's venue found (or why it failed).
    Reconciled(InstrumentIndex, Result<Reconciled, VenueError>),
    /// An operator reset the kill switch.
    ResetKillSwitch,
    /// Wind down: every open order is cancelled; market data and timers
    /// no longer reach the strategy; reports still do, until no order is
    /// open or `until` passes, then the session stops.
    Drain {
        /// The latest time to stop.
        until: UnixNanos,
    },
    /// Stop: the strategy stops, and the session ends.
    Shutdown,
}

/// What the kernel thread asks of the gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayCommand {
    /// Place an order.
    Submit(OrderSpec),
    /// Cancel an order.
    Cancel(ClientOrderId),
    /// Cancel every open order of the gateway's instrument (shutdown
    /// policy, kill switch).
    CancelAll,
    /// Fetch every fill of an order.
    FetchFills {
        /// Our id.
        id: ClientOrderId,
        /// The venue's id.
        order_id: OrderId,
    },
    /// Compare these open orders with the venue's.
    Reconcile {
        /// The kernel's open orders.
        known: Vec<KnownOrder>,
        /// The highest trade id applied.
        last_trade_id: Option<u64>,
    },
}

/// What a session did, for the summary printed at shutdown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Inputs processed.
    pub inputs: u64,
    /// Market events applied (deltas, snapshots, trades, gaps).
    pub market_events: u64,
    /// Gaps, each followed by a resync request.
    pub gaps: u64,
    /// Books found wrong after a diff or snapshot by the feed's integrity
    /// policy (crossed, or off the venue's checksum): each also a gap.
    pub books_lost: u64,
    /// Diffs taken near the touch first, deciding before the rest of the
    /// frame was decoded.
    pub near_first: u64,
    /// Of those, diffs whose rest did not agree with the near part (a
    /// venue list out of price order): each also a gap.
    pub near_faults: u64,
    /// Execution reports applied.
    pub reports: u64,
    /// Reports dropped as repeats of what was already applied.
    pub duplicate_reports: u64,
    /// Reports that showed missed fills, which were then fetched.
    pub fill_gaps: u64,
    /// Fills recovered from the venue during the session.
    pub recovered_fills: u64,
    /// Gaps whose fills could not be fetched (the reports were applied
    /// as they came).
    pub unresolved_gaps: u64,
    /// Reconciliations after the user stream reconnected.
    pub reconciliations: u64,
    /// Orders and cancels sent to the gateway.
    pub commands: u64,
    /// Records journaled.
    pub journaled: u64,
    /// Snapshots handed to the journal.
    pub snapshots: u64,
    /// Snapshots that could not be encoded.
    pub snapshot_failures: u64,
    /// The first journal error, after which the session stops trading.
    pub journal_error: Option<String>,
}
