//! One recording's place on the runner's timeline: its events read ahead
//! in a ring, fed to its venue at their venue times and delivered to the
//! kernel at their arrival times; and the loop a lone recording runs in.

use kestrel_model::{InstrumentIndex, UnixNanos};
use kestrel_sim::SimVenue;
use kestrel_strategy::Strategy;

use super::ring::Ring;
use super::router::Router;
use super::source::{FeedEvent, FeedKind, MarketSource};
use super::{DeliveryProbe, PROGRESS_EVERY, RunStats, shift};
use crate::clock::{Clock, SimClock};
use crate::kernel::Kernel;

/// One recording's place on the timeline.
pub(super) struct Lane<M> {
    pub(super) instrument: InstrumentIndex,
    /// The simulated venue of its instrument.
    pub(super) venue: usize,
    pub(super) source: M,
    pub(super) ring: Ring,
    /// Entries [0, fed) of the ring have been processed by the venue.
    pub(super) fed: usize,
    pub(super) eof: bool,
    pub(super) last_arrival: UnixNanos,
    pub(super) offset: i64,
    /// The kernel's book failed the integrity check: deltas are skipped
    /// until the next snapshot.
    pub(super) lost: bool,
}

impl<M: MarketSource> Lane<M> {
    /// Reads one more event if the venue has processed all read so far.
    #[inline]
    pub(super) fn top_up(
        &mut self,
        venues: &mut [SimVenue],
    ) -> Result<(), kestrel_feed::FeedError> {
        if self.fed == self.ring.len() && !self.eof {
            self.read(venues)?;
        }
        Ok(())
    }

    /// Reads the next event into the ring and stamps its arrival.
    #[inline(never)]
    fn read(&mut self, venues: &mut [SimVenue]) -> Result<(), kestrel_feed::FeedError> {
        if self.ring.read(&mut self.source)? {
            let slot = self.ring.back_mut();
            slot.arrival = venues[self.venue]
                .feed_arrival(slot.event.time)
                .max(self.last_arrival);
            self.last_arrival = slot.arrival;
        } else {
            self.eof = true;
        }
        Ok(())
    }

    /// The venue processes the next event not yet fed to it.
    pub(super) fn feed(&mut self, venues: &mut [SimVenue]) {
        if let Some(slot) = self.ring.get(self.fed) {
            feed_venue(&mut venues[self.venue], &slot.event);
        }
        self.fed += 1;
    }

    /// The kernel receives the oldest event at `now`, and what it decides
    /// goes out.
    pub(super) fn deliver<S: Strategy>(
        &mut self,
        out: &mut Out<'_, S, impl DeliveryProbe>,
        now: UnixNanos,
    ) {
        if let Some(slot) = self.ring.front() {
            out.probe.before();
            deliver(
                out.kernel,
                self.instrument,
                &mut self.lost,
                &slot.event,
                now,
                out.stats,
            );
            out.probe
                .after(slot.event.kind, out.kernel.pending_intents());
        }
        self.ring.pop_front();
        self.fed -= 1;
        out.stats.events += 1;
        out.router.flush(out.kernel, out.venues, now, out.stats);
    }

    /// The only lane's feed and delivery steps, for as long as one of them
    /// is the timeline's next: the general loop's choice, made without
    /// weighing every candidate again. A feed step goes first on a tie with
    /// anything; a delivery goes last, so it must come strictly before the
    /// venues' commands and answers and the strategy's timers.
    pub(super) fn burst<S: Strategy>(
        &mut self,
        out: &mut Out<'_, S, impl DeliveryProbe>,
        clock: &mut SimClock,
        progress: &mut impl FnMut(f64),
    ) -> Result<(), kestrel_feed::FeedError> {
        // The others come earlier only by a delivery (an order sent, a
        // timer set) or by a feed's answers from the lane's own venue, so
        // they are weighed again only then. A feed that executes commands
        // due moves them later: the loop then stops early, and the general
        // loop weighs everything again.
        let mut others = others(out.venues, out.kernel);
        loop {
            self.top_up(out.venues)?;
            out.stats.max_in_flight = out.stats.max_in_flight.max(self.ring.len());
            let feed = self
                .ring
                .get(self.fed)
                .map(|s| shift(s.event.time.exchange, self.offset));
            let deliver = match self.fed {
                0 => None,
                _ => self.ring.front().map(|s| s.arrival),
            };
            match (feed, deliver) {
                (Some(f), d) if d.is_none_or(|d| f <= d) && others.is_none_or(|o| f <= o) => {
                    self.feed(out.venues);
                    others = earliest(others, out.venues[self.venue].next_event_time());
                }
                (f, Some(d)) if f.is_none_or(|f| d < f) && others.is_none_or(|o| d < o) => {
                    clock.advance_to(d);
                    self.deliver(out, clock.now());
                    others = self::others(out.venues, out.kernel);
                    if out.stats.events % PROGRESS_EVERY == 0 {
                        progress(self.source.progress().unwrap_or(0.0));
                    }
                }
                _ => return Ok(()),
            }
        }
    }
}

/// The earliest of the timeline's steps that are not a recording's: a
/// command reaching a venue, an answer reaching the kernel, a timer.
#[inline]
fn others<S: Strategy>(venues: &[SimVenue], kernel: &Kernel<S>) -> Option<UnixNanos> {
    venues.iter().fold(kernel.next_timer(), |first, venue| {
        let command = venue
            .next_command_time()
            .map(|t| shift(t, venue.local_offset_ns()));
        earliest(earliest(first, venue.next_event_time()), command)
    })
}

/// The earlier of two times, `None` being never.
#[inline]
fn earliest(a: Option<UnixNanos>, b: Option<UnixNanos>) -> Option<UnixNanos> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Where a delivery's effects go.
pub(super) struct Out<'a, S, P> {
    pub(super) kernel: &'a mut Kernel<S>,
    pub(super) venues: &'a mut [SimVenue],
    pub(super) router: &'a mut Router,
    pub(super) stats: &'a mut RunStats,
    pub(super) probe: &'a mut P,
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

/// The kernel receives a recorded event of instrument `ix` at `now`. A
/// book event is checked after by the feed's one integrity policy; a book
/// that fails is lost for the kernel until the next snapshot (`lost`).
fn deliver<S: Strategy>(
    kernel: &mut Kernel<S>,
    ix: InstrumentIndex,
    lost: &mut bool,
    event: &FeedEvent,
    now: UnixNanos,
    stats: &mut RunStats,
) {
    match event.kind {
        FeedKind::Delta if *lost => stats.deltas_skipped += 1,
        FeedKind::Delta => {
            kernel.on_delta(ix, &event.delta, now);
            verify(kernel, ix, lost, event.checksum, now, stats);
        }
        FeedKind::Snapshot => {
            kernel.on_snapshot(ix, &event.snapshot, now);
            *lost = false;
            verify(kernel, ix, lost, event.checksum, now, stats);
        }
        FeedKind::Trade => kernel.on_trade(ix, &event.trade, now),
        FeedKind::Gap => kernel.on_gap(ix, now),
    }
}

/// The book of `ix` just changed: the feed's integrity policy, acted on as
/// a live session does (less the snapshot request a recording cannot make).
#[inline]
fn verify<S: Strategy>(
    kernel: &mut Kernel<S>,
    ix: InstrumentIndex,
    lost: &mut bool,
    checksum: Option<i32>,
    now: UnixNanos,
    stats: &mut RunStats,
) {
    let failed = kernel
        .book_of(ix)
        .is_some_and(|book| kestrel_feed::sync::integrity(book, checksum).is_err());
    if failed {
        stats.books_lost += 1;
        *lost = true;
        kernel.on_gap(ix, now);
    }
}
