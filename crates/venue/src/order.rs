//! What venues answer, in venue-neutral types. What a gateway sends,
//! [`OrderSpec`], is the model's, so the kernel needs no gateway crate.

use kestrel_model::{
    Asset, ClientOrderId, Decimal, FeeAsset, Fill, Liquidity, OrderId, OrderStatus, OrderType,
    Price, Qty, Side, UnixNanos,
};

/// An order as the venue knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueOrder {
    /// The venue's id.
    pub order_id: OrderId,
    /// Our id.
    pub client_id: ClientOrderId,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub kind: OrderType,
    /// Limit price, for the types that have one.
    pub price: Option<Price>,
    /// Original quantity.
    pub qty: Qty,
    /// Filled so far.
    pub filled: Qty,
    /// Status.
    pub status: OrderStatus,
    /// The venue's time of its last change.
    pub time: UnixNanos,
}

/// One of our fills, as the venue's trade history has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueFill {
    /// The venue's trade id, increasing.
    pub trade_id: u64,
    /// The venue's id of our order.
    pub order_id: OrderId,
    /// Our side.
    pub side: Side,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Fee charged, in `fee_asset`.
    pub fee: Decimal,
    /// What the fee was charged in (the quote asset on our simulator).
    pub fee_asset: FeeAsset,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// When.
    pub time: UnixNanos,
}

impl VenueFill {
    /// The fill as an execution report carries it.
    pub fn fill(&self) -> Fill {
        Fill {
            trade_id: self.trade_id,
            price: self.price,
            qty: self.qty,
            liquidity: self.liquidity,
            fee: self.fee,
            fee_asset: self.fee_asset,
        }
    }
}

/// One asset's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueBalance {
    /// The asset.
    pub asset: Asset,
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}
