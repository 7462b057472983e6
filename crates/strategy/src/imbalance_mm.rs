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
use kestrel_exec::RepricePolicy;
use kestrel_model::{InstrumentIndex, Price, Qty};
use kestrel_signals::SignalValues;

use crate::api::{Context, OrderUpdate, Strategy};
use crate::quotes::TwoSidedQuotes;

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

/// The market maker.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ImbalanceMm {
    config: ImbalanceMmConfig,
    quotes: TwoSidedQuotes,
}

impl ImbalanceMm {
    /// A market maker with `config`.
    pub fn new(config: ImbalanceMmConfig) -> Self {
        Self {
            config,
            quotes: TwoSidedQuotes::default(),
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
            self.quotes.pull_all(ctx);
            return;
        }
        let Some(targets) = self.targets(book, signals, ctx.position_lots(instrument)) else {
            return;
        };
        self.quotes.work(
            ctx,
            instrument,
            targets,
            c.qty,
            &c.reprice,
            Some(c.hopeless_queue_lots),
        );
    }

    fn on_order(&mut self, _ctx: &mut dyn Context, update: &OrderUpdate) {
        self.quotes.on_order(update);
    }
}

#[cfg(test)]
mod tests;
