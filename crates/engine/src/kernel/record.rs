//! What a run leaves for its report: equity, inventory and price sampled on
//! a fixed interval of the kernel's clock, every fill, trade results and
//! order activity.
//!
//! Sampling on an interval keeps the series small and independent of the
//! event rate. Each series starts with room for [`RESERVED_POINTS`] points
//! (over an hour of one-second samples) and then doubles, so recording
//! costs no allocation per event.

use kestrel_analytics::{Activity, FillMark, Leg, RunSeries, TradeStats};
use kestrel_model::UnixNanos;

/// Points each series has room for before it first grows.
pub const RESERVED_POINTS: usize = 4096;

/// The run's series and counters, filled in as the kernel goes.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RunRecorder {
    interval_ns: u64,
    next_sample: u64,
    series: RunSeries,
    trades: TradeStats,
    activity: Activity,
}

impl RunRecorder {
    /// Samples every `interval_ns` (at least 1 ns).
    pub fn new(interval_ns: u64) -> Self {
        Self {
            interval_ns: interval_ns.max(1),
            series: RunSeries {
                equity: Vec::with_capacity(RESERVED_POINTS),
                inventory: Vec::with_capacity(RESERVED_POINTS),
                price: Vec::with_capacity(RESERVED_POINTS),
                fills: Vec::with_capacity(RESERVED_POINTS),
                legs: Vec::new(),
            },
            ..Self::default()
        }
    }

    /// Records each of several instruments apart too: `legs` are their
    /// names and quantity units, by index.
    pub fn with_legs(mut self, legs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.series.legs = legs
            .into_iter()
            .map(|(instrument, qty_unit)| Leg {
                instrument,
                qty_unit,
                price: Vec::with_capacity(RESERVED_POINTS),
                inventory: Vec::with_capacity(RESERVED_POINTS),
                fills: Vec::with_capacity(RESERVED_POINTS),
                ..Leg::default()
            })
            .collect();
        self
    }

    /// Whether instruments are recorded apart.
    pub fn has_legs(&self) -> bool {
        !self.series.legs.is_empty()
    }

    /// One instrument's mid and the account's position in it, at the
    /// sample just taken.
    pub fn sample_leg(&mut self, leg: usize, now: UnixNanos, inventory: f64, mid: Option<f64>) {
        let ms = now.as_nanos() / 1_000_000;
        if let Some(l) = self.series.legs.get_mut(leg) {
            l.inventory.push((ms, inventory));
            if let Some(mid) = mid {
                l.price.push((ms, mid));
            }
        }
    }

    /// A fill of ours on instrument `leg`; `inventory` its position after.
    pub fn fill_leg(&mut self, leg: usize, now: UnixNanos, mark: FillMark, inventory: f64) {
        if let Some(l) = self.series.legs.get_mut(leg) {
            l.inventory.push((now.as_nanos() / 1_000_000, inventory));
            l.fills.push(mark);
            l.fill_count += 1;
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
        let ms = t / 1_000_000;
        self.series.equity.push((ms, equity));
        self.series.inventory.push((ms, inventory));
        if let Some(mid) = mid {
            self.series.price.push((ms, mid));
        }
        self.next_sample = (t / self.interval_ns + 1) * self.interval_ns;
    }

    /// A fill of ours; `inventory` is the position after it.
    pub fn fill(&mut self, now: UnixNanos, mark: FillMark, inventory: f64) {
        self.series
            .inventory
            .push((now.as_nanos() / 1_000_000, inventory));
        self.series.fills.push(mark);
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

    /// The legs, to set their closing figures.
    pub fn legs_mut(&mut self) -> &mut [Leg] {
        &mut self.series.legs
    }

    /// The recorded run.
    pub fn finish(self) -> (RunSeries, TradeStats, Activity) {
        (self.series, self.trades, self.activity)
    }
}
