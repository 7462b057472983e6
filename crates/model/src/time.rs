//! Timestamps as nanoseconds since the Unix epoch.

use std::fmt;

/// Nanoseconds since 1970-01-01 UTC. Venues stamp in ms or µs; everything is
/// widened to ns on the way in so timestamps compare without unit mistakes.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(transparent)]
pub struct UnixNanos(u64);

impl UnixNanos {
    /// A timestamp of `ns` nanoseconds.
    pub const fn new(ns: u64) -> Self {
        Self(ns)
    }

    /// From milliseconds, saturating far in the future.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms.saturating_mul(1_000_000))
    }

    /// From microseconds, saturating far in the future.
    pub const fn from_micros(us: u64) -> Self {
        Self(us.saturating_mul(1_000))
    }

    /// The nanosecond count.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// `ns` later, saturating at the end of time.
    pub const fn saturating_add_nanos(self, ns: u64) -> Self {
        Self(self.0.saturating_add(ns))
    }

    /// Signed distance `self − earlier` in ns; venue and local clocks may
    /// disagree, so the result can be negative.
    pub const fn nanos_since(self, earlier: Self) -> i64 {
        (self.0 as i128 - earlier.0 as i128) as i64
    }
}

impl fmt::Display for UnixNanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_widen_to_nanos() {
        assert_eq!(
            UnixNanos::from_millis(1_723_161_256_299).as_nanos(),
            1_723_161_256_299_000_000
        );
        assert_eq!(UnixNanos::from_micros(2).as_nanos(), 2_000);
        assert_eq!(UnixNanos::from_millis(u64::MAX).as_nanos(), u64::MAX);
        assert_eq!(UnixNanos::new(5).nanos_since(UnixNanos::new(7)), -2);
        assert_eq!(UnixNanos::new(1_500_000_000).to_string(), "1.500000000");
    }
}
