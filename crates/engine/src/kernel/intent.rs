//! What the kernel hands its runner after each event: order actions that
//! passed risk, and every risk decision, for the journal.

use kestrel_model::OrderSpec;
use kestrel_model::{ClientOrderId, Price, Qty, Side, StrategyIndex, UnixNanos};
use kestrel_risk::{BracketExit, Decision, Reason};

/// An order action that passed risk, for the runner to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OrderIntent {
    /// A new order, as the gateway sends it.
    Submit(OrderSpec),
    /// Cancel an order.
    Cancel(ClientOrderId),
}

impl OrderIntent {
    /// The order it is about.
    pub fn id(&self) -> ClientOrderId {
        match *self {
            Self::Submit(order) => order.id,
            Self::Cancel(id) => id,
        }
    }

    /// A submit's order; `None` for a cancel.
    pub fn order(&self) -> Option<OrderSpec> {
        match *self {
            Self::Submit(order) => Some(order),
            Self::Cancel(_) => None,
        }
    }
}

/// A risk decision, as the kernel emits it to be journaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RiskEvent {
    /// An order was checked.
    Order {
        /// When.
        time: UnixNanos,
        /// Buy or sell.
        side: Side,
        /// Limit price.
        price: Option<Price>,
        /// Quantity.
        qty: Qty,
        /// Approved, or refused with a reason.
        decision: Decision,
    },
    /// The position's bracket fired: it is closed at market.
    Bracket {
        /// When.
        time: UnixNanos,
        /// Which leg.
        exit: BracketExit,
    },
    /// A post-fill limit or a monitor tripped the kill switch: every order
    /// is cancelled and new ones are refused until a reset.
    Kill {
        /// When.
        time: UnixNanos,
        /// Why.
        reason: Reason,
    },
    /// One strategy is halted (its loss limit, or an operator): its orders
    /// are cancelled and it may place none until resumed; the others
    /// trade on.
    Halt {
        /// When.
        time: UnixNanos,
        /// Which strategy.
        strategy: StrategyIndex,
        /// Why.
        reason: Reason,
    },
}
