//! Execution: what happens to our orders between a strategy's intent and
//! the venue's reports, and what they leave behind.
//!
//! * [`OrderState`] and [`ManagedOrder`]: the order life cycle as a state
//!   machine that refuses illegal transitions, so a report out of order or
//!   a bug in a gateway is an error, not a corrupted order.
//! * [`ClientOrderIds`]: ids unique across restarts.
//! * [`Position`]: FIFO lots (or average cost), realised and unrealised
//!   PnL with fees, exact in fixed point.

pub mod ids;
pub mod order;
pub mod position;

pub use ids::ClientOrderIds;
pub use order::{IllegalTransition, ManagedOrder, OrderEvent, OrderState};
pub use position::{CostMethod, Position, PositionError};
