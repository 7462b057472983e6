//! Execution: what happens to our orders between a strategy's intent and
//! the venue's reports, and what they leave behind.
//!
//! * [`OrderState`] and [`ManagedOrder`]: the order life cycle as a state
//!   machine that refuses illegal transitions, so a report out of order or
//!   a bug in a gateway is an error, not a corrupted order.
//! * [`ClientOrderIds`]: ids unique across restarts.
//! * [`RepricePolicy`]: keep queue priority unless the price must move,
//!   and never faster than a minimum interval.
//! * [`QueuePosition`]: each resting order's place in its level's queue,
//!   by the same model the simulator fills with (`kestrel-book`).
//! * [`Position`]: FIFO lots (or average cost), realised and unrealised
//!   PnL with fees, exact in fixed point.

pub mod ids;
pub mod order;
pub mod position;
pub mod reprice;

pub use ids::ClientOrderIds;
pub use kestrel_book::queue::{QueueModel, QueuePosition};
pub use order::{IllegalTransition, ManagedOrder, OrderEvent, OrderState, Working};
pub use position::{Booked, CostMethod, Position, PositionError};
pub use reprice::{RepriceDecision, RepricePolicy};
