//! Limits and the engine that applies them.

use kestrel_model::{Decimal, Instrument, Price, Qty, Side, UnixNanos};

use crate::rate::TokenBucket;
use crate::{Decision, Reason};

/// Every limit. Order sizes, notionals, positions and the price band apply
/// per instrument (each instrument of a kernel has its own); exposure, the
/// order rate, the loss limits and latency apply to the account. Order
/// values and exposure are in the quote asset; losses and drawdown in the
/// asset equity is counted in (the settlement asset), as positive numbers.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RiskLimits {
    /// Largest quantity of one order.
    pub max_order_qty: Qty,
    /// Largest notional of one order.
    pub max_order_notional: Decimal,
    /// Largest position in one instrument, either way, if the order filled.
    pub max_position: Qty,
    /// Largest total exposure (Σ |position notional|) if the order filled.
    pub max_exposure: Decimal,
    /// Largest distance of a limit price from mid, in basis points.
    pub price_band_bps: u32,
    /// Order rate.
    pub orders: TokenBucket,
    /// Oldest book, in ns, that orders may be based on.
    pub max_book_age_ns: u64,
    /// Volatility (per √s) above which new orders are throttled.
    pub max_volatility: Option<f64>,
    /// Largest loss on one closing fill.
    pub max_trade_loss: Decimal,
    /// Largest loss in one (UTC) day.
    pub max_daily_loss: Decimal,
    /// Largest fall of equity from its peak.
    pub max_drawdown: Decimal,
    /// Largest tick-to-ack p99, in ns.
    pub max_ack_p99_ns: u64,
}

/// What risk needs to know about an order and the state it would trade in.
#[derive(Clone, Copy, Debug)]
pub struct OrderCheck<'a> {
    /// The market.
    pub instrument: &'a Instrument,
    /// The market's own limits (order size and value, position, band,
    /// book age, volatility).
    pub limits: &'a RiskLimits,
    /// Buy or sell.
    pub side: Side,
    /// Limit price; `None` for a market order.
    pub price: Option<Price>,
    /// Quantity.
    pub qty: Qty,
    /// Price a market order is expected to trade at (the best opposite).
    pub reference: Price,
    /// Current mid.
    pub mid: Option<f64>,
    /// The account's position in this instrument, in lots, signed.
    pub position_lots: i64,
    /// The account's total exposure across instruments, in the quote asset.
    pub exposure: Decimal,
    /// Our best resting price on the other side, if any.
    pub own_opposite: Option<Price>,
    /// Whether the book is in sync.
    pub book_trusted: bool,
    /// Time since the book's last update, in ns.
    pub book_age_ns: u64,
    /// Current realised volatility per √s.
    pub volatility: Option<f64>,
    /// Now.
    pub now: UnixNanos,
}

/// The risk engine's state: limits, order bucket, equity marks, kill switch.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RiskEngine {
    limits: RiskLimits,
    bucket: TokenBucket,
    killed: Option<Reason>,
    peak_equity: Option<Decimal>,
    day: Option<(u64, Decimal)>,
}

const DAY_NS: u64 = 86_400_000_000_000;

impl RiskEngine {
    /// An engine applying `limits`.
    pub fn new(limits: RiskLimits) -> Self {
        Self {
            bucket: limits.orders,
            limits,
            killed: None,
            peak_equity: None,
            day: None,
        }
    }

    /// Why trading is stopped, if it is.
    pub fn killed(&self) -> Option<Reason> {
        self.killed
    }

    /// Stops trading: every order is refused until [`Self::reset`]. The
    /// kernel cancels what rests and journals the switch.
    pub fn kill(&mut self, reason: Reason) {
        self.killed.get_or_insert(reason);
    }

    /// Explicitly re-enables trading.
    pub fn reset(&mut self) {
        self.killed = None;
    }

    /// The pre-trade checks, cheapest and most fundamental first; an
    /// approved order takes a rate token, a refused one does not.
    pub fn check_order(&mut self, c: &OrderCheck<'_>) -> Decision {
        match self.refusal(c) {
            Some(reason) => Decision::Refused(reason),
            None if !self.bucket.try_take(c.now) => Decision::Refused(Reason::RateLimited),
            None => Decision::Approved,
        }
    }

    fn refusal(&self, c: &OrderCheck<'_>) -> Option<Reason> {
        let l = c.limits;
        let i = c.instrument;
        if let Some(reason) = self.killed {
            return Some(if reason == Reason::KillSwitch {
                reason
            } else {
                Reason::KillSwitch
            });
        }
        if !c.book_trusted {
            return Some(Reason::BookUntrusted);
        }
        if c.book_age_ns > l.max_book_age_ns {
            return Some(Reason::BookStale);
        }
        if l.max_volatility
            .zip(c.volatility)
            .is_some_and(|(max, v)| v > max)
        {
            return Some(Reason::Volatility);
        }
        if c.price.is_some_and(|p| p.ticks() <= 0) {
            return Some(Reason::TickSize);
        }
        if c.qty.is_zero() || c.qty < i.min_qty {
            return Some(Reason::LotSize);
        }
        let price = c.price.unwrap_or(c.reference);
        // A notional too large to represent is over any limit.
        let Some(notional) = i.notional(price, c.qty) else {
            return Some(Reason::MaxOrderNotional);
        };
        if notional < i.min_notional {
            return Some(Reason::MinNotional);
        }
        if c.qty > l.max_order_qty {
            return Some(Reason::MaxOrderQty);
        }
        if notional > l.max_order_notional {
            return Some(Reason::MaxOrderNotional);
        }
        if let (Some(limit), Some(mid)) = (c.price, c.mid) {
            let distance_bps = (i.tick.to_f64(limit.ticks()) - mid).abs() / mid * 10_000.0;
            if distance_bps > f64::from(l.price_band_bps) {
                return Some(Reason::PriceBand);
            }
        }
        let lots = i64::try_from(c.qty.lots()).unwrap_or(i64::MAX);
        let after = c.position_lots.saturating_add(lots * c.side.sign());
        if after.unsigned_abs() > l.max_position.lots() {
            return Some(Reason::MaxPosition);
        }
        // Only an order that grows the position adds exposure.
        if after.unsigned_abs() > c.position_lots.unsigned_abs()
            && c.exposure
                .checked_add(notional)
                .is_none_or(|e| e > self.limits.max_exposure)
        {
            return Some(Reason::MaxExposure);
        }
        let crosses_own = c.own_opposite.is_some_and(|own| match c.side {
            Side::Buy => price >= own,
            Side::Sell => price <= own,
        });
        if crosses_own {
            return Some(Reason::SelfTrade);
        }
        None
    }

    /// Post-fill checks: `trade_pnl` is what the fill realised (after
    /// fees), `equity` the account's equity after it. A breach trips the
    /// kill switch and is returned.
    pub fn on_fill(
        &mut self,
        trade_pnl: Decimal,
        equity: Decimal,
        now: UnixNanos,
    ) -> Option<Reason> {
        let l = self.limits;
        let loss = |amount: Decimal| Decimal::ZERO.checked_sub(amount).unwrap_or(Decimal::ZERO);
        let peak = *self.peak_equity.get_or_insert(equity);
        self.peak_equity = Some(peak.max(equity));
        let day = now.as_nanos() / DAY_NS;
        let day_start = match self.day {
            Some((d, start)) if d == day => start,
            _ => {
                self.day = Some((day, equity));
                equity
            }
        };
        let breach = if loss(trade_pnl) > l.max_trade_loss {
            Some(Reason::TradeLoss)
        } else if day_start
            .checked_sub(equity)
            .is_some_and(|d| d > l.max_daily_loss)
        {
            Some(Reason::DailyLoss)
        } else if self
            .peak_equity
            .and_then(|p| p.checked_sub(equity))
            .is_some_and(|d| d > l.max_drawdown)
        {
            Some(Reason::Drawdown)
        } else {
            None
        };
        if let Some(reason) = breach {
            self.kill(reason);
        }
        breach
    }

    /// Marks equity without a fill (to set the day's start and the peak).
    pub fn mark_equity(&mut self, equity: Decimal, now: UnixNanos) {
        let peak = *self.peak_equity.get_or_insert(equity);
        self.peak_equity = Some(peak.max(equity));
        let day = now.as_nanos() / DAY_NS;
        if self.day.is_none_or(|(d, _)| d != day) {
            self.day = Some((day, equity));
        }
    }

    /// The latency monitor: a tick-to-ack p99 above the limit trips the
    /// kill switch.
    pub fn on_latency(&mut self, ack_p99_ns: u64) -> Option<Reason> {
        (ack_p99_ns > self.limits.max_ack_p99_ns).then(|| {
            self.kill(Reason::Latency);
            Reason::Latency
        })
    }
}

#[cfg(test)]
mod tests;
