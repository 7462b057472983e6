//! The strategy's [`Context`]: every order it asks for passes risk here.

use kestrel_book::OrderBook;
use kestrel_model::{ClientOrderId, Decimal, Instrument, Price, Qty, Side, UnixNanos};
use kestrel_risk::{Decision, OrderCheck};
use kestrel_strategy::{Context, NewOrder, OrderUpdate, Size, TimerId};
use kestrel_venue::OrderSpec;
use std::cmp::Reverse;

use super::{Core, OrderIntent, RiskEvent, WorkingOrder, mark_price};
use kestrel_exec::ManagedOrder;

/// The kernel's state lent to the strategy for one callback, with the
/// book it may read.
pub(super) struct KernelContext<'a> {
    core: &'a mut Core,
    book: &'a OrderBook,
}

impl<'a> KernelContext<'a> {
    pub(super) fn new(core: &'a mut Core, book: &'a OrderBook) -> Self {
        Self { core, book }
    }

    /// Quantity of an order: as asked, or for `AllIn` as many lots as the
    /// equity pays for at `reference`.
    fn quantity(&self, size: Size, reference: Price) -> Qty {
        match size {
            Size::Qty(q) => q,
            Size::AllIn => {
                let c = &self.core.instrument;
                // Equity is in the settlement asset; so is one lot's value.
                let per_lot = c.settle_value(reference, Qty::from_lots(1));
                let equity = self.core.equity(self.book);
                match per_lot {
                    Some(p) if p != Decimal::ZERO => {
                        Qty::from_lots((equity.to_f64() / p.to_f64()).floor().max(0.0) as u64)
                    }
                    _ => Qty::ZERO,
                }
            }
        }
    }

    /// Exposure of the open position at mid, in the quote asset (for an
    /// inverse contract, its face value).
    fn exposure(&self) -> Decimal {
        let lots = self.core.position.net_lots().unsigned_abs();
        mark_price(self.book)
            .and_then(|m| self.core.instrument.notional(m, Qty::from_lots(lots)))
            .unwrap_or(Decimal::ZERO)
    }
}

impl Context for KernelContext<'_> {
    fn now(&self) -> UnixNanos {
        self.core.now
    }

    fn instrument(&self) -> &Instrument {
        &self.core.instrument
    }

    fn book_trusted(&self) -> bool {
        self.core.synced && !self.book.is_crossed()
    }

    fn position_lots(&self) -> i64 {
        self.core.position.net_lots()
    }

    fn open_orders(&self) -> &[OrderUpdate] {
        self.core.orders.views()
    }

    fn place(&mut self, order: NewOrder) -> Option<ClientOrderId> {
        let opposite = self.book.best(order.side.opposite());
        let reference = order
            .price
            .or(opposite.map(|l| l.price))
            .unwrap_or(Price::ZERO);
        let qty = self.quantity(order.size, reference);
        let check = OrderCheck {
            instrument: &self.core.instrument,
            side: order.side,
            price: order.price,
            qty,
            reference,
            mid: self.book.mid(),
            position_lots: self.core.position.net_lots(),
            exposure: self.exposure(),
            own_opposite: self.core.orders.best_price(order.side.opposite()),
            book_trusted: self.book_trusted(),
            book_age_ns: self.core.now.nanos_since(self.core.book_time).max(0) as u64,
            volatility: self.core.volatility,
            now: self.core.now,
        };
        let decision = self.core.risk.check_order(&check);
        self.core.decisions.push(RiskEvent::Order {
            time: self.core.now,
            side: order.side,
            price: order.price,
            qty,
            decision,
        });
        if let Decision::Refused(reason) = decision {
            self.core.record_refusal(reason);
            return None;
        }
        let id = self.core.ids.next_id();
        self.core.orders.insert(
            id,
            WorkingOrder {
                side: order.side,
                kind: order.kind,
                time_in_force: order.time_in_force,
                order: ManagedOrder::new(qty, order.price),
                queue: None,
                cancel_on_ack: false,
                sent_at: self.core.now,
            },
        );
        self.core.outbox.push(OrderIntent::Submit(OrderSpec {
            id,
            side: order.side,
            kind: order.kind,
            time_in_force: order.time_in_force,
            price: order.price,
            qty,
        }));
        self.core.recorder.activity_mut().orders += 1;
        Some(id)
    }

    fn cancel(&mut self, id: ClientOrderId) {
        if let Some(i) = self.core.orders.index(id) {
            self.core.cancel_at(i);
        }
    }

    fn replace(&mut self, id: ClientOrderId, price: Price, qty: Qty) -> Option<ClientOrderId> {
        let i = self.core.orders.index(id)?;
        let old = *self.core.orders.get(i);
        self.core.cancel_at(i);
        self.core.recorder.activity_mut().replaces += 1;
        self.place(NewOrder {
            side: old.side,
            kind: old.kind,
            time_in_force: old.time_in_force,
            size: Size::Qty(qty),
            price: Some(price),
        })
    }

    fn queue_ahead(&self, id: ClientOrderId) -> Option<u64> {
        let i = self.core.orders.index(id)?;
        self.core.orders.get(i).queue.map(|q| q.ahead)
    }

    fn cancel_all(&mut self) {
        for i in 0..self.core.orders.len() {
            self.core.cancel_at(i);
        }
    }

    fn close_position(&mut self) {
        let lots = self.core.position.net_lots();
        if lots == 0 {
            return;
        }
        let side = if lots > 0 { Side::Sell } else { Side::Buy };
        self.place(NewOrder::market(
            side,
            Size::Qty(Qty::from_lots(lots.unsigned_abs())),
        ));
    }

    fn set_timer(&mut self, at: UnixNanos) -> TimerId {
        let id = self.core.next_timer;
        self.core.next_timer += 1;
        self.core.timers.push(Reverse((at, id)));
        TimerId(id)
    }
}
