//! `imbalance_mm`: a market maker quoting post-only around the microprice.
//!
//! * Fair value is the microprice, skewed toward the book imbalance and away
//!   from inventory: `fair = microprice + imbalance × imbalance_skew −
//!   (position / max_position) × inventory_skew` (skews in ticks).
//! * It quotes a bid and an ask `half_spread` ticks around fair, never
//!   through the opposite best (post-only), and stops quoting the side that
//!   would grow inventory past `max_position`.
//! * A quote moves only when its price is `reprice.min_move_ticks` off, or
//!   any amount off while more than `hopeless_queue_lots` rest ahead of it
//!   (it would not fill before the market moves on), and no more often than
//!   `reprice.min_interval_ns`: it does not churn away its queue position.
//! * It pulls every quote while the book is untrusted or volatility is
//!   above `max_volatility`.
//!
//! It quotes the instrument whose book it is told of: subscribe it to one.

use kestrel_book::OrderBook;
use kestrel_exec::{RepriceDecision, RepricePolicy};
use kestrel_model::{ClientOrderId, InstrumentIndex, Price, Qty, Side, UnixNanos};
use kestrel_signals::SignalValues;

use crate::api::{Context, NewOrder, OrderUpdate, Strategy};

/// Settings of `imbalance_mm`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImbalanceMmConfig {
    /// Size of each quote.
    pub qty: Qty,
    /// Distance of each quote from fair, in ticks.
    pub half_spread_ticks: f64,
    /// Fair-value shift at full imbalance (±1), in ticks.
    pub imbalance_skew_ticks: f64,
    /// Fair-value shift at full inventory, in ticks.
    pub inventory_skew_ticks: f64,
    /// Largest position either way, in lots.
    pub max_position_lots: i64,
    /// When to move a resting quote.
    pub reprice: RepricePolicy,
    /// Queue ahead of a quote, in lots, past which its place is worth
    /// giving up for any price improvement.
    pub hopeless_queue_lots: u64,
    /// Volatility (per √s) above which quotes are pulled.
    pub max_volatility: f64,
}

/// One side's working quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Quote {
    id: ClientOrderId,
    price: Price,
    changed: UnixNanos,
}

/// The market maker.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ImbalanceMm {
    config: ImbalanceMmConfig,
    /// Bid then ask.
    quotes: [Option<Quote>; 2],
}

impl ImbalanceMm {
    /// A market maker with `config`.
    pub fn new(config: ImbalanceMmConfig) -> Self {
        Self {
            config,
            quotes: [None, None],
        }
    }

    /// Where each side should quote now, in ticks; `None` for a side not to quote.
    fn targets(
        &self,
        book: &OrderBook,
        signals: &SignalValues,
        position: i64,
    ) -> Option<[Option<Price>; 2]> {
        let c = &self.config;
        let tick = book.tick().to_f64(1);
        let (bid, ask) = (book.best_bid()?, book.best_ask()?);
        let micro = signals.microprice? / tick;
        let inventory = position as f64 / c.max_position_lots.max(1) as f64;
        let fair = micro + signals.imbalance.unwrap_or(0.0) * c.imbalance_skew_ticks
            - inventory * c.inventory_skew_ticks;
        let bid_px = ((fair - c.half_spread_ticks).floor() as i64).min(ask.price.ticks() - 1);
        let ask_px = ((fair + c.half_spread_ticks).ceil() as i64).max(bid.price.ticks() + 1);
        // A side quotes only if a whole fill keeps the position within the cap.
        let lots = i64::try_from(c.qty.lots()).unwrap_or(i64::MAX);
        Some([
            (position.saturating_add(lots) <= c.max_position_lots)
                .then_some(Price::from_ticks(bid_px)),
            (position.saturating_sub(lots) >= -c.max_position_lots)
                .then_some(Price::from_ticks(ask_px)),
        ])
    }

    fn pull_all(&mut self, ctx: &mut dyn Context) {
        if self.quotes.iter().any(Option::is_some) {
            ctx.cancel_all();
        }
    }
}

impl Strategy for ImbalanceMm {
    /// The touch only: best bid and ask, and the microprice.
    fn book_depth(&self) -> Option<usize> {
        Some(1)
    }

    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        instrument: InstrumentIndex,
        book: &OrderBook,
        signals: &SignalValues,
    ) {
        let c = self.config;
        if !ctx.book_trusted(instrument) || signals.volatility.is_some_and(|v| v > c.max_volatility)
        {
            self.pull_all(ctx);
            return;
        }
        let Some(targets) = self.targets(book, signals, ctx.position_lots(instrument)) else {
            return;
        };
        let now = ctx.now();
        for (i, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
            match (self.quotes[i], targets[i]) {
                (None, Some(price)) => {
                    if let Ok(id) = ctx.place(NewOrder::post_only(instrument, side, price, c.qty)) {
                        self.quotes[i] = Some(Quote {
                            id,
                            price,
                            changed: now,
                        });
                    }
                }
                (Some(q), None) => ctx.cancel(q.id),
                (Some(q), Some(price)) => {
                    let hopeless = ctx
                        .queue_ahead(q.id)
                        .is_some_and(|ahead| ahead > c.hopeless_queue_lots);
                    if let RepriceDecision::Move(to) =
                        c.reprice.decide(q.price, price, hopeless, q.changed, now)
                    {
                        self.quotes[i] = ctx.replace(q.id, to, c.qty).ok().map(|id| Quote {
                            id,
                            price: to,
                            changed: now,
                        });
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn on_order(&mut self, _ctx: &mut dyn Context, update: &OrderUpdate) {
        if update.state.is_done() {
            for q in &mut self.quotes {
                if q.is_some_and(|q| q.id == update.id) {
                    *q = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
