//! The kernel thread of a live session: every input is journaled, then
//! applied to the kernel, and the kernel's intents go to the gateway.
//!
//! Nothing here waits on the network or the disk: inputs arrive on a
//! channel, the journal writer and the gateway run elsewhere.

use std::collections::{HashMap, HashSet};

use kestrel_feed::{FrameDecoder, Sequencer};
use kestrel_journal::{JournalWriter, RecordType};
use kestrel_model::{
    AccountId, ClientOrderId, Decimal, ExecKind, ExecReport, InstrumentIndex, OrderId, OrderStatus,
    Qty, UnixNanos,
};
use kestrel_strategy::Strategy;

use kestrel_engine::clock::{Clock, WallClock};
use kestrel_engine::entry::{self, Entry, SessionHeader};
use kestrel_engine::kernel::{Kernel, OrderIntent};
use kestrel_engine::replay::{FillKey, StartBalances};
use kestrel_feed::{FeedEvent, FeedKind, FrameStart, SyncStatus, Untrusted};

use super::latency::{Latencies, Stage};
use super::reconcile::{Correction, KnownOrder};

/// Nanoseconds from `from` to `to`, zero if the clock stepped back.
fn elapsed(from: UnixNanos, to: UnixNanos) -> u64 {
    to.as_nanos().saturating_sub(from.as_nanos())
}

/// The kernel, its markets' syncs and its journal, driven by
/// [`LiveInput`]s.
pub struct LiveSession<S, D, Q> {
    kernel: Kernel<S>,
    markets: Vec<SessionMarket<D, Q>>,
    journal: Option<JournalWriter>,
    buf: Vec<u8>,
    /// Fills applied: a fill the stream and the venue's history both
    /// deliver is applied once.
    applied: HashSet<FillKey>,
    /// Reports held for orders whose missed fills are being fetched.
    held: HashMap<ClientOrderId, Vec<ExecReport>>,
    stats: SessionStats,
    /// Reused buffers for the kernel's outputs.
    intents: Vec<OrderIntent>,
    decisions: Vec<kestrel_engine::kernel::RiskEvent>,
    resumed: bool,
    /// Stage latencies.
    latency: Latencies,
    /// While a frame's events are processed: when it was received, and
    /// when the current stage began.
    tick: Option<(UnixNanos, UnixNanos)>,
    /// Set by [`LiveInput::Drain`]: stop once idle or at this time.
    draining: Option<UnixNanos>,
    /// Inputs between snapshots (0: none), and inputs since the last.
    snapshot_every: u64,
    since_snapshot: u64,
    /// The venue's balances when the session began, per instrument.
    start_balances: StartBalances,
}

impl<S: Strategy, D: FrameDecoder, Q: Sequencer> LiveSession<S, D, Q> {
    /// A session around `kernel`, with one market per kernel instrument in
    /// its order; with a journal, `header` is its first record.
    pub fn new(
        kernel: Kernel<S>,
        markets: Vec<SessionMarket<D, Q>>,
        header: &SessionHeader,
        journal: Option<JournalWriter>,
    ) -> Result<Self, SessionError> {
        let want = kernel.instruments().count();
        if markets.len() != want {
            return Err(SessionError::Count {
                got: markets.len(),
                want,
            });
        }
        for (ix, (m, i)) in markets.iter().zip(kernel.instruments()).enumerate() {
            if m.instrument != i.id {
                return Err(SessionError::Market {
                    ix,
                    got: m.instrument.to_string(),
                    want: i.id.to_string(),
                });
            }
        }
        let mut session = Self {
            kernel,
            markets,
            journal,
            buf: Vec::with_capacity(4096),
            applied: HashSet::new(),
            held: HashMap::new(),
            stats: SessionStats::default(),
            intents: Vec::with_capacity(16),
            decisions: Vec::with_capacity(16),
            resumed: false,
            latency: Latencies::default(),
            tick: None,
            draining: None,
            snapshot_every: 0,
            since_snapshot: 0,
            start_balances: StartBalances::new(),
        };
        if session.journal.as_ref().is_some_and(|j| j.next_seq() == 0) {
            session.record(&Entry::Session(Box::new(header.clone())));
            // On disk before any order can go out: a journal whose header
            // does not read is damage, never an empty journal.
            if let Some(Err(e)) = session.journal.as_mut().map(JournalWriter::sync) {
                session.stats.journal_error.get_or_insert(e.to_string());
            }
        }
        Ok(session)
    }

    /// The kernel.
    pub fn kernel(&self) -> &Kernel<S> {
        &self.kernel
    }

    /// What the session did so far.
    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// Hands the records journaled so far to the journal's writer thread.
    pub fn flush_journal(&mut self) {
        if let Some(j) = self.journal.as_mut() {
            if let Err(e) = j.flush() {
                self.stats
                    .journal_error
                    .get_or_insert_with(|| e.to_string());
            }
        }
    }

    /// Stage latencies so far.
    pub fn latency(&self) -> &Latencies {
        &self.latency
    }

    /// Starts the strategy (a resumed session's strategy started before
    /// the crash, and the journal says so).
    pub fn start(&mut self, now: UnixNanos) {
        if !self.resumed {
            self.apply(&Entry::Start { now }, now);
        }
    }

    /// Marks the session as resumed from its journal: from here, ids come
    /// from the new id session `session_ms`.
    pub fn resume(&mut self, session_ms: u64, now: UnixNanos) {
        self.resumed = true;
        self.apply(&Entry::Resume { now, session_ms }, now);
    }

    /// Journals the venue's balances of instrument `ix`'s assets at the
    /// session's start.
    pub fn note_balances(
        &mut self,
        ix: InstrumentIndex,
        (base, quote): (Decimal, Decimal),
        now: UnixNanos,
    ) {
        self.start_balances.insert(ix, (base, quote));
        self.record(&Entry::Balances {
            now,
            ix,
            base,
            quote,
        });
    }

    /// Snapshots the session's state into the journal every `inputs`
    /// inputs (0: never), so a restart replays only what follows.
    pub fn snapshot_every(&mut self, inputs: u64) {
        self.snapshot_every = inputs;
    }

    /// What a resumed session knows of its journal: the fills it holds
    /// and the balances the session began with.
    pub fn set_history(
        &mut self,
        fills: impl IntoIterator<Item = FillKey>,
        start_balances: StartBalances,
    ) {
        self.applied.extend(fills);
        self.start_balances = start_balances;
    }

    /// The highest trade id applied on instrument `ix`: the venue's fills
    /// above it are the ones reconciliation looks for.
    pub fn last_trade_id(&self, ix: InstrumentIndex) -> Option<u64> {
        self.applied
            .iter()
            .filter(|(i, _)| *i == ix)
            .map(|(_, id)| *id)
            .max()
    }

    /// The orders of instrument `ix` the kernel believes open, for
    /// reconciliation with its venue.
    pub fn known_orders(&self, ix: InstrumentIndex) -> Vec<KnownOrder> {
        self.kernel
            .open_orders()
            .filter(|(_, o)| o.instrument == ix)
            .map(|(id, o)| KnownOrder {
                id,
                side: o.side,
                state: o.order.state(),
                filled: o.order.filled(),
            })
            .collect()
    }

    /// Applies what reconciliation with instrument `ix`'s venue found,
    /// journaled like any input.
    pub fn correct(&mut self, ix: InstrumentIndex, corrections: &[Correction], now: UnixNanos) {
        for c in corrections {
            match *c {
                Correction::Adopt(order) => self.apply(&Entry::Adopt { now, order }, now),
                Correction::Report(report) => self.on_report(ix, report, now),
            }
        }
    }

    /// Sends a command to the gateway of instrument `ix` (none for an
    /// index outside the session, which no caller makes).
    fn send(&self, ix: InstrumentIndex, command: GatewayCommand) {
        if let Some(m) = self.markets.get(ix.get()) {
            let _ = m.gateway.send(command);
        }
    }

    /// The instrument of an order the kernel tracks.
    fn order_ix(&self, id: ClientOrderId) -> Option<InstrumentIndex> {
        self.kernel.order(id).map(|o| o.instrument)
    }

    /// Sends a cancel to the order's gateway; one the kernel no longer
    /// tracks goes to every gateway (a venue that does not have it says so).
    pub(crate) fn send_cancel(&self, id: ClientOrderId) {
        match self.order_ix(id) {
            Some(ix) => self.send(ix, GatewayCommand::Cancel(id)),
            None => {
                for m in &self.markets {
                    let _ = m.gateway.send(GatewayCommand::Cancel(id));
                }
            }
        }
    }

    /// Tells every gateway to cancel all its instrument's orders.
    pub(crate) fn cancel_everything(&self) {
        for m in &self.markets {
            let _ = m.gateway.send(GatewayCommand::CancelAll);
        }
    }

    /// Handles one input at `now`; `false` once the session has stopped.
    pub fn on_input(&mut self, input: LiveInput, now: UnixNanos) -> bool {
        let ix = match &input {
            LiveInput::Frame { ix, .. } => Some(*ix),
            _ => None,
        };
        let go_on = self.handle(input, now);
        // Ready for the next frame before it comes: the market just
        // updated, or all of them after anything else.
        self.refresh_bounds(ix);
        go_on
    }

    fn handle(&mut self, input: LiveInput, now: UnixNanos) -> bool {
        self.stats.inputs += 1;
        if let Some(until) = self.draining {
            let idle = self.kernel.open_orders().next().is_none();
            if idle || now >= until || matches!(input, LiveInput::Shutdown) {
                self.apply(&Entry::Stop { now }, now);
                return false;
            }
            if matches!(input, LiveInput::Frame { .. } | LiveInput::MarketDown(_)) {
                return true;
            }
        }
        match input {
            LiveInput::Drain { until } => {
                self.draining = Some(until);
                self.apply(&Entry::CancelAll { now }, now);
                if self.kernel.open_orders().next().is_none() {
                    self.apply(&Entry::Stop { now }, now);
                    return false;
                }
            }
            LiveInput::Frame { ix, local, bytes } => {
                let Some(market) = self.markets.get_mut(ix.get()) else {
                    return true;
                };
                let start =
                    market
                        .frames
                        .on_frame_near(&bytes, local, market.bounds, &mut market.slot);
                let decoded = WallClock.now();
                self.latency
                    .record(Stage::ReceiveToDecode, elapsed(local, decoded));
                self.tick = Some((local, decoded));
                let mut made = match start {
                    FrameStart::Near(beyond) => {
                        self.on_near_delta(ix, &bytes, local, beyond, now);
                        self.next_held(ix)
                    }
                    FrameStart::Whole(made) => made,
                };
                while made {
                    self.on_market_event(ix, now);
                    made = self.next_held(ix);
                }
                self.tick = None;
            }
            LiveInput::MarketDown(ix) => {
                if let Some(m) = self.markets.get_mut(ix.get()) {
                    m.frames.lose_sync(Untrusted::Disconnected);
                    self.apply(&Entry::Gap { now, ix }, now);
                }
            }
            LiveInput::Report(ix, report) => self.on_report(ix, report, now),
            LiveInput::SubmitFailed {
                ix,
                id,
                side,
                reason,
            } => {
                let Some(m) = self.markets.get(ix.get()) else {
                    return true;
                };
                let report = ExecReport {
                    order_id: OrderId(0),
                    client_id: id,
                    account: AccountId::default(),
                    instrument: m.instrument,
                    side,
                    kind: ExecKind::Rejected(reason),
                    status: OrderStatus::Rejected,
                    filled: Qty::ZERO,
                    leaves: Qty::ZERO,
                    time: now,
                };
                self.on_report(ix, report, now);
            }
            LiveInput::CancelFailed(id) => self.apply(&Entry::CancelRejected { now, id }, now),
            LiveInput::OrderFills { id, fills } => self.on_order_fills(id, fills, now),
            LiveInput::UserStreamReconnected(ix) => {
                self.stats.reconciliations += 1;
                self.send(
                    ix,
                    GatewayCommand::Reconcile {
                        known: self.known_orders(ix),
                        last_trade_id: self.last_trade_id(ix),
                    },
                );
            }
            LiveInput::Reconciled(ix, Ok(r)) => {
                self.correct(ix, &r.corrections, now);
                for id in r.to_cancel {
                    self.send(ix, GatewayCommand::Cancel(id));
                }
            }
            LiveInput::Reconciled(_, Err(_)) => self.stats.unresolved_gaps += 1,
            LiveInput::ResetKillSwitch => self.apply(&Entry::ResetKillSwitch { now }, now),
            LiveInput::Shutdown => {
                self.apply(&Entry::Stop { now }, now);
                return false;
            }
        }
        true
    }

    /// Fires the timers due by `now` (none while draining).
    pub fn on_timers(&mut self, now: UnixNanos) {
        if self.draining.is_none() && self.kernel.next_timer().is_some_and(|t| t <= now) {
            self.apply(&Entry::Timers { now }, now);
            self.refresh_bounds(None);
        }
    }

    /// Asks the kernel what it reads of market `ix`'s book (of every
    /// market's, for `None`) before the next diff.
    fn refresh_bounds(&mut self, ix: Option<InstrumentIndex>) {
        let kernel = &self.kernel;
        for (n, m) in self.markets.iter_mut().enumerate() {
            let this = InstrumentIndex(n as u16);
            if ix.is_none_or(|ix| ix == this) {
                m.bounds = kernel.touch_bounds(this);
            }
        }
    }

    /// The next event market `ix`'s sync holds, into its slot.
    fn next_held(&mut self, ix: InstrumentIndex) -> bool {
        self.markets
            .get_mut(ix.get())
            .is_some_and(|m| m.frames.next_held(&mut m.slot))
    }

    /// Flushes the journal and hands back the kernel, the stats and the
    /// latencies.
    pub fn finish(self) -> (Kernel<S>, SessionStats, Latencies) {
        let mut stats = self.stats;
        if let Some(journal) = self.journal {
            if let Err(e) = journal.close() {
                stats.journal_error.get_or_insert(e.to_string());
            }
        }
        (self.kernel, stats, self.latency)
    }

    fn on_market_event(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        self.stats.market_events += 1;
        let Some(m) = self.markets.get(ix.get()) else {
            return;
        };
        match m.slot.kind {
            FeedKind::Delta => {
                self.kernel.on_delta(ix, &m.slot.delta, now);
                self.after_book(ix, now, |slot, buf| {
                    entry::encode_delta(now, ix, &slot.delta, buf)
                });
                self.verify_book(ix, now);
            }
            FeedKind::Snapshot => {
                self.kernel.on_snapshot(ix, &m.slot.snapshot, now);
                self.after_book(ix, now, |slot, buf| {
                    entry::encode_snapshot(now, ix, &slot.snapshot, buf)
                });
                self.verify_book(ix, now);
            }
            FeedKind::Trade => {
                let trade = m.slot.trade;
                self.apply(&Entry::Trade { now, ix, trade }, now);
            }
            FeedKind::Gap => self.on_gap(ix, now),
        }
    }

    /// Market `ix`'s feed lost the book's continuity: ask for a snapshot.
    fn on_gap(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        self.stats.gaps += 1;
        if let Some(m) = self.markets.get(ix.get()) {
            let _ = m.resync.send(());
        }
        self.apply(&Entry::Gap { now, ix }, now);
    }

    /// After a diff or snapshot: the feed's one integrity policy on the
    /// kernel's book. A book that fails (crossed by a stale level the diffs
    /// never removed, or off the venue's checksum) cannot be the venue's,
    /// so it is resynced like a gap; its diffs are held until the snapshot.
    fn verify_book(&mut self, ix: InstrumentIndex, now: UnixNanos) {
        let (Some(m), Some(book)) = (self.markets.get_mut(ix.get()), self.kernel.book_of(ix))
        else {
            return;
        };
        if let SyncStatus::Lost(_) = m.frames.verify(book, m.slot.checksum) {
            self.stats.books_lost += 1;
            self.on_gap(ix, now);
        }
    }

    /// After a diff or snapshot: sends what the kernel decided, then
    /// journals the book input from the slot (`encode`, without a copy)
    /// and the decisions.
    fn after_book(
        &mut self,
        ix: InstrumentIndex,
        now: UnixNanos,
        encode: impl FnOnce(&FeedEvent, &mut Vec<u8>) -> RecordType,
    ) {
        let decided = self.dispatch();
        if let Some(m) = self.markets.get(ix.get()) {
            let slot = &m.slot;
            record_with(&mut self.journal, &mut self.buf, &mut self.stats, |buf| {
                encode(slot, buf)
            });
        }
        self.journal_outputs(now, decided);
    }

    /// Applies an input, sends what the kernel decided, and journals both.
    fn apply(&mut self, input: &Entry, now: UnixNanos) {
        entry::apply(&mut self.kernel, input);
        let decided = self.dispatch();
        self.record(input);
        self.journal_outputs(now, decided);
    }

    /// Takes the kernel's decisions and intents, and sends the intents to
    /// the gateway; the input and then these are journaled right after.
    /// Sending first keeps the journal's copying out of tick-to-order and
    /// loses nothing: the journal is in memory until it flushes either way,
    /// and an order sent but never journaled is found at the venue by the
    /// restart's reconciliation. Returns when the kernel finished, while a
    /// frame is being handled, for the stage latencies.
    fn dispatch(&mut self) -> Option<UnixNanos> {
        let decided = self.tick.map(|(_, decoded)| {
            let t = WallClock.now();
            self.latency
                .record(Stage::DecodeToDecision, elapsed(decoded, t));
            t
        });
        self.decisions.extend(self.kernel.drain_decisions());
        self.intents.extend(self.kernel.drain_intents());
        for intent in &self.intents {
            match intent.order() {
                Some(order) => {
                    if let Some((local, _)) = self.tick {
                        self.latency
                            .record(Stage::TickToDispatch, elapsed(local, WallClock.now()));
                    }
                    self.send(order.instrument, GatewayCommand::Submit(order));
                }
                None => self.send_cancel(intent.id()),
            }
            self.stats.commands += 1;
        }
        decided
    }

    /// Journals what [`Self::dispatch`] took; the input that led to it must
    /// be journaled just before.
    fn journal_outputs(&mut self, now: UnixNanos, decided: Option<UnixNanos>) {
        let mut decisions = std::mem::take(&mut self.decisions);
        for event in decisions.drain(..) {
            self.record(&Entry::Risk(event));
        }
        self.decisions = decisions;
        let mut intents = std::mem::take(&mut self.intents);
        for intent in intents.drain(..) {
            self.record(&Entry::Intent { now, intent });
        }
        self.intents = intents;
        if let (Some(decided), Some((local, _))) = (decided, self.tick) {
            let t = WallClock.now();
            self.latency
                .record(Stage::DecisionToJournal, elapsed(decided, t));
            // The next event of the same frame is timed from here.
            self.tick = Some((local, t));
        }
    }

    fn record(&mut self, e: &Entry) {
        record_with(&mut self.journal, &mut self.buf, &mut self.stats, |buf| {
            entry::encode(e, buf)
        });
    }
}

/// Encodes a record into `buf` and appends it, when there is a journal.
/// Fields rather than `&mut self`, so market events journal straight from
/// the slot without a copy.
fn record_with(
    journal: &mut Option<JournalWriter>,
    buf: &mut Vec<u8>,
    stats: &mut SessionStats,
    encode: impl FnOnce(&mut Vec<u8>) -> RecordType,
) {
    let Some(journal) = journal.as_mut() else {
        return;
    };
    buf.clear();
    let kind = encode(buf);
    match journal.append(kind, buf) {
        Ok(_) => stats.journaled += 1,
        Err(e) => {
            stats.journal_error.get_or_insert_with(|| e.to_string());
        }
    }
}

mod io;
mod market;
mod near;
mod reports;
#[cfg(test)]
pub(crate) mod tests;
mod thread;

pub use io::{GatewayCommand, LiveInput, SessionStats};
pub use market::{SessionError, SessionMarket};
pub use thread::run;
