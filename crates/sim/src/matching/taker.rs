//! Orders that arrive: post-only checks, walking the book, resting the rest.
//!
//! An aggressive order is first planned (nothing changes), so that a FOK
//! order can be refused whole and self-trade prevention can stop the walk
//! where Binance would; then the plan is applied. At each price the
//! recorded size (less what we already took there) trades first, then our
//! own resting orders at that price in arrival order, since they joined the
//! back of the queue.

use kestrel_model::{Decimal, OrderType, Price, Qty, Side, TimeInForce, UnixNanos};

use super::working::{Resting, Working};
use super::{MatchingEngine, Taken};
use crate::order::{OrderId, OrderRequest, SelfTradePrevention};
use crate::report::{ExecKind, ExecReport, ExpireReason, Liquidity, RejectReason};
use kestrel_book::queue::QueuePosition;

/// One planned step of an aggressive order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Match {
    /// Trade `qty` against the recorded book at `price`.
    Recorded { price: Price, qty: Qty },
    /// Trade `qty` against our resting order at index `maker`.
    Resting { maker: usize, qty: Qty },
    /// Self-trade prevention expires our resting order at index `maker`.
    ExpireMaker { maker: usize },
}

/// How a plan ends for the incoming order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PlanEnd {
    /// Filled, or out of liquidity within its limit.
    Done,
    /// Self-trade prevention expires the rest of it.
    SelfTrade,
}

impl MatchingEngine {
    /// Works an accepted (or just triggered) order.
    pub(super) fn execute(
        &mut self,
        mut order: Working,
        announce: bool,
        now: UnixNanos,
        out: &mut Vec<ExecReport>,
    ) {
        let req = order.req;
        if req.is_post_only() && self.would_take(req.side, req.price) {
            out.push(order.report(ExecKind::Rejected(RejectReason::WouldTake), now));
            return;
        }
        if announce {
            out.push(order.report(ExecKind::New, now));
        }
        if req.is_post_only() {
            self.rest(order);
            return;
        }
        if req.kind == OrderType::Market && !self.book_seen {
            self.awaiting_trade.push(order);
            return;
        }
        let limit = req.price.filter(|_| req.kind.has_limit_price());
        let (planned, end) = self.plan_take(&order, limit);
        if req.time_in_force == TimeInForce::Fok && planned < order.leaves {
            out.push(order.report(ExecKind::Expired(ExpireReason::FillOrKill), now));
            return;
        }
        self.apply_plan(&mut order, now, out);
        if order.leaves.is_zero() {
            return;
        }
        let rests = req.kind == OrderType::Limit && req.time_in_force == TimeInForce::Gtc;
        if end == PlanEnd::SelfTrade {
            out.push(order.report(ExecKind::Expired(ExpireReason::SelfTrade), now));
        } else if rests {
            self.rest(order);
        } else {
            out.push(order.report(ExecKind::Expired(ExpireReason::Remainder), now));
        }
    }

    /// What `req` would pay (quote notional) if it arrived now as a market
    /// order: the walk it would make, without making it. `None` on overflow.
    pub fn market_cost(&mut self, req: &OrderRequest) -> Option<Decimal> {
        let order = Working::new(OrderId(0), *req);
        self.plan_take(&order, None);
        let mut cost = Decimal::ZERO;
        for step in &self.plan {
            let (price, qty) = match *step {
                Match::Recorded { price, qty } => (price, qty),
                Match::Resting { maker, qty } => (self.resting[maker].price, qty),
                Match::ExpireMaker { .. } => continue,
            };
            cost = cost.checked_add(self.instrument.notional(price, qty)?)?;
        }
        Some(cost)
    }

    /// How much a `side` market order spending `quote` (Binance's
    /// `quoteOrderQty`) would buy or sell if it arrived now: the recorded
    /// book walked until the notional would pass `quote`, whole lots only.
    pub fn qty_for_quote(&self, side: Side, quote: Decimal) -> Qty {
        let opposite = side.opposite();
        let mut spent = Decimal::ZERO;
        let mut lots = 0u64;
        for level in self.book.levels(opposite) {
            let available = level
                .qty
                .saturating_sub(self.taken_at(opposite, level.price));
            let Some(left) = quote.checked_sub(spent).filter(|l| !l.is_negative()) else {
                break;
            };
            let notional = |q: u64| self.instrument.notional(level.price, Qty::from_lots(q));
            let fits = |q: u64| notional(q).is_some_and(|n| n <= left);
            if fits(available.lots()) {
                lots += available.lots();
                spent = notional(available.lots())
                    .and_then(|n| spent.checked_add(n))
                    .unwrap_or(quote);
                continue;
            }
            // The last level, partly: estimate in floats, then settle on the
            // largest whole number of lots that fits, exactly.
            let per_lot = notional(1).map_or(f64::INFINITY, Decimal::to_f64);
            let mut q = ((left.to_f64() / per_lot) as u64).min(available.lots());
            while q > 0 && !fits(q) {
                q -= 1;
            }
            while q < available.lots() && fits(q + 1) {
                q += 1;
            }
            lots += q;
            break;
        }
        Qty::from_lots(lots)
    }

    /// Whether a `side` order at `price` would trade on arrival, against
    /// the recorded book or our own resting orders.
    fn would_take(&self, side: Side, price: Option<Price>) -> bool {
        let Some(price) = price else { return true };
        let crosses = |other: Price| match side {
            Side::Buy => price >= other,
            Side::Sell => price <= other,
        };
        self.best_available(side.opposite()).is_some_and(crosses)
            || self
                .resting
                .iter()
                .any(|r| r.order.req.side != side && crosses(r.price))
    }

    /// The best recorded price on `side` with size left after what we took.
    fn best_available(&self, side: Side) -> Option<Price> {
        self.book
            .levels(side)
            .find(|l| l.qty > self.taken_at(side, l.price))
            .map(|l| l.price)
    }

    fn taken_at(&self, side: Side, price: Price) -> Qty {
        self.taken
            .iter()
            .find(|t| t.side == side && t.price == price)
            .map_or(Qty::ZERO, |t| t.qty)
    }

    /// Plans `order`'s matches into `self.plan`: how much it would fill and
    /// how the walk ends.
    fn plan_take(&mut self, order: &Working, limit: Option<Price>) -> (Qty, PlanEnd) {
        let side = order.req.side;
        let opposite = side.opposite();
        let within = |p: Price| {
            limit.is_none_or(|l| match side {
                Side::Buy => p <= l,
                Side::Sell => p >= l,
            })
        };
        let better = |a: Price, b: Price| match opposite {
            Side::Buy => a > b,
            Side::Sell => a < b,
        };
        // Our resting orders on the other side, best price first, then by
        // arrival (ids grow with arrival); the buffer is reused.
        let mut makers = std::mem::take(&mut self.makers);
        makers.clear();
        makers.extend(
            (0..self.resting.len()).filter(|&i| self.resting[i].order.req.side == opposite),
        );
        makers.sort_by_key(|&i| {
            let r = &self.resting[i];
            let priority = match opposite {
                Side::Buy => -r.price.ticks(),
                Side::Sell => r.price.ticks(),
            };
            (priority, r.order.id)
        });

        let mut plan = std::mem::take(&mut self.plan);
        plan.clear();
        let mut left = order.leaves;
        let mut end = PlanEnd::Done;
        let mut levels = self.book.levels(opposite).peekable();
        let mut next_maker = 0;
        'walk: while !left.is_zero() {
            let recorded = levels.peek().map(|l| l.price);
            let ours = makers.get(next_maker).map(|&i| self.resting[i].price);
            let price = match (recorded, ours) {
                (Some(r), Some(o)) => {
                    if better(o, r) {
                        o
                    } else {
                        r
                    }
                }
                (Some(p), None) | (None, Some(p)) => p,
                (None, None) => break,
            };
            if !within(price) {
                break;
            }
            if recorded == Some(price) {
                if let Some(level) = levels.next() {
                    let qty = level
                        .qty
                        .saturating_sub(self.taken_at(opposite, price))
                        .min(left);
                    if !qty.is_zero() {
                        plan.push(Match::Recorded { price, qty });
                        left = left.saturating_sub(qty);
                    }
                }
            }
            while let Some(&maker) = makers.get(next_maker) {
                let r = &self.resting[maker];
                if r.price != price {
                    break;
                }
                next_maker += 1;
                if left.is_zero() {
                    break 'walk;
                }
                if r.order.req.account == order.req.account {
                    match order.req.stp {
                        SelfTradePrevention::None => {}
                        SelfTradePrevention::ExpireTaker => {
                            end = PlanEnd::SelfTrade;
                            break 'walk;
                        }
                        SelfTradePrevention::ExpireMaker => {
                            plan.push(Match::ExpireMaker { maker });
                            continue;
                        }
                        SelfTradePrevention::ExpireBoth => {
                            plan.push(Match::ExpireMaker { maker });
                            end = PlanEnd::SelfTrade;
                            break 'walk;
                        }
                    }
                }
                let qty = r.order.leaves.min(left);
                plan.push(Match::Resting { maker, qty });
                left = left.saturating_sub(qty);
            }
        }
        self.plan = plan;
        self.makers = makers;
        (order.leaves.saturating_sub(left), end)
    }

    /// Carries out `self.plan` for the incoming `order`.
    fn apply_plan(&mut self, order: &mut Working, now: UnixNanos, out: &mut Vec<ExecReport>) {
        let plan = std::mem::take(&mut self.plan);
        let opposite = order.req.side.opposite();
        for &step in &plan {
            match step {
                Match::Recorded { price, qty } => {
                    match self
                        .taken
                        .iter_mut()
                        .find(|t| t.side == opposite && t.price == price)
                    {
                        Some(t) => t.qty = t.qty.checked_add(qty).unwrap_or(t.qty),
                        None => self.taken.push(Taken {
                            side: opposite,
                            price,
                            qty,
                        }),
                    }
                    self.fill_taker(order, price, qty, now, out);
                }
                Match::Resting { maker, qty } => {
                    let price = self.resting[maker].price;
                    self.fill_resting(maker, price, qty, now, out);
                    self.fill_taker(order, price, qty, now, out);
                }
                Match::ExpireMaker { maker } => {
                    let r = &mut self.resting[maker];
                    r.expired = true;
                    out.push(
                        r.order
                            .report(ExecKind::Expired(ExpireReason::SelfTrade), now),
                    );
                }
            }
        }
        self.plan = plan;
        self.remove_done();
    }

    pub(super) fn fill_taker(
        &mut self,
        order: &mut Working,
        price: Price,
        qty: Qty,
        now: UnixNanos,
        out: &mut Vec<ExecReport>,
    ) {
        let fill = self.new_fill(price, qty, Liquidity::Taker);
        order.fill(qty);
        out.push(order.report(ExecKind::Trade(fill), now));
    }

    /// Puts `order` at the back of its level's queue.
    fn rest(&mut self, order: Working) {
        let side = order.req.side;
        // A limit order always has a price; validation refused it otherwise.
        let Some(price) = order.req.price else { return };
        // Our own orders already at this price are ahead too; `on_trade`
        // serves them first.
        let ahead = self.book.qty_at(side, price).lots();
        self.resting.push(Resting {
            order,
            price,
            queue: QueuePosition::back_of(ahead),
            expired: false,
        });
        self.update_spans();
    }
}
