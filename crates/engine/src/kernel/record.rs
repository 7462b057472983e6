//! What a run leaves for its report. The kernel keeps only what has a
//! fixed size (the sampling schedule, trade results, order activity); the
//! series themselves go out as [`RunPoint`]s, drained like intents and
//! decisions (`Kernel::drain_points`), so the kernel's state does not grow
//! with the session and its snapshots stay small. Only a caller that asks
//! for them gets them (`Kernel::emit_points`): a backtest, which folds them
//! into its report (`kestrel_analytics::SeriesBuilder`).
//!
//! Sampling on an interval keeps the series small and independent of the
//! event rate.

use kestrel_analytics::{Activity, FillMark, RunPoint, TradeStats};
use kestrel_model::UnixNanos;

/// Points the outbox has room for before it grows: more than one input
/// makes (a sample and its legs, and a few fills).
const OUTBOX_POINTS: usize = 64;

/// The run's sampling schedule and counters, and the points not yet drained.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RunRecorder {
    interval_ns: u64,
    next_sample: u64,
    /// Instruments recorded apart (0 for a run of one).
    legs: u16,
    trades: TradeStats,
    activity: Activity,
    /// Whether points are emitted: only for a caller that drains them.
    #[serde(skip)]
    emit: bool,
    /// Emitted, not yet drained; never part of a snapshot.
    #[serde(skip)]
    points: Vec<RunPoint>,
}

impl RunRecorder {
    /// Samples every `interval_ns` (at least 1 ns); a run of several
    /// instruments (`legs` > 1) records each apart too.
    pub fn new(interval_ns: u64, legs: usize) -> Self {
        Self {
            interval_ns: interval_ns.max(1),
            legs: if legs > 1 {
                u16::try_from(legs).unwrap_or(u16::MAX)
            } else {
                0
            },
            points: Vec::with_capacity(OUTBOX_POINTS),
            ..Self::default()
        }
    }

    /// Whether instruments are recorded apart.
    pub fn has_legs(&self) -> bool {
        self.legs > 0
    }

    /// From now on, emits points for [`Self::drain_points`].
    pub fn emit(&mut self) {
        self.emit = true;
    }

    fn push(&mut self, point: RunPoint) {
        if self.emit {
            self.points.push(point);
        }
    }

    /// One instrument's mid and the account's position in it, at the
    /// sample just taken.
    pub fn sample_leg(&mut self, leg: usize, now: UnixNanos, inventory: f64, mid: Option<f64>) {
        if let Ok(leg) = u16::try_from(leg) {
            self.push(RunPoint::LegSample {
                leg,
                ms: now.as_nanos() / 1_000_000,
                inventory,
                mid,
            });
        }
    }

    /// A fill of ours on instrument `leg`; `inventory` its position after.
    pub fn fill_leg(&mut self, leg: usize, mark: FillMark, inventory: f64) {
        if let Ok(leg) = u16::try_from(leg) {
            self.push(RunPoint::LegFill {
                leg,
                mark,
                inventory,
            });
        }
    }

    /// The sampling interval.
    pub fn interval_ns(&self) -> u64 {
        self.interval_ns
    }

    /// Whether a sample is due at `now`.
    pub fn due(&self, now: UnixNanos) -> bool {
        now.as_nanos() >= self.next_sample
    }

    /// Records equity, inventory (in the base asset) and the mid at `now`;
    /// the next sample is due one interval on.
    pub fn sample(&mut self, now: UnixNanos, equity: f64, inventory: f64, mid: Option<f64>) {
        let t = now.as_nanos();
        self.push(RunPoint::Sample {
            ms: t / 1_000_000,
            equity,
            inventory,
            mid,
        });
        self.next_sample = (t / self.interval_ns + 1) * self.interval_ns;
    }

    /// A fill of ours; `inventory` is the position after it.
    pub fn fill(&mut self, mark: FillMark, inventory: f64) {
        self.push(RunPoint::Fill { mark, inventory });
    }

    /// The points emitted since the last drain, oldest first.
    pub fn drain_points(&mut self) -> std::vec::Drain<'_, RunPoint> {
        self.points.drain(..)
    }

    /// Whether points wait to be drained.
    pub fn has_points(&self) -> bool {
        !self.points.is_empty()
    }

    /// Trade results (closing fills).
    pub fn trades_mut(&mut self) -> &mut TradeStats {
        &mut self.trades
    }

    /// Order activity.
    pub fn activity_mut(&mut self) -> &mut Activity {
        &mut self.activity
    }

    /// Order activity so far.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// Trade results and order activity.
    pub fn finish(self) -> (TradeStats, Activity) {
        (self.trades, self.activity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_go_out_only_when_asked_for_and_none_stay_behind() {
        let mut r = RunRecorder::new(1_000, 2);
        r.sample(UnixNanos::new(5_000_000), 1.0, 0.0, None);
        r.sample_leg(1, UnixNanos::new(5_000_000), 0.0, None);
        assert_eq!(r.drain_points().count(), 0, "nobody asked");
        assert!(!r.due(UnixNanos::new(5_000_500)), "the schedule still runs");
        r.emit();
        r.sample(UnixNanos::new(6_000_000), 1.0, 0.0, Some(2.0));
        r.sample_leg(1, UnixNanos::new(6_000_000), 0.0, Some(2.0));
        let points: Vec<RunPoint> = r.drain_points().collect();
        assert_eq!(points.len(), 2);
        assert_eq!(r.drain_points().count(), 0);
        // Snapshots hold the schedule and counters, never the points.
        r.sample(UnixNanos::new(7_000_000), 1.0, 0.0, None);
        let bytes = postcard::to_allocvec(&r).unwrap_or_default();
        assert!(bytes.len() < 64, "{} bytes", bytes.len());
    }
}
