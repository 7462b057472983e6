//! When to move a resting quote.
//!
//! Every replace costs the queue position the order earned, and a venue
//! counts every order message, so a quote moves only when it must: when
//! the price it should be at is at least `min_move_ticks` away, or when its
//! place in the queue is hopeless (too much ahead to expect a fill). Even
//! then, no more often than `min_interval`.

use kestrel_model::{Price, UnixNanos};

/// The repricing rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepricePolicy {
    /// Smallest price change worth losing queue priority for.
    pub min_move_ticks: i64,
    /// Shortest time between two changes of one order, in ns.
    pub min_interval_ns: u64,
}

/// What to do with a resting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepriceDecision {
    /// Leave it: it keeps its place.
    Keep,
    /// Move it to this price.
    Move(Price),
    /// It should move, but not before this time.
    WaitUntil(UnixNanos),
}

impl RepricePolicy {
    /// The decision for an order resting at `current` whose target is now
    /// `target`, last changed at `changed`, at time `now`.
    pub fn decide(
        &self,
        current: Price,
        target: Price,
        queue_hopeless: bool,
        changed: UnixNanos,
        now: UnixNanos,
    ) -> RepriceDecision {
        let distance = target.ticks().abs_diff(current.ticks());
        let must_move = distance >= self.min_move_ticks.unsigned_abs().max(1)
            || (queue_hopeless && distance > 0);
        if !must_move {
            return RepriceDecision::Keep;
        }
        let allowed = changed.saturating_add_nanos(self.min_interval_ns);
        if now < allowed {
            RepriceDecision::WaitUntil(allowed)
        } else {
            RepriceDecision::Move(target)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RepricePolicy = RepricePolicy {
        min_move_ticks: 3,
        min_interval_ns: 1_000,
    };

    fn p(t: i64) -> Price {
        Price::from_ticks(t)
    }

    fn t(ns: u64) -> UnixNanos {
        UnixNanos::new(ns)
    }

    #[test]
    fn small_moves_keep_priority_large_ones_move_at_most_once_per_interval() {
        assert_eq!(
            POLICY.decide(p(100), p(102), false, t(0), t(5_000)),
            RepriceDecision::Keep
        );
        assert_eq!(
            POLICY.decide(p(100), p(97), false, t(0), t(5_000)),
            RepriceDecision::Move(p(97))
        );
        assert_eq!(
            POLICY.decide(p(100), p(103), false, t(4_500), t(5_000)),
            RepriceDecision::WaitUntil(t(5_500))
        );
        // A hopeless queue justifies a one-tick move, but not a no-op.
        assert_eq!(
            POLICY.decide(p(100), p(101), true, t(0), t(5_000)),
            RepriceDecision::Move(p(101))
        );
        assert_eq!(
            POLICY.decide(p(100), p(100), true, t(0), t(5_000)),
            RepriceDecision::Keep
        );
    }
}
