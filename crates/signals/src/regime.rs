//! Slow-moving state for risk and quoting: realised volatility of the mid,
//! and the spread's regime against its own recent history.

use kestrel_model::{Price, UnixNanos};

use crate::decay::{DecayedStats, DecayedSum};

/// Realised volatility of the mid: time-decayed `Σ r² / Σ dt` with
/// `r = ln(mid / previous mid)`, as a standard deviation per √second.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct RealisedVol {
    last: Option<(f64, UnixNanos)>,
    squared: DecayedSum,
    seconds: DecayedSum,
}

impl RealisedVol {
    /// With history halving every `half_life_ns`.
    pub const fn new(half_life_ns: u64) -> Self {
        Self {
            last: None,
            squared: DecayedSum::new(half_life_ns),
            seconds: DecayedSum::new(half_life_ns),
        }
    }

    /// The mid at `t`.
    pub fn on_mid(&mut self, mid: f64, t: UnixNanos) {
        if mid <= 0.0 {
            return;
        }
        if let Some((prev, at)) = self.last {
            if mid != prev || t > at {
                let r = (mid / prev).ln();
                self.squared.add(r * r, t);
                self.seconds
                    .add(t.as_nanos().saturating_sub(at.as_nanos()) as f64 / 1e9, t);
            }
        }
        self.last = Some((mid, t));
    }

    /// σ per √second, once time has passed.
    pub fn per_sqrt_second(&self) -> Option<f64> {
        let s = self.seconds.value();
        (s > 0.0).then(|| (self.squared.value() / s).sqrt())
    }
}

/// Where the spread stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SpreadRegime {
    /// One tick: the book is as tight as it gets.
    Tight,
    /// Within its usual range.
    Normal,
    /// More than `wide_z` standard deviations above its recent mean.
    Wide,
}

/// The spread in ticks against its decayed history.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct SpreadTracker {
    stats: DecayedStats,
    wide_z: f64,
    last: Option<SpreadRegime>,
}

impl SpreadTracker {
    /// Calling a spread wide above `wide_z` deviations; history halving
    /// every `half_life_ns`.
    pub const fn new(wide_z: f64, half_life_ns: u64) -> Self {
        Self {
            stats: DecayedStats::new(half_life_ns),
            wide_z,
            last: None,
        }
    }

    /// The spread at `t`, classified against the history before it.
    pub fn on_spread(&mut self, spread: Price, t: UnixNanos) -> SpreadRegime {
        let ticks = spread.ticks() as f64;
        let regime = if spread.ticks() <= 1 {
            SpreadRegime::Tight
        } else if self.stats.z_score(ticks).is_some_and(|z| z > self.wide_z) {
            SpreadRegime::Wide
        } else {
            SpreadRegime::Normal
        };
        self.stats.add(ticks, t);
        self.last = Some(regime);
        regime
    }

    /// The last regime.
    pub fn regime(&self) -> Option<SpreadRegime> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatility_is_root_mean_squared_log_return_per_second() {
        let mut v = RealisedVol::new(u64::MAX);
        v.on_mid(100.0, UnixNanos::new(0));
        assert_eq!(v.per_sqrt_second(), None);
        v.on_mid(101.0, UnixNanos::new(1_000_000_000));
        v.on_mid(100.0, UnixNanos::new(2_000_000_000));
        let r1 = (101.0f64 / 100.0).ln();
        let r2 = (100.0f64 / 101.0).ln();
        let expected = ((r1 * r1 + r2 * r2) / 2.0).sqrt();
        assert!((v.per_sqrt_second().unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn spreads_are_tight_normal_or_wide() {
        let mut s = SpreadTracker::new(2.0, u64::MAX);
        let t = UnixNanos::new(0);
        assert_eq!(s.on_spread(Price::from_ticks(1), t), SpreadRegime::Tight);
        for ticks in [2, 3, 2, 3] {
            s.on_spread(Price::from_ticks(ticks), t);
        }
        // History 1,2,3,2,3: mean 2.2, sd ≈ 0.748; 3 is z ≈ 1.07, 5 is z ≈ 3.7.
        assert_eq!(s.on_spread(Price::from_ticks(3), t), SpreadRegime::Normal);
        assert_eq!(s.on_spread(Price::from_ticks(5), t), SpreadRegime::Wide);
        assert_eq!(s.regime(), Some(SpreadRegime::Wide));
    }
}
