//! The [`Strategy`] trait and the [`Context`] it acts through.

use kestrel_book::OrderBook;
use kestrel_exec::OrderState;
use kestrel_model::{
    Bar, BarSpec, ClientOrderId, Instrument, InstrumentIndex, OrderType, Price, Qty, Side,
    TimeInForce, Trade, UnixNanos,
};
use kestrel_signals::SignalValues;

/// How much an order is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// This quantity.
    Qty(Qty),
    /// As much as the account can pay for when the order fills (bar
    /// backtests' "all-in" orders).
    AllIn,
}

/// An order a strategy asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOrder {
    /// Which of the strategy's instruments.
    pub instrument: InstrumentIndex,
    /// Buy or sell.
    pub side: Side,
    /// Market, limit, post-only or stop.
    pub kind: OrderType,
    /// How long it may rest.
    pub time_in_force: TimeInForce,
    /// How much.
    pub size: Size,
    /// Limit price, for the types that have one.
    pub price: Option<Price>,
}

impl NewOrder {
    /// A market order.
    pub fn market(instrument: InstrumentIndex, side: Side, size: Size) -> Self {
        Self {
            instrument,
            side,
            kind: OrderType::Market,
            time_in_force: TimeInForce::Gtc,
            size,
            price: None,
        }
    }

    /// A post-only limit order: it rests or is refused, never takes.
    pub fn post_only(instrument: InstrumentIndex, side: Side, price: Price, qty: Qty) -> Self {
        Self {
            instrument,
            side,
            kind: OrderType::PostOnly,
            time_in_force: TimeInForce::Gtx,
            size: Size::Qty(qty),
            price: Some(price),
        }
    }
}

/// A change to one of the strategy's orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderUpdate {
    /// The order.
    pub id: ClientOrderId,
    /// Its instrument.
    pub instrument: InstrumentIndex,
    /// Its state now.
    pub state: OrderState,
    /// Filled so far.
    pub filled: Qty,
    /// The fill this update reports, if it is one: price and quantity.
    pub fill: Option<(Price, Qty)>,
}

/// A timer the strategy set.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct TimerId(pub u64);

/// Why a [`Context`] call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The strategy did not subscribe to the instrument: its book is not
    /// kept for it and it may not trade it.
    #[error("{0} is not one this strategy subscribed to")]
    NotSubscribed(InstrumentIndex),
    /// Risk refused the order; the reason is journaled with the decision.
    #[error("risk refused the order")]
    Refused,
    /// No open order of the strategy has that id.
    #[error("no open order {0}")]
    UnknownOrder(ClientOrderId),
}

/// What a strategy can see and do. The kernel implements it; every action
/// goes through risk before anything leaves. A strategy sees and trades the
/// instruments it subscribed to, and its own orders and positions only.
pub trait Context {
    /// The clock: venue time in a backtest, the wall clock live.
    fn now(&self) -> UnixNanos;
    /// The instruments the strategy subscribed to, in its config's order.
    fn subscriptions(&self) -> &[InstrumentIndex];
    /// An instrument's definition.
    fn instrument(&self, instrument: InstrumentIndex) -> Result<&Instrument, ContextError>;
    /// An instrument's book: an O(1) read of any subscribed book, so a
    /// strategy quoting one market can price off another.
    fn book(&self, instrument: InstrumentIndex) -> Result<&OrderBook, ContextError>;
    /// Whether an instrument's book is in sync with its venue (false for
    /// one not subscribed).
    fn book_trusted(&self, instrument: InstrumentIndex) -> bool;
    /// The strategy's position in an instrument, in signed lots.
    fn position_lots(&self, instrument: InstrumentIndex) -> i64;
    /// The strategy's open orders, on every instrument.
    fn open_orders(&self) -> &[OrderUpdate];
    /// Sends an order; its id, or why not (a risk refusal is journaled
    /// with its reason).
    fn place(&mut self, order: NewOrder) -> Result<ClientOrderId, ContextError>;
    /// Cancels an order.
    fn cancel(&mut self, id: ClientOrderId);
    /// Moves an order to a new price and quantity, as Binance's
    /// cancel-replace does: the old order is cancelled and a new one sent.
    /// Returns the new order's id, or why not (the old order is cancelled
    /// either way).
    fn replace(
        &mut self,
        id: ClientOrderId,
        price: Price,
        qty: Qty,
    ) -> Result<ClientOrderId, ContextError>;
    /// Lots resting ahead of one of our orders in its level's queue, by the
    /// kernel's estimate; `None` until the venue has acknowledged it.
    fn queue_ahead(&self, id: ClientOrderId) -> Option<u64>;
    /// Cancels every open order of the strategy.
    fn cancel_all(&mut self);
    /// Closes the strategy's position in an instrument with a market order.
    fn close_position(&mut self, instrument: InstrumentIndex);
    /// Calls [`Strategy::on_timer`] at `at`.
    fn set_timer(&mut self, at: UnixNanos) -> TimerId;
}

/// A trading strategy. Every method has a do-nothing default, so a
/// strategy implements only what it reacts to.
#[allow(unused_variables)]
pub trait Strategy {
    /// Before the first event.
    fn on_start(&mut self, ctx: &mut dyn Context) {}
    /// After a book update of a subscribed instrument, with its signals
    /// as of it.
    fn on_book(
        &mut self,
        ctx: &mut dyn Context,
        instrument: InstrumentIndex,
        book: &OrderBook,
        signals: &SignalValues,
    ) {
    }
    /// A trade print in a subscribed instrument.
    fn on_trade(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, trade: &Trade) {}
    /// A closed bar of a subscribed instrument, of one of [`Self::bars`]'
    /// specs (or from a bar file); each bar comes once.
    fn on_bar(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, bar: &Bar) {}
    /// A bar already delivered, revised by a late trade (under the
    /// correct-late policy): the whole revised bar.
    fn on_bar_corrected(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, bar: &Bar) {}
    /// A change to one of our orders.
    fn on_order(&mut self, ctx: &mut dyn Context, update: &OrderUpdate) {}
    /// A timer set with [`Context::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut dyn Context, timer: TimerId) {}
    /// After the last event.
    fn on_stop(&mut self, ctx: &mut dyn Context) {}
    /// How many of each side's best levels [`Self::on_book`] reads from
    /// the book; `None`, the default, for no bound. With a bound, a live
    /// session decides on a depth diff once its levels near the touch are
    /// decoded, before the rest of the frame, with the same result.
    fn book_depth(&self) -> Option<usize> {
        None
    }
    /// The bars the kernel builds from the trades of each subscribed
    /// instrument for [`Self::on_bar`]; none by default.
    fn bars(&self) -> &[BarSpec] {
        &[]
    }
}
