//! Technical indicators over bars, each one definition used both streaming
//! (O(1) per bar, no allocation after construction) and in batch.
//!
//! Parity with TA-Lib 0.8 is the rule: the same lookback (the first bar
//! with a value), the same seeding (an EMA starts from the SMA of its first
//! `n` inputs, RSI and ATR from Wilder's mean of the first `n` changes or
//! true ranges, MACD's two averages start together at the slow one's first
//! value), and the same order of arithmetic where that makes the results
//! bit-identical. `tests/talib_parity.rs` checks every output against
//! golden files TA-Lib wrote (`tests/golden/make_golden.py`).
//!
//! * [`average`]: [`Sma`], [`Ema`] (seeded as TA-Lib does, or from the first
//!   input as NautilusTrader does, [`EmaSeed`]).
//! * [`momentum`]: [`Rsi`], [`Macd`].
//! * [`volatility`]: [`StdDev`], [`Bollinger`], [`Atr`].
//!
//! Every update refuses a non-finite input ([`IndicatorError::NotFinite`])
//! and leaves the indicator as it was, so one bad print cannot poison every
//! value after it.

pub mod average;
pub mod momentum;
pub mod volatility;

pub use average::{Ema, EmaSeed, Sma};
pub use momentum::{Macd, MacdValue, Rsi};
pub use volatility::{Atr, BandsValue, Bollinger, StdDev};

/// Why an indicator could not be made or updated.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum IndicatorError {
    /// A period of zero, or one too large to keep.
    #[error("{name}: period {period} is out of range (1 to {max})")]
    Period {
        /// The indicator.
        name: &'static str,
        /// The period asked for.
        period: usize,
        /// The largest it takes.
        max: usize,
    },
    /// A NaN or infinite input: refused, the indicator unchanged.
    #[error("a {0} input is not a finite number")]
    NotFinite(&'static str),
}

/// The most bars an indicator's period may span.
pub const MAX_PERIOD: usize = 100_000;

/// Checks a period.
fn period(name: &'static str, period: usize) -> Result<usize, IndicatorError> {
    if (1..=MAX_PERIOD).contains(&period) {
        Ok(period)
    } else {
        Err(IndicatorError::Period {
            name,
            period,
            max: MAX_PERIOD,
        })
    }
}

/// Checks an input.
fn finite(what: &'static str, x: f64) -> Result<f64, IndicatorError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(IndicatorError::NotFinite(what))
    }
}

/// A bar's prices and volume, as the indicators read them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bar {
    /// First price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Last price.
    pub close: f64,
    /// Volume traded.
    pub volume: f64,
}

/// A fixed ring of the last `n` values, allocated once.
#[derive(Clone, Debug)]
struct Window {
    values: Vec<f64>,
    next: usize,
    len: usize,
}

impl Window {
    fn new(n: usize) -> Self {
        Self {
            values: vec![0.0; n],
            next: 0,
            len: 0,
        }
    }

    /// Pushes `x`; the value it pushed out, once full.
    fn push(&mut self, x: f64) -> Option<f64> {
        let out = (self.len == self.values.len()).then(|| self.values[self.next]);
        self.values[self.next] = x;
        self.next = (self.next + 1) % self.values.len();
        self.len = (self.len + 1).min(self.values.len());
        out
    }

    fn is_full(&self) -> bool {
        self.len == self.values.len()
    }

    /// The values, oldest first.
    fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let start = if self.is_full() { self.next } else { 0 };
        let n = self.values.len();
        (0..self.len).map(move |i| self.values[(start + i) % n])
    }
}
