//! A circuit breaker: after repeated failures, stop calling the venue for
//! a while instead of piling requests onto a sick connection.

use std::time::Duration;

use tokio::time::Instant;

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until the instant.
    Open(Instant),
    /// The cool-down is over: one trial call goes through; its outcome
    /// closes or reopens the breaker.
    HalfOpen,
}

/// Counts consecutive failures and opens after `threshold` of them.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cool_down: Duration,
    failures: u32,
    state: BreakerState,
    trips: u64,
}

impl CircuitBreaker {
    /// Opens after `threshold` failures in a row, for `cool_down`.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cool_down,
            failures: 0,
            state: BreakerState::Closed,
            trips: 0,
        }
    }

    /// Whether a call may go now; if not, how long until it may.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        match self.state {
            BreakerState::Closed | BreakerState::HalfOpen => Ok(()),
            BreakerState::Open(until) if now >= until => {
                self.state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open(until) => Err(until - now),
        }
    }

    /// A call succeeded (or failed on its merits, which says the venue is up).
    pub fn on_success(&mut self) {
        self.failures = 0;
        self.state = BreakerState::Closed;
    }

    /// A call failed in a way that suggests the venue or the path is down.
    pub fn on_failure(&mut self, now: Instant) {
        self.failures += 1;
        if self.state == BreakerState::HalfOpen || self.failures >= self.threshold {
            self.state = BreakerState::Open(now + self.cool_down);
            self.trips += 1;
            self.failures = 0;
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// How many times it has opened.
    pub fn trips(&self) -> u64 {
        self.trips
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_half_opens_after_the_cool_down() {
        let t0 = Instant::now();
        let mut b = CircuitBreaker::new(3, Duration::from_secs(1));
        for _ in 0..2 {
            b.on_failure(t0);
        }
        assert_eq!(b.admit(t0), Ok(()));
        b.on_failure(t0);
        assert!(b.admit(t0 + Duration::from_millis(500)).is_err());
        assert_eq!(b.admit(t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        // A failed trial reopens at once.
        b.on_failure(t0 + Duration::from_secs(1));
        assert!(b.admit(t0 + Duration::from_millis(1500)).is_err());
        assert_eq!(b.admit(t0 + Duration::from_secs(2)), Ok(()));
        b.on_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.trips(), 2);
    }
}
