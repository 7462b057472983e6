//! What recovery needs of the kernel beyond replay: its open orders to
//! reconcile, orders the journal never heard of, and a fresh id session.

use kestrel_exec::ManagedOrder;
use kestrel_model::{
    ClientOrderId, InstrumentIndex, OrderType, Price, Qty, Side, StrategyIndex, TimeInForce,
    UnixNanos,
};
use kestrel_strategy::Strategy;

use super::{Kernel, WorkingOrder};

/// An order the venue has that the journal does not: sent just before a
/// crash cut the journal. It is tracked from here like any other order,
/// so its fills count in the position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdoptedOrder {
    /// Its client id.
    pub id: ClientOrderId,
    /// Its instrument.
    pub instrument: InstrumentIndex,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub kind: OrderType,
    /// Limit price, for the types that have one.
    pub price: Option<Price>,
    /// Original quantity.
    pub qty: Qty,
}

impl<S: Strategy> Kernel<S> {
    /// The orders the kernel believes open (pending ones included), of
    /// every strategy.
    pub fn open_orders(&self) -> impl Iterator<Item = (ClientOrderId, &WorkingOrder)> {
        self.core.strategies.iter().flat_map(|s| s.orders.iter())
    }

    /// One tracked order.
    pub fn order(&self, id: ClientOrderId) -> Option<&WorkingOrder> {
        let (s, i) = self.core.find_order(id)?;
        Some(self.core.strategies[s.get()].orders.get(i))
    }

    /// Starts tracking `order` as just sent, for the first strategy (a
    /// recovered order's strategy is not known); the venue's reports on it
    /// follow.
    pub fn adopt(&mut self, order: &AdoptedOrder, now: UnixNanos) {
        self.core.now = now;
        if self.core.find_order(order.id).is_some() {
            return;
        }
        let s = StrategyIndex::FIRST;
        self.core.strategies[s.get()].orders.insert(
            order.id,
            WorkingOrder {
                instrument: order.instrument,
                side: order.side,
                kind: order.kind,
                time_in_force: TimeInForce::Gtc,
                order: ManagedOrder::new(order.qty, order.price),
                queue: None,
                cancel_on_ack: false,
                sent_at: now,
            },
        );
    }

    /// Each strategy's client id generator. Restored from a journal, they
    /// count the ids it holds: a venue order with an id they had yet to
    /// issue is one the crash cut from the journal.
    pub fn id_generators(&self) -> impl Iterator<Item = &kestrel_exec::ClientOrderIds> {
        self.core.strategies.iter().map(|s| &s.ids)
    }

    /// The time of the last input applied: after a replay, the journal's
    /// last record's.
    pub fn last_input_time(&self) -> UnixNanos {
        self.core.now
    }

    /// Issues ids of a new session from here: after a restart, an id never
    /// repeats one the previous process may have sent unjournaled.
    pub fn resume_ids(&mut self, session_ms: u64) {
        for s in &mut self.core.strategies {
            s.ids = s.ids.with_session(session_ms);
        }
    }
}

/// Why a kernel's state could not be saved or restored.
#[derive(Debug, thiserror::Error)]
#[error("kernel state: {0}")]
pub struct StateError(String);

impl StateError {
    pub(crate) fn from_text(text: String) -> Self {
        Self(text)
    }
}

impl<S: Strategy + serde::Serialize + serde::de::DeserializeOwned> Kernel<S> {
    /// The kernel's whole state (book, signals, strategy, orders, risk,
    /// position, ids, timers, the report's series), compact and exact: a
    /// kernel restored from it makes the same decisions as this one.
    pub fn save_state(&self) -> Result<Vec<u8>, StateError> {
        postcard::to_allocvec(self).map_err(|e| StateError::from_text(e.to_string()))
    }

    /// A kernel from [`Self::save_state`]'s bytes.
    pub fn load_state(bytes: &[u8]) -> Result<Self, StateError> {
        postcard::from_bytes(bytes).map_err(|e| StateError::from_text(e.to_string()))
    }
}
