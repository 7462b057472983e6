//! The venue's clock as seen from ours: signed requests carry the venue's
//! time, so a drifting local clock does not get them refused (-1021).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Offset of the venue's clock from ours, in ms, measured NTP-style from
/// one `/api/v3/time` round trip: `server − (sent + received) / 2`.
#[derive(Debug, Default)]
pub struct ClockSkew {
    offset_ms: AtomicI64,
    round_trip_ms: AtomicI64,
}

/// Our wall clock in ms since the epoch.
pub fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl ClockSkew {
    /// Records a measurement: our times around the request, and the venue's.
    pub fn update(&self, sent_ms: i64, server_ms: i64, received_ms: i64) {
        let midpoint = sent_ms + (received_ms - sent_ms) / 2;
        self.offset_ms
            .store(server_ms - midpoint, Ordering::Relaxed);
        self.round_trip_ms
            .store(received_ms - sent_ms, Ordering::Relaxed);
    }

    /// The venue's clock now, as best we know it.
    pub fn venue_ms(&self) -> i64 {
        local_ms() + self.offset_ms()
    }

    /// The venue's clock minus ours.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The round trip of the last measurement.
    pub fn round_trip_ms(&self) -> i64 {
        self.round_trip_ms.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_measured_from_the_round_trip_midpoint() {
        let skew = ClockSkew::default();
        // Sent at 1000, answered at 1100: the venue read its clock at ~1050
        // by ours, and said 3050.
        skew.update(1000, 3050, 1100);
        assert_eq!(skew.offset_ms(), 2000);
        assert_eq!(skew.round_trip_ms(), 100);
        assert!((skew.venue_ms() - local_ms() - 2000).abs() <= 1);
    }
}
