//! The L2 backtest runner: recorded market data, the simulated venue and
//! one kernel, merged on one timeline.
//!
//! Three clocks meet here, and the runner keeps them apart the way the
//! world does. Each recorded event happens at the venue at its venue time
//! and reaches the kernel at its arrival time (the recorded receive time,
//! or the simulator's feed model). Orders reach the venue after the
//! order-entry latency, answers come back after the ack latency. On the
//! kernel's (local) timeline the runner repeatedly takes the earliest of:
//!
//! 1. the venue processing the next recorded event (venue time + clock offset),
//! 2. an order of ours reaching the venue,
//! 3. a venue answer reaching the kernel,
//! 4. a strategy timer,
//! 5. the next recorded event reaching the kernel,
//!
//! in that order on ties. So the venue matches our orders against the
//! market as it stood when they arrived, even though the market data that
//! shows it reaches the strategy later. Events read but not yet delivered
//! wait in a ring whose size is bounded by the feed latency, not by the
//! data: memory stays flat however long the capture.

mod ring;
mod source;

use kestrel_model::{Instrument, InstrumentIndex, UnixNanos};
use kestrel_sim::{
    AccountId, Command, OrderRef, OrderRequest, SelfTradePrevention, SimConfig, SimVenue,
    VenueEvent, local_clock_offset,
};
use kestrel_strategy::Strategy;

use crate::clock::{Clock, SimClock};
use crate::kernel::{Kernel, KernelConfig, OrderIntent};
use ring::Ring;
pub use source::{CaptureSource, FeedEvent, FeedKind, MarketSource, MemorySource};

/// How the strategy's clock relates to the venue's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockOffset {
    /// Estimated from the first events as the smallest receive − venue gap
    /// (recording hosts are rarely synced to the venue).
    Estimate,
    /// This many ns.
    Fixed(i64),
}

/// Settings of one backtest.
#[derive(Clone, Debug)]
pub struct BacktestConfig {
    /// The kernel: risk, signals, positions, sampling.
    pub kernel: KernelConfig,
    /// The simulated venue: queue model, latencies, seed.
    pub sim: SimConfig,
    /// The clock offset.
    pub offset: ClockOffset,
}

/// What the runner saw, beside the kernel's own counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Recorded events delivered to the kernel.
    pub events: u64,
    /// Venue answers delivered.
    pub venue_events: u64,
    /// Order commands sent to the venue.
    pub commands: u64,
    /// Risk decisions emitted.
    pub decisions: u64,
    /// The clock offset used, ns.
    pub offset_ns: i64,
    /// Frames the source could not decode.
    pub malformed: u64,
    /// Most events waiting between the venue and the kernel at once.
    pub max_in_flight: usize,
}

/// A finished backtest.
pub struct Backtest<S> {
    /// The kernel, with its book, position, counters and recorded series.
    pub kernel: Kernel<S>,
    /// The venue as it ended.
    pub venue: SimVenue,
    /// Runner counters.
    pub stats: RunStats,
}

/// Events read before the clock offset is estimated.
const OFFSET_PREFIX: usize = 1024;
/// Delivered events between progress calls.
const PROGRESS_EVERY: u64 = 1 << 16;
/// The account our orders trade for.
const ACCOUNT: AccountId = AccountId(1);

/// Which of the timeline's next candidates comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Feed,
    Command,
    Report,
    Timer,
    Deliver,
}

/// Watches each recorded event's trip through the kernel, for latency
/// measurements; the runner's default, `()`, compiles to nothing.
pub trait DeliveryProbe {
    /// The kernel is about to take an event.
    fn before(&mut self) {}
    /// It has: an event of `kind` left `intents` order actions to send.
    fn after(&mut self, kind: FeedKind, intents: usize) {
        let _ = (kind, intents);
    }
}

impl DeliveryProbe for () {}

/// Runs `strategy` on `instrument` over `source` against the simulated
/// venue. `progress` is called now and then with the fraction read.
pub fn run_backtest<S: Strategy, M: MarketSource>(
    instrument: &Instrument,
    source: M,
    strategy: S,
    config: &BacktestConfig,
    progress: impl FnMut(f64),
) -> Result<Backtest<S>, kestrel_feed::FeedError> {
    run_backtest_probed(instrument, source, strategy, config, progress, &mut ())
}

/// [`run_backtest`] with a probe around each delivery to the kernel.
pub fn run_backtest_probed<S: Strategy, M: MarketSource>(
    instrument: &Instrument,
    mut source: M,
    strategy: S,
    config: &BacktestConfig,
    mut progress: impl FnMut(f64),
    probe: &mut impl DeliveryProbe,
) -> Result<Backtest<S>, kestrel_feed::FeedError> {
    let mut ring = Ring::new(instrument.id);
    let mut eof = false;
    while ring.len() < OFFSET_PREFIX && !eof {
        eof = !ring.read(&mut source)?;
    }
    let offset = match config.offset {
        ClockOffset::Fixed(ns) => ns,
        ClockOffset::Estimate => local_clock_offset(ring.iter().map(|s| s.event.time)).unwrap_or(0),
    };
    let mut venue = SimVenue::new(
        [instrument.clone()],
        SimConfig {
            local_offset_ns: offset,
            ..config.sim.clone()
        },
    );
    let mut last_arrival = UnixNanos::new(0);
    for slot in ring.iter_mut() {
        slot.arrival = venue.feed_arrival(slot.event.time).max(last_arrival);
        last_arrival = slot.arrival;
    }
    let mut stats = RunStats {
        offset_ns: offset,
        ..RunStats::default()
    };
    let mut clock = SimClock::default();
    let mut kernel = Kernel::new(instrument, strategy, &config.kernel);
    clock.advance_to(ring.front().map_or(UnixNanos::new(0), |s| s.arrival));
    kernel.start(clock.now());
    // Entries [0, fed) of the ring have been processed by the venue.
    let mut fed = 0;
    loop {
        if fed == ring.len() && !eof {
            if ring.read(&mut source)? {
                let slot = ring.back_mut();
                slot.arrival = venue.feed_arrival(slot.event.time).max(last_arrival);
                last_arrival = slot.arrival;
            } else {
                eof = true;
            }
        }
        stats.max_in_flight = stats.max_in_flight.max(ring.len());
        let candidates = [
            (
                Step::Feed,
                ring.get(fed).map(|s| shift(s.event.time.exchange, offset)),
            ),
            (
                Step::Command,
                venue.next_command_time().map(|t| shift(t, offset)),
            ),
            (Step::Report, venue.next_event_time()),
            (Step::Timer, kernel.next_timer()),
            (
                Step::Deliver,
                (fed > 0).then(|| ring.front().map(|s| s.arrival)).flatten(),
            ),
        ];
        let Some((step, at)) = candidates
            .into_iter()
            .filter_map(|(step, t)| t.map(|t| (step, t)))
            .min_by_key(|&(_, t)| t)
        else {
            break;
        };
        match step {
            Step::Feed => {
                if let Some(slot) = ring.get(fed) {
                    feed_venue(&mut venue, &slot.event);
                }
                fed += 1;
            }
            Step::Command => venue.advance_to(shift(at, -offset)),
            Step::Report => {
                clock.advance_to(at);
                let now = clock.now();
                if let Some(event) = venue.next_event(at) {
                    stats.venue_events += 1;
                    match event {
                        VenueEvent::Report(r) => kernel.on_report(&r, now),
                        VenueEvent::CancelRejected { target, .. } => {
                            if let OrderRef::Client(id) = target {
                                kernel.on_cancel_rejected(id, now);
                            }
                        }
                    }
                }
                flush(&mut kernel, &mut venue, instrument, now, &mut stats);
            }
            Step::Timer => {
                clock.advance_to(at);
                kernel.fire_timers(clock.now());
                flush(&mut kernel, &mut venue, instrument, clock.now(), &mut stats);
            }
            Step::Deliver => {
                clock.advance_to(at);
                let now = clock.now();
                if let Some(slot) = ring.front() {
                    probe.before();
                    deliver(&mut kernel, InstrumentIndex::FIRST, &slot.event, now);
                    probe.after(slot.event.kind, kernel.pending_intents());
                }
                ring.pop_front();
                fed -= 1;
                stats.events += 1;
                flush(&mut kernel, &mut venue, instrument, now, &mut stats);
                if stats.events % PROGRESS_EVERY == 0 {
                    progress(source.progress().unwrap_or(0.0));
                }
            }
        }
    }
    kernel.stop(clock.now());
    // The data is over, so is the session: what the strategy asks for as
    // it stops has no market left to reach.
    kernel.drain_intents().for_each(drop);
    stats.decisions += kernel.drain_decisions().count() as u64;
    stats.malformed = source.malformed();
    progress(1.0);
    Ok(Backtest {
        kernel,
        venue,
        stats,
    })
}

/// The venue processes a recorded event at its venue time.
fn feed_venue(venue: &mut SimVenue, event: &FeedEvent) {
    match event.kind {
        FeedKind::Delta => venue.on_delta(&event.delta),
        FeedKind::Snapshot => venue.on_snapshot(&event.snapshot),
        FeedKind::Trade => venue.on_trade(&event.trade),
        FeedKind::Gap => {}
    }
}

/// The kernel receives a recorded event of instrument `ix` at `now`.
fn deliver<S: Strategy>(
    kernel: &mut Kernel<S>,
    ix: InstrumentIndex,
    event: &FeedEvent,
    now: UnixNanos,
) {
    match event.kind {
        FeedKind::Delta => kernel.on_delta(ix, &event.delta, now),
        FeedKind::Snapshot => kernel.on_snapshot(ix, &event.snapshot, now),
        FeedKind::Trade => kernel.on_trade(ix, &event.trade, now),
        FeedKind::Gap => kernel.on_gap(ix, now),
    }
}

/// Sends what the kernel decided at `now`, and counts its risk decisions.
fn flush<S: Strategy>(
    kernel: &mut Kernel<S>,
    venue: &mut SimVenue,
    instrument: &Instrument,
    now: UnixNanos,
    stats: &mut RunStats,
) {
    for intent in kernel.drain_intents() {
        stats.commands += 1;
        venue.send(now, command(instrument, intent));
    }
    stats.decisions += kernel.drain_decisions().count() as u64;
}

/// The venue command for an intent.
fn command(instrument: &Instrument, intent: OrderIntent) -> Command {
    match intent {
        OrderIntent::Submit(order) => Command::Submit(OrderRequest {
            account: ACCOUNT,
            instrument: instrument.id,
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
            instrument: instrument.id,
            target: OrderRef::Client(id),
        },
    }
}

/// `t` moved by `by` ns, saturating at the ends of time.
fn shift(t: UnixNanos, by: i64) -> UnixNanos {
    UnixNanos::new(t.as_nanos().saturating_add_signed(by))
}

#[cfg(test)]
mod tests;
