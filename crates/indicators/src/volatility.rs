//! Volatility: standard deviation, Bollinger bands and Wilder's ATR.

use crate::{Bar, IndicatorError, Sma, Window, finite, period};

/// Population standard deviation (÷ n) of the last `n` inputs, kept by a
/// sliding-window Welford update: O(1) per input and without the
/// cancellation of the one-pass sum-of-squares formula.
#[derive(Clone, Debug)]
pub struct StdDev {
    window: Window,
    n: f64,
    mean: f64,
    /// Σ (x − mean)² over the window.
    m2: f64,
}

impl StdDev {
    /// A standard deviation of `n` inputs.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("STDDEV", n)?;
        Ok(Self {
            window: Window::new(n),
            n: n as f64,
            mean: 0.0,
            m2: 0.0,
        })
    }

    /// Takes the next input; σ once `n` have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("STDDEV", x)?;
        match self.window.push(x) {
            None => {
                // Growing: the plain Welford step.
                let count = self.window.len as f64;
                let delta = x - self.mean;
                self.mean += delta / count;
                self.m2 += delta * (x - self.mean);
            }
            Some(old) => {
                let mean = self.mean + (x - old) / self.n;
                self.m2 += (x - old) * (x - mean + old - self.mean);
                self.mean = mean;
            }
        }
        Ok(self
            .window
            .is_full()
            .then(|| (self.m2.max(0.0) / self.n).sqrt()))
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
            Some(atr) => Some((atr * (n - 1.0) + range) / n),
            None => {
                self.ranges += 1;
                self.sum += range;
                (self.ranges == self.n).then(|| self.sum / n)
            }
        };
        Ok(self.value)
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
