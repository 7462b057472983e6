//! Order-count limits, as Binance keeps them per account: new orders in
//! each 10 seconds and each day (UTC). Past either, a new order is refused
//! with 429 and -1015; every order answer reports both counts in
//! `X-MBX-ORDER-COUNT-10S` and `X-MBX-ORDER-COUNT-1D`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use kestrel_sim::AccountId;

use crate::error::ApiError;

/// New orders allowed in 10 seconds (what `exchangeInfo` advertises).
pub const ORDERS_PER_10S: u32 = 100;
/// New orders allowed in a day.
pub const ORDERS_PER_DAY: u32 = 200_000;

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderLimits {
    /// New orders in 10 seconds.
    pub per_10s: u32,
    /// New orders in a day.
    pub per_day: u32,
}

impl Default for OrderLimits {
    /// Binance spot's.
    fn default() -> Self {
        Self {
            per_10s: ORDERS_PER_10S,
            per_day: ORDERS_PER_DAY,
        }
    }
}

/// One account's counts in the current windows.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    ten_s: (u64, u32),
    day: (u64, u32),
}

/// The server's order counter.
#[derive(Clone, Debug, Default)]
pub struct OrderCounter {
    limits: OrderLimits,
    counts: Arc<Mutex<HashMap<AccountId, Counts>>>,
}

impl OrderCounter {
    /// A counter enforcing `limits`.
    pub fn new(limits: OrderLimits) -> Self {
        Self {
            limits,
            counts: Arc::default(),
        }
    }

    /// The limits it enforces.
    pub fn limits(&self) -> OrderLimits {
        self.limits
    }

    /// Counts a new order of `account` at wall time `now_ms`: the counts
    /// with it, or the refusal past a limit (the order is not counted).
    pub fn count(&self, account: AccountId, now_ms: u64) -> Result<(u32, u32), ApiError> {
        let mut all = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = all.entry(account).or_default();
        let (window, day) = (now_ms / 10_000, now_ms / 86_400_000);
        if c.ten_s.0 != window {
            c.ten_s = (window, 0);
        }
        if c.day.0 != day {
            c.day = (day, 0);
        }
        let refuse = |limit: u32, per: &str, retry: u64| {
            let mut e = ApiError::with_code(
                -1015,
                format!("Too many new orders; current limit is {limit} orders per {per}."),
            );
            e.status = StatusCode::TOO_MANY_REQUESTS;
            e.retry_after = Some(retry);
            e
        };
        let OrderLimits { per_10s, per_day } = self.limits;
        if c.ten_s.1 >= per_10s {
            return Err(refuse(
                per_10s,
                "10 SECOND",
                ((window + 1) * 10_000 - now_ms).div_ceil(1_000),
            ));
        }
        if c.day.1 >= per_day {
            return Err(refuse(
                per_day,
                "DAY",
                ((day + 1) * 86_400_000 - now_ms).div_ceil(1_000),
            ));
        }
        c.ten_s.1 += 1;
        c.day.1 += 1;
        Ok((c.ten_s.1, c.day.1))
    }

    /// The counts as they stand, for an answer's headers.
    pub fn current(&self, account: AccountId, now_ms: u64) -> (u32, u32) {
        let all = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.get(&account).map_or((0, 0), |c| {
            let ten = if c.ten_s.0 == now_ms / 10_000 {
                c.ten_s.1
            } else {
                0
            };
            let day = if c.day.0 == now_ms / 86_400_000 {
                c.day.1
            } else {
                0
            };
            (ten, day)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_in_ten_seconds_then_429_until_the_next_window() {
        let counter = OrderCounter::default();
        let (a, t) = (AccountId(1), 1_700_000_000_000);
        for n in 1..=ORDERS_PER_10S {
            assert_eq!(counter.count(a, t).unwrap().0, n);
        }
        let e = counter.count(a, t + 1_000).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (429, -1015));
        assert_eq!(counter.count(AccountId(2), t), Ok((1, 1)), "per account");
        assert_eq!(counter.count(a, t + 10_000), Ok((1, ORDERS_PER_10S + 1)));
        assert_eq!(counter.current(a, t + 10_000), (1, ORDERS_PER_10S + 1));
    }
}
