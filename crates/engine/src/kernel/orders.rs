//! The strategy's working orders: life cycle, the view the strategy reads,
//! and a queue-position estimate for each resting one.
//!
//! A strategy keeps a handful of orders, so this is a small vector scanned
//! linearly: cheaper than a map at this size, and it never allocates once
//! it has grown to the most orders ever open at once.

use kestrel_exec::{ManagedOrder, QueueModel, QueuePosition};
use kestrel_model::{
    ClientOrderId, InstrumentIndex, OrderType, Price, Qty, Side, TimeInForce, UnixNanos,
};
use kestrel_strategy::OrderUpdate;

/// One order the kernel tracks.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct WorkingOrder {
    /// Which instrument.
    pub instrument: InstrumentIndex,
    /// Buy or sell.
    pub side: Side,
    /// As sent.
    pub kind: OrderType,
    /// As sent.
    pub time_in_force: TimeInForce,
    /// Life cycle, quantities and price.
    pub order: ManagedOrder,
    /// Lots ahead of it at its level, once the venue has acknowledged it.
    pub queue: Option<QueuePosition>,
    /// A cancel asked for before the venue acknowledged the order; it is
    /// sent with the acknowledgement.
    pub cancel_on_ack: bool,
    /// When it was sent, for the order-to-ack latency.
    pub sent_at: UnixNanos,
}

/// The open orders, with the view handed to the strategy kept beside them
/// (same index) so `Context::open_orders` is a slice, not a copy.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkingOrders {
    orders: Vec<WorkingOrder>,
    views: Vec<OrderUpdate>,
}

impl WorkingOrders {
    /// Room for `n` orders before the table grows.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            orders: Vec::with_capacity(n),
            views: Vec::with_capacity(n),
        }
    }

    /// Starts tracking an order just sent.
    pub fn insert(&mut self, id: ClientOrderId, order: WorkingOrder) {
        self.views.push(OrderUpdate {
            id,
            instrument: order.instrument,
            state: order.order.state(),
            filled: Qty::ZERO,
            fill: None,
        });
        self.orders.push(order);
    }

    /// Index of an order by its client id.
    pub fn index(&self, id: ClientOrderId) -> Option<usize> {
        self.views.iter().position(|v| v.id == id)
    }

    /// The order at `i`.
    pub fn get(&self, i: usize) -> &WorkingOrder {
        &self.orders[i]
    }

    /// The order at `i`, to change.
    pub fn get_mut(&mut self, i: usize) -> &mut WorkingOrder {
        &mut self.orders[i]
    }

    /// Refreshes the strategy's view of the order at `i`, recording `fill`.
    pub fn refresh(&mut self, i: usize, fill: Option<(Price, Qty)>) -> OrderUpdate {
        let o = &self.orders[i].order;
        let view = &mut self.views[i];
        view.state = o.state();
        view.filled = o.filled();
        view.fill = fill;
        *view
    }

    /// Stops tracking the order at `i` (it ended).
    pub fn remove(&mut self, i: usize) {
        self.orders.swap_remove(i);
        self.views.swap_remove(i);
    }

    /// Every tracked order with its client id.
    pub fn iter(&self) -> impl Iterator<Item = (ClientOrderId, &WorkingOrder)> {
        self.views.iter().map(|v| v.id).zip(&self.orders)
    }

    /// What the strategy sees.
    pub fn views(&self) -> &[OrderUpdate] {
        &self.views
    }

    /// How many orders are tracked.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// Our most aggressive open limit price on `side` of `instrument`, for
    /// self-trade checks.
    pub fn best_price(&self, instrument: InstrumentIndex, side: Side) -> Option<Price> {
        let prices = self
            .orders
            .iter()
            .filter(|o| o.instrument == instrument && o.side == side && o.order.state().is_open())
            .filter_map(|o| o.order.price());
        match side {
            Side::Buy => prices.max(),
            Side::Sell => prices.min(),
        }
    }

    /// Whether an order with a queue estimate rests at `price` on `side`:
    /// only then does a change of that level need [`Self::on_depth`].
    pub fn rests_at(&self, instrument: InstrumentIndex, side: Side, price: Price) -> bool {
        self.orders.iter().any(|o| {
            o.instrument == instrument
                && o.side == side
                && o.queue.is_some()
                && o.order.price() == Some(price)
        })
    }

    /// The lowest and highest prices at which our orders on `side` rest in
    /// the book's queue, if any do.
    pub fn resting_span(&self, instrument: InstrumentIndex, side: Side) -> Option<(Price, Price)> {
        self.resting(instrument, side)
            .fold(None, |span, p| match span {
                None => Some((p, p)),
                Some((lo, hi)) => Some((lo.min(p), hi.max(p))),
            })
    }

    /// The worst price at which one of our orders on `side` rests in the
    /// book's queue.
    pub fn worst_resting(&self, instrument: InstrumentIndex, side: Side) -> Option<Price> {
        self.resting(instrument, side).reduce(|a, b| {
            if side == Side::Buy {
                a.min(b)
            } else {
                a.max(b)
            }
        })
    }

    /// Whether one of our orders on `side` rests in the book's queue at a
    /// price strictly worse than `bound`.
    pub fn rests_beyond(&self, instrument: InstrumentIndex, side: Side, bound: Price) -> bool {
        self.resting(instrument, side)
            .any(|p| side.is_worse(p, bound))
    }

    fn resting(&self, instrument: InstrumentIndex, side: Side) -> impl Iterator<Item = Price> + '_ {
        self.orders
            .iter()
            .filter(move |o| o.instrument == instrument && o.side == side && o.queue.is_some())
            .filter_map(|o| o.order.price())
    }

    /// A recorded level changed from `old` to `new` lots: resting orders
    /// there move up the queue by the model's share of any cancellation.
    pub fn on_depth(
        &mut self,
        model: QueueModel,
        instrument: InstrumentIndex,
        side: Side,
        price: Price,
        old: u64,
        new: u64,
    ) {
        for o in &mut self.orders {
            if o.instrument == instrument && o.side == side && o.order.price() == Some(price) {
                if let Some(q) = &mut o.queue {
                    q.on_depth(model, old, new);
                }
            }
        }
    }

    /// A market trade of `lots` printed at `price`: orders resting there
    /// move up by it.
    pub fn on_trade(&mut self, instrument: InstrumentIndex, price: Price, lots: u64) {
        for o in &mut self.orders {
            if o.instrument == instrument && o.order.price() == Some(price) {
                if let Some(q) = &mut o.queue {
                    q.on_trade(lots);
                }
            }
        }
    }
}
