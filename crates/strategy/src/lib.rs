//! The strategy API: a [`Strategy`] reacts to market data and order
//! updates and acts only through its [`Context`]. It never sees a socket, a
//! file or a database, so the same strategy runs in a backtest, on paper
//! and live, and a recorded session replays into the same decisions.

pub mod api;
pub mod builtin;
pub mod ema_cross;
pub mod imbalance_mm;
pub mod lead_lag;
pub mod quotes;
pub mod sma_cross;

pub use api::{Context, ContextError, NewOrder, OrderUpdate, Size, Strategy, TimerId};
pub use builtin::BuiltIn;
pub use ema_cross::{EmaCross, EmaCrossConfig};
pub use imbalance_mm::{ImbalanceMm, ImbalanceMmConfig};
pub use lead_lag::{LeadLag, LeadLagConfig};
pub use sma_cross::SmaCross;
