//! The kernel's state: one [`Market`] per instrument (book, signals, sync,
//! limits, subscribers), one [`StrategyState`] per strategy (its ids,
//! orders, positions and brackets), and the [`Core`] they share (clock,
//! account risk, cash, outbox, timers, counters, the report's recorder).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use kestrel_analytics::FillMark;
use kestrel_book::OrderBook;
use kestrel_exec::{Booked, ClientOrderIds, OrderEvent, Position, QueueModel, QueuePosition};
use kestrel_model::{
    Asset, Decimal, Fill, Instrument, InstrumentIndex, Price, Side, StrategyIndex, UnixNanos,
};
use kestrel_risk::{Bracket, Reason, RiskEngine, RiskLimits};
use kestrel_signals::Signals;

use super::build::PriceSource;
use super::{
    AckLatencies, BracketTicks, KernelCounters, OrderIntent, RiskEvent, RunRecorder, WorkingOrders,
    touch::SplitDelta,
};

/// One instrument's market as the kernel keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Market {
    pub instrument: Instrument,
    pub book: OrderBook,
    pub synced: bool,
    pub book_time: UnixNanos,
    pub signals: Signals,
    pub volatility: Option<f64>,
    /// This instrument's limits (order size and value, position, band).
    pub limits: RiskLimits,
    /// The strategies subscribed to it, in index order.
    pub subscribers: Vec<StrategyIndex>,
    /// The market whose mark converts this one's settlement asset into the
    /// kernel's currency; `None` when it settles in that currency.
    pub converted_by: Option<InstrumentIndex>,
    /// A diff taken in two parts, between them (never across inputs).
    #[serde(skip)]
    pub split: Option<SplitDelta>,
    /// Bars built from its trades, one per spec strategies asked for.
    pub bars: Vec<super::bars::BarFeed>,
    /// Where its prices come from.
    pub prices: PriceSource,
    /// The last trade's price.
    pub last_trade: Option<Price>,
}

impl Market {
    /// Whether strategies may trust its prices: the book in sync and not
    /// crossed, or (trades alone) a trade seen.
    pub fn trusted(&self) -> bool {
        match self.prices {
            PriceSource::Book => self.synced && !self.book.is_crossed(),
            PriceSource::Trades => self.last_trade.is_some(),
        }
    }

    /// The price positions are marked at: the book's mid rounded down to
    /// the tick, or the last trade.
    pub fn mark(&self) -> Option<Price> {
        match self.prices {
            PriceSource::Book => mark_price(&self.book),
            PriceSource::Trades => self.last_trade,
        }
    }

    /// The price a market order is valued at: the opposite best, or the
    /// last trade.
    pub fn reference(&self, side: kestrel_model::Side) -> Option<Price> {
        match self.prices {
            PriceSource::Book => self.book.best(side.opposite()).map(|l| l.price),
            PriceSource::Trades => self.last_trade,
        }
    }

    /// The mid the price band is measured from.
    pub fn mid(&self) -> Option<f64> {
        match self.prices {
            PriceSource::Book => self.book.mid(),
            PriceSource::Trades => self.last_trade.map(|p| p.to_f64(&self.instrument.tick)),
        }
    }
}

/// One strategy's own state.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StrategyState {
    /// The instruments it reads and trades, in its config's order.
    pub subscriptions: Vec<InstrumentIndex>,
    /// `subscribed[i]`: whether instrument `i` is one of them.
    pub subscribed: Vec<bool>,
    pub ids: ClientOrderIds,
    pub orders: WorkingOrders,
    /// Its position in each instrument of the kernel.
    pub positions: Vec<Position>,
    /// The bracket of each open position.
    pub brackets: Vec<Option<Bracket>>,
    /// Largest loss (realised after fees, plus open) the strategy may
    /// run up, in the settlement asset, before it is halted.
    pub max_loss: Option<Decimal>,
    /// Why the strategy is halted, if it is.
    pub halted: Option<Reason>,
}

impl StrategyState {
    pub fn subscribes(&self, instrument: InstrumentIndex) -> bool {
        self.subscribed
            .get(instrument.get())
            .copied()
            .unwrap_or(false)
    }
}

/// What the kernel shares across instruments and strategies: what
/// [`super::context::KernelContext`] lends a strategy while the kernel
/// holds the markets for it to read.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Core {
    pub now: UnixNanos,
    /// Account-level risk: the kill switch, the order rate, losses.
    pub risk: RiskEngine,
    pub strategies: Vec<StrategyState>,
    /// Starting equity, in `currency`.
    pub cash: Decimal,
    /// What equity is counted in: the instruments' settlement asset.
    pub currency: Asset,
    pub queue_model: QueueModel,
    pub outbox: Vec<OrderIntent>,
    pub decisions: Vec<RiskEvent>,
    /// Timers by due time: (time, id, strategy).
    pub timers: BinaryHeap<Reverse<(UnixNanos, u64, StrategyIndex)>>,
    pub next_timer: u64,
    pub refusals: Vec<(Reason, u64)>,
    pub counters: KernelCounters,
    pub recorder: RunRecorder,
    pub bracket_ticks: BracketTicks,
    pub acks: AckLatencies,
    /// Scratch for the bars an event closes.
    #[serde(skip)]
    pub bar_events: Vec<kestrel_bars::BarEvent>,
}

/// The price open positions are marked at: mid, rounded down to the tick.
fn mark_price(book: &OrderBook) -> Option<Price> {
    let (bid, ask) = (book.best_bid()?, book.best_ask()?);
    Some(Price::from_ticks(
        (bid.price.ticks() + ask.price.ticks()).div_euclid(2),
    ))
}

/// The value in the kernel's currency of `amount` of `market`'s settlement
/// asset: itself, or at the mark of the market that prices that asset
/// (zero until that market has a mark).
pub(super) fn in_currency(markets: &[Market], market: &Market, amount: Decimal) -> Decimal {
    let Some(by) = market.converted_by else {
        return amount;
    };
    let Some(pricing) = markets.get(by.get()) else {
        return Decimal::ZERO;
    };
    pricing
        .mark()
        .and_then(|m| amount.checked_mul(Decimal::from_steps(m.ticks(), &pricing.instrument.tick)))
        .unwrap_or(Decimal::ZERO)
}

/// A position's PnL, realised after fees plus open at its market's mark, in
/// its settlement asset.
fn position_pnl(position: &Position, market: &Market) -> Decimal {
    let open = market
        .mark()
        .map_or(Decimal::ZERO, |m| position.unrealised(m));
    position
        .realised_net()
        .checked_add(open)
        .unwrap_or(position.realised_net())
}

impl Core {
    /// Equity: cash, every strategy's realised PnL less fees, and every
    /// open position at its market's mark, in the kernel's currency.
    pub fn equity(&self, markets: &[Market]) -> Decimal {
        let mut equity = self.cash;
        for s in &self.strategies {
            for (position, market) in s.positions.iter().zip(markets) {
                let pnl = in_currency(markets, market, position_pnl(position, market));
                equity = equity.checked_add(pnl).unwrap_or(equity);
            }
        }
        equity
    }

    /// The account's position in an instrument: every strategy's, summed.
    pub fn net_lots(&self, instrument: InstrumentIndex) -> i64 {
        self.strategies
            .iter()
            .filter_map(|s| s.positions.get(instrument.get()))
            .map(Position::net_lots)
            .sum()
    }

    /// Each market with the account's position in it (lots, long
    /// positive) and its mark, where it has one.
    pub fn marked_positions<'m>(
        &'m self,
        markets: &'m [Market],
    ) -> impl Iterator<Item = (&'m Market, i64, Price)> + 'm {
        markets.iter().enumerate().filter_map(|(i, market)| {
            let mark = market.mark()?;
            Some((market, self.net_lots(InstrumentIndex(i as u16)), mark))
        })
    }

    /// The account's exposure: Σ over instruments of |net position| at
    /// its mark, in the quote asset (face value for inverse contracts).
    pub fn exposure(&self, markets: &[Market]) -> Decimal {
        self.marked_positions(markets)
            .filter_map(|(market, lots, mark)| {
                let qty = kestrel_model::Qty::from_lots(lots.unsigned_abs());
                market.instrument.notional(mark, qty)
            })
            .fold(Decimal::ZERO, |total, v| {
                total.checked_add(v).unwrap_or(total)
            })
    }

    /// Our most aggressive open price on `side` of `instrument`, over every
    /// strategy: strategies of one account must not trade with each other.
    pub fn own_best(&self, instrument: InstrumentIndex, side: Side) -> Option<Price> {
        let prices = self
            .strategies
            .iter()
            .filter_map(|s| s.orders.best_price(instrument, side));
        match side {
            Side::Buy => prices.max(),
            Side::Sell => prices.min(),
        }
    }

    pub fn maybe_sample(&mut self, markets: &[Market], now: UnixNanos) {
        if self.recorder.due(now) && markets[0].mid().is_some() {
            self.sample(markets, now);
        }
    }

    /// A sample of equity, of the first instrument's inventory and mid,
    /// and of every instrument's when the run records them apart.
    pub fn sample(&mut self, markets: &[Market], now: UnixNanos) {
        let equity = self.equity(markets).to_f64();
        let inventory = self.inventory(markets, InstrumentIndex::FIRST);
        self.recorder
            .sample(now, equity, inventory, markets[0].mid());
        if self.recorder.has_legs() {
            for (i, market) in markets.iter().enumerate() {
                let inventory = self.inventory(markets, InstrumentIndex(i as u16));
                self.recorder.sample_leg(i, now, inventory, market.mid());
            }
        }
    }

    /// The account's position in an instrument, in its units.
    pub fn inventory(&self, markets: &[Market], instrument: InstrumentIndex) -> f64 {
        let lots = self.net_lots(instrument);
        lots as f64 * markets[instrument.get()].instrument.lot.to_f64(1)
    }

    /// The venue acknowledged order `i` of strategy `s`: it joins the back
    /// of its level's queue, and a cancel asked for meanwhile goes out.
    pub fn on_accepted(&mut self, s: StrategyIndex, i: usize, markets: &[Market]) {
        let sent = self.strategies[s.get()].orders.get(i).sent_at;
        let ack_ns = self.now.nanos_since(sent).max(0) as u64;
        if let Some(p99) = self.acks.record(ack_ns) {
            if let Some(reason) = self.risk.on_latency(p99) {
                self.trip(reason);
            }
        }
        let o = self.strategies[s.get()].orders.get_mut(i);
        if let Some(price) = o.order.price() {
            let book = &markets[o.instrument.get()].book;
            o.queue = Some(QueuePosition::back_of(book.qty_at(o.side, price).lots()));
        }
        if o.cancel_on_ack {
            o.cancel_on_ack = false;
            self.cancel_at(s, i);
        }
    }

    /// Books a fill of strategy `s` on `instrument`.
    pub fn on_fill(
        &mut self,
        s: StrategyIndex,
        instrument: InstrumentIndex,
        side: Side,
        fill: &Fill,
        markets: &[Market],
        now: UnixNanos,
    ) {
        let (price, qty) = (fill.price, fill.qty);
        let spec = &markets[instrument.get()].instrument;
        let position = &mut self.strategies[s.get()].positions[instrument.get()];
        let Booked { realised, fee } =
            match position.on_fill(side, price, qty, fill.fee, fill.fee_asset) {
                Ok(b) => b,
                Err(_) => {
                    self.counters.odd_reports += 1;
                    return;
                }
            };
        let market = &markets[instrument.get()];
        let value = spec.settle_value(price, qty).unwrap_or(Decimal::ZERO);
        let activity = self.recorder.activity_mut();
        activity.fills += 1;
        activity.fees += in_currency(markets, market, fee).to_f64();
        // In the kernel's currency, like equity, so turnover is a ratio.
        activity.traded += in_currency(markets, market, value).to_f64();
        let pnl = in_currency(
            markets,
            market,
            realised.checked_sub(fee).unwrap_or(realised),
        );
        if realised != Decimal::ZERO {
            self.recorder.trades_mut().add(pnl.to_f64());
        }
        let mark = FillMark {
            time_ms: now.as_nanos() / 1_000_000,
            price: price.to_f64(&spec.tick),
            qty: qty.to_f64(&spec.lot),
            buy: side == Side::Buy,
        };
        if instrument == InstrumentIndex::FIRST {
            let inventory = self.inventory(markets, InstrumentIndex::FIRST);
            self.recorder.fill(mark, inventory);
        }
        if self.recorder.has_legs() {
            let inventory = self.inventory(markets, instrument);
            self.recorder.fill_leg(instrument.get(), mark, inventory);
        }
        let bracket = self.new_bracket(s, instrument, spec);
        self.strategies[s.get()].brackets[instrument.get()] = bracket;
        self.check_strategy_loss(s, markets);
        let equity = self.equity(markets);
        if let Some(reason) = self.risk.on_fill(pnl, equity, now) {
            self.trip(reason);
        }
    }

    /// A strategy's PnL: realised after fees, plus its open positions at
    /// their marks, in the kernel's currency.
    pub fn strategy_pnl(&self, s: StrategyIndex, markets: &[Market]) -> Decimal {
        let mut pnl = Decimal::ZERO;
        for (position, market) in self.strategies[s.get()].positions.iter().zip(markets) {
            let leg = in_currency(markets, market, position_pnl(position, market));
            pnl = pnl.checked_add(leg).unwrap_or(pnl);
        }
        pnl
    }

    /// Halts strategy `s` if it lost more than its limit.
    fn check_strategy_loss(&mut self, s: StrategyIndex, markets: &[Market]) {
        let state = &self.strategies[s.get()];
        let Some(limit) = state.max_loss.filter(|_| state.halted.is_none()) else {
            return;
        };
        let loss = Decimal::ZERO
            .checked_sub(self.strategy_pnl(s, markets))
            .unwrap_or(Decimal::ZERO);
        if loss > limit {
            self.halt(s, Reason::StrategyLoss);
        }
    }

    /// Halts one strategy: its orders are cancelled, new ones refused.
    pub fn halt(&mut self, s: StrategyIndex, reason: Reason) {
        self.strategies[s.get()].halted.get_or_insert(reason);
        self.decisions.push(RiskEvent::Halt {
            time: self.now,
            strategy: s,
            reason,
        });
        self.cancel_all_of(s);
    }

    /// The bracket of strategy `s`'s position in `instrument` as it is now.
    fn new_bracket(
        &self,
        s: StrategyIndex,
        instrument: InstrumentIndex,
        spec: &Instrument,
    ) -> Option<Bracket> {
        let b = self.bracket_ticks;
        if b.stop_loss.is_none() && b.take_profit.is_none() {
            return None;
        }
        let position = &self.strategies[s.get()].positions[instrument.get()];
        let side = position.side()?;
        let tick = spec.tick.to_f64(1);
        let entry = (position.average_price()? / tick).round() as i64;
        let sign = side.sign();
        let at = |ticks: i64| Price::from_ticks(entry.saturating_add(ticks.saturating_mul(sign)));
        Some(Bracket {
            side,
            stop_loss: b.stop_loss.map(|t| at(-t)),
            take_profit: b.take_profit.map(at),
        })
    }

    /// The kill switch: cancel every strategy's orders and say why.
    pub fn trip(&mut self, reason: Reason) {
        self.counters.kills += 1;
        self.decisions.push(RiskEvent::Kill {
            time: self.now,
            reason,
        });
        for s in 0..self.strategies.len() {
            self.cancel_all_of(StrategyIndex(s as u8));
        }
    }

    /// Cancels every open order of strategy `s`.
    pub fn cancel_all_of(&mut self, s: StrategyIndex) {
        for i in 0..self.strategies[s.get()].orders.len() {
            self.cancel_at(s, i);
        }
    }

    /// Sends a cancel for order `i` of strategy `s`, or arranges one for
    /// its ack.
    pub fn cancel_at(&mut self, s: StrategyIndex, i: usize) {
        let orders = &mut self.strategies[s.get()].orders;
        let o = orders.get_mut(i);
        match o.order.apply(OrderEvent::CancelSent) {
            Ok(_) => {
                let id = orders.views()[i].id;
                orders.refresh(i, None);
                self.outbox.push(OrderIntent::Cancel(id));
                self.recorder.activity_mut().cancels += 1;
            }
            Err(_) if o.order.state() == kestrel_exec::OrderState::PendingNew => {
                o.cancel_on_ack = true;
            }
            Err(_) => {}
        }
    }

    pub fn record_refusal(&mut self, reason: Reason) {
        self.counters.refused += 1;
        match self.refusals.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => self.refusals.push((reason, 1)),
        }
    }

    /// The strategy and position of an order by its client id: each
    /// strategy's orders are a short list, and a kernel runs few.
    pub fn find_order(&self, id: kestrel_model::ClientOrderId) -> Option<(StrategyIndex, usize)> {
        self.strategies
            .iter()
            .enumerate()
            .find_map(|(s, st)| st.orders.index(id).map(|i| (StrategyIndex(s as u8), i)))
    }
}
