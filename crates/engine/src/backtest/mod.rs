//! The L2 backtest runner: recorded market data, the simulated venues and
//! one kernel, merged on one timeline; one recording or several (spot and
//! perpetual, two symbols), each with its own feed latency and venue.
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

mod lane;
mod ring;
mod router;
mod source;

use kestrel_model::{Instrument, InstrumentIndex, UnixNanos};
use kestrel_sim::{AccountId, OrderRef, SimConfig, SimVenue, VenueEvent, local_clock_offset};
use kestrel_strategy::Strategy;

use crate::clock::{Clock, SimClock};
use crate::kernel::{Kernel, KernelConfig, KernelSetup, MarketSetup, StrategySetup};
use lane::{Lane, Out};
use ring::Ring;
use router::Router;
pub use source::{
    CaptureSource, FeedEvent, FeedKind, MarketSource, MemorySource, Recording, TapeSource,
    TradeSource,
};

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
    /// Books the kernel found wrong after a delta or snapshot (crossed, or
    /// off the venue's checksum): each lost until the recording's next
    /// snapshot, as live, where a snapshot is fetched at once.
    pub books_lost: u64,
    /// Deltas not applied because their book was lost so.
    pub deltas_skipped: u64,
}

/// A finished backtest.
pub struct Backtest<S> {
    /// The kernel, with its books, positions and counters.
    pub kernel: Kernel<S>,
    /// The run's series, folded from the points drained from the kernel
    /// (see [`Kernel::into_report`]).
    pub series: kestrel_analytics::RunSeries,
    /// The simulated venues as they ended, one per venue of the
    /// instruments, in the order the instruments first name them.
    pub venues: Vec<SimVenue>,
    /// Runner counters.
    pub stats: RunStats,
}

impl<S: Strategy> Backtest<S> {
    /// The run's report, titled `title`, over its series.
    pub fn into_report(self, title: &str) -> kestrel_analytics::Report {
        self.kernel.into_report(title, self.series)
    }
}

/// Events read before the clock offset is estimated.
const OFFSET_PREFIX: usize = 1024;
/// Delivered events between progress calls.
const PROGRESS_EVERY: u64 = 1 << 16;
/// The account our orders trade for.
const ACCOUNT: AccountId = AccountId(1);

/// Which of the timeline's next candidates comes first, on a tie in this
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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

/// One recording of a backtest: the events of one instrument.
pub struct Feed<M> {
    /// The kernel's index of the instrument the events are of.
    pub instrument: InstrumentIndex,
    /// The events.
    pub source: M,
}

/// Runs `strategy` on `instrument` over `source` against the simulated
/// venue. `progress` is called now and then with the fraction read.
pub fn run_backtest<S: Strategy, M: MarketSource>(
    instrument: &Instrument,
    source: M,
    strategy: S,
    config: &BacktestConfig,
    progress: impl FnMut(f64),
) -> Result<Backtest<S>, BacktestError> {
    run_backtest_probed(instrument, source, strategy, config, progress, &mut ())
}

/// [`run_backtest`] with a probe around each delivery to the kernel.
pub fn run_backtest_probed<S: Strategy, M: MarketSource>(
    instrument: &Instrument,
    source: M,
    strategy: S,
    config: &BacktestConfig,
    progress: impl FnMut(f64),
    probe: &mut impl DeliveryProbe,
) -> Result<Backtest<S>, BacktestError> {
    let setup = KernelSetup {
        markets: vec![MarketSetup {
            instrument: instrument.clone(),
            limits: config.kernel.risk,
            prices: source.prices(),
        }],
        strategies: vec![StrategySetup {
            strategy,
            subscriptions: vec![InstrumentIndex::FIRST],
            max_loss: None,
        }],
    };
    let kernel = Kernel::build(setup, &config.kernel)?;
    let feeds = vec![Feed {
        instrument: InstrumentIndex::FIRST,
        source,
    }];
    Ok(run_kernel(kernel, feeds, config, progress, probe)?)
}

/// Why a one-market backtest stopped.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The recording could not be read.
    #[error(transparent)]
    Feed(#[from] kestrel_feed::FeedError),
    /// The kernel could not be built (bars the instrument cannot have).
    #[error(transparent)]
    Kernel(#[from] crate::kernel::KernelError),
}

/// Runs a kernel of several instruments and strategies over several
/// recordings, merged on one timeline by arrival time. Each recording keeps
/// its own recorded feed latency and clock offset; each venue of the
/// kernel's instruments is a simulated venue of its own, with its own
/// order-entry and ack latencies (the config's, per venue).
pub fn run_kernel<S: Strategy, M: MarketSource>(
    mut kernel: Kernel<S>,
    feeds: Vec<Feed<M>>,
    config: &BacktestConfig,
    mut progress: impl FnMut(f64),
    probe: &mut impl DeliveryProbe,
) -> Result<Backtest<S>, kestrel_feed::FeedError> {
    let instruments: Vec<Instrument> = kernel.instruments().cloned().collect();
    // One simulated venue per venue of the instruments, in first-seen order.
    let mut venue_ids: Vec<kestrel_model::Venue> = Vec::new();
    let venue_of: Vec<usize> = instruments
        .iter()
        .map(|i| match venue_ids.iter().position(|v| *v == i.id.venue) {
            Some(at) => at,
            None => {
                venue_ids.push(i.id.venue);
                venue_ids.len() - 1
            }
        })
        .collect();
    let mut lanes = Vec::with_capacity(feeds.len());
    for feed in feeds {
        let instrument = instruments.get(feed.instrument.get()).ok_or_else(|| {
            kestrel_feed::FeedError::Format(format!("no {} in the kernel", feed.instrument))
        })?;
        let mut lane = Lane {
            instrument: feed.instrument,
            venue: venue_of[feed.instrument.get()],
            source: feed.source,
            ring: Ring::new(instrument.id),
            fed: 0,
            eof: false,
            last_arrival: UnixNanos::new(0),
            offset: 0,
            lost: false,
        };
        while lane.ring.len() < OFFSET_PREFIX && !lane.eof {
            lane.eof = !lane.ring.read(&mut lane.source)?;
        }
        lane.offset = match config.offset {
            ClockOffset::Fixed(ns) => ns,
            ClockOffset::Estimate => {
                local_clock_offset(lane.ring.iter().map(|s| s.event.time)).unwrap_or(0)
            }
        };
        lanes.push(lane);
    }
    // A venue's clock offset is its first recording's.
    let mut venues: Vec<SimVenue> = venue_ids
        .iter()
        .enumerate()
        .map(|(v, _)| {
            let offset = lanes.iter().find(|l| l.venue == v).map_or(0, |l| l.offset);
            SimVenue::new(
                instruments
                    .iter()
                    .zip(&venue_of)
                    .filter(|&(_, &at)| at == v)
                    .map(|(i, _)| i.clone()),
                SimConfig {
                    local_offset_ns: offset,
                    ..config.sim.clone()
                },
            )
        })
        .collect();
    for lane in &mut lanes {
        lane.offset = venues[lane.venue].local_offset_ns();
        for slot in lane.ring.iter_mut() {
            slot.arrival = venues[lane.venue]
                .feed_arrival(slot.event.time)
                .max(lane.last_arrival);
            lane.last_arrival = slot.arrival;
        }
    }
    let mut stats = RunStats {
        offset_ns: lanes.first().map_or(0, |l| l.offset),
        ..RunStats::default()
    };
    let mut clock = SimClock::default();
    let start = lanes
        .iter()
        .filter_map(|l| l.ring.front().map(|s| s.arrival))
        .min()
        .unwrap_or(UnixNanos::new(0));
    clock.advance_to(start);
    let mut router = Router::new(&instruments, &venue_of, kernel.emit_points());
    kernel.start(clock.now());
    loop {
        if let [lane] = lanes.as_mut_slice() {
            let mut out = Out {
                kernel: &mut kernel,
                venues: &mut venues,
                router: &mut router,
                stats: &mut stats,
                probe,
            };
            lane.burst(&mut out, &mut clock, &mut progress)?;
        }
        for lane in &mut lanes {
            lane.top_up(&mut venues)?;
        }
        stats.max_in_flight = stats
            .max_in_flight
            .max(lanes.iter().map(|l| l.ring.len()).sum());
        // The earliest step; on a tie the order of `Step`, then of lanes and
        // venues, so a run is the same every time.
        let mut next: Option<(UnixNanos, Step, usize)> = None;
        let mut consider = |t: Option<UnixNanos>, step: Step, at: usize| {
            if let Some(t) = t {
                if next.is_none_or(|(nt, ns, na)| (t, step, at) < (nt, ns, na)) {
                    next = Some((t, step, at));
                }
            }
        };
        for (l, lane) in lanes.iter().enumerate() {
            consider(
                lane.ring
                    .get(lane.fed)
                    .map(|s| shift(s.event.time.exchange, lane.offset)),
                Step::Feed,
                l,
            );
            consider(
                (lane.fed > 0)
                    .then(|| lane.ring.front().map(|s| s.arrival))
                    .flatten(),
                Step::Deliver,
                l,
            );
        }
        for (v, venue) in venues.iter().enumerate() {
            let offset = venue.local_offset_ns();
            consider(
                venue.next_command_time().map(|t| shift(t, offset)),
                Step::Command,
                v,
            );
            consider(venue.next_event_time(), Step::Report, v);
        }
        consider(kernel.next_timer(), Step::Timer, 0);
        let Some((at, step, which)) = next else {
            break;
        };
        match step {
            Step::Feed => lanes[which].feed(&mut venues),
            Step::Command => {
                let offset = venues[which].local_offset_ns();
                venues[which].advance_to(shift(at, -offset));
            }
            Step::Report => {
                clock.advance_to(at);
                let now = clock.now();
                if let Some(event) = venues[which].next_event(at) {
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
                router.flush(&mut kernel, &mut venues, now, &mut stats);
            }
            Step::Timer => {
                clock.advance_to(at);
                kernel.fire_timers(clock.now());
                router.flush(&mut kernel, &mut venues, clock.now(), &mut stats);
            }
            Step::Deliver => {
                clock.advance_to(at);
                let mut out = Out {
                    kernel: &mut kernel,
                    venues: &mut venues,
                    router: &mut router,
                    stats: &mut stats,
                    probe,
                };
                lanes[which].deliver(&mut out, clock.now());
                if stats.events % PROGRESS_EVERY == 0 {
                    let read: f64 = lanes
                        .iter()
                        .map(|l| l.source.progress().unwrap_or(0.0))
                        .sum();
                    progress(read / lanes.len() as f64);
                }
            }
        }
    }
    kernel.stop(clock.now());
    // The data is over, so is the session: what the strategy asks for as
    // it stops has no market left to reach.
    kernel.drain_intents().for_each(drop);
    stats.decisions += kernel.drain_decisions().count() as u64;
    router.series.extend(kernel.drain_points());
    stats.malformed = lanes.iter().map(|l| l.source.malformed()).sum();
    progress(1.0);
    Ok(Backtest {
        kernel,
        series: router.series.finish(),
        venues,
        stats,
    })
}

/// `t` moved by `by` ns, saturating at the ends of time.
pub(super) fn shift(t: UnixNanos, by: i64) -> UnixNanos {
    UnixNanos::new(t.as_nanos().saturating_add_signed(by))
}

#[cfg(test)]
mod tests;
