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

impl UnixNanos {
    /// The time as UTC for people: `2024-08-08 23:54:38.756`.
    pub fn utc(self) -> Utc {
        Utc(self)
    }
}

/// A [`UnixNanos`] shown as a UTC date and time to the millisecond.
#[derive(Clone, Copy, Debug)]
pub struct Utc(UnixNanos);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_nanos() / 1_000_000;
        let (y, m, d) = civil_from_days((ms / 86_400_000) as i64);
        let s = ms % 86_400_000 / 1_000;
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
            s / 3_600,
            s / 60 % 60,
            s % 60,
            ms % 1_000
        )
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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
mod utc_tests {
    use super::*;

    #[test]
    fn utc_shows_the_date_and_time_to_the_millisecond() {
        let t = UnixNanos::from_millis(1_723_161_278_756);
        assert_eq!(t.utc().to_string(), "2024-08-08 23:54:38.756");
        assert_eq!(
            UnixNanos::new(0).utc().to_string(),
            "1970-01-01 00:00:00.000"
        );
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(12_649), (2004, 8, 19));
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
