//! Where the kernel's time comes from.
//!
//! The kernel never reads a clock itself: its runner does and passes the
//! time with each event. A backtest's runner moves a [`SimClock`] to each
//! event's time as it merges the streams; a live runner reads the wall
//! clock. Same events and same times give the same decisions.

use kestrel_model::UnixNanos;

/// A source of the current time.
pub trait Clock {
    /// Now, in ns since the Unix epoch.
    fn now(&self) -> UnixNanos;
}

/// Simulated time: it moves only when the runner moves it, and never back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimClock {
    now: UnixNanos,
}

impl SimClock {
    /// Moves to `t`, or stays if `t` is earlier (time does not run back,
    /// even when recorded receive times do).
    pub fn advance_to(&mut self, t: UnixNanos) {
        self.now = self.now.max(t);
    }
}

impl Clock for SimClock {
    fn now(&self) -> UnixNanos {
        self.now
    }
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> UnixNanos {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixNanos::new(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_clock_never_runs_back() {
        let mut c = SimClock::default();
        c.advance_to(UnixNanos::new(10));
        c.advance_to(UnixNanos::new(5));
        assert_eq!(c.now(), UnixNanos::new(10));
    }
}
