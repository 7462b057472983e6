//! An order-rate token bucket in venue time.

use kestrel_model::UnixNanos;

/// `capacity` tokens, refilled at `per_second`; each order takes one.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Option<UnixNanos>,
}

impl TokenBucket {
    /// A full bucket.
    pub const fn new(capacity: u32, per_second: f64) -> Self {
        Self {
            capacity: capacity as f64,
            per_second,
            tokens: capacity as f64,
            at: None,
        }
    }

    /// Takes a token at `now` if there is one.
    pub fn try_take(&mut self, now: UnixNanos) -> bool {
        if let Some(at) = self.at {
            let dt = now.as_nanos().saturating_sub(at.as_nanos()) as f64 / 1e9;
            self.tokens = (self.tokens + dt * self.per_second).min(self.capacity);
        }
        self.at = Some(self.at.map_or(now, |at| at.max(now)));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_capacity_then_the_refill_rate() {
        let mut b = TokenBucket::new(2, 10.0);
        let t = |ms| UnixNanos::from_millis(ms);
        assert!(b.try_take(t(0)) && b.try_take(t(0)));
        assert!(!b.try_take(t(50)), "half a token after 50 ms");
        assert!(b.try_take(t(100)));
        assert!(!b.try_take(t(100)));
        assert!(
            b.try_take(t(10_000)) && b.try_take(t(10_000)) && !b.try_take(t(10_000)),
            "never above capacity"
        );
    }
}
