//! `lead_lag`: quotes one market around another's microprice.
//!
//! Subscribed to two instruments, the *quoted* one first and the *leader*
//! second (Binance spot BTCUSDT quoted around the USDⓈ-M perpetual, whose
//! book moves first). Fair value for the quoted market is the leader's
//! microprice plus the basis between the two mids, an exponential average
//! that follows slow drift but not the leader's jumps:
//!
//! `fair = micro(leader) + basis − (position / max_position) × inventory_skew`
//!
//! It quotes post-only a bid and an ask `half_spread` ticks around fair on
//! the quoted market, moves them under the same reprice policy as
//! `imbalance_mm`, and pulls them when either book is untrusted. It never
//! trades the leader: its book is read, O(1), as a signal.

use kestrel_book::OrderBook;
use kestrel_exec::RepricePolicy;
use kestrel_model::{InstrumentIndex, Price, Qty};
use kestrel_signals::SignalValues;

use crate::api::{Context, OrderUpdate, Strategy};
use crate::quotes::TwoSidedQuotes;

/// Settings of `lead_lag`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeadLagConfig {
    /// Size of each quote, on the quoted market's grid.
    pub qty: Qty,
    /// Distance of each quote from fair, in the quoted market's ticks.
    pub half_spread_ticks: f64,
    /// Fair shift at full inventory, in ticks.
    pub inventory_skew_ticks: f64,
    /// Largest position either way, in lots.
    pub max_position_lots: i64,
    /// Weight of each new basis observation in its average (0 to 1).
    pub basis_alpha: f64,
    /// When to move a resting quote.
    pub reprice: RepricePolicy,
}

/// The lead–lag quoter.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LeadLag {
    config: LeadLagConfig,
    /// Quoted mid − leader mid, averaged, in price units.
    basis: Option<f64>,
    quotes: TwoSidedQuotes,
}

impl LeadLag {
    /// A quoter with `config`.
    pub fn new(config: LeadLagConfig) -> Self {
        Self {
            config,
            basis: None,
            quotes: TwoSidedQuotes::default(),
        }
    }

    /// The average basis, once both books have had a mid.
    pub fn basis(&self) -> Option<f64> {
        self.basis
    }

    /// Where each side should quote on the quoted market, in its ticks.
    fn targets(
        &self,
        quoted: &OrderBook,
        leader: &OrderBook,
        position: i64,
    ) -> Option<[Option<Price>; 2]> {
        let c = &self.config;
        let tick = quoted.tick().to_f64(1);
        let (bid, ask) = (quoted.best_bid()?, quoted.best_ask()?);
        let fair = (leader.microprice()? + self.basis?) / tick
            - position as f64 / c.max_position_lots.max(1) as f64 * c.inventory_skew_ticks;
        let bid_px = ((fair - c.half_spread_ticks).floor() as i64).min(ask.price.ticks() - 1);
        let ask_px = ((fair + c.half_spread_ticks).ceil() as i64).max(bid.price.ticks() + 1);
        let lots = i64::try_from(c.qty.lots()).unwrap_or(i64::MAX);
        Some([
            (position.saturating_add(lots) <= c.max_position_lots)
                .then_some(Price::from_ticks(bid_px)),
            (position.saturating_sub(lots) >= -c.max_position_lots)
                .then_some(Price::from_ticks(ask_px)),
        ])
    }
}

impl Strategy for LeadLag {
    /// The touch of both books.
    fn book_depth(&self) -> Option<usize> {
        Some(1)
    }

    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        _changed: InstrumentIndex,
        _book: &OrderBook,
        _signals: &SignalValues,
    ) {
        let &[quoted_ix, leader_ix] = ctx.subscriptions() else {
            // Subscribed to other than two markets: nothing to quote.
            return;
        };
        if !ctx.book_trusted(quoted_ix) || !ctx.book_trusted(leader_ix) {
            self.quotes.pull_all(ctx);
            return;
        }
        let (Ok(quoted), Ok(leader)) = (ctx.book(quoted_ix), ctx.book(leader_ix)) else {
            return;
        };
        if let (Some(q), Some(l)) = (quoted.mid(), leader.mid()) {
            let a = self.config.basis_alpha.clamp(0.0, 1.0);
            let observed = q - l;
            self.basis = Some(self.basis.map_or(observed, |b| b + a * (observed - b)));
        }
        let Some(targets) = self.targets(quoted, leader, ctx.position_lots(quoted_ix)) else {
            return;
        };
        let c = self.config;
        self.quotes
            .work(ctx, quoted_ix, targets, c.qty, &c.reprice, None);
    }

    fn on_order(&mut self, _ctx: &mut dyn Context, update: &OrderUpdate) {
        self.quotes.on_order(update);
    }
}
