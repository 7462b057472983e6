//! The risk engine: every order passes [`RiskEngine::check_order`] before it
//! leaves, every fill passes [`RiskEngine::on_fill`], and monitors can trip
//! the kill switch. Each answer is a value with a reason code, for the
//! kernel to act on and journal; nothing here sends or cancels anything.

pub mod bracket;
pub mod limits;
pub mod rate;

pub use bracket::{Bracket, BracketExit};
pub use limits::{OrderCheck, RiskEngine, RiskLimits};
pub use rate::TokenBucket;

/// Why risk refused an order or stopped trading.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub enum Reason {
    /// Quantity above the per-order maximum.
    #[error("order quantity above the limit")]
    MaxOrderQty,
    /// Notional above the per-order maximum.
    #[error("order notional above the limit")]
    MaxOrderNotional,
    /// The fill would take the instrument's position past its limit.
    #[error("position limit for the instrument")]
    MaxPosition,
    /// The fill would take total exposure past its limit.
    #[error("total exposure limit")]
    MaxExposure,
    /// Limit price too far from mid.
    #[error("price outside the band around mid")]
    PriceBand,
    /// Order rate above the token bucket's.
    #[error("order rate limit")]
    RateLimited,
    /// Would trade against one of our own resting orders.
    #[error("would trade against our own order")]
    SelfTrade,
    /// Price off the tick grid.
    #[error("price not on the tick")]
    TickSize,
    /// Quantity off the lot grid or below the minimum.
    #[error("quantity below the minimum")]
    LotSize,
    /// Notional below the venue's minimum.
    #[error("notional below the venue's minimum")]
    MinNotional,
    /// The book is not trusted (resyncing).
    #[error("book untrusted")]
    BookUntrusted,
    /// No book update for too long.
    #[error("book stale")]
    BookStale,
    /// Volatility above the throttle.
    #[error("volatility throttle")]
    Volatility,
    /// The kill switch is on.
    #[error("kill switch on")]
    KillSwitch,
    /// One trade lost more than allowed (trips the kill switch).
    #[error("per-trade loss limit")]
    TradeLoss,
    /// The day's loss passed its limit (trips the kill switch).
    #[error("daily loss limit")]
    DailyLoss,
    /// Equity fell too far from its peak (trips the kill switch).
    #[error("drawdown from peak equity")]
    Drawdown,
    /// Tick-to-ack p99 above its limit (trips the kill switch).
    #[error("latency kill switch")]
    Latency,
    /// One strategy lost more than its own limit (halts that strategy).
    #[error("strategy loss limit")]
    StrategyLoss,
    /// The strategy is halted, by its loss limit or an operator; the
    /// others trade on.
    #[error("strategy halted")]
    StrategyHalted,
}

impl Reason {
    /// Every reason, in declaration order; an index here is the reason's
    /// stable code in the journal.
    pub const ALL: [Self; 20] = [
        Self::MaxOrderQty,
        Self::MaxOrderNotional,
        Self::MaxPosition,
        Self::MaxExposure,
        Self::PriceBand,
        Self::RateLimited,
        Self::SelfTrade,
        Self::TickSize,
        Self::LotSize,
        Self::MinNotional,
        Self::BookUntrusted,
        Self::BookStale,
        Self::Volatility,
        Self::KillSwitch,
        Self::TradeLoss,
        Self::DailyLoss,
        Self::Drawdown,
        Self::Latency,
        Self::StrategyLoss,
        Self::StrategyHalted,
    ];
}

/// Risk's answer to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// It may go.
    Approved,
    /// It may not, and why.
    Refused(Reason),
}
