//! Execution reports into the session: each applied once, gaps in an
//! order's fills fetched before its later reports are applied.

use kestrel_exec::OrderState;
use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{
    ClientOrderId, ExecKind, ExecReport, InstrumentIndex, OrderId, OrderStatus, Qty, UnixNanos,
};
use kestrel_strategy::Strategy;
use kestrel_venue::VenueFill;

use super::{GatewayCommand, LiveSession, elapsed};
use crate::latency::Stage;
use kestrel_engine::clock::{Clock, WallClock};
use kestrel_engine::entry::Entry;

impl<S: Strategy, D: FrameDecoder, Q: Sequencer> LiveSession<S, D, Q> {
    /// Applies a report once: repeats are dropped (fills by trade id, an
    /// acknowledgement of an order already acknowledged, anything about an
    /// order already ended), and a report whose cumulative quantity shows
    /// fills the session never received is held while they are fetched.
    pub(super) fn on_report(&mut self, ix: InstrumentIndex, report: ExecReport, now: UnixNanos) {
        // An order's reports are about its instrument, whichever
        // connection they came by.
        let ix = self.order_ix(report.client_id).unwrap_or(ix);
        self.on_report_checked(ix, report, now, true);
    }

    fn on_report_checked(
        &mut self,
        ix: InstrumentIndex,
        report: ExecReport,
        now: UnixNanos,
        check_gap: bool,
    ) {
        if let Some(held) = self.held.get_mut(&report.client_id) {
            held.push(report);
            return;
        }
        let fill = match report.kind {
            ExecKind::Trade(f) => Some(f),
            _ => None,
        };
        if fill.is_some_and(|f| self.applied.contains(&(ix, f.trade_id))) {
            self.stats.duplicate_reports += 1;
            return;
        }
        let tracked = self
            .kernel
            .order(report.client_id)
            .map(|o| (o.order.state(), o.order.filled()));
        let Some((state, filled)) = tracked else {
            if fill.is_none() {
                // The order already ended here: a late or repeated word.
                self.stats.duplicate_reports += 1;
                return;
            }
            // A fill of an order we do not track: the kernel counts it.
            self.apply_report(ix, report, now);
            return;
        };
        let expected = filled
            .checked_add(fill.map_or(Qty::ZERO, |f| f.qty))
            .unwrap_or(filled);
        if check_gap && report.filled > expected && report.order_id != OrderId(0) {
            self.stats.fill_gaps += 1;
            self.held.insert(report.client_id, vec![report]);
            self.send(
                ix,
                GatewayCommand::FetchFills {
                    id: report.client_id,
                    order_id: report.order_id,
                },
            );
            return;
        }
        let acked_again = report.kind == ExecKind::New && state != OrderState::PendingNew;
        if acked_again {
            self.stats.duplicate_reports += 1;
            return;
        }
        self.apply_report(ix, report, now);
    }

    fn apply_report(&mut self, ix: InstrumentIndex, report: ExecReport, now: UnixNanos) {
        if let ExecKind::Trade(f) = report.kind {
            self.applied.insert((ix, f.trade_id));
        }
        if let Some(o) = self.kernel.order(report.client_id) {
            let since = elapsed(o.sent_at, WallClock.now());
            match report.kind {
                ExecKind::New if o.order.state() == OrderState::PendingNew => {
                    self.latency.record(Stage::OrderToAck, since);
                }
                ExecKind::Trade(_) if o.order.filled().is_zero() => {
                    self.latency.record(Stage::OrderToFill, since);
                }
                _ => {}
            }
        }
        self.stats.reports += 1;
        self.apply(&Entry::Report { now, ix, report }, now);
    }

    /// Applies the fetched fills the session lacked, then the held reports.
    pub(super) fn on_order_fills(
        &mut self,
        id: ClientOrderId,
        fills: Result<Vec<VenueFill>, kestrel_venue::VenueError>,
        now: UnixNanos,
    ) {
        let held = self.held.remove(&id).unwrap_or_default();
        let Some(ix) = self.order_ix(id) else {
            // Held reports are only ever of tracked orders.
            return;
        };
        match (fills, held.first()) {
            (Ok(fills), Some(first)) => {
                let qty = self.kernel.order(id).map_or(Qty::ZERO, |o| o.order.qty());
                let mut cum = Qty::ZERO;
                for f in fills {
                    cum = cum.checked_add(f.qty).unwrap_or(cum);
                    if self.applied.contains(&(ix, f.trade_id)) {
                        continue;
                    }
                    self.stats.recovered_fills += 1;
                    let status = if cum >= qty {
                        OrderStatus::Filled
                    } else {
                        OrderStatus::PartiallyFilled
                    };
                    let report = ExecReport {
                        kind: ExecKind::Trade(f.fill()),
                        status,
                        filled: cum,
                        leaves: qty.saturating_sub(cum),
                        time: f.time,
                        ..*first
                    };
                    self.on_report_checked(ix, report, now, false);
                }
            }
            (Err(_), _) => self.stats.unresolved_gaps += 1,
            (Ok(_), None) => {}
        }
        for report in held {
            self.on_report_checked(ix, report, now, false);
        }
    }
}
