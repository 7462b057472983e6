//! Reconnect delays: exponential, capped, with jitter.
//!
//! Jitter keeps many clients that lost the venue at the same moment from
//! all reconnecting at the same moment. It is "equal jitter": each delay is
//! drawn uniformly from `[d/2, d]` where `d` is the capped exponential
//! step, so a delay never collapses to zero. The random source is a seeded
//! xorshift, so tests see the same delays every run.

use std::time::Duration;

/// Settings of a [`Backoff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Step before the first retry.
    pub initial: Duration,
    /// Largest step.
    pub max: Duration,
    /// Growth factor per failed attempt.
    pub factor: u32,
}

impl Default for BackoffPolicy {
    /// 250 ms, doubling to at most 30 s: Binance drops connections at 24 h
    /// and in maintenance; 30 s keeps us well inside its connection limits.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
            factor: 2,
        }
    }
}

/// The delay sequence of one connection.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    step: Duration,
    rng: u64,
}

impl Backoff {
    /// A fresh sequence; `seed` fixes the jitter.
    pub fn new(policy: BackoffPolicy, seed: u64) -> Self {
        Self {
            policy,
            step: policy.initial,
            // xorshift must not start at zero.
            rng: seed | 1,
        }
    }

    /// The delay before the next attempt; grows the step for the one after.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.step.min(self.policy.max);
        self.step = step
            .saturating_mul(self.policy.factor.max(1))
            .min(self.policy.max);
        let half = step / 2;
        let span = u64::try_from((step - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(self.next_random() % span.saturating_add(1))
    }

    /// Back to the initial step, after a connection that worked.
    pub fn reset(&mut self) {
        self.step = self.policy.initial;
    }

    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_in_their_jitter_band_and_cap() {
        let policy = BackoffPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            factor: 2,
        };
        let mut backoff = Backoff::new(policy, 7);
        let steps = [100, 200, 400, 800, 1000, 1000];
        for step in steps {
            let d = backoff.next_delay();
            let step = Duration::from_millis(step);
            assert!(
                d >= step / 2 && d <= step,
                "{d:?} outside [{:?}, {step:?}]",
                step / 2
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn jitter_differs_between_seeds_and_repeats_for_one() {
        let delays = |seed| {
            let mut b = Backoff::new(BackoffPolicy::default(), seed);
            (0..5).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(delays(1), delays(1));
        assert_ne!(delays(1), delays(2));
    }
}
