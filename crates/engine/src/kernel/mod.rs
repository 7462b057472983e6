//! The single-threaded kernel: book → signals → strategy → risk → exec.
//!
//! It owns all trading state of one instrument and takes events one at a
//! time, each with the time of the clock that delivered it: market data,
//! the venue's reports, timers. What the strategy asks for passes risk
//! and leaves as [`OrderIntent`]s in an outbox; every risk decision leaves
//! as a [`RiskEvent`]. The caller (a backtest or live runner) drains both
//! after each event. Nothing here does I/O, and nothing allocates per event
//! once its buffers have grown.

mod context;
mod intent;
mod orders;
mod record;
mod recover;
mod touch;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use kestrel_analytics::{Basis, FillMark, Report};
use kestrel_book::OrderBook;
use kestrel_exec::{
    Booked, ClientOrderIds, CostMethod, OrderEvent, Position, QueueModel, QueuePosition,
};
use kestrel_model::{
    BookDelta, BookSnapshot, ClientOrderId, Decimal, Fill, Instrument, LevelUpdate, Price, Side,
    Trade, UnixNanos,
};
use kestrel_risk::{Bracket, Reason, RiskEngine, RiskLimits};
use kestrel_signals::{SignalConfig, Signals};
use kestrel_sim::{ExecKind, ExecReport};
use kestrel_strategy::{Context, Strategy, TimerId};

use context::KernelContext;
pub use intent::{OrderIntent, RiskEvent};
pub use orders::{WorkingOrder, WorkingOrders};
pub use record::RunRecorder;
pub use recover::{AdoptedOrder, StateError};

/// The kernel's settings.
#[derive(Clone, Debug)]
pub struct KernelConfig {
    /// Risk limits.
    pub risk: RiskLimits,
    /// Signal settings.
    pub signals: SignalConfig,
    /// How queue positions of our resting orders are estimated.
    pub queue_model: QueueModel,
    /// FIFO or average-cost positions.
    pub cost_method: CostMethod,
    /// Starting equity, in the instrument's settlement asset (the quote
    /// for spot and linear contracts, the coin for inverse ones).
    pub cash: Decimal,
    /// Prefix of our client order ids.
    pub id_prefix: String,
    /// Session start (ms) in the client order ids: the clock's time when the
    /// session began, so ids never repeat across restarts.
    pub session_ms: u64,
    /// Interval of the report's equity, inventory and price samples.
    pub sample_interval_ns: u64,
    /// Stop-loss and take-profit distances from the position's average
    /// price, in ticks, attached to every open position.
    pub bracket: BracketTicks,
}

/// A bracket's legs, in ticks from the average entry price; `None` for
/// no such leg.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BracketTicks {
    /// Close at a loss this far against the entry.
    pub stop_loss: Option<i64>,
    /// Close at a profit this far in favour.
    pub take_profit: Option<i64>,
}

/// Counters the report and the summary table show beside the analytics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KernelCounters {
    /// Book updates (deltas and snapshots) processed.
    pub book_updates: u64,
    /// Level updates inside them.
    pub level_updates: u64,
    /// Market trades processed.
    pub trades: u64,
    /// Venue reports processed.
    pub reports: u64,
    /// Reports for orders we do not track, or transitions the order life
    /// cycle does not have; the venue's word was taken for terminal states.
    pub odd_reports: u64,
    /// Orders refused by risk.
    pub refused: u64,
    /// Times the kill switch tripped.
    pub kills: u64,
    /// Positions closed by their bracket.
    pub bracket_exits: u64,
    /// Sequence gaps seen (book untrusted until the next snapshot).
    pub gaps: u64,
}

/// Everything but the book and the strategy: what [`KernelContext`] lends
/// the strategy while the kernel holds the book for it to read.
#[derive(serde::Serialize, serde::Deserialize)]
struct Core {
    instrument: Instrument,
    synced: bool,
    book_time: UnixNanos,
    now: UnixNanos,
    signals: Signals,
    volatility: Option<f64>,
    risk: RiskEngine,
    ids: ClientOrderIds,
    orders: WorkingOrders,
    position: Position,
    cash: Decimal,
    queue_model: QueueModel,
    outbox: Vec<OrderIntent>,
    decisions: Vec<RiskEvent>,
    timers: BinaryHeap<Reverse<(UnixNanos, u64)>>,
    next_timer: u64,
    refusals: Vec<(Reason, u64)>,
    counters: KernelCounters,
    recorder: RunRecorder,
    bracket_ticks: BracketTicks,
    /// The open position's bracket.
    bracket: Option<Bracket>,
    acks: AckLatencies,
}

/// The kernel for one instrument and one strategy.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Kernel<S> {
    book: OrderBook,
    core: Core,
    strategy: S,
    /// A diff taken in two parts, between them (never across inputs).
    #[serde(skip)]
    split: Option<touch::SplitDelta>,
}

impl<S: Strategy> Kernel<S> {
    /// A kernel trading `instrument` with `strategy`.
    pub fn new(instrument: &Instrument, strategy: S, config: &KernelConfig) -> Self {
        Self {
            book: OrderBook::new(instrument),
            core: Core {
                instrument: instrument.clone(),
                synced: false,
                book_time: UnixNanos::new(0),
                now: UnixNanos::new(0),
                signals: Signals::new(config.signals),
                volatility: None,
                risk: RiskEngine::new(config.risk),
                ids: ClientOrderIds::new(&config.id_prefix, config.session_ms),
                orders: WorkingOrders::with_capacity(16),
                position: Position::new(instrument, config.cost_method),
                cash: config.cash,
                queue_model: config.queue_model,
                outbox: Vec::with_capacity(16),
                decisions: Vec::with_capacity(16),
                timers: BinaryHeap::new(),
                next_timer: 0,
                // Room for every reason code: a first refusal allocates nothing.
                refusals: Vec::with_capacity(32),
                counters: KernelCounters::default(),
                recorder: RunRecorder::new(config.sample_interval_ns),
                bracket_ticks: config.bracket,
                bracket: None,
                acks: AckLatencies::default(),
            },
            strategy,
            split: None,
        }
    }

    /// Starts the strategy at `now`.
    pub fn start(&mut self, now: UnixNanos) {
        self.core.now = now;
        let equity = self.core.equity(&self.book);
        self.core.risk.mark_equity(equity, now);
        self.strategy
            .on_start(&mut KernelContext::new(&mut self.core, &self.book));
    }

    /// A whole book from the venue: the book is in sync from here.
    pub fn on_snapshot(&mut self, snapshot: &BookSnapshot, now: UnixNanos) {
        self.core.now = now;
        if self.book.load_snapshot(snapshot).is_err() {
            // A snapshot the book refuses (off-grid levels) leaves it unsynced.
            self.core.synced = false;
            return;
        }
        self.core.synced = true;
        self.after_book(now);
    }

    /// A delta the feed's sequencer accepted.
    pub fn on_delta(&mut self, delta: &BookDelta, now: UnixNanos) {
        self.core.now = now;
        let touch = self.touch();
        self.apply_levels(&delta.updates, touch, now);
        self.after_book(now);
    }

    /// Each side's best price before a delta.
    fn touch(&self) -> [Option<Price>; 2] {
        [Side::Buy, Side::Sell].map(|side| self.book.best(side).map(|l| l.price))
    }

    /// Writes a delta's levels into the book. A venue's diff is one atomic
    /// change, so "near the touch" means near the touch as it stood before
    /// the diff (`touch`), whatever order the venue listed the levels in.
    fn apply_levels(&mut self, updates: &[LevelUpdate], touch: [Option<Price>; 2], now: UnixNanos) {
        let core = &mut self.core;
        for u in updates {
            // Most of a diff is deep levels nothing watches: they skip the
            // (often cache-missing) read of the old size.
            let best = touch[u.side as usize];
            if core.signals.watches(u.price, best) || core.orders.rests_at(u.side, u.price) {
                let old = self.book.qty_at(u.side, u.price);
                core.signals
                    .on_level(u.side, u.price, old, u.qty, best, now);
                core.orders
                    .on_depth(core.queue_model, u.side, u.price, old.lots(), u.qty.lots());
            }
            self.book.update_level(u.side, u.price, u.qty);
        }
        core.counters.level_updates += updates.len() as u64;
    }

    /// The feed lost continuity: the book is untrusted until a snapshot.
    pub fn on_gap(&mut self, now: UnixNanos) {
        self.core.now = now;
        self.core.synced = false;
        self.core.counters.gaps += 1;
        let values = self.core.signals.values(&self.book);
        self.strategy.on_book(
            &mut KernelContext::new(&mut self.core, &self.book),
            &self.book,
            &values,
        );
    }

    fn after_book(&mut self, now: UnixNanos) {
        let core = &mut self.core;
        core.counters.book_updates += 1;
        core.book_time = now;
        let values = core.signals.on_book(&self.book, now);
        core.volatility = values.volatility;
        self.strategy.on_book(
            &mut KernelContext::new(&mut self.core, &self.book),
            &self.book,
            &values,
        );
        self.check_bracket(now);
        self.core.maybe_sample(&self.book, now);
    }

    /// Closes the position at market if the mark reached its bracket.
    fn check_bracket(&mut self, now: UnixNanos) {
        let (Some(bracket), Some(mark)) = (self.core.bracket, mark_price(&self.book)) else {
            return;
        };
        if let Some(exit) = bracket.check(mark) {
            // One exit per position: the next fill sets a new bracket.
            self.core.bracket = None;
            self.core.counters.bracket_exits += 1;
            self.core
                .decisions
                .push(RiskEvent::Bracket { time: now, exit });
            KernelContext::new(&mut self.core, &self.book).close_position();
        }
    }

    /// A trade print in the market.
    pub fn on_trade(&mut self, trade: &Trade, now: UnixNanos) {
        let core = &mut self.core;
        core.now = now;
        core.counters.trades += 1;
        core.signals.on_trade(trade);
        core.orders.on_trade(trade.price, trade.qty.lots());
        self.strategy
            .on_trade(&mut KernelContext::new(&mut self.core, &self.book), trade);
    }

    /// A report from the venue about one of our orders.
    pub fn on_report(&mut self, report: &ExecReport, now: UnixNanos) {
        let core = &mut self.core;
        core.now = now;
        core.counters.reports += 1;
        let Some(i) = core.orders.index(report.client_id) else {
            core.counters.odd_reports += 1;
            return;
        };
        let (event, fill) = match report.kind {
            ExecKind::New => (OrderEvent::Accepted, None),
            ExecKind::Triggered => return,
            ExecKind::Trade(f) => (OrderEvent::Fill(f.qty), Some(f)),
            ExecKind::Canceled => (OrderEvent::CancelAccepted, None),
            ExecKind::Rejected(_) => (OrderEvent::Rejected, None),
            ExecKind::Expired(_) => (OrderEvent::Expired, None),
        };
        let applied = core.orders.get_mut(i).order.apply(event);
        if applied.is_err() {
            core.counters.odd_reports += 1;
            if report.status.is_open() {
                return;
            }
        }
        if event == OrderEvent::Accepted {
            core.on_accepted(i, &self.book);
        }
        if let Some(f) = fill {
            core.on_fill(report.side, &f, &self.book, now);
        }
        let mut update = core.orders.refresh(i, fill.map(|f| (f.price, f.qty)));
        if update.state == kestrel_exec::OrderState::Filled {
            core.recorder.activity_mut().filled_orders += 1;
        }
        if applied.is_err() {
            // The venue ended an order our life cycle did not expect to
            // end: its word stands, and the strategy hears that it ended.
            update.state = terminal_state(report.status);
            core.orders.remove(i);
        }
        self.strategy
            .on_order(&mut KernelContext::new(&mut self.core, &self.book), &update);
        if let Some(i) = self.core.orders.index(update.id) {
            if self.core.orders.get(i).order.state().is_done() {
                self.core.orders.remove(i);
            }
        }
        self.core.maybe_sample(&self.book, now);
    }

    /// The venue refused a cancel of `id` (it had already ended, or the
    /// cancel raced a fill).
    pub fn on_cancel_rejected(&mut self, id: ClientOrderId, now: UnixNanos) {
        self.core.now = now;
        if let Some(i) = self.core.orders.index(id) {
            if self
                .core
                .orders
                .get_mut(i)
                .order
                .apply(OrderEvent::CancelRejected)
                .is_err()
            {
                self.core.counters.odd_reports += 1;
            }
            self.core.orders.refresh(i, None);
        }
    }

    /// When the earliest timer is due.
    pub fn next_timer(&self) -> Option<UnixNanos> {
        self.core.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// Fires the timers due by `now`, in time order.
    pub fn fire_timers(&mut self, now: UnixNanos) {
        while let Some(&Reverse((t, id))) = self.core.timers.peek() {
            if t > now {
                break;
            }
            self.core.timers.pop();
            self.core.now = t;
            self.strategy.on_timer(
                &mut KernelContext::new(&mut self.core, &self.book),
                TimerId(id),
            );
        }
    }

    /// Stops the strategy at `now` and takes a last sample.
    pub fn stop(&mut self, now: UnixNanos) {
        self.core.now = now;
        self.strategy
            .on_stop(&mut KernelContext::new(&mut self.core, &self.book));
        self.core.sample(&self.book, now);
    }

    /// Cancels every open order (shutdown, or an operator's command); the
    /// strategy goes on unless it is also stopped.
    pub fn cancel_all(&mut self, now: UnixNanos) {
        self.core.now = now;
        for i in 0..self.core.orders.len() {
            self.core.cancel_at(i);
        }
    }

    /// Resets the kill switch (an operator's explicit decision).
    pub fn reset_kill_switch(&mut self) {
        self.core.risk.reset();
    }

    /// How many order actions wait to be drained.
    pub fn pending_intents(&self) -> usize {
        self.core.outbox.len()
    }

    /// The order actions that passed risk since the last drain.
    pub fn drain_intents(&mut self) -> std::vec::Drain<'_, OrderIntent> {
        self.core.outbox.drain(..)
    }

    /// The risk decisions since the last drain.
    pub fn drain_decisions(&mut self) -> std::vec::Drain<'_, RiskEvent> {
        self.core.decisions.drain(..)
    }

    /// The kernel's book.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The instrument traded.
    pub fn instrument(&self) -> &Instrument {
        &self.core.instrument
    }

    /// The position.
    pub fn position(&self) -> &Position {
        &self.core.position
    }

    /// Equity now: cash, realised PnL less fees, and the open position at mid.
    pub fn equity(&self) -> Decimal {
        self.core.equity(&self.book)
    }

    /// Event and decision counters.
    pub fn counters(&self) -> &KernelCounters {
        &self.core.counters
    }

    /// Why the kill switch is on, if it is: no order goes out until an
    /// operator resets it.
    pub fn kill_switch(&self) -> Option<Reason> {
        self.core.risk.killed()
    }

    /// Orders refused by risk, per reason, in order of first refusal.
    pub fn refusals(&self) -> &[(Reason, u64)] {
        &self.core.refusals
    }

    /// The strategy.
    pub fn strategy(&self) -> &S {
        &self.strategy
    }

    /// The run's report, titled `title`, in the instrument's settlement
    /// asset and units.
    pub fn into_report(self, title: &str) -> Report {
        const YEAR_NS: f64 = 365.0 * 86_400e9;
        let interval = self.core.recorder.interval_ns() as f64;
        let basis = Basis {
            currency: self.core.instrument.contract.settle.to_string(),
            qty_unit: self.core.instrument.qty_unit(),
            sample_seconds: interval / 1e9,
            periods_per_year: YEAR_NS / interval,
        };
        let (series, trades, activity) = self.core.recorder.finish();
        Report::new(title, series, trades, activity, basis)
    }
}

impl Core {
    fn equity(&self, book: &OrderBook) -> Decimal {
        let base = self
            .cash
            .checked_add(self.position.realised_net())
            .unwrap_or(self.cash);
        match mark_price(book) {
            Some(mark) => base
                .checked_add(self.position.unrealised(mark))
                .unwrap_or(base),
            None => base,
        }
    }

    fn maybe_sample(&mut self, book: &OrderBook, now: UnixNanos) {
        if self.recorder.due(now) && book.mid().is_some() {
            self.sample(book, now);
        }
    }

    fn sample(&mut self, book: &OrderBook, now: UnixNanos) {
        let equity = self.equity(book).to_f64();
        let inventory = self.inventory();
        self.recorder.sample(now, equity, inventory, book.mid());
    }

    fn inventory(&self) -> f64 {
        let lots = self.position.net_lots();
        lots as f64 * self.instrument.lot.to_f64(1)
    }

    /// The venue acknowledged the order at `i`: it joins the back of its
    /// level's queue, and a cancel asked for meanwhile goes out.
    fn on_accepted(&mut self, i: usize, book: &OrderBook) {
        let sent = self.orders.get(i).sent_at;
        let ack_ns = self.now.nanos_since(sent).max(0) as u64;
        if let Some(p99) = self.acks.record(ack_ns) {
            if let Some(reason) = self.risk.on_latency(p99) {
                self.trip(reason);
            }
        }
        let o = self.orders.get_mut(i);
        if let Some(price) = o.order.price() {
            o.queue = Some(QueuePosition::back_of(book.qty_at(o.side, price).lots()));
        }
        if o.cancel_on_ack {
            o.cancel_on_ack = false;
            self.cancel_at(i);
        }
    }

    fn on_fill(&mut self, side: Side, fill: &Fill, book: &OrderBook, now: UnixNanos) {
        let (price, qty) = (fill.price, fill.qty);
        let booked = self
            .position
            .on_fill(side, price, qty, fill.fee, fill.fee_asset);
        let Booked { realised, fee } = match booked {
            Ok(b) => b,
            Err(_) => {
                self.counters.odd_reports += 1;
                return;
            }
        };
        let tick = self.instrument.tick.to_f64(1);
        let lot = self.instrument.lot.to_f64(1);
        let activity = self.recorder.activity_mut();
        activity.fills += 1;
        activity.fees += fee.to_f64();
        // In the settlement asset, like equity, so turnover is a ratio.
        activity.traded += self
            .instrument
            .settle_value(price, qty)
            .map_or(0.0, Decimal::to_f64);
        let pnl = realised.checked_sub(fee).unwrap_or(realised);
        if realised != Decimal::ZERO {
            self.recorder.trades_mut().add(pnl.to_f64());
        }
        let mark = FillMark {
            time_ms: now.as_nanos() / 1_000_000,
            price: price.ticks() as f64 * tick,
            qty: qty.lots() as f64 * lot,
            buy: side == Side::Buy,
        };
        let inventory = self.inventory();
        self.recorder.fill(now, mark, inventory);
        self.bracket = self.new_bracket();
        let equity = self.equity(book);
        if let Some(reason) = self.risk.on_fill(pnl, equity, now) {
            self.trip(reason);
        }
    }

    /// The bracket of the position as it is now.
    fn new_bracket(&self) -> Option<Bracket> {
        let b = self.bracket_ticks;
        if b.stop_loss.is_none() && b.take_profit.is_none() {
            return None;
        }
        let side = self.position.side()?;
        let tick = self.instrument.tick.to_f64(1);
        let entry = (self.position.average_price()? / tick).round() as i64;
        let sign = side.sign();
        let at = |ticks: i64| Price::from_ticks(entry.saturating_add(ticks.saturating_mul(sign)));
        Some(Bracket {
            side,
            stop_loss: b.stop_loss.map(|t| at(-t)),
            take_profit: b.take_profit.map(at),
        })
    }

    /// The kill switch: cancel everything and say why.
    fn trip(&mut self, reason: Reason) {
        self.counters.kills += 1;
        self.decisions.push(RiskEvent::Kill {
            time: self.now,
            reason,
        });
        for i in 0..self.orders.len() {
            self.cancel_at(i);
        }
    }

    /// Sends a cancel for the order at `i`, or arranges one for its ack.
    fn cancel_at(&mut self, i: usize) {
        let o = self.orders.get_mut(i);
        match o.order.apply(OrderEvent::CancelSent) {
            Ok(_) => {
                let id = self.orders.views()[i].id;
                self.orders.refresh(i, None);
                self.outbox.push(OrderIntent::Cancel(id));
                self.recorder.activity_mut().cancels += 1;
            }
            Err(_) if o.order.state() == kestrel_exec::OrderState::PendingNew => {
                o.cancel_on_ack = true;
            }
            Err(_) => {}
        }
    }

    fn record_refusal(&mut self, reason: Reason) {
        self.counters.refused += 1;
        match self.refusals.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => self.refusals.push((reason, 1)),
        }
    }
}

/// The price open positions are marked at: mid, rounded down to the tick.
fn mark_price(book: &OrderBook) -> Option<Price> {
    let (bid, ask) = (book.best_bid()?, book.best_ask()?);
    Some(Price::from_ticks(
        (bid.price.ticks() + ask.price.ticks()).div_euclid(2),
    ))
}

/// The life-cycle state a venue status leaves an order in.
fn terminal_state(status: kestrel_sim::OrderStatus) -> kestrel_exec::OrderState {
    use kestrel_exec::OrderState;
    use kestrel_sim::OrderStatus;
    match status {
        OrderStatus::Filled => OrderState::Filled,
        OrderStatus::Canceled => OrderState::Cancelled,
        OrderStatus::Rejected => OrderState::Rejected,
        OrderStatus::Expired => OrderState::Expired,
        OrderStatus::New => OrderState::New,
        OrderStatus::PartiallyFilled => OrderState::PartiallyFilled,
    }
}

/// The latest order-to-ack latencies, for the latency kill switch.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct AckLatencies {
    /// A ring of [`ACK_WINDOW`] samples, in rows of 32 (the longest array
    /// serde reads).
    samples: [[u64; 32]; ACK_WINDOW / 32],
    count: usize,
}

/// Acks the p99 is taken over.
const ACK_WINDOW: usize = 128;

impl Default for AckLatencies {
    fn default() -> Self {
        Self {
            samples: [[0; 32]; ACK_WINDOW / 32],
            count: 0,
        }
    }
}

impl AckLatencies {
    /// Records one ack; the p99 of the window once it is full.
    fn record(&mut self, ns: u64) -> Option<u64> {
        let slot = self.count % ACK_WINDOW;
        self.samples[slot / 32][slot % 32] = ns;
        self.count += 1;
        if self.count < ACK_WINDOW {
            return None;
        }
        let mut sorted = [0u64; ACK_WINDOW];
        sorted.copy_from_slice(self.samples.as_flattened());
        let rank = ACK_WINDOW * 99 / 100;
        Some(*sorted.select_nth_unstable(rank).1)
    }
}

#[cfg(test)]
pub(crate) mod tests;
