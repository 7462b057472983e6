//! Request-weight accounting, as Binance does it per IP: each endpoint
//! costs a weight, the minute's total is sent back in
//! `X-MBX-USED-WEIGHT-1M`, a request over the limit gets 429 with
//! `Retry-After`, and a client that keeps going after its 429s is banned
//! with 418.

use std::sync::{Arc, Mutex};

use crate::error::ApiError;

/// Weight allowed per minute.
pub const WEIGHT_PER_MINUTE: u32 = 6_000;
/// 429s tolerated within a minute before the ban.
const VIOLATIONS_BEFORE_BAN: u32 = 3;
/// Length of a ban.
const BAN_SECONDS: u64 = 120;

#[derive(Debug, Default)]
struct Meter {
    minute: u64,
    used: u32,
    violations: u32,
    banned_until_ms: u64,
}

/// The server's weight meter.
#[derive(Clone, Debug)]
pub struct WeightMeter {
    limit: u32,
    meter: Arc<Mutex<Meter>>,
}

impl Default for WeightMeter {
    fn default() -> Self {
        Self::new(WEIGHT_PER_MINUTE)
    }
}

impl WeightMeter {
    /// A meter allowing `limit` per minute.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            meter: Arc::default(),
        }
    }

    /// The weight allowed per minute.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Charges `weight` at wall time `now_ms`: the minute's total so far,
    /// or the 429/418 to answer with.
    pub fn charge(&self, weight: u32, now_ms: u64) -> Result<u32, ApiError> {
        let mut m = self
            .meter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now_ms < m.banned_until_ms {
            return Err(ApiError::rate_limited(
                true,
                (m.banned_until_ms - now_ms).div_ceil(1000),
                self.limit,
            ));
        }
        let minute = now_ms / 60_000;
        if minute != m.minute {
            (m.minute, m.used, m.violations) = (minute, 0, 0);
        }
        if m.used + weight > self.limit {
            m.violations += 1;
            if m.violations > VIOLATIONS_BEFORE_BAN {
                m.banned_until_ms = now_ms + BAN_SECONDS * 1000;
                return Err(ApiError::rate_limited(true, BAN_SECONDS, self.limit));
            }
            let to_next_minute = ((minute + 1) * 60_000 - now_ms).div_ceil(1000);
            return Err(ApiError::rate_limited(false, to_next_minute, self.limit));
        }
        m.used += weight;
        Ok(m.used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_is_429_then_418_and_a_new_minute_resets() {
        let meter = WeightMeter::new(10);
        let t = 120_000;
        assert_eq!(meter.charge(6, t), Ok(6));
        assert_eq!(meter.charge(4, t + 1), Ok(10));
        let e = meter.charge(1, t + 30_000).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.code, e.retry_after),
            (429, -1003, Some(30))
        );
        for _ in 0..2 {
            assert_eq!(
                meter.charge(1, t + 30_000).unwrap_err().status.as_u16(),
                429
            );
        }
        let e = meter.charge(1, t + 30_000).unwrap_err();
        assert_eq!((e.status.as_u16(), e.retry_after), (418, Some(120)));
        assert_eq!(
            meter.charge(1, t + 100_000).unwrap_err().status.as_u16(),
            418
        );
        assert_eq!(meter.charge(1, t + 150_001), Ok(1), "ban over, new minute");
    }
}
