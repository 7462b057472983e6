//! A venue's trading rules for one instrument beyond its grids: whether it
//! trades now, the price band around a reference price, and caps on order
//! size, value and count. Each is optional: venues publish different sets,
//! and a rule a venue does not publish is not enforced by us either.

use crate::decimal::Decimal;
use crate::price::Qty;

/// Whether an instrument accepts orders.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentStatus {
    /// Open for trading.
    #[default]
    Trading,
    /// Listed, not yet trading (Binance `PENDING_TRADING`, OKX `preopen`,
    /// Bybit `PreLaunch`).
    PreTrading,
    /// Trading suspended for now (Binance `BREAK`/`HALT`, OKX `suspend`).
    Halted,
    /// A dated contract in delivery or settlement.
    Delivering,
    /// No longer trading: delisted, expired or settled.
    Closed,
}

impl InstrumentStatus {
    /// Lower-case name, as catalogue files write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trading => "trading",
            Self::PreTrading => "pre_trading",
            Self::Halted => "halted",
            Self::Delivering => "delivering",
            Self::Closed => "closed",
        }
    }
}

/// How far a limit price may stray from the venue's reference price (its
/// average or mark price), as multipliers: a buy must be within
/// `[reference × bid_down, reference × bid_up]`. Binance spot publishes the
/// four (`PERCENT_PRICE_BY_SIDE`); USDⓈ-M and COIN-M one pair for both
/// sides (`PERCENT_PRICE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PriceBand {
    /// Highest buy price over the reference.
    pub bid_up: Decimal,
    /// Lowest buy price over the reference.
    pub bid_down: Decimal,
    /// Highest sell price over the reference.
    pub ask_up: Decimal,
    /// Lowest sell price over the reference.
    pub ask_down: Decimal,
}

/// The rules a venue states for an instrument, beyond tick, lot and minimums.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct TradingRules {
    /// Whether it trades now.
    pub status: InstrumentStatus,
    /// Lowest limit price accepted, if the venue states one.
    pub min_price: Option<Decimal>,
    /// Highest limit price accepted, if the venue states one.
    pub max_price: Option<Decimal>,
    /// Orders must be a whole number of this many lots, when the venue's
    /// order step is coarser than the grid its books are written on
    /// (Binance spot: `stepSize` 0.00001 BTC, book sizes to 0.00000001).
    pub order_qty_step: Option<Qty>,
    /// Largest limit order quantity.
    pub max_qty: Option<Qty>,
    /// Largest market order quantity.
    pub max_market_qty: Option<Qty>,
    /// Largest order value in the quote asset.
    pub max_notional: Option<Decimal>,
    /// The band around the reference price.
    pub price_band: Option<PriceBand>,
    /// Most open orders on the instrument per account.
    pub max_open_orders: Option<u32>,
    /// Most open conditional (stop, take-profit) orders per account.
    pub max_algo_orders: Option<u32>,
}
