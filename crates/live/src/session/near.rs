//! A depth diff taken near the touch first: the kernel decides, and its
//! orders go out, before the rest of the frame is decoded.

use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_model::{InstrumentIndex, TouchBounds, UnixNanos};
use kestrel_strategy::Strategy;

use super::{LiveSession, entry, record_with};

impl<S: Strategy, D: FrameDecoder, Q: Sequencer> LiveSession<S, D, Q> {
    /// A diff begun near the touch (`beyond`: where the levels not yet
    /// read lie). The kernel takes near parts until it decides, and what
    /// it decided is sent; then the rest is decoded and applied. The journal
    /// records the whole diff, from which a replay decides the same; a
    /// frame whose rest does not agree with its near part loses the book,
    /// and the journal then records the near levels the kernel took and
    /// the gap.
    pub(super) fn on_near_delta(
        &mut self,
        ix: InstrumentIndex,
        frame: &[u8],
        local: UnixNanos,
        beyond: TouchBounds,
        now: UnixNanos,
    ) {
        self.stats.market_events += 1;
        self.stats.near_first += 1;
        let Some(market) = self.markets.get_mut(ix.get()) else {
            return;
        };
        let kernel = &mut self.kernel;
        let early = market.frames.take_near(frame, beyond, |part, beyond| {
            kernel.on_delta_near(ix, part, beyond, now)
        });
        let mut decided = if early { self.dispatch() } else { None };
        let Some(market) = self.markets.get_mut(ix.get()) else {
            return;
        };
        let end = market.frames.finish_near(frame, local, &mut market.slot);
        let fault = end.fault;
        self.kernel.on_delta_rest(ix, end.rest, now);
        if !early {
            decided = self.dispatch();
        }
        if let Some(market) = self.markets.get(ix.get()) {
            let slot = &market.slot;
            record_with(&mut self.journal, &mut self.buf, &mut self.stats, |buf| {
                entry::encode_delta(now, ix, &slot.delta, buf)
            });
        }
        self.journal_outputs(now, decided);
        if fault.is_some() {
            self.stats.near_faults += 1;
            self.on_gap(ix, now);
        } else {
            self.verify_book(ix, now);
        }
    }
}
