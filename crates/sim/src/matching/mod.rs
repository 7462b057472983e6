//! [`MatchingEngine`]: one instrument's venue, in exchange time.
//!
//! The recorded market moves the book; our orders are overlaid on it and
//! never change the recorded sizes. What they take from the book is kept
//! aside (`taken`) until the feed next updates that level: the impact of
//! consuming liquidity, which recovers as the recorded data refreshes.
//!
//! Fill rules for a resting limit order:
//! 1. It joins the back of its level: the recorded size there is ahead of
//!    it, and so are our own orders already resting at that price.
//! 2. A trade at its price against its side advances the queue by the
//!    trade's size; the part beyond the queue fills it (partially if short).
//! 3. A recorded size decrease advances the queue by the [`QueueModel`].
//! 4. A trade at a better price than ours against our side (a sell below
//!    our bid) went through our level, which must have traded first: the
//!    whole order fills, at its own price.
//! 5. So does a recorded book whose opposite best moves to or through our
//!    price (checked after each whole delta, which may pass through
//!    transiently crossed states).
//!
//! On trade-only data (no book has ever been recorded) a market order has
//! nothing to walk: it waits for the next trade and fills whole at that
//! trade's price, the configured slippage worse (ticks), as a taker.

mod taker;
mod working;

use kestrel_book::OrderBook;
use kestrel_model::{
    BookDelta, BookSnapshot, ClientOrderId, ContractKind, Decimal, Instrument, Price, Qty, Side,
    Trade, UnixNanos,
};

use crate::order::{AccountId, OrderId, OrderRequest};
use crate::report::{ExecKind, ExecReport, FeeAsset, Fill, Liquidity, RejectReason};
use kestrel_book::queue::QueueModel;
use working::{Resting, Working};

/// Recorded liquidity we took at one level, not yet refreshed by the feed.
#[derive(Clone, Copy, Debug)]
struct Taken {
    side: Side,
    price: Price,
    qty: Qty,
}

/// How a cancel names its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderRef {
    /// By the venue's id.
    Venue(OrderId),
    /// By the client's id.
    Client(ClientOrderId),
}

/// The simulated venue of one instrument. See the module docs for the rules.
#[derive(Clone, Debug)]
pub struct MatchingEngine {
    instrument: Instrument,
    book: OrderBook,
    queue_model: QueueModel,
    /// Our resting limit orders, in arrival order.
    resting: Vec<Resting>,
    /// Stop orders waiting for their trigger.
    stops: Vec<Working>,
    taken: Vec<Taken>,
    /// Per side, the lowest and highest price we rest at: most recorded
    /// updates fall outside and cost one comparison pair.
    spans: [Option<(Price, Price)>; 2],
    next_trade_id: u64,
    /// Scratch for planning an aggressive order's matches.
    plan: Vec<taker::Match>,
    /// Scratch: our resting orders an aggressive order may meet.
    makers: Vec<usize>,
    /// Whether a book was ever recorded; until then market orders wait
    /// for a trade.
    book_seen: bool,
    /// Market orders waiting for the next trade (trade-only data).
    awaiting_trade: Vec<Working>,
    /// Ticks worse than that trade they fill at.
    trade_slippage_ticks: u32,
}

impl MatchingEngine {
    /// A venue for `instrument` with an empty book.
    pub fn new(instrument: Instrument, queue_model: QueueModel) -> Self {
        Self {
            book: OrderBook::new(&instrument),
            instrument,
            queue_model,
            resting: Vec::new(),
            stops: Vec::new(),
            taken: Vec::new(),
            spans: [None, None],
            next_trade_id: 1,
            plan: Vec::new(),
            makers: Vec::new(),
            book_seen: false,
            awaiting_trade: Vec::new(),
            trade_slippage_ticks: 0,
        }
    }

    /// With market orders on trade-only data filled `ticks` worse than the
    /// next trade.
    pub fn with_trade_slippage(mut self, ticks: u32) -> Self {
        self.trade_slippage_ticks = ticks;
        self
    }

    /// The instrument traded here.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The recorded market's book (without our orders).
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// Our open orders: resting limits, stops waiting for a trigger, and
    /// market orders waiting for a trade (trade-only data).
    pub fn open_orders(&self) -> impl Iterator<Item = ExecReport> + '_ {
        let now = UnixNanos::new(0);
        self.resting
            .iter()
            .map(move |r| r.order.report(ExecKind::New, now))
            .chain(self.stops.iter().map(move |s| s.report(ExecKind::New, now)))
            .chain(
                self.awaiting_trade
                    .iter()
                    .map(move |o| o.report(ExecKind::New, now)),
            )
    }

    /// Recorded size ahead of one of our resting orders, in lots; `None` if
    /// it is not resting.
    pub fn queue_ahead(&self, id: OrderId) -> Option<u64> {
        self.resting
            .iter()
            .find(|r| r.order.id == id)
            .map(|r| r.queue.ahead)
    }

    /// Replaces the recorded book; our orders keep their place, clamped to
    /// the new level sizes, and any now crossed by the book fill.
    pub fn on_snapshot(
        &mut self,
        snapshot: &BookSnapshot,
        now: UnixNanos,
        out: &mut Vec<ExecReport>,
    ) {
        self.book_seen = true;
        let mut book = OrderBook::new(&self.instrument);
        // The snapshot names its instrument; the venue routed it here.
        let _ = book.load_snapshot(&BookSnapshot {
            instrument: self.instrument.id,
            ..snapshot.clone()
        });
        self.book = book;
        for r in &mut self.resting {
            let size = self.book.qty_at(r.order.req.side, r.price).lots();
            r.queue.ahead = r.queue.ahead.min(size);
        }
        self.taken.clear();
        self.fill_crossed(now, out);
    }

    /// Applies a recorded diff, moving our queues and filling what the book
    /// crossed.
    pub fn on_delta(&mut self, delta: &BookDelta, now: UnixNanos, out: &mut Vec<ExecReport>) {
        self.book_seen = true;
        for u in &delta.updates {
            if self.spans[u.side as usize].is_some_and(|(lo, hi)| lo <= u.price && u.price <= hi) {
                let old = self.book.qty_at(u.side, u.price).lots();
                for r in &mut self.resting {
                    if r.order.req.side == u.side && r.price == u.price {
                        r.queue.on_depth(self.queue_model, old, u.qty.lots());
                    }
                }
            }
            self.book.update_level(u.side, u.price, u.qty);
            if !self.taken.is_empty() {
                self.taken
                    .retain(|t| t.side != u.side || t.price != u.price);
            }
        }
        self.fill_crossed(now, out);
    }

    /// Applies a recorded trade: triggers stops, advances queues at its
    /// price and fills what it reached or went through.
    #[inline]
    pub fn on_trade(&mut self, trade: &Trade, now: UnixNanos, out: &mut Vec<ExecReport>) {
        // Most trades meet none of our orders: a check inline, the work apart.
        if !(self.awaiting_trade.is_empty() && self.stops.is_empty() && self.resting.is_empty()) {
            self.match_trade(trade, now, out);
        }
    }

    #[inline(never)]
    fn match_trade(&mut self, trade: &Trade, now: UnixNanos, out: &mut Vec<ExecReport>) {
        if !self.awaiting_trade.is_empty() {
            self.fill_awaiting(trade.price, now, out);
        }
        if self.stops.is_empty() && self.resting.is_empty() {
            return;
        }
        self.trigger_stops(trade.price, now, out);
        let mut any_done = false;
        // Per side, what our earlier orders at the trade's price held before
        // it: they stand ahead of our later ones there.
        let mut ours_ahead = [0u64; 2];
        for i in 0..self.resting.len() {
            let r = &mut self.resting[i];
            let side = r.order.req.side;
            if trade.aggressor == Some(side) {
                continue;
            }
            let better = match side {
                Side::Buy => trade.price < r.price,
                Side::Sell => trade.price > r.price,
            };
            let qty = if better {
                r.order.leaves
            } else if trade.price == r.price {
                let ours = &mut ours_ahead[side as usize];
                let reached = r.queue.on_trade(trade.qty.lots()).saturating_sub(*ours);
                *ours = ours.saturating_add(r.order.leaves.lots());
                Qty::from_lots(reached.min(r.order.leaves.lots()))
            } else {
                continue;
            };
            if !qty.is_zero() {
                let price = r.price;
                self.fill_resting(i, price, qty, now, out);
                any_done |= self.resting[i].is_done();
            }
        }
        if any_done {
            self.remove_done();
        }
    }

    /// Cancels an open order of `account`.
    pub fn cancel(
        &mut self,
        account: AccountId,
        target: OrderRef,
        now: UnixNanos,
        out: &mut Vec<ExecReport>,
    ) -> Result<(), RejectReason> {
        let matches = |o: &Working| {
            o.req.account == account
                && match target {
                    OrderRef::Venue(id) => o.id == id,
                    OrderRef::Client(c) => o.req.client_id == c,
                }
        };
        if let Some(i) = self.resting.iter().position(|r| matches(&r.order)) {
            let r = self.resting.remove(i);
            out.push(r.order.report(ExecKind::Canceled, now));
            self.update_spans();
            return Ok(());
        }
        if let Some(i) = self.stops.iter().position(matches) {
            let s = self.stops.remove(i);
            out.push(s.report(ExecKind::Canceled, now));
            return Ok(());
        }
        if let Some(i) = self.awaiting_trade.iter().position(matches) {
            let o = self.awaiting_trade.remove(i);
            out.push(o.report(ExecKind::Canceled, now));
            return Ok(());
        }
        Err(RejectReason::UnknownOrder)
    }

    /// Whether `account` has an open order with this client id.
    pub fn has_open(&self, account: AccountId, client_id: ClientOrderId) -> bool {
        let same = |o: &Working| o.req.account == account && o.req.client_id == client_id;
        self.resting.iter().any(|r| same(&r.order))
            || self.stops.iter().any(same)
            || self.awaiting_trade.iter().any(same)
    }

    /// Fills the market orders waiting on trade-only data at `price`, the
    /// slippage worse.
    fn fill_awaiting(&mut self, price: Price, now: UnixNanos, out: &mut Vec<ExecReport>) {
        let slip = i64::from(self.trade_slippage_ticks);
        for mut order in std::mem::take(&mut self.awaiting_trade) {
            let worse = match order.req.side {
                Side::Buy => slip,
                Side::Sell => -slip,
            };
            let at = price.checked_offset(worse).unwrap_or(price);
            let qty = order.leaves;
            self.fill_taker(&mut order, at, qty, now, out);
        }
    }

    /// Accepts and works a new order (the venue has checked the account).
    pub fn submit(
        &mut self,
        id: OrderId,
        req: OrderRequest,
        now: UnixNanos,
        out: &mut Vec<ExecReport>,
    ) {
        let order = Working::new(id, req);
        if let Err(reason) = self.validate(&req) {
            out.push(order.report(ExecKind::Rejected(reason), now));
            return;
        }
        if req.kind.has_trigger_price() {
            out.push(order.report(ExecKind::New, now));
            self.stops.push(order);
            return;
        }
        self.execute(order, true, now, out);
    }

    /// The instrument's filters applied to `req`: what a submit would
    /// refuse it for, without submitting it (Binance's `order/test`).
    pub fn validate(&self, req: &OrderRequest) -> Result<(), RejectReason> {
        if req.instrument != self.instrument.id {
            return Err(RejectReason::UnknownInstrument);
        }
        if req.qty.is_zero() || req.qty < self.instrument.min_qty {
            return Err(RejectReason::QtyTooSmall);
        }
        let positive = |p: Option<Price>| p.is_some_and(|p| p.ticks() > 0);
        if (req.kind.has_limit_price() && !positive(req.price))
            || (req.kind.has_trigger_price() && !positive(req.trigger))
        {
            return Err(RejectReason::BadPrice);
        }
        if let Some(price) = req.price.filter(|_| req.kind.has_limit_price()) {
            let notional = self.instrument.notional(price, req.qty);
            if notional.is_none_or(|n| n < self.instrument.min_notional) {
                return Err(RejectReason::NotionalTooSmall);
            }
        }
        Ok(())
    }

    fn trigger_stops(&mut self, price: Price, now: UnixNanos, out: &mut Vec<ExecReport>) {
        let mut i = 0;
        while i < self.stops.len() {
            let s = &self.stops[i];
            let trigger = s.req.trigger.unwrap_or(price);
            // A stop buys on a rise to its trigger and sells on a fall; a
            // take-profit the other way round.
            let rising = matches!(s.req.side, Side::Buy) != s.req.kind.takes_profit();
            let hit = if rising {
                price >= trigger
            } else {
                price <= trigger
            };
            if !hit {
                i += 1;
                continue;
            }
            let mut order = self.stops.remove(i);
            order.req.kind = if order.req.kind.has_limit_price() {
                kestrel_model::OrderType::Limit
            } else {
                kestrel_model::OrderType::Market
            };
            out.push(order.report(ExecKind::Triggered, now));
            self.execute(order, false, now, out);
        }
    }

    /// Fills every resting order that the recorded book now crosses.
    fn fill_crossed(&mut self, now: UnixNanos, out: &mut Vec<ExecReport>) {
        let crossed = |side: Side, book: &OrderBook, span: Option<(Price, Price)>| {
            let (Some((lo, hi)), Some(best)) = (span, book.best(side.opposite())) else {
                return false;
            };
            match side {
                Side::Buy => hi >= best.price,
                Side::Sell => lo <= best.price,
            }
        };
        let bids = crossed(Side::Buy, &self.book, self.spans[0]);
        let asks = crossed(Side::Sell, &self.book, self.spans[1]);
        if !bids && !asks {
            return;
        }
        for i in 0..self.resting.len() {
            let r = &self.resting[i];
            let side = r.order.req.side;
            let Some(best) = self.book.best(side.opposite()) else {
                continue;
            };
            let through = match side {
                Side::Buy => r.price >= best.price,
                Side::Sell => r.price <= best.price,
            };
            if through {
                let (price, qty) = (r.price, r.order.leaves);
                self.fill_resting(i, price, qty, now, out);
            }
        }
        self.remove_done();
    }

    /// A maker fill of resting order `i`.
    fn fill_resting(
        &mut self,
        i: usize,
        price: Price,
        qty: Qty,
        now: UnixNanos,
        out: &mut Vec<ExecReport>,
    ) {
        let fill = self.new_fill(price, qty, Liquidity::Maker);
        let order = &mut self.resting[i].order;
        order.fill(qty);
        out.push(order.report(ExecKind::Trade(fill), now));
    }

    fn new_fill(&mut self, price: Price, qty: Qty, liquidity: Liquidity) -> Fill {
        let rate = match liquidity {
            Liquidity::Maker => self.instrument.maker_fee,
            Liquidity::Taker => self.instrument.taker_fee,
        };
        // Fees are charged on the value in the settlement asset: quote
        // for spot and linear contracts, coins for inverse ones (Binance
        // COIN-M charges BTC). Value × rate stays far inside i128.
        let fee = self
            .instrument
            .settle_value(price, qty)
            .and_then(|n| n.checked_mul(rate))
            .unwrap_or(Decimal::ZERO);
        let fee_asset = match self.instrument.contract.kind {
            ContractKind::Inverse => FeeAsset::Base,
            ContractKind::Spot | ContractKind::Linear => FeeAsset::Quote,
        };
        let trade_id = self.next_trade_id;
        self.next_trade_id += 1;
        Fill {
            trade_id,
            price,
            qty,
            liquidity,
            fee,
            fee_asset,
        }
    }

    fn remove_done(&mut self) {
        let before = self.resting.len();
        self.resting.retain(|r| !r.is_done());
        if self.resting.len() != before {
            self.update_spans();
        }
    }

    fn update_spans(&mut self) {
        self.spans = [None, None];
        for r in &self.resting {
            let span = &mut self.spans[r.order.req.side as usize];
            *span = Some(match *span {
                None => (r.price, r.price),
                Some((lo, hi)) => (lo.min(r.price), hi.max(r.price)),
            });
        }
    }
}

/// The report refusing `req` before any engine took it.
pub(crate) fn rejected_report(
    id: OrderId,
    req: OrderRequest,
    reason: RejectReason,
    now: UnixNanos,
) -> ExecReport {
    Working::new(id, req).report(ExecKind::Rejected(reason), now)
}

#[cfg(test)]
mod tests;
