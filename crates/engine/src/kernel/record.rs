//! What a run leaves for its report: equity, inventory and price sampled on
//! a fixed interval of the kernel's clock, every fill, trade results and
//! order activity.
//!
//! Sampling on an interval keeps the series small and independent of the
//! event rate. Each series starts with room for [`RESERVED_POINTS`] points
//! (over an hour of one-second samples) and then doubles, so recording
//! costs no allocation per event.

use kestrel_analytics::{Activity, FillMark, RunSeries, TradeStats};
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
            },
            ..Self::default()
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

    /// The recorded run.
    pub fn finish(self) -> (RunSeries, TradeStats, Activity) {
        (self.series, self.trades, self.activity)
    }
}
