//! Range oscillators: the stochastic, Williams %R and the commodity
//! channel index.

use crate::{Bar, IndicatorError, Sma, Window, finite, period};

/// The highest and lowest of the last `n` values, by two monotonic queues
/// in fixed rings: amortised O(1) a value, no allocation after
/// construction.
#[derive(Clone, Debug)]
struct Extremes {
    n: u64,
    count: u64,
    highs: Monotonic,
    lows: Monotonic,
}

/// A queue of (index, value) whose values only fall (or only rise).
#[derive(Clone, Debug)]
struct Monotonic {
    at: Vec<u64>,
    values: Vec<f64>,
    head: usize,
    len: usize,
}

impl Monotonic {
    fn new(n: usize) -> Self {
        Self {
            at: vec![0; n],
            values: vec![0.0; n],
            head: 0,
            len: 0,
        }
    }

    /// The ring slot of the `i`th queued value (`i` < the ring's size).
    fn slot(&self, i: usize) -> usize {
        let slot = self.head + i;
        if slot >= self.values.len() {
            slot - self.values.len()
        } else {
            slot
        }
    }

    /// Adds value `x` at `index`, dropping the values it outranks
    /// (`outranks(x, old)`) and those older than `oldest`.
    fn push(&mut self, index: u64, x: f64, oldest: u64, outranks: fn(f64, f64) -> bool) {
        // Out of the window first, so the ring always has room.
        while self.len > 0 && self.at[self.head] < oldest {
            self.head = self.slot(1);
            self.len -= 1;
        }
        while self.len > 0 && outranks(x, self.values[self.slot(self.len - 1)]) {
            self.len -= 1;
        }
        let slot = self.slot(self.len);
        (self.at[slot], self.values[slot]) = (index, x);
        self.len += 1;
    }

    fn front(&self) -> f64 {
        self.values[self.head]
    }
}

impl Extremes {
    fn new(n: usize) -> Self {
        Self {
            n: n as u64,
            count: 0,
            highs: Monotonic::new(n),
            lows: Monotonic::new(n),
        }
    }

    /// Adds a bar's high and low; (highest, lowest) once `n` have come.
    fn push(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        let index = self.count;
        self.count += 1;
        let oldest = self.count.saturating_sub(self.n);
        self.highs.push(index, high, oldest, |x, old| x >= old);
        self.lows.push(index, low, oldest, |x, old| x <= old);
        (self.count >= self.n).then(|| (self.highs.front(), self.lows.front()))
    }
}

/// The bar's high, low and close, checked.
fn hlc(name: &'static str, bar: &Bar) -> Result<(f64, f64, f64), IndicatorError> {
    Ok((
        finite(name, bar.high)?,
        finite(name, bar.low)?,
        finite(name, bar.close)?,
    ))
}

/// One stochastic value: %K smoothed, and its average %D.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StochValue {
    /// Slow %K: the SMA of fast %K.
    pub k: f64,
    /// Slow %D: the SMA of slow %K.
    pub d: f64,
}

/// The stochastic oscillator as TA-Lib's `STOCH` with simple averages:
/// fast %K over `fast_k` bars is `100 · (close − lowest) / (highest −
/// lowest)` (0 for a flat window), slow %K its SMA over `slow_k`, %D that
/// one's SMA over `slow_d`.
#[derive(Clone, Debug)]
pub struct Stoch {
    extremes: Extremes,
    slow_k: Sma,
    slow_d: Sma,
}

impl Stoch {
    /// A stochastic of `fast_k`, `slow_k` and `slow_d` bars (TA-Lib's
    /// defaults: 5, 3, 3).
    pub fn new(fast_k: usize, slow_k: usize, slow_d: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            extremes: Extremes::new(period("STOCH", fast_k)?),
            slow_k: Sma::new(slow_k)?,
            slow_d: Sma::new(slow_d)?,
        })
    }

    /// Takes the next bar; %K and %D once both have started.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<StochValue>, IndicatorError> {
        let (high, low, close) = hlc("STOCH", bar)?;
        let Some((highest, lowest)) = self.extremes.push(high, low) else {
            return Ok(None);
        };
        // TA-Lib 0.8.1: a range within 1e-14 of the prices is flat.
        let range = highest - lowest;
        let fast = if range.abs() <= 1e-14 * (highest.abs() + lowest.abs()) {
            0.0
        } else {
            100.0 * ((close - lowest) / range)
        };
        let Some(k) = self.slow_k.update(fast)? else {
            return Ok(None);
        };
        Ok(self.slow_d.update(k)?.map(|d| StochValue { k, d }))
    }
}

/// Williams %R over `n` bars: `−100 · (highest − close) / (highest −
/// lowest)`, from −100 (close at the low) to 0; 0 for a flat window.
#[derive(Clone, Debug)]
pub struct WillR {
    extremes: Extremes,
}

impl WillR {
    /// A %R over `n` bars.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            extremes: Extremes::new(period("WILLR", n)?),
        })
    }

    /// Takes the next bar; %R once `n` have come.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (high, low, close) = hlc("WILLR", bar)?;
        Ok(self.extremes.push(high, low).map(|(highest, lowest)| {
            let range = highest - lowest;
            if range != 0.0 {
                -100.0 * ((highest - close) / range)
            } else {
                0.0
            }
        }))
    }
}

/// Commodity channel index over `n` bars: the typical price's distance
/// from its mean over 0.015 mean deviations. The mean deviation has no
/// running form, so each bar costs O(n), summed in TA-Lib's ring order.
#[derive(Clone, Debug)]
pub struct Cci {
    window: Window,
    n: f64,
}

impl Cci {
    /// A CCI over `n` bars.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("CCI", n)?;
        Ok(Self {
            window: Window::new(n),
            n: n as f64,
        })
    }

    /// Takes the next bar; the CCI once `n` have come.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (high, low, close) = hlc("CCI", bar)?;
        let typical = (high + low + close) / 3.0;
        self.window.push(typical);
        if !self.window.is_full() {
            return Ok(None);
        }
        let slots = &self.window.values;
        let mean = slots.iter().fold(0.0, |sum, &v| sum + v) / self.n;
        let deviation = slots.iter().fold(0.0, |sum, &v| sum + (v - mean).abs());
        let distance = typical - mean;
        Ok(Some(if distance != 0.0 && deviation != 0.0 {
            distance / (0.015 * (deviation / self.n))
        } else {
            0.0
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn extremes_follow_a_sliding_window() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
        let mut e = Extremes::new(3);
        for (i, &x) in xs.iter().enumerate() {
            let got = e.push(x, x);
            if i < 2 {
                assert_eq!(got, None);
                continue;
            }
            let w = &xs[i - 2..=i];
            let hi = w.iter().copied().fold(f64::MIN, f64::max);
            let lo = w.iter().copied().fold(f64::MAX, f64::min);
            assert_eq!(got, Some((hi, lo)), "{i}");
        }
    }

    #[test]
    fn williams_r_is_minus_100_at_the_low_and_0_when_flat() {
        let bar = |h: f64, l: f64, c: f64| Bar {
            high: h,
            low: l,
            close: c,
            ..Bar::default()
        };
        let mut w = WillR::new(2).unwrap();
        assert_eq!(w.update(&bar(10.0, 8.0, 9.0)).unwrap(), None);
        assert_eq!(w.update(&bar(11.0, 9.0, 8.0)).unwrap(), Some(-100.0));
        let mut flat = WillR::new(1).unwrap();
        assert_eq!(flat.update(&bar(5.0, 5.0, 5.0)).unwrap(), Some(0.0));
    }
}
