//! Volatility: standard deviation, Bollinger bands and Wilder's ATR.

use crate::{Bar, IndicatorError, Sma, Window, finite, period};

/// Population standard deviation (÷ n) of the last `n` inputs, as TA-Lib
/// 0.8 computes it: running sums of the inputs' distances from a shift
/// near the window and of their squares, so the variance `mean(d²) −
/// mean(d)²` never subtracts two squares of the price level. The shift is
/// moved to the window's mean, and the sums rebuilt from the window, when
/// cancellation would cost digits, when a large value leaves, and every
/// `32n` inputs. O(1) an input between rebuilds.
#[derive(Clone, Debug)]
pub struct StdDev {
    window: Window,
    n: usize,
    inverse: f64,
    shift: f64,
    /// Σ d and Σ d² of the window less its oldest input.
    sum: f64,
    squares: f64,
    until_reseed: usize,
}

impl StdDev {
    /// A standard deviation of `n` inputs.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("STDDEV", n)?;
        Ok(Self {
            window: Window::new(n),
            n,
            inverse: 1.0 / n as f64,
            shift: 0.0,
            sum: 0.0,
            squares: 0.0,
            until_reseed: 32 * n,
        })
    }

    /// Takes the next input; σ once `n` have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("STDDEV", x)?;
        if self.window.len == 0 {
            self.shift = x;
        }
        self.window.push(x);
        let d = x - self.shift;
        self.sum += d;
        self.squares += d * d;
        if !self.window.is_full() {
            return Ok(None);
        }
        let mean = self.sum * self.inverse;
        let mut variance = self.squares * self.inverse - mean * mean;
        let oldest = self.window.oldest().unwrap_or(x);
        let d = oldest - self.shift;
        self.sum -= d;
        let leaving = d * d;
        self.squares -= leaving;
        self.until_reseed -= 1;
        if variance < 0.000001 * (self.squares * self.inverse)
            || leaving > 1_000_000.0 * self.squares
            || self.until_reseed == 0
        {
            variance = self.reseed();
        }
        Ok(Some(if variance < 1e-14 {
            0.0
        } else {
            variance.sqrt()
        }))
    }

    /// Moves the shift to the window's mean and sums the window afresh;
    /// the window's variance.
    fn reseed(&mut self) -> f64 {
        self.until_reseed = 32 * self.n;
        self.shift = self.window.iter().fold(0.0, |s, v| s + v) * self.inverse;
        (self.sum, self.squares) = (0.0, 0.0);
        for v in self.window.iter() {
            let d = v - self.shift;
            self.sum += d;
            self.squares += d * d;
        }
        let mean = self.sum * self.inverse;
        let variance = self.squares * self.inverse - mean * mean;
        let d = self.window.oldest().unwrap_or(0.0) - self.shift;
        self.sum -= d;
        self.squares -= d * d;
        variance
    }
}

/// Bollinger bands' three lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandsValue {
    /// Middle plus `k_up` σ.
    pub upper: f64,
    /// The SMA.
    pub middle: f64,
    /// Middle less `k_down` σ.
    pub lower: f64,
}

/// Bollinger bands: an SMA of `n` inputs and bands `k` population
/// standard deviations either side.
#[derive(Clone, Debug)]
pub struct Bollinger {
    sma: Sma,
    sd: StdDev,
    up: f64,
    down: f64,
}

impl Bollinger {
    /// Bands over `n` inputs, `up` and `down` σ from the middle.
    pub fn new(n: usize, up: f64, down: f64) -> Result<Self, IndicatorError> {
        Ok(Self {
            sma: Sma::new(n)?,
            sd: StdDev::new(n)?,
            up: finite("Bollinger width", up)?,
            down: finite("Bollinger width", down)?,
        })
    }

    /// Takes the next input; the bands once `n` have come.
    pub fn update(&mut self, x: f64) -> Result<Option<BandsValue>, IndicatorError> {
        let x = finite("Bollinger", x)?;
        let (middle, sd) = (self.sma.update(x)?, self.sd.update(x)?);
        Ok(middle.zip(sd).map(|(middle, sd)| BandsValue {
            upper: middle + self.up * sd,
            middle,
            lower: middle - self.down * sd,
        }))
    }
}

/// Wilder's average true range over `n` bars: the first value comes with
/// bar `n + 1`, the mean of the first `n` true ranges (each needs the bar
/// before); then `(atr · (n − 1) + tr) / n`.
#[derive(Clone, Debug)]
pub struct Atr {
    n: usize,
    prev_close: Option<f64>,
    ranges: usize,
    sum: f64,
    value: Option<f64>,
}

impl Atr {
    /// An ATR over `n` true ranges.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            n: period("ATR", n)?,
            prev_close: None,
            ranges: 0,
            sum: 0.0,
            value: None,
        })
    }

    /// Takes the next bar; the ATR once `n` true ranges have come.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (high, low, close) = (
            finite("ATR high", bar.high)?,
            finite("ATR low", bar.low)?,
            finite("ATR close", bar.close)?,
        );
        let Some(prev) = self.prev_close.replace(close) else {
            return Ok(None);
        };
        let range = (high - low)
            .max((prev - high).abs())
            .max((prev - low).abs());
        let n = self.n as f64;
        self.value = match self.value {
            // TA-Lib 0.8.1's step: old weight times the ATR, fused onto
            // the new weight times the range.
            Some(atr) => {
                let old = (n - 1.0) / n;
                Some(old.mul_add(atr, (1.0 - old) * range))
            }
            None => {
                self.ranges += 1;
                self.sum += range;
                (self.ranges == self.n).then(|| self.sum / n)
            }
        };
        Ok(self.value)
    }
}

/// Normalised ATR: Wilder's ATR as a percentage of the bar's close (0
/// for a close of zero), its first value with bar `n + 1`.
#[derive(Clone, Debug)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    /// A NATR over `n` true ranges.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            atr: Atr::new(period("NATR", n)?)?,
        })
    }

    /// Takes the next bar; the NATR once `n` true ranges have come.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let close = finite("NATR close", bar.close)?;
        let atr = self.atr.update(bar)?;
        Ok(atr.map(|atr| {
            if close != 0.0 {
                atr / close * 100.0
            } else {
                0.0
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_sliding_deviation_equals_the_two_pass_one() {
        let xs: Vec<f64> = (0..200)
            .map(|i| 100.0 + f64::from(i % 17) * 0.37 - f64::from(i % 5))
            .collect();
        let mut sd = StdDev::new(20).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let got = sd.update(x).unwrap();
            if i < 19 {
                assert_eq!(got, None);
                continue;
            }
            let w = &xs[i - 19..=i];
            let mean = w.iter().sum::<f64>() / 20.0;
            let want = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 20.0).sqrt();
            assert!((got.unwrap() - want).abs() < 1e-9, "{i}");
        }
    }

    #[test]
    fn atr_starts_after_n_true_ranges() {
        let mut atr = Atr::new(2).unwrap();
        let bar = |h: f64, l: f64, c: f64| Bar {
            high: h,
            low: l,
            close: c,
            ..Bar::default()
        };
        assert_eq!(atr.update(&bar(10.0, 8.0, 9.0)).unwrap(), None);
        assert_eq!(atr.update(&bar(11.0, 9.0, 10.0)).unwrap(), None);
        // True ranges 2 and 4: mean 3.
        assert_eq!(atr.update(&bar(12.0, 8.0, 11.0)).unwrap(), Some(3.0));
    }
}
