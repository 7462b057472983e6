//! Bars from trades, for one instrument and one [`BarSpec`] each.
//!
//! * **Time bars** (`1s` … `1d`, any multiple) cover `[start, start +
//!   period)`, aligned to the Unix epoch, by the trade's **event time**
//!   (the venue's stamp). A bar closes, once, when the event-time high
//!   water reaches its end plus the lateness watermark; so with a
//!   watermark of zero the first trade at or past the end closes it, before
//!   that trade is counted in the next bar. Spans with no trade become
//!   bars at the last close with no volume ([`EmptyBars::Carry`], as
//!   Binance's klines and NautilusTrader have them) or are skipped.
//! * **Tick, volume and notional bars** close on the trade that fills them;
//!   a trade crossing a volume or notional line is split between the two
//!   bars, as NautilusTrader splits it.
//!
//! A trade for a time bar already closed is **late**. It is counted, and
//! the [`LatePolicy`] says what happens: dropped, or a
//! [`BarEvent::Corrected`] carrying the revised bar. A closed bar is never
//! rewritten in place and never emitted twice as closed. A trade stamped
//! further ahead of the caller's clock than [`BarOptions::max_future_ns`]
//! is refused and counted. The bar in progress is there for whoever asks
//! ([`BarAggregator::partial`]).

mod aggregator;
mod size;

pub use aggregator::{BarAggregator, BarCounters, BarEvent};

use kestrel_model::{BarSpec, Decimal};

/// What happens to a trade for a bar already closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LatePolicy {
    /// Counted and dropped.
    #[default]
    Drop,
    /// Counted, and the revised bar goes out as a correction (for the last
    /// [`CORRECTABLE`] closed bars; older ones are dropped and counted).
    Correct,
}

/// Time spans without a trade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EmptyBars {
    /// A bar at the last close with no volume.
    #[default]
    Carry,
    /// No bar.
    Skip,
}

/// How bars close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BarOptions {
    /// How long after its end a time bar waits for late trades, ns.
    pub watermark_ns: u64,
    /// Trades later than that.
    pub late: LatePolicy,
    /// Time spans with no trade.
    pub empty: EmptyBars,
    /// A trade stamped more than this after the caller's clock is refused.
    pub max_future_ns: u64,
}

impl Default for BarOptions {
    fn default() -> Self {
        Self {
            watermark_ns: 0,
            late: LatePolicy::Drop,
            empty: EmptyBars::Carry,
            max_future_ns: 60_000_000_000,
        }
    }
}

/// Closed bars kept for corrections.
pub const CORRECTABLE: usize = 16;

/// The most empty bars one gap between trades emits, the rest of a longer
/// gap counted ([`BarCounters::empty_skipped`]) and passed over; and the
/// most bars one trade splits into, the rest going whole into the last
/// ([`BarCounters::oversized`]): no input makes bars without end.
pub const MAX_EMPTY_RUN: u64 = 100_000;

/// The most time bars a watermark may hold open at once.
pub const MAX_OPEN_BARS: u64 = 10_000;

/// Why an aggregator could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BarError {
    /// A volume or notional size that is not a whole number of the
    /// instrument's lots (or lot-ticks), or is out of range.
    #[error("bar spec {spec}: {what}")]
    Size {
        /// The spec.
        spec: BarSpec,
        /// What was wrong.
        what: &'static str,
    },
    /// A watermark holding more than [`MAX_OPEN_BARS`] bars open.
    #[error(
        "bar spec {spec}: a watermark of {watermark_ns} ns holds more than {MAX_OPEN_BARS} bars open"
    )]
    Watermark {
        /// The spec.
        spec: BarSpec,
        /// The watermark asked for.
        watermark_ns: u64,
    },
}

/// `value / unit`, rounded up, exactly; `None` on overflow or a unit of zero.
fn ceil_units(value: Decimal, unit: Decimal) -> Option<u128> {
    let (mv, sv) = value.to_parts();
    let (mu, su) = unit.to_parts();
    if mu <= 0 || mv < 0 {
        return None;
    }
    // value / unit = mv · 10^su / (mu · 10^sv).
    let num = mv.checked_mul(10i128.checked_pow(u32::from(su))?)?;
    let den = mu.checked_mul(10i128.checked_pow(u32::from(sv))?)?;
    u128::try_from(num.div_euclid(den) + i128::from(num.rem_euclid(den) != 0)).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn units_round_up_exactly() {
        let d = |s: &str| Decimal::parse(s).unwrap();
        assert_eq!(ceil_units(d("2.5"), d("0.001")), Some(2500));
        assert_eq!(ceil_units(d("2.5001"), d("0.001")), Some(2501));
        assert_eq!(ceil_units(d("100000"), d("0.00001")), Some(10_000_000_000));
        assert_eq!(ceil_units(d("1"), d("0")), None);
    }
}
