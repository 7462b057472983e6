//! A strategy's [`Context`]: its subscribed markets to read, its orders
//! and positions; every order it asks for passes risk here.

use std::cmp::Reverse;

use kestrel_book::OrderBook;
use kestrel_exec::ManagedOrder;
use kestrel_model::{
    ClientOrderId, Decimal, Instrument, InstrumentIndex, OrderSpec, Price, Qty, Side,
    StrategyIndex, UnixNanos,
};
use kestrel_risk::{Decision, OrderCheck};
use kestrel_strategy::{Context, ContextError, NewOrder, OrderUpdate, Size, TimerId};

use super::state::{Core, Market, StrategyState};
use super::{OrderIntent, RiskEvent, WorkingOrder};

/// The kernel's state lent to strategy `strategy` for one callback, with
/// the markets it may read.
pub(super) struct KernelContext<'a> {
    core: &'a mut Core,
    markets: &'a [Market],
    strategy: StrategyIndex,
}

impl<'a> KernelContext<'a> {
    pub(super) fn new(core: &'a mut Core, markets: &'a [Market], strategy: StrategyIndex) -> Self {
        Self {
            core,
            markets,
            strategy,
        }
    }

    fn state(&self) -> &StrategyState {
        &self.core.strategies[self.strategy.get()]
    }

    fn state_mut(&mut self) -> &mut StrategyState {
        &mut self.core.strategies[self.strategy.get()]
    }

    /// The market of a subscribed instrument.
    fn market(&self, ix: InstrumentIndex) -> Result<&'a Market, ContextError> {
        let markets = self.markets;
        if !self.state().subscribes(ix) {
            return Err(ContextError::NotSubscribed(ix));
        }
        markets.get(ix.get()).ok_or(ContextError::NotSubscribed(ix))
    }

    /// Quantity of an order: as asked, or for `AllIn` as many lots as the
    /// equity pays for at `reference`.
    fn quantity(&self, market: &Market, size: Size, reference: Price) -> Qty {
        match size {
            Size::Qty(q) => q,
            Size::AllIn => {
                // Equity is in the settlement asset; so is one lot's value.
                let per_lot = market.instrument.settle_value(reference, Qty::from_lots(1));
                let equity = self.core.equity(self.markets);
                match per_lot {
                    Some(p) if p != Decimal::ZERO => {
                        Qty::from_lots((equity.to_f64() / p.to_f64()).floor().max(0.0) as u64)
                    }
                    _ => Qty::ZERO,
                }
            }
        }
    }
}

impl Context for KernelContext<'_> {
    fn now(&self) -> UnixNanos {
        self.core.now
    }

    fn subscriptions(&self) -> &[InstrumentIndex] {
        &self.core.strategies[self.strategy.get()].subscriptions
    }

    fn instrument(&self, ix: InstrumentIndex) -> Result<&Instrument, ContextError> {
        self.market(ix).map(|m| &m.instrument)
    }

    fn book(&self, ix: InstrumentIndex) -> Result<&OrderBook, ContextError> {
        self.market(ix).map(|m| &m.book)
    }

    fn book_trusted(&self, ix: InstrumentIndex) -> bool {
        self.market(ix).is_ok_and(Market::trusted)
    }

    fn position_lots(&self, ix: InstrumentIndex) -> i64 {
        self.state()
            .positions
            .get(ix.get())
            .map_or(0, kestrel_exec::Position::net_lots)
    }

    fn open_orders(&self) -> &[OrderUpdate] {
        self.core.strategies[self.strategy.get()].orders.views()
    }

    fn place(&mut self, order: NewOrder) -> Result<ClientOrderId, ContextError> {
        let ix = order.instrument;
        let market = self.market(ix)?;
        let reference = order
            .price
            .or(market.reference(order.side))
            .unwrap_or(Price::ZERO);
        let qty = self.quantity(market, order.size, reference);
        let check = OrderCheck {
            instrument: &market.instrument,
            limits: &market.limits,
            side: order.side,
            price: order.price,
            qty,
            reference,
            mid: market.mid(),
            position_lots: self.core.net_lots(ix),
            exposure: self.core.exposure(self.markets),
            own_opposite: self.core.own_best(ix, order.side.opposite()),
            book_trusted: market.trusted(),
            book_age_ns: self.core.now.nanos_since(market.book_time).max(0) as u64,
            volatility: market.volatility,
            now: self.core.now,
        };
        let decision = match self.state().halted {
            // A halted strategy is refused before the account's checks (it
            // takes no rate token).
            Some(_) => Decision::Refused(kestrel_risk::Reason::StrategyHalted),
            None => self.core.risk.check_order(&check),
        };
        self.core.decisions.push(RiskEvent::Order {
            time: self.core.now,
            side: order.side,
            price: order.price,
            qty,
            decision,
        });
        if let Decision::Refused(reason) = decision {
            self.core.record_refusal(reason);
            return Err(ContextError::Refused);
        }
        let now = self.core.now;
        let state = self.state_mut();
        let id = state.ids.next_id();
        state.orders.insert(
            id,
            WorkingOrder {
                instrument: ix,
                side: order.side,
                kind: order.kind,
                time_in_force: order.time_in_force,
                order: ManagedOrder::new(qty, order.price),
                queue: None,
                cancel_on_ack: false,
                sent_at: now,
            },
        );
        self.core.outbox.push(OrderIntent::Submit(OrderSpec {
            instrument: ix,
            id,
            side: order.side,
            kind: order.kind,
            time_in_force: order.time_in_force,
            price: order.price,
            qty,
        }));
        self.core.recorder.activity_mut().orders += 1;
        Ok(id)
    }

    fn cancel(&mut self, id: ClientOrderId) {
        if let Some(i) = self.state().orders.index(id) {
            self.core.cancel_at(self.strategy, i);
        }
    }

    fn replace(
        &mut self,
        id: ClientOrderId,
        price: Price,
        qty: Qty,
    ) -> Result<ClientOrderId, ContextError> {
        let i = self
            .state()
            .orders
            .index(id)
            .ok_or(ContextError::UnknownOrder(id))?;
        let old = *self.state().orders.get(i);
        self.core.cancel_at(self.strategy, i);
        self.core.recorder.activity_mut().replaces += 1;
        self.place(NewOrder {
            instrument: old.instrument,
            side: old.side,
            kind: old.kind,
            time_in_force: old.time_in_force,
            size: Size::Qty(qty),
            price: Some(price),
        })
    }

    fn queue_ahead(&self, id: ClientOrderId) -> Option<u64> {
        let orders = &self.state().orders;
        let i = orders.index(id)?;
        orders.get(i).queue.map(|q| q.ahead)
    }

    fn cancel_all(&mut self) {
        self.core.cancel_all_of(self.strategy);
    }

    fn close_position(&mut self, ix: InstrumentIndex) {
        let lots = self.position_lots(ix);
        if lots == 0 {
            return;
        }
        let side = if lots > 0 { Side::Sell } else { Side::Buy };
        // A refusal is journaled with its reason; the position stays.
        let _ = self.place(NewOrder::market(
            ix,
            side,
            Size::Qty(Qty::from_lots(lots.unsigned_abs())),
        ));
    }

    fn set_timer(&mut self, at: UnixNanos) -> TimerId {
        let id = self.core.next_timer;
        self.core.next_timer += 1;
        self.core.timers.push(Reverse((at, id, self.strategy)));
        TimerId(id)
    }
}
