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
//!   input as NautilusTrader does, [`EmaSeed`]), [`Wma`], [`Dema`], [`Tema`],
//!   [`Kama`].
//! * [`momentum`]: [`Rsi`], [`Macd`], [`Roc`].
//! * [`volatility`]: [`StdDev`], [`Bollinger`], [`Atr`], [`Natr`].
//! * [`oscillators`]: [`Stoch`], [`WillR`], [`Cci`].
//! * [`trend`]: [`Adx`], the average directional index.
//! * [`volume`]: [`Obv`], [`Mfi`], [`Vwap`] (by session; TA-Lib has none).
//!
//! Each is one definition: [`Indicator::next`] streams it, [`batch`] runs
//! it over a series. Every update refuses a non-finite input
//! ([`IndicatorError::NotFinite`]) and leaves the indicator as it was, so
//! one bad print cannot poison every value after it. All but CCI (whose
//! mean deviation has no running form) cost O(1) a bar.

pub mod average;
pub mod momentum;
pub mod oscillators;
pub mod trend;
pub mod volatility;
pub mod volume;

pub use average::{Dema, Ema, EmaSeed, Kama, Sma, Tema, Wma};
pub use momentum::{Macd, MacdValue, Roc, Rsi};
pub use oscillators::{Cci, Stoch, StochValue, WillR};
pub use trend::Adx;
pub use volatility::{Atr, BandsValue, Bollinger, Natr, StdDev};
pub use volume::{Mfi, Obv, Vwap};

/// A streaming indicator: one input at a time, a value once it has one.
pub trait Indicator {
    /// What it reads: a price, a bar, or a bar with its open time.
    type Input: Copy;
    /// What it gives.
    type Output;
    /// Takes the next input.
    fn next(&mut self, input: Self::Input) -> Result<Option<Self::Output>, IndicatorError>;
}

/// Runs `indicator` over `inputs`: one value (or `None` in its lookback)
/// per input, the same values the stream gives.
pub fn batch<I: Indicator>(
    mut indicator: I,
    inputs: impl IntoIterator<Item = I::Input>,
) -> Result<Vec<Option<I::Output>>, IndicatorError> {
    inputs.into_iter().map(|x| indicator.next(x)).collect()
}

macro_rules! on_prices {
    ($($t:ty => $out:ty),* $(,)?) => {$(
        impl Indicator for $t {
            type Input = f64;
            type Output = $out;
            fn next(&mut self, x: f64) -> Result<Option<$out>, IndicatorError> {
                self.update(x)
            }
        }
    )*};
}

macro_rules! on_bars {
    ($($t:ty => $out:ty),* $(,)?) => {$(
        impl Indicator for $t {
            type Input = Bar;
            type Output = $out;
            fn next(&mut self, bar: Bar) -> Result<Option<$out>, IndicatorError> {
                self.update(&bar)
            }
        }
    )*};
}

on_prices!(
    Sma => f64, Ema => f64, Wma => f64, Dema => f64, Tema => f64, Kama => f64,
    Rsi => f64, Macd => MacdValue, Roc => f64, StdDev => f64, Bollinger => BandsValue,
);
on_bars!(
    Atr => f64, Natr => f64, Stoch => StochValue, WillR => f64, Cci => f64, Adx => f64,
    Obv => f64, Mfi => f64,
);

impl Indicator for Vwap {
    type Input = (u64, Bar);
    type Output = f64;
    fn next(&mut self, (open_ns, bar): (u64, Bar)) -> Result<Option<f64>, IndicatorError> {
        self.update(open_ns, &bar)
    }
}

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
        // A wrap by comparison: a `%` is a division on every input.
        self.next += 1;
        if self.next == self.values.len() {
            self.next = 0;
        }
        if self.len < self.values.len() {
            self.len += 1;
        }
        out
    }

    /// The oldest value.
    fn oldest(&self) -> Option<f64> {
        match self.len {
            0 => None,
            n if n == self.values.len() => Some(self.values[self.next]),
            _ => Some(self.values[0]),
        }
    }

    /// The newest value.
    fn newest(&self) -> Option<f64> {
        (self.len > 0).then(|| {
            let last = if self.next == 0 {
                self.values.len() - 1
            } else {
                self.next - 1
            };
            self.values[last]
        })
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
