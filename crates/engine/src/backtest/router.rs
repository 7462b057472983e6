//! Where what the kernel puts out goes: each order intent, as a venue
//! command, to its instrument's simulated venue; each point of the
//! report's series to the run's builder.

use kestrel_model::{Instrument, UnixNanos};
use kestrel_sim::{Command, OrderRef, OrderRequest, SelfTradePrevention, SimVenue};
use kestrel_strategy::Strategy;

use super::{ACCOUNT, RunStats};
use crate::kernel::{Kernel, OrderIntent};

/// Where what the kernel puts out goes: each intent to its instrument's
/// venue, each point of the report's series to the run's builder.
pub(super) struct Router {
    /// By instrument: the venue's index and the instrument's id.
    routes: Vec<(usize, kestrel_model::InstrumentId)>,
    /// Intents drained and not yet sent (reused: no allocation per event).
    scratch: Vec<OrderIntent>,
    /// The report's series.
    pub series: kestrel_analytics::SeriesBuilder,
}

impl Router {
    pub fn new(
        instruments: &[Instrument],
        venue_of: &[usize],
        series: kestrel_analytics::SeriesBuilder,
    ) -> Self {
        Self {
            routes: instruments
                .iter()
                .zip(venue_of)
                .map(|(i, &v)| (v, i.id))
                .collect(),
            scratch: Vec::with_capacity(16),
            series,
        }
    }

    /// Sends what the kernel decided at `now`, counts its risk decisions
    /// and folds its points into the series.
    #[inline]
    pub fn flush<S: Strategy>(
        &mut self,
        kernel: &mut Kernel<S>,
        venues: &mut [SimVenue],
        now: UnixNanos,
        stats: &mut RunStats,
    ) {
        // Most events make no output: a check inline, the work apart.
        if kernel.has_output() {
            self.send(kernel, venues, now, stats);
        }
    }

    #[inline(never)]
    fn send<S: Strategy>(
        &mut self,
        kernel: &mut Kernel<S>,
        venues: &mut [SimVenue],
        now: UnixNanos,
        stats: &mut RunStats,
    ) {
        self.scratch.extend(kernel.drain_intents());
        for intent in self.scratch.drain(..) {
            // A cancel names only the order; the kernel knows its instrument.
            let ix = match intent {
                OrderIntent::Submit(order) => Some(order.instrument),
                OrderIntent::Cancel(id) => kernel.order(id).map(|o| o.instrument),
            };
            let Some(&(venue, id)) = ix.and_then(|ix| self.routes.get(ix.get())) else {
                continue;
            };
            stats.commands += 1;
            venues[venue].send(now, command(id, intent));
        }
        stats.decisions += kernel.drain_decisions().count() as u64;
        self.series.extend(kernel.drain_points());
    }
}

/// The venue command for an intent.
fn command(instrument: kestrel_model::InstrumentId, intent: OrderIntent) -> Command {
    match intent {
        OrderIntent::Submit(order) => Command::Submit(OrderRequest {
            account: ACCOUNT,
            instrument,
            client_id: order.id,
            side: order.side,
            kind: order.kind,
            time_in_force: order.time_in_force,
            qty: order.qty,
            price: order.price,
            trigger: None,
            stp: SelfTradePrevention::None,
        }),
        OrderIntent::Cancel(id) => Command::Cancel {
            account: ACCOUNT,
            instrument,
            target: OrderRef::Client(id),
        },
    }
}
