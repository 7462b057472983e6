//! The wall clock that stamps received bytes.

use std::time::{SystemTime, UNIX_EPOCH};

use kestrel_model::UnixNanos;

/// Now, as ns since the epoch; a clock set before 1970 reads as zero.
pub fn now() -> UnixNanos {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    UnixNanos::new(ns)
}
