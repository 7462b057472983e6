//! Time-decayed accumulators: the O(1) memory every signal here keeps.
//!
//! Decay is by half-life in venue time, not per event, so a burst of
//! updates and a quiet minute weigh what they lasted, not how many messages
//! they took.

use kestrel_model::UnixNanos;

/// `2^(−dt/half_life)`.
fn factor(dt_ns: u64, half_life_ns: u64) -> f64 {
    if half_life_ns == 0 {
        return 0.0;
    }
    // Updates within one event share its time: no `exp` for them (which
    // would give exactly 1 too).
    if dt_ns == 0 {
        return 1.0;
    }
    (-(dt_ns as f64) / half_life_ns as f64 * std::f64::consts::LN_2).exp()
}

/// A sum whose past contributions halve every `half_life_ns`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DecayedSum {
    half_life_ns: u64,
    sum: f64,
    at: Option<UnixNanos>,
}

impl DecayedSum {
    /// An empty sum.
    pub const fn new(half_life_ns: u64) -> Self {
        Self {
            half_life_ns,
            sum: 0.0,
            at: None,
        }
    }

    /// Adds `x` at time `t` (times must not go back; an earlier `t` counts
    /// as now).
    pub fn add(&mut self, x: f64, t: UnixNanos) {
        self.decay_to(t);
        self.sum += x;
    }

    /// The sum as of time `t`.
    pub fn value_at(&self, t: UnixNanos) -> f64 {
        match self.at {
            Some(at) => {
                self.sum
                    * factor(
                        t.as_nanos().saturating_sub(at.as_nanos()),
                        self.half_life_ns,
                    )
            }
            None => 0.0,
        }
    }

    /// The sum as of the last update.
    pub fn value(&self) -> f64 {
        self.sum
    }

    fn decay_to(&mut self, t: UnixNanos) {
        let factor = self.factor_to(t);
        self.decay_by(factor, t);
    }

    /// What the sum is multiplied by when it decays to `t`.
    fn factor_to(&self, t: UnixNanos) -> f64 {
        self.at.map_or(1.0, |at| {
            factor(
                t.as_nanos().saturating_sub(at.as_nanos()),
                self.half_life_ns,
            )
        })
    }

    /// Decays the sum to `t` by `factor`, [`Self::factor_to`]'s answer
    /// for a sum last updated when this one was.
    fn decay_by(&mut self, factor: f64, t: UnixNanos) {
        if self.at.is_some() {
            self.sum *= factor;
        }
        self.at = Some(match self.at {
            Some(at) if at > t => at,
            _ => t,
        });
    }
}

/// A time-decayed mean and variance of a series.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DecayedStats {
    weight: DecayedSum,
    sum: DecayedSum,
    sum_sq: DecayedSum,
}

impl DecayedStats {
    /// Empty statistics.
    pub const fn new(half_life_ns: u64) -> Self {
        Self {
            weight: DecayedSum::new(half_life_ns),
            sum: DecayedSum::new(half_life_ns),
            sum_sq: DecayedSum::new(half_life_ns),
        }
    }

    /// Adds an observation at `t`.
    pub fn add(&mut self, x: f64, t: UnixNanos) {
        // The three sums are always updated together: one decay factor.
        let factor = self.weight.factor_to(t);
        for (sum, v) in [
            (&mut self.weight, 1.0),
            (&mut self.sum, x),
            (&mut self.sum_sq, x * x),
        ] {
            sum.decay_by(factor, t);
            sum.sum += v;
        }
    }

    /// The decayed mean, once there is an observation.
    pub fn mean(&self) -> Option<f64> {
        let w = self.weight.value();
        (w > 0.0).then(|| self.sum.value() / w)
    }

    /// The decayed standard deviation, once there is an observation.
    pub fn std_dev(&self) -> Option<f64> {
        let mean = self.mean()?;
        let var = self.sum_sq.value() / self.weight.value() - mean * mean;
        Some(var.max(0.0).sqrt())
    }

    /// How many standard deviations `x` is from the mean; `None` until the
    /// spread is known and non-zero.
    pub fn z_score(&self, x: f64) -> Option<f64> {
        let (mean, sd) = (self.mean()?, self.std_dev()?);
        (sd > 0.0).then(|| (x - mean) / sd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_halve_every_half_life() {
        let mut s = DecayedSum::new(1_000);
        s.add(8.0, UnixNanos::new(0));
        assert_eq!(s.value_at(UnixNanos::new(1_000)), 4.0);
        s.add(1.0, UnixNanos::new(2_000));
        assert!((s.value() - 3.0).abs() < 1e-12, "8/4 + 1");
        // An out-of-order time counts as now.
        s.add(1.0, UnixNanos::new(1_500));
        assert!((s.value() - 4.0).abs() < 1e-12);
    }

    #[test]
    fn stats_of_equal_weights_are_the_plain_ones() {
        let mut s = DecayedStats::new(u64::MAX);
        for x in [1.0, 2.0, 3.0, 4.0] {
            s.add(x, UnixNanos::new(0));
        }
        assert_eq!(s.mean(), Some(2.5));
        assert!((s.std_dev().unwrap() - 1.25f64.sqrt()).abs() < 1e-12);
        assert!((s.z_score(5.0).unwrap() - 2.5 / 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(DecayedStats::new(10).z_score(1.0), None);
    }
}
