//! The single-threaded kernel: book → signals → strategy → risk → exec.
//!
//! It owns all trading state of its instruments and strategies and takes
//! events one at a time, each with the time of the clock that delivered
//! it: market data (named by the instrument's dense index), the venue's
//! reports, timers. Each strategy sees the instruments it subscribed to and
//! owns its orders and positions; risk checks each order against its
//! instrument's limits and the account's. What the strategy asks for passes risk
//! and leaves as [`OrderIntent`]s in an outbox; every risk decision leaves
//! as a [`RiskEvent`]. The caller (a backtest or live runner) drains both
//! after each event. Nothing here does I/O, and nothing allocates per event
//! once its buffers have grown.

mod bars;
mod build;
mod context;
mod intent;
mod orders;
mod record;
mod recover;
mod report;
mod state;
mod touch;

use std::cmp::Reverse;

use kestrel_analytics::{RunPoint, SeriesBuilder};
use kestrel_bars::BarOptions;
use kestrel_book::OrderBook;
use kestrel_exec::{CostMethod, OrderEvent, Position, QueueModel};
use kestrel_model::{
    Asset, BookDelta, BookSnapshot, ClientOrderId, Decimal, ExecKind, ExecReport, Instrument,
    InstrumentIndex, LevelUpdate, Price, Side, StrategyIndex, Trade, UnixNanos,
};
use kestrel_risk::{Reason, RiskLimits};
use kestrel_signals::{SignalConfig, SignalValues};
use kestrel_strategy::{Context as _, Strategy, TimerId};

pub use build::{KernelError, KernelSetup, MarketSetup, PriceSource, StrategySetup};
use context::KernelContext;
pub use intent::{OrderIntent, RiskEvent};
pub use orders::{WorkingOrder, WorkingOrders};
pub use record::RunRecorder;
pub use recover::{AdoptedOrder, StateError};
use state::{Core, Market};

/// The kernel's settings. `risk` holds the account's limits and, for a
/// one-instrument kernel, the instrument's ([`MarketSetup`] gives each
/// instrument its own).
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
    /// Prefix of our client order ids; each strategy's ids add its index
    /// (`kst0-…`), so a report names its strategy.
    pub id_prefix: String,
    /// Session start (ms) in the client order ids: the clock's time when the
    /// session began, so ids never repeat across restarts.
    pub session_ms: u64,
    /// Interval of the report's equity, inventory and price samples.
    pub sample_interval_ns: u64,
    /// Stop-loss and take-profit distances from the position's average
    /// price, in ticks, attached to every open position.
    pub bracket: BracketTicks,
    /// How the bars strategies ask for close: watermark, late trades,
    /// empty spans.
    pub bars: BarOptions,
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
    /// Bars delivered to strategies (closed and corrected), built from
    /// trades.
    #[serde(default)]
    pub bars: u64,
}

/// The kernel: N instruments, M strategies, one account.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Kernel<S> {
    markets: Vec<Market>,
    core: Core,
    strategies: Vec<S>,
}

impl<S: Strategy> Kernel<S> {
    /// A kernel trading one instrument with one strategy; refused only if
    /// the strategy asks for bars the instrument cannot have.
    pub fn new(
        instrument: &Instrument,
        strategy: S,
        config: &KernelConfig,
    ) -> Result<Self, KernelError> {
        let setup = KernelSetup {
            markets: vec![MarketSetup {
                instrument: instrument.clone(),
                limits: config.risk,
                prices: PriceSource::Book,
            }],
            strategies: vec![StrategySetup {
                strategy,
                subscriptions: vec![InstrumentIndex::FIRST],
                max_loss: None,
            }],
        };
        Self::build(setup, config)
    }

    /// Starts every strategy at `now`.
    pub fn start(&mut self, now: UnixNanos) {
        self.core.now = now;
        let equity = self.core.equity(&self.markets);
        self.core.risk.mark_equity(equity, now);
        for s in 0..self.strategies.len() {
            let s = StrategyIndex(s as u8);
            self.strategies[s.get()].on_start(&mut KernelContext::new(
                &mut self.core,
                &self.markets,
                s,
            ));
        }
    }

    /// A whole book of `ix` from the venue: it is in sync from here.
    pub fn on_snapshot(&mut self, ix: InstrumentIndex, snapshot: &BookSnapshot, now: UnixNanos) {
        self.core.now = now;
        let market = &mut self.markets[ix.get()];
        if market.book.load_snapshot(snapshot).is_err() {
            // A snapshot the book refuses (off-grid levels) leaves it unsynced.
            market.synced = false;
            return;
        }
        market.synced = true;
        if !market.bars.is_empty() {
            self.advance_bars(ix, snapshot.time.exchange);
        }
        self.after_book(ix, now);
    }

    /// A delta of `ix` the feed's sequencer accepted.
    pub fn on_delta(&mut self, ix: InstrumentIndex, delta: &BookDelta, now: UnixNanos) {
        self.core.now = now;
        if !self.markets[ix.get()].bars.is_empty() {
            self.advance_bars(ix, delta.time.exchange);
        }
        let touch = self.touch(ix);
        self.apply_levels(ix, &delta.updates, touch, now);
        self.after_book(ix, now);
    }

    /// Each side's best price of `ix` before a delta.
    fn touch(&self, ix: InstrumentIndex) -> [Option<Price>; 2] {
        let book = &self.markets[ix.get()].book;
        [Side::Buy, Side::Sell].map(|side| book.best(side).map(|l| l.price))
    }

    /// Writes a delta's levels into `ix`'s book. A venue's diff is one
    /// atomic change, so "near the touch" means near the touch as it stood
    /// before the diff (`touch`), whatever order the venue listed the
    /// levels in.
    fn apply_levels(
        &mut self,
        ix: InstrumentIndex,
        updates: &[LevelUpdate],
        touch: [Option<Price>; 2],
        now: UnixNanos,
    ) {
        let market = &mut self.markets[ix.get()];
        let core = &mut self.core;
        // Per side, the span of prices where our orders rest, over every
        // strategy, taken once a diff: most levels fall outside it and skip
        // the look through the orders.
        let span = |side| {
            core.strategies
                .iter()
                .filter_map(|s| s.orders.resting_span(ix, side))
                .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
        };
        let spans = [span(Side::Buy), span(Side::Sell)];
        for u in updates {
            // Most of a diff is deep levels nothing watches: they skip the
            // (often cache-missing) read of the old size.
            let best = touch[u.side as usize];
            let ours =
                spans[u.side as usize].is_some_and(|(lo, hi)| lo <= u.price && u.price <= hi);
            let watched = market.signals.watches(u.price, best)
                || ours
                    && core
                        .strategies
                        .iter()
                        .any(|s| s.orders.rests_at(ix, u.side, u.price));
            if watched {
                let old = market.book.qty_at(u.side, u.price);
                market
                    .signals
                    .on_level(u.side, u.price, old, u.qty, best, now);
                for s in &mut core.strategies {
                    s.orders.on_depth(
                        core.queue_model,
                        ix,
                        u.side,
                        u.price,
                        old.lots(),
                        u.qty.lots(),
                    );
                }
            }
            market.book.update_level(u.side, u.price, u.qty);
        }
        core.counters.level_updates += updates.len() as u64;
    }

    /// `ix`'s feed lost continuity: its book is untrusted until a snapshot.
    pub fn on_gap(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        self.core.now = now;
        self.markets[ix.get()].synced = false;
        self.core.counters.gaps += 1;
        let market = &self.markets[ix.get()];
        let values = market.signals.values(&market.book);
        self.tell_book(ix, &values);
    }

    fn after_book(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        self.core.counters.book_updates += 1;
        let market = &mut self.markets[ix.get()];
        market.book_time = now;
        let values = market.signals.on_book(&market.book, now);
        market.volatility = values.volatility;
        self.tell_book(ix, &values);
        self.check_brackets(ix, now);
        self.core.maybe_sample(&self.markets, now);
    }

    /// Shows `ix`'s book to each strategy subscribed to it.
    fn tell_book(&mut self, ix: InstrumentIndex, values: &SignalValues) {
        let market = &self.markets[ix.get()];
        for &s in &market.subscribers {
            self.strategies[s.get()].on_book(
                &mut KernelContext::new(&mut self.core, &self.markets, s),
                ix,
                &market.book,
                values,
            );
        }
    }

    /// Closes at market each position in `ix` whose mark reached its bracket.
    #[inline]
    fn check_brackets(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        let bracket = self.core.bracket_ticks;
        if bracket.stop_loss.is_some() || bracket.take_profit.is_some() {
            self.check_set_brackets(ix, now);
        }
    }

    #[inline(never)]
    fn check_set_brackets(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        let Some(mark) = self.markets[ix.get()].mark() else {
            return;
        };
        for s in 0..self.core.strategies.len() {
            let brackets = &mut self.core.strategies[s].brackets;
            let Some(exit) = brackets[ix.get()].and_then(|b| b.check(mark)) else {
                continue;
            };
            // One exit per position: the next fill sets a new bracket.
            brackets[ix.get()] = None;
            self.core.counters.bracket_exits += 1;
            self.core
                .decisions
                .push(RiskEvent::Bracket { time: now, exit });
            KernelContext::new(&mut self.core, &self.markets, StrategyIndex(s as u8))
                .close_position(ix);
        }
    }

    /// A trade print in `ix`.
    pub fn on_trade(&mut self, ix: InstrumentIndex, trade: &Trade, now: UnixNanos) {
        self.core.now = now;
        self.core.counters.trades += 1;
        // Bars its stamp closes come first, as a timer at the bar's end
        // would, then the trade itself.
        if !self.markets[ix.get()].bars.is_empty() {
            self.trade_bars(ix, trade, now);
        }
        let market = &mut self.markets[ix.get()];
        market.last_trade = Some(trade.price);
        if market.prices == PriceSource::Book {
            // The flow signals are read with the book; a market without
            // one never shows them.
            market.signals.on_trade(trade);
        } else {
            // Its trades are its prices: they age, mark and sample it.
            market.book_time = now;
            self.check_brackets(ix, now);
            self.core.maybe_sample(&self.markets, now);
        }
        for s in &mut self.core.strategies {
            s.orders.on_trade(ix, trade.price, trade.qty.lots());
        }
        for &s in &self.markets[ix.get()].subscribers {
            self.strategies[s.get()].on_trade(
                &mut KernelContext::new(&mut self.core, &self.markets, s),
                ix,
                trade,
            );
        }
    }

    /// A report from the venue about one of our orders.
    pub fn on_report(&mut self, report: &ExecReport, now: UnixNanos) {
        let core = &mut self.core;
        core.now = now;
        core.counters.reports += 1;
        let Some((s, i)) = core.find_order(report.client_id) else {
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
        let order = core.strategies[s.get()].orders.get_mut(i);
        let ix = order.instrument;
        let applied = order.order.apply(event);
        if applied.is_err() {
            core.counters.odd_reports += 1;
            if report.status.is_open() {
                return;
            }
        }
        if event == OrderEvent::Accepted {
            core.on_accepted(s, i, &self.markets);
        }
        if let Some(f) = fill {
            core.on_fill(s, ix, report.side, &f, &self.markets, now);
        }
        let orders = &mut core.strategies[s.get()].orders;
        let mut update = orders.refresh(i, fill.map(|f| (f.price, f.qty)));
        if update.state == kestrel_exec::OrderState::Filled {
            core.recorder.activity_mut().filled_orders += 1;
        }
        if applied.is_err() {
            // The venue ended an order our life cycle did not expect to
            // end: its word stands, and the strategy hears that it ended.
            update.state = terminal_state(report.status);
            core.strategies[s.get()].orders.remove(i);
        }
        self.strategies[s.get()].on_order(
            &mut KernelContext::new(&mut self.core, &self.markets, s),
            &update,
        );
        let orders = &mut self.core.strategies[s.get()].orders;
        if let Some(i) = orders.index(update.id) {
            if orders.get(i).order.state().is_done() {
                orders.remove(i);
            }
        }
        self.core.maybe_sample(&self.markets, now);
    }

    /// The venue refused a cancel of `id` (it had already ended, or the
    /// cancel raced a fill).
    pub fn on_cancel_rejected(&mut self, id: ClientOrderId, now: UnixNanos) {
        self.core.now = now;
        if let Some((s, i)) = self.core.find_order(id) {
            let orders = &mut self.core.strategies[s.get()].orders;
            if orders
                .get_mut(i)
                .order
                .apply(OrderEvent::CancelRejected)
                .is_err()
            {
                self.core.counters.odd_reports += 1;
            }
            self.core.strategies[s.get()].orders.refresh(i, None);
        }
    }

    /// When the earliest timer is due.
    pub fn next_timer(&self) -> Option<UnixNanos> {
        self.core.timers.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Fires the timers due by `now`, in time order.
    pub fn fire_timers(&mut self, now: UnixNanos) {
        while let Some(&Reverse((t, id, s))) = self.core.timers.peek() {
            if t > now {
                break;
            }
            self.core.timers.pop();
            self.core.now = t;
            self.strategies[s.get()].on_timer(
                &mut KernelContext::new(&mut self.core, &self.markets, s),
                TimerId(id),
            );
        }
    }

    /// Stops every strategy at `now` and takes a last sample.
    pub fn stop(&mut self, now: UnixNanos) {
        self.core.now = now;
        for s in 0..self.strategies.len() {
            let s = StrategyIndex(s as u8);
            self.strategies[s.get()].on_stop(&mut KernelContext::new(
                &mut self.core,
                &self.markets,
                s,
            ));
        }
        self.core.sample(&self.markets, now);
    }

    /// Cancels every open order (shutdown, or an operator's command); the
    /// strategies go on unless they are also stopped.
    pub fn cancel_all(&mut self, now: UnixNanos) {
        self.core.now = now;
        for s in 0..self.core.strategies.len() {
            self.core.cancel_all_of(StrategyIndex(s as u8));
        }
    }

    /// Resets the kill switch (an operator's explicit decision).
    pub fn reset_kill_switch(&mut self) {
        self.core.risk.reset();
    }

    /// Halts one strategy (an operator's decision): its orders are
    /// cancelled and it places none until resumed; the others trade on.
    pub fn halt_strategy(&mut self, s: StrategyIndex, now: UnixNanos) {
        if s.get() < self.core.strategies.len() {
            self.core.now = now;
            self.core.halt(s, Reason::StrategyHalted);
        }
    }

    /// Lets a halted strategy trade again (an operator's decision).
    pub fn resume_strategy(&mut self, s: StrategyIndex) {
        if let Some(state) = self.core.strategies.get_mut(s.get()) {
            state.halted = None;
        }
    }

    /// Why a strategy is halted, if it is.
    pub fn strategy_halted(&self, s: StrategyIndex) -> Option<Reason> {
        self.core.strategies.get(s.get())?.halted
    }

    /// A strategy's PnL: realised after fees plus open, in the settlement
    /// asset.
    pub fn strategy_pnl(&self, s: StrategyIndex) -> Decimal {
        self.core.strategy_pnl(s, &self.markets)
    }

    /// How many order actions wait to be drained.
    pub fn pending_intents(&self) -> usize {
        self.core.outbox.len()
    }

    /// The order actions that passed risk since the last drain.
    pub fn drain_intents(&mut self) -> std::vec::Drain<'_, OrderIntent> {
        self.core.outbox.drain(..)
    }

    /// Whether intents, decisions or points wait to be drained: most
    /// events leave none, and a runner skips its drains then.
    pub fn has_output(&self) -> bool {
        !self.core.outbox.is_empty()
            || !self.core.decisions.is_empty()
            || self.core.recorder.has_points()
    }

    /// The risk decisions since the last drain.
    pub fn drain_decisions(&mut self) -> std::vec::Drain<'_, RiskEvent> {
        self.core.decisions.drain(..)
    }

    /// The report's points (samples, our fills) since the last drain, once
    /// asked for with [`Self::emit_points`]. Drain them after every input,
    /// as intents and decisions: the kernel keeps none, and they wait.
    pub fn drain_points(&mut self) -> std::vec::Drain<'_, RunPoint> {
        self.core.recorder.drain_points()
    }

    /// Makes the kernel emit its report's points from now on, and gives a
    /// builder for them: the run's own series, and each instrument's when
    /// it has several. Without this call the kernel emits none.
    pub fn emit_points(&mut self) -> SeriesBuilder {
        self.core.recorder.emit();
        let legs = self.core.recorder.has_legs().then(|| {
            self.markets
                .iter()
                .map(|m| (m.instrument.id.to_string(), m.instrument.qty_unit()))
        });
        SeriesBuilder::new(legs.into_iter().flatten())
    }

    /// The first instrument's book.
    pub fn book(&self) -> &OrderBook {
        &self.markets[0].book
    }

    /// Instrument `ix`'s book.
    pub fn book_of(&self, ix: InstrumentIndex) -> Option<&OrderBook> {
        self.markets.get(ix.get()).map(|m| &m.book)
    }

    /// How the account's fills in instrument `ix` moved its base and quote
    /// balances, over every strategy: what the venue's balances must show.
    pub fn flows(&self, ix: InstrumentIndex) -> (Decimal, Decimal) {
        self.positions_in(ix)
            .fold((Decimal::ZERO, Decimal::ZERO), |(b, q), p| {
                (
                    b.checked_add(p.base_flow()).unwrap_or(b),
                    q.checked_add(p.quote_flow()).unwrap_or(q),
                )
            })
    }

    /// Every strategy's position in instrument `ix`.
    pub fn positions_in(&self, ix: InstrumentIndex) -> impl Iterator<Item = &Position> {
        self.core
            .strategies
            .iter()
            .filter_map(move |s| s.positions.get(ix.get()))
    }

    /// The first instrument.
    pub fn instrument(&self) -> &Instrument {
        &self.markets[0].instrument
    }

    /// Every instrument, by index.
    pub fn instruments(&self) -> impl ExactSizeIterator<Item = &Instrument> {
        self.markets.iter().map(|m| &m.instrument)
    }

    /// The first strategy's position in the first instrument: a
    /// one-market session's position.
    pub fn position(&self) -> &Position {
        &self.core.strategies[0].positions[0]
    }

    /// The account's position in an instrument, over every strategy.
    pub fn net_lots(&self, ix: InstrumentIndex) -> i64 {
        self.core.net_lots(ix)
    }

    /// Equity now: cash, realised PnL less fees, and the open positions at
    /// mid, in [`Self::currency`].
    pub fn equity(&self) -> Decimal {
        self.core.equity(&self.markets)
    }

    /// What equity is counted in: the first instrument's settlement asset.
    /// Other settlement assets are converted at the mark of a market of
    /// that asset in this one, which the kernel must hold.
    pub fn currency(&self) -> Asset {
        self.core.currency
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

    /// The first strategy.
    pub fn strategy(&self) -> &S {
        &self.strategies[0]
    }

    /// Every strategy, by index.
    pub fn strategies(&self) -> &[S] {
        &self.strategies
    }
}

/// The life-cycle state a venue status leaves an order in.
fn terminal_state(status: kestrel_model::OrderStatus) -> kestrel_exec::OrderState {
    use kestrel_exec::OrderState;
    use kestrel_model::OrderStatus;
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
pub(crate) struct AckLatencies {
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
