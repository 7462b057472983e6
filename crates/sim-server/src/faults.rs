//! Fault injection: what the simulator does wrong on purpose, set from
//! config or `POST /sim/faults`, and a log of every fault it injected, with
//! its time, for tests to assert on (`GET /sim/faults/log`).
//!
//! Random faults are drawn from a seeded generator, so a run with the same
//! settings and the same traffic injects the same faults.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exchange::wall_ms;
use crate::replay::MarketFrame;

/// The faults to inject; every rate is a probability per frame or request.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Market frames dropped.
    pub drop_rate: f64,
    /// Market frames sent twice.
    pub duplicate_rate: f64,
    /// Market frames held back and sent after the next one.
    pub reorder_rate: f64,
    /// Market frames sent late, by `delay_ms`.
    pub delay_rate: f64,
    /// How late a delayed frame is.
    pub delay_ms: u64,
    /// Depth diffs left out, so the `U`/`u` chain skips ids.
    pub skip_ids_rate: f64,
    /// REST calls answered with HTTP 503.
    pub rest_5xx_rate: f64,
    /// REST calls answered with HTTP 429 and `Retry-After`.
    pub rest_429_rate: f64,
    /// The `Retry-After` of those answers, in seconds.
    pub retry_after_s: u64,
    /// Order entry calls (submit, cancel) carried out but answered with
    /// HTTP 503, as when the answer is lost on the way back: the client
    /// cannot tell whether the call took effect.
    pub lost_answer_rate: f64,
    /// Delay of every order answer and execution report.
    pub ack_delay_ms: u64,
    /// New orders refused with this Binance error code (e.g. -2010).
    pub reject_code: Option<i32>,
    /// Seed of the random choices.
    pub seed: u64,
}

/// A fault that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultRecord {
    /// Wall-clock milliseconds.
    pub time_ms: u64,
    /// What was done, e.g. `drop`, `rest_429`, `close_connections`.
    pub kind: &'static str,
    /// To what, e.g. `depth 1234-1240` or `POST /api/v3/order`.
    pub detail: String,
}

/// Records the fault log keeps: the newest, so a long run with faults on,
/// or a client posting settings in a loop, cannot grow it without bound.
pub const MAX_FAULT_RECORDS: usize = 10_000;
/// The longest detail kept of a record (a posted settings body, say).
const MAX_DETAIL: usize = 512;

/// The shared record of injected faults: the newest
/// [`MAX_FAULT_RECORDS`], and how many older ones were let go.
#[derive(Clone, Debug, Default)]
pub struct FaultLog(Arc<Mutex<Ring>>);

#[derive(Debug, Default)]
struct Ring {
    records: std::collections::VecDeque<FaultRecord>,
    dropped: u64,
}

impl FaultLog {
    /// Adds a record, its detail cut to its first 512 bytes.
    pub fn push(&self, kind: &'static str, mut detail: String) {
        if detail.len() > MAX_DETAIL {
            let mut end = MAX_DETAIL;
            while !detail.is_char_boundary(end) {
                end -= 1;
            }
            detail.truncate(end);
            detail.push('…');
        }
        let mut ring = lock(&self.0);
        if ring.records.len() == MAX_FAULT_RECORDS {
            ring.records.pop_front();
            ring.dropped += 1;
        }
        ring.records.push_back(FaultRecord {
            time_ms: wall_ms(),
            kind,
            detail,
        });
    }

    /// The records kept, oldest first.
    pub fn records(&self) -> Vec<FaultRecord> {
        lock(&self.0).records.iter().cloned().collect()
    }

    /// Records let go to keep the newest [`MAX_FAULT_RECORDS`].
    pub fn dropped(&self) -> u64 {
        lock(&self.0).dropped
    }
}

/// What to do with one market frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketFault {
    /// Send it.
    None,
    /// Leave it out.
    Drop,
    /// Send it twice.
    Duplicate,
    /// Send it after the next one.
    Reorder,
    /// Send it this much later.
    Delay(Duration),
}

/// What to do with one REST call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestFault {
    /// Serve it.
    None,
    /// Answer 503.
    ServerError,
    /// Answer 429 with this `Retry-After`.
    RateLimited(u64),
}

#[derive(Debug, Default)]
struct FaultState {
    config: FaultConfig,
    rng: u64,
}

impl FaultState {
    /// Uniform in [0, 1) (SplitMix64).
    fn draw(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn hit(&mut self, rate: f64) -> bool {
        rate > 0.0 && self.draw() < rate
    }
}

/// The current fault settings, shared by the exchange task and the HTTP
/// handlers.
#[derive(Clone, Debug, Default)]
pub struct SharedFaults(Arc<Mutex<FaultState>>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SharedFaults {
    /// Settings from `config`.
    pub fn new(config: FaultConfig) -> Self {
        let faults = Self::default();
        faults.set(config);
        faults
    }

    /// Replaces the settings.
    pub fn set(&self, config: FaultConfig) {
        let mut state = lock(&self.0);
        state.rng = config.seed;
        state.config = config;
    }

    /// The settings.
    pub fn config(&self) -> FaultConfig {
        lock(&self.0).config.clone()
    }

    /// Decides the fate of a market frame, logging any fault.
    pub fn market_fault(&self, frame: &MarketFrame, log: &FaultLog) -> MarketFault {
        let mut s = lock(&self.0);
        let c = s.config.clone();
        let (fault, kind) = if frame.kind.is_depth() && s.hit(c.skip_ids_rate) {
            (MarketFault::Drop, "skip_ids")
        } else if s.hit(c.drop_rate) {
            (MarketFault::Drop, "drop")
        } else if s.hit(c.duplicate_rate) {
            (MarketFault::Duplicate, "duplicate")
        } else if s.hit(c.reorder_rate) {
            (MarketFault::Reorder, "reorder")
        } else if s.hit(c.delay_rate) {
            (
                MarketFault::Delay(Duration::from_millis(c.delay_ms)),
                "delay",
            )
        } else {
            return MarketFault::None;
        };
        drop(s);
        let detail = match frame.ids {
            Some((first, last)) => format!("{:?} {first}-{last}", frame.kind),
            None => format!("{:?} at {}", frame.kind, frame.recorded),
        };
        log.push(kind, detail);
        fault
    }

    /// Decides the fate of a REST call, logging any fault.
    pub fn rest_fault(&self, what: &str, log: &FaultLog) -> RestFault {
        let mut s = lock(&self.0);
        let c = s.config.clone();
        let fault = if s.hit(c.rest_5xx_rate) {
            RestFault::ServerError
        } else if s.hit(c.rest_429_rate) {
            RestFault::RateLimited(c.retry_after_s.max(1))
        } else {
            return RestFault::None;
        };
        drop(s);
        let kind = match fault {
            RestFault::ServerError => "rest_5xx",
            _ => "rest_429",
        };
        log.push(kind, what.to_owned());
        fault
    }

    /// Whether to lose the answer of an order entry call that was carried
    /// out (logged as `lost_answer`).
    pub fn lose_answer(&self, what: &str, log: &FaultLog) -> bool {
        let mut s = lock(&self.0);
        let rate = s.config.lost_answer_rate;
        let lost = s.hit(rate);
        drop(s);
        if lost {
            log.push("lost_answer", what.to_owned());
        }
        lost
    }

    /// Waits out the delay set for order answers and execution reports.
    /// Without one it returns at once: even a zero-length tokio sleep waits
    /// for the timer's next millisecond tick.
    pub async fn delay_ack(&self) {
        let delay = Duration::from_millis(lock(&self.0).config.ack_delay_ms);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// The error code to refuse new orders with, if any (logged).
    pub fn reject_code(&self, log: &FaultLog) -> Option<i32> {
        let code = lock(&self.0).config.reject_code?;
        log.push("reject_order", code.to_string());
        Some(code)
    }
}

#[cfg(test)]
mod tests {
    use kestrel_model::UnixNanos;

    use super::*;
    use crate::replay::StreamKind;

    fn frame(kind: StreamKind) -> MarketFrame {
        MarketFrame {
            recorded: UnixNanos::new(5),
            exchange: UnixNanos::new(4),
            kind,
            payload: b"{}".to_vec(),
            ids: (kind == StreamKind::Depth).then_some((10, 12)),
        }
    }

    #[test]
    fn faults_follow_the_rates_repeat_for_a_seed_and_are_logged() {
        let config = FaultConfig {
            drop_rate: 0.5,
            seed: 9,
            ..FaultConfig::default()
        };
        let run = || {
            let (faults, log) = (SharedFaults::new(config.clone()), FaultLog::default());
            let fates: Vec<MarketFault> = (0..1000)
                .map(|_| faults.market_fault(&frame(StreamKind::Trade), &log))
                .collect();
            (fates, log.records().len())
        };
        let (fates, logged) = run();
        let drops = fates.iter().filter(|f| **f == MarketFault::Drop).count();
        assert!((400..600).contains(&drops), "{drops}");
        assert_eq!(logged, drops);
        assert_eq!(run().0, fates);

        let faults = SharedFaults::new(FaultConfig {
            skip_ids_rate: 1.0,
            ..FaultConfig::default()
        });
        let log = FaultLog::default();
        assert_eq!(
            faults.market_fault(&frame(StreamKind::Trade), &log),
            MarketFault::None
        );
        assert_eq!(
            faults.market_fault(&frame(StreamKind::Depth), &log),
            MarketFault::Drop
        );
        assert_eq!(log.records()[0].kind, "skip_ids");
        assert_eq!(log.records()[0].detail, "Depth 10-12");
    }

    #[test]
    fn config_reads_from_json_and_refuses_unknown_fields() {
        let c: FaultConfig =
            serde_json::from_str(r#"{"rest_429_rate":1.0,"retry_after_s":3}"#).unwrap();
        assert_eq!(c.rest_429_rate, 1.0);
        assert!(serde_json::from_str::<FaultConfig>(r#"{"dorp_rate":1}"#).is_err());
        let (faults, log) = (SharedFaults::new(c), FaultLog::default());
        assert_eq!(
            faults.rest_fault("GET /api/v3/depth", &log),
            RestFault::RateLimited(3)
        );
    }
}

#[cfg(test)]
mod log_tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_and_cuts_long_details() {
        let log = FaultLog::default();
        for n in 0..MAX_FAULT_RECORDS + 5 {
            log.push("configure", format!("{n}"));
        }
        let kept = log.records();
        assert_eq!((kept.len(), log.dropped()), (MAX_FAULT_RECORDS, 5));
        assert_eq!(kept[0].detail, "5");
        log.push("configure", "é".repeat(1_000));
        let last = log.records().pop().unwrap();
        assert!(last.detail.len() <= MAX_DETAIL + '…'.len_utf8());
    }
}
