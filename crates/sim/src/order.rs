//! What a client asks the venue for.

pub use kestrel_model::report::{AccountId, OrderId};
use kestrel_model::{ClientOrderId, InstrumentId, OrderType, Price, Qty, Side, TimeInForce};

/// What happens when an order would trade against one of its own account's
/// resting orders; Binance's `selfTradePreventionMode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SelfTradePrevention {
    /// The two trade with each other.
    None,
    /// The incoming order's remainder expires; the resting order stays.
    #[default]
    ExpireTaker,
    /// The resting order expires; the incoming order goes on matching.
    ExpireMaker,
    /// Both expire.
    ExpireBoth,
}

/// A new order as it reaches the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    /// Whose order.
    pub account: AccountId,
    /// Which market.
    pub instrument: InstrumentId,
    /// The client's id, unique among the account's open orders.
    pub client_id: ClientOrderId,
    /// Buy or sell.
    pub side: Side,
    /// Market, limit, post-only or stop.
    pub kind: OrderType,
    /// How long the remainder may rest; `Gtx` makes a limit order post-only.
    pub time_in_force: TimeInForce,
    /// Quantity, on the instrument's lot grid.
    pub qty: Qty,
    /// Limit price: required by limit, post-only and stop-limit orders.
    pub price: Option<Price>,
    /// Trigger price: required by stop orders.
    pub trigger: Option<Price>,
    /// Self-trade prevention mode.
    pub stp: SelfTradePrevention,
}

impl OrderRequest {
    /// A GTC limit order without self-trade prevention; other fields by
    /// struct update.
    pub fn limit(
        account: AccountId,
        instrument: InstrumentId,
        client_id: ClientOrderId,
        side: Side,
        price: Price,
        qty: Qty,
    ) -> Self {
        Self {
            account,
            instrument,
            client_id,
            side,
            kind: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            qty,
            price: Some(price),
            trigger: None,
            stp: SelfTradePrevention::None,
        }
    }

    /// A market order without self-trade prevention.
    pub fn market(
        account: AccountId,
        instrument: InstrumentId,
        client_id: ClientOrderId,
        side: Side,
        qty: Qty,
    ) -> Self {
        Self {
            kind: OrderType::Market,
            price: None,
            ..Self::limit(account, instrument, client_id, side, Price::ZERO, qty)
        }
    }

    /// Whether the order may only add liquidity.
    pub fn is_post_only(&self) -> bool {
        self.kind == OrderType::PostOnly || self.time_in_force == TimeInForce::Gtx
    }
}
