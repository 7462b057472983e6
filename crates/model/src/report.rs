//! What a venue tells a client about its orders: execution reports, in one
//! form for the simulator, the Binance adapter and the journal.

use std::fmt;

use crate::{ClientOrderId, Decimal, InstrumentId, Price, Qty, Side, UnixNanos};

/// The venue's id for an accepted order: increasing in acceptance order,
/// like Binance's `orderId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An account at the simulated venue; in server mode, one per API key.
/// Self-trade prevention applies within an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AccountId(pub u32);

/// Which side of a fill supplied the liquidity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Liquidity {
    /// The order was resting.
    Maker,
    /// The order took resting liquidity.
    Taker,
}

/// An order's state after a report, as Binance names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Accepted, nothing filled (stops waiting for their trigger included).
    New,
    /// Some filled, the rest open.
    PartiallyFilled,
    /// All filled.
    Filled,
    /// Cancelled by request.
    Canceled,
    /// Refused on arrival.
    Rejected,
    /// Ended by the venue: IOC/FOK remainder, self-trade prevention, no liquidity.
    Expired,
}

impl OrderStatus {
    /// Whether the order can still trade.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::New | Self::PartiallyFilled)
    }
}

/// Why an order or a cancel was refused; each maps to a Binance error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RejectReason {
    /// The venue has no such market.
    #[error("unknown instrument")]
    UnknownInstrument,
    /// Quantity zero, or below the instrument's minimum.
    #[error("quantity below the minimum")]
    QtyTooSmall,
    /// Price × quantity below the instrument's minimum notional.
    #[error("notional below the minimum")]
    NotionalTooSmall,
    /// A required limit or trigger price is missing, or a price is not positive.
    #[error("price missing or invalid for this order type")]
    BadPrice,
    /// A post-only order would have taken liquidity.
    #[error("order would immediately match and take")]
    WouldTake,
    /// The account cannot pay for the order.
    #[error("insufficient balance")]
    InsufficientBalance,
    /// The client order id is already used by an open order of the account.
    #[error("duplicate client order id")]
    DuplicateClientId,
    /// A cancel named no open order of the account.
    #[error("unknown order")]
    UnknownOrder,
    /// Refused by fault injection with this Binance error code.
    #[error("injected rejection {0}")]
    Injected(i32),
}

/// Why the venue ended an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpireReason {
    /// An IOC or market order's unfilled remainder.
    Remainder,
    /// A FOK order that could not fill whole.
    FillOrKill,
    /// Self-trade prevention.
    SelfTrade,
}

/// The asset a fill's fee was charged in. A spot venue may take it from
/// what we received (Binance: the base asset of a buy) or from a third
/// asset (BNB with its discount), and the balances move accordingly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FeeAsset {
    /// The instrument's quote asset.
    #[default]
    Quote,
    /// The instrument's base asset.
    Base,
    /// Another asset; its value in the quote asset is not known here.
    Other,
}

/// One fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fill {
    /// The venue's trade id, increasing.
    pub trade_id: u64,
    /// Execution price.
    pub price: Price,
    /// Quantity filled.
    pub qty: Qty,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Fee charged, in `fee_asset` (negative for a rebate).
    pub fee: Decimal,
    /// What the fee was charged in.
    pub fee_asset: FeeAsset,
}

/// What happened to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecKind {
    /// Accepted (for a stop: accepted and waiting for its trigger).
    New,
    /// A stop order's trigger printed; it now works as a market or limit order.
    Triggered,
    /// A fill.
    Trade(Fill),
    /// Cancelled by request.
    Canceled,
    /// Refused.
    Rejected(RejectReason),
    /// Ended by the venue.
    Expired(ExpireReason),
}

/// An execution report: one change to one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExecReport {
    /// The venue's order id (0 for an order rejected before it got one).
    pub order_id: OrderId,
    /// The client's id.
    pub client_id: ClientOrderId,
    /// Whose order.
    pub account: AccountId,
    /// Which market.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// What happened.
    pub kind: ExecKind,
    /// The order's state after it.
    pub status: OrderStatus,
    /// Quantity filled so far.
    pub filled: Qty,
    /// Quantity still open (0 once the order is done).
    pub leaves: Qty,
    /// Exchange time of the change.
    pub time: UnixNanos,
}
