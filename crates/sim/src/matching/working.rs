//! An accepted order's running state, and the reports it produces.

use kestrel_model::{Price, Qty, UnixNanos};

use crate::order::{OrderId, OrderRequest};
use crate::report::{ExecKind, ExecReport, OrderStatus};
use kestrel_book::queue::QueuePosition;

/// An order the venue accepted, with what is filled and what is left.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Working {
    pub(crate) id: OrderId,
    pub(crate) req: OrderRequest,
    pub(crate) filled: Qty,
    pub(crate) leaves: Qty,
}

impl Working {
    pub(crate) fn new(id: OrderId, req: OrderRequest) -> Self {
        Self {
            id,
            req,
            filled: Qty::ZERO,
            leaves: req.qty,
        }
    }

    /// Records a fill of `qty` (at most the quantity left).
    pub(crate) fn fill(&mut self, qty: Qty) {
        self.filled = self.filled.checked_add(qty).unwrap_or(self.filled);
        self.leaves = self.leaves.saturating_sub(qty);
    }

    /// The report of `kind` happening to this order now; a terminal kind
    /// leaves nothing open.
    pub(crate) fn report(&self, kind: ExecKind, time: UnixNanos) -> ExecReport {
        let status = match kind {
            ExecKind::Canceled => OrderStatus::Canceled,
            ExecKind::Rejected(_) => OrderStatus::Rejected,
            ExecKind::Expired(_) => OrderStatus::Expired,
            ExecKind::New | ExecKind::Triggered | ExecKind::Trade(_) => {
                if self.leaves.is_zero() {
                    OrderStatus::Filled
                } else if self.filled.is_zero() {
                    OrderStatus::New
                } else {
                    OrderStatus::PartiallyFilled
                }
            }
        };
        ExecReport {
            order_id: self.id,
            client_id: self.req.client_id,
            account: self.req.account,
            instrument: self.req.instrument,
            side: self.req.side,
            kind,
            status,
            filled: self.filled,
            leaves: if status.is_open() {
                self.leaves
            } else {
                Qty::ZERO
            },
            time,
        }
    }
}

/// One of our limit orders resting in the book.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resting {
    pub(crate) order: Working,
    pub(crate) price: Price,
    pub(crate) queue: QueuePosition,
    /// Set when self-trade prevention expired it inside a match; removed
    /// after the match.
    pub(crate) expired: bool,
}

impl Resting {
    pub(crate) fn is_done(&self) -> bool {
        self.expired || self.order.leaves.is_zero()
    }
}
