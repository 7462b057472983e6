//! Order vocabulary: sides, order types, time in force and client order ids.

use std::fmt;

use crate::index::InstrumentIndex;
use crate::inline_str::{InlineStr, InlineStrError};
use crate::price::{Price, Qty};

/// Buy or sell. In a book, `Buy` is the bid side and `Sell` the ask side; on
/// a trade it is the aggressor's side.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[repr(u8)]
pub enum Side {
    /// Buy; the bid side of a book.
    Buy,
    /// Sell; the ask side of a book.
    Sell,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    /// `+1` for buy, `-1` for sell: the sign a fill of this side adds to a position.
    pub const fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }

    /// Whether `price` is strictly worse than `than` on this side of a
    /// book: lower for a bid, higher for an ask.
    pub fn is_worse(self, price: Price, than: Price) -> bool {
        match self {
            Self::Buy => price < than,
            Self::Sell => price > than,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        })
    }
}

/// How an order asks to trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OrderType {
    /// Take liquidity at any price.
    Market,
    /// Rest at a limit price; may trade on arrival if marketable.
    Limit,
    /// A limit order that is refused instead of taking liquidity.
    PostOnly,
    /// A market order armed when the trigger price trades.
    StopMarket,
    /// A limit order armed when the trigger price trades.
    StopLimit,
    /// A market order armed when the price reaches the trigger from the
    /// other side: a sell when it rises to it, a buy when it falls.
    TakeProfitMarket,
    /// A limit order armed as [`Self::TakeProfitMarket`] is.
    TakeProfitLimit,
}

impl OrderType {
    /// Whether the order carries a limit price.
    pub const fn has_limit_price(self) -> bool {
        matches!(
            self,
            Self::Limit | Self::PostOnly | Self::StopLimit | Self::TakeProfitLimit
        )
    }

    /// Whether a limit price needs a time in force (Binance's rule).
    pub const fn needs_time_in_force(self) -> bool {
        matches!(self, Self::Limit | Self::StopLimit | Self::TakeProfitLimit)
    }

    /// Whether the trigger is reached from the profitable side (a sell
    /// when the price rises to it), as a take-profit is; a stop's is
    /// reached from the losing side.
    pub const fn takes_profit(self) -> bool {
        matches!(self, Self::TakeProfitMarket | Self::TakeProfitLimit)
    }

    /// Whether the order carries a trigger price.
    pub const fn has_trigger_price(self) -> bool {
        matches!(
            self,
            Self::StopMarket | Self::StopLimit | Self::TakeProfitMarket | Self::TakeProfitLimit
        )
    }
}

/// How long an order stays working.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: fill what can be filled now, cancel the rest.
    Ioc,
    /// Fill or kill: fill all now or nothing.
    Fok,
    /// Good till crossing: Binance's post-only, cancelled if it would take.
    Gtx,
}

/// Bytes Binance accepts in `newClientOrderId`: `^[.A-Z:/a-z0-9_-]{1,36}$`.
fn is_client_order_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-')
}

/// Our id for an order, chosen before it is sent so that a retried submit is
/// idempotent. At most 36 bytes of `[.A-Za-z0-9:/_-]`, the strictest of the
/// venues we speak (Binance).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ClientOrderId(InlineStr<36>);

impl ClientOrderId {
    /// Validates and stores an id.
    pub fn new(s: &str) -> Result<Self, InlineStrError> {
        InlineStr::new_with(s, is_client_order_id_byte).map(Self)
    }

    /// The id as sent to the venue.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl std::str::FromStr for ClientOrderId {
    type Err = InlineStrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({:?})", self.0.as_str())
    }
}

/// A new order as the gateway sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderSpec {
    /// Which of the session's instruments: the runner routes the order to
    /// that instrument's venue and symbol.
    pub instrument: InstrumentIndex,
    /// Our id: a retried submit with the same id is recognised by the venue.
    pub id: ClientOrderId,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub kind: OrderType,
    /// Time in force (ignored for market and post-only orders).
    pub time_in_force: TimeInForce,
    /// Limit price, for the types that have one.
    pub price: Option<Price>,
    /// Quantity.
    pub qty: Qty,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_order_ids_follow_binance_rules() {
        assert_eq!(
            ClientOrderId::new("kst-1.2:3/x_Y").unwrap().as_str(),
            "kst-1.2:3/x_Y"
        );
        assert!(ClientOrderId::new("").is_err());
        assert!(ClientOrderId::new("has space").is_err());
        assert!(ClientOrderId::new(&"a".repeat(37)).is_err());
        assert!(ClientOrderId::new(&"a".repeat(36)).is_ok());
    }

    #[test]
    fn sides_and_types() {
        assert_eq!(Side::Buy.opposite(), Side::Sell);
        assert_eq!(Side::Sell.sign(), -1);
        assert!(OrderType::StopLimit.has_limit_price() && OrderType::StopLimit.has_trigger_price());
        assert!(!OrderType::Market.has_limit_price());
    }
}
