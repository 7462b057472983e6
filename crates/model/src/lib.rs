//! Kestrel's vocabulary, shared by every other crate.
//!
//! Prices and quantities are fixed-point integers counted in the instrument's
//! ticks and lots ([`Price`], [`Qty`]); [`Increment`] converts them exactly
//! to and from the venues' decimal strings. Floats appear only in analytics
//! helpers, never in a price, size or balance.

pub mod bar_spec;
pub mod contract;
pub mod decimal;
mod decimal_text;
pub mod event;
pub mod index;
pub mod inline_str;
pub mod instrument;
pub mod order;
pub mod price;
pub mod report;
pub mod rules;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;

pub use bar_spec::{BarSpec, BarSpecError};
pub use contract::{Contract, ContractKind};
pub use decimal::{Decimal, DecimalError, DecimalText, Increment};
pub use event::{
    Bar, BookDelta, BookSnapshot, EventTime, Level, LevelUpdate, MarketEvent, Quote, TouchBounds,
    Trade, UpdateIds,
};
pub use index::{InstrumentIndex, StrategyIndex};
pub use inline_str::{InlineStr, InlineStrError};
pub use instrument::{
    Asset, Instrument, InstrumentId, Symbol, SymbolError, UnknownVenue, Venue, symbol_from_parts,
};
pub use order::{ClientOrderId, OrderSpec, OrderType, Side, TimeInForce};
pub use price::{Price, Qty};
pub use report::{
    AccountId, ExecKind, ExecReport, ExpireReason, FeeAsset, Fill, Liquidity, OrderId, OrderStatus,
    RejectReason,
};
pub use rules::{InstrumentStatus, PriceBand, TradingRules};
pub use time::UnixNanos;
