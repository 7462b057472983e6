//! The order life cycle.
//!
//! ```text
//!  PendingNew ──Accepted──► New ──Fill──► PartiallyFilled ──Fill──► Filled
//!      │                     │  ╲              │   ╲
//!   Rejected            CancelSent ReplaceSent  …  (the same from here)
//!      ▼                     ▼        ▼
//!  Rejected            PendingCancel PendingReplace ──ReplaceAccepted──► New / PartiallyFilled
//!                       │        ╲        ╲──ReplaceRejected──► back where it was
//!            CancelAccepted  CancelRejected──► back where it was
//!                       ▼
//!                   Cancelled           (any working state) ──Expired──► Expired
//! ```
//!
//! Fills may arrive while a cancel or replace is pending (they crossed on
//! the wire); they count, and a fill that completes the order ends it as
//! `Filled` whatever was pending. A fill or an expiry before the ack implies
//! the ack (a FOK can expire in the venue's first answer).

use kestrel_model::{Price, Qty};

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OrderState {
    /// Sent, not yet acknowledged.
    PendingNew,
    /// Acknowledged, nothing filled.
    New,
    /// Some filled, the rest working.
    PartiallyFilled,
    /// A cancel was sent; the order still works until the venue answers.
    PendingCancel {
        /// The state to return to if the cancel is refused.
        was: Working,
    },
    /// A replace was sent.
    PendingReplace {
        /// The state to return to if the replace is refused.
        was: Working,
    },
    /// All filled.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Refused by the venue (or by risk, before sending).
    Rejected,
    /// Ended by the venue (IOC remainder, self-trade prevention, expiry).
    Expired,
}

/// The two states an order works in, which pending requests return to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Working {
    /// Nothing filled.
    New,
    /// Partly filled.
    PartiallyFilled,
}

impl From<Working> for OrderState {
    fn from(w: Working) -> Self {
        match w {
            Working::New => Self::New,
            Working::PartiallyFilled => Self::PartiallyFilled,
        }
    }
}

impl OrderState {
    /// Whether the order can still trade.
    pub const fn is_open(self) -> bool {
        !self.is_done()
    }

    /// Whether the order has ended.
    pub const fn is_done(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Cancelled | Self::Rejected | Self::Expired
        )
    }

    /// The working state it is in or pending from, if any.
    const fn working(self) -> Option<Working> {
        match self {
            Self::New => Some(Working::New),
            Self::PartiallyFilled => Some(Working::PartiallyFilled),
            Self::PendingCancel { was } | Self::PendingReplace { was } => Some(was),
            _ => None,
        }
    }
}

/// What can happen to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// The venue acknowledged it.
    Accepted,
    /// The venue refused it.
    Rejected,
    /// A fill of this quantity.
    Fill(Qty),
    /// We sent a cancel.
    CancelSent,
    /// The venue cancelled it.
    CancelAccepted,
    /// The venue refused the cancel.
    CancelRejected,
    /// We sent a replace to this price and quantity.
    ReplaceSent {
        /// New limit price.
        price: Price,
        /// New total quantity.
        qty: Qty,
    },
    /// The venue applied the replace.
    ReplaceAccepted,
    /// The venue refused the replace.
    ReplaceRejected,
    /// The venue ended it.
    Expired,
}

/// A transition the life cycle does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("order in state {state:?} cannot take {event:?}")]
pub struct IllegalTransition {
    /// The state it was in (unchanged).
    pub state: OrderState,
    /// The event refused.
    pub event: OrderEvent,
}

/// One of our orders as the execution layer tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManagedOrder {
    state: OrderState,
    qty: Qty,
    price: Option<Price>,
    filled: Qty,
    /// A replace in flight: the price and quantity it asks for.
    replacing: Option<(Price, Qty)>,
}

impl ManagedOrder {
    /// An order of `qty` at `price` (none for market orders), just sent.
    pub fn new(qty: Qty, price: Option<Price>) -> Self {
        Self {
            state: OrderState::PendingNew,
            qty,
            price,
            filled: Qty::ZERO,
            replacing: None,
        }
    }

    /// Its state.
    pub fn state(&self) -> OrderState {
        self.state
    }

    /// Total quantity.
    pub fn qty(&self) -> Qty {
        self.qty
    }

    /// Limit price.
    pub fn price(&self) -> Option<Price> {
        self.price
    }

    /// Quantity filled so far.
    pub fn filled(&self) -> Qty {
        self.filled
    }

    /// Quantity still to fill while the order works; zero once it ended.
    pub fn leaves(&self) -> Qty {
        if self.state.is_done() {
            Qty::ZERO
        } else {
            self.qty.saturating_sub(self.filled)
        }
    }

    /// Applies `event`; on an illegal one the order is left as it was.
    pub fn apply(&mut self, event: OrderEvent) -> Result<OrderState, IllegalTransition> {
        let illegal = IllegalTransition {
            state: self.state,
            event,
        };
        let working = self.state.working();
        let next = match (self.state, event) {
            (OrderState::PendingNew, OrderEvent::Accepted) => OrderState::New,
            (OrderState::PendingNew, OrderEvent::Rejected) => OrderState::Rejected,
            (_, OrderEvent::Fill(qty))
                if working.is_some() || self.state == OrderState::PendingNew =>
            {
                let filled = self.filled.checked_add(qty).ok_or(illegal)?;
                if qty.is_zero() || filled > self.qty {
                    return Err(illegal);
                }
                self.filled = filled;
                if filled == self.qty {
                    OrderState::Filled
                } else {
                    match self.state {
                        OrderState::PendingCancel { .. } => OrderState::PendingCancel {
                            was: Working::PartiallyFilled,
                        },
                        OrderState::PendingReplace { .. } => OrderState::PendingReplace {
                            was: Working::PartiallyFilled,
                        },
                        _ => OrderState::PartiallyFilled,
                    }
                }
            }
            (OrderState::New | OrderState::PartiallyFilled, OrderEvent::CancelSent) => {
                OrderState::PendingCancel {
                    was: working.ok_or(illegal)?,
                }
            }
            (OrderState::PendingCancel { .. }, OrderEvent::CancelAccepted) => OrderState::Cancelled,
            (OrderState::PendingCancel { was }, OrderEvent::CancelRejected) => was.into(),
            (
                OrderState::New | OrderState::PartiallyFilled,
                OrderEvent::ReplaceSent { price, qty },
            ) => {
                if qty <= self.filled {
                    return Err(illegal);
                }
                self.replacing = Some((price, qty));
                OrderState::PendingReplace {
                    was: working.ok_or(illegal)?,
                }
            }
            (OrderState::PendingReplace { was }, OrderEvent::ReplaceAccepted) => {
                if let Some((price, qty)) = self.replacing.take() {
                    self.price = Some(price);
                    self.qty = qty;
                }
                was.into()
            }
            (OrderState::PendingReplace { was }, OrderEvent::ReplaceRejected) => {
                self.replacing = None;
                was.into()
            }
            (state, OrderEvent::Expired) if state.is_open() => OrderState::Expired,
            _ => return Err(illegal),
        };
        self.state = next;
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
