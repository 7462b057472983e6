//! The venue's order-count limits, kept locally so that we wait rather
//! than collect 429s (request weight is kept by `kestrel_net::RestClient`).

use std::time::Duration;

use tokio::time::Instant;

/// A limit of `limit` orders per `window`, as a sliding count of the
/// window's send times.
#[derive(Debug)]
pub struct OrderRateLimit {
    name: &'static str,
    limit: usize,
    window: Duration,
    sent: std::collections::VecDeque<Instant>,
}

impl OrderRateLimit {
    /// `limit` orders per `window`; `name` appears in errors.
    pub fn new(name: &'static str, limit: usize, window: Duration) -> Self {
        Self {
            name,
            limit: limit.max(1),
            window,
            sent: std::collections::VecDeque::with_capacity(limit.clamp(1, 4096)),
        }
    }

    /// Counts an order sent at `now`, or says how long to wait first.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), (&'static str, Duration)> {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= self.limit {
            let oldest = self.sent.front().copied().unwrap_or(now);
            return Err((self.name, self.window.saturating_sub(now - oldest)));
        }
        self.sent.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let t0 = Instant::now();
        let mut l = OrderRateLimit::new("orders/10s", 2, Duration::from_secs(10));
        assert!(l.try_acquire(t0).is_ok());
        assert!(l.try_acquire(t0 + Duration::from_secs(1)).is_ok());
        let (_, wait) = l.try_acquire(t0 + Duration::from_secs(2)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(8));
        assert!(l.try_acquire(t0 + Duration::from_secs(10)).is_ok());
    }
}
