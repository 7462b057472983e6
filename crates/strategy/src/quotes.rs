//! A bid and an ask kept post-only on one market: placed where the
//! strategy wants them, moved under a reprice policy, forgotten once they
//! end. The market makers share it; each decides only where to quote.

use kestrel_exec::{RepriceDecision, RepricePolicy};
use kestrel_model::{ClientOrderId, InstrumentIndex, Price, Qty, Side};

use crate::api::{Context, NewOrder, OrderUpdate};

/// One side's working quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Quote {
    id: ClientOrderId,
    price: Price,
    changed: kestrel_model::UnixNanos,
}

/// The working bid and ask, in that order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TwoSidedQuotes([Option<Quote>; 2]);

impl TwoSidedQuotes {
    /// Cancels every order of the strategy if a quote is working.
    pub fn pull_all(&self, ctx: &mut dyn Context) {
        if self.0.iter().any(Option::is_some) {
            ctx.cancel_all();
        }
    }

    /// Brings each side to its target (`None`: no quote on that side): a
    /// new quote is placed, an unwanted one cancelled, a working one moved
    /// when `reprice` says so. With `hopeless_queue`, a quote with more
    /// lots than that ahead of it takes any improvement.
    pub fn work(
        &mut self,
        ctx: &mut dyn Context,
        instrument: InstrumentIndex,
        targets: [Option<Price>; 2],
        qty: Qty,
        reprice: &RepricePolicy,
        hopeless_queue: Option<u64>,
    ) {
        let now = ctx.now();
        for (i, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
            match (self.0[i], targets[i]) {
                (None, Some(price)) => {
                    if let Ok(id) = ctx.place(NewOrder::post_only(instrument, side, price, qty)) {
                        self.0[i] = Some(Quote {
                            id,
                            price,
                            changed: now,
                        });
                    }
                }
                (Some(q), None) => ctx.cancel(q.id),
                (Some(q), Some(price)) => {
                    let hopeless = hopeless_queue.is_some_and(|limit| {
                        ctx.queue_ahead(q.id).is_some_and(|ahead| ahead > limit)
                    });
                    if let RepriceDecision::Move(to) =
                        reprice.decide(q.price, price, hopeless, q.changed, now)
                    {
                        self.0[i] = ctx.replace(q.id, to, qty).ok().map(|id| Quote {
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

    /// Forgets a quote that ended.
    pub fn on_order(&mut self, update: &OrderUpdate) {
        if update.state.is_done() {
            for q in &mut self.0 {
                if q.is_some_and(|q| q.id == update.id) {
                    *q = None;
                }
            }
        }
    }
}
