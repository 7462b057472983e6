//! Momentum: Wilder's RSI, MACD and the rate of change, seeded as TA-Lib
//! seeds them.

use crate::{IndicatorError, Window, finite, period};

/// TA-Lib's zero: sums this small are taken as none.
fn is_zero(x: f64) -> bool {
    -1e-8 < x && x < 1e-8
}

/// Wilder's relative strength index over `n` changes: the first value
/// comes with the `n + 1`th input, from the plain means of the first `n`
/// gains and losses; then each mean moves by `(mean · (n − 1) + new) / n`.
#[derive(Clone, Debug)]
pub struct Rsi {
    n: f64,
    period: usize,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    /// An RSI over `n` changes.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("RSI", n)?;
        Ok(Self {
            n: n as f64,
            period: n,
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        })
    }

    /// Takes the next input; the RSI (0 to 100) once `n` changes have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("RSI", x)?;
        let Some(prev) = self.prev.replace(x) else {
            return Ok(None);
        };
        let change = x - prev;
        self.changes += 1;
        if self.changes > self.period {
            self.gain *= self.n - 1.0;
            self.loss *= self.n - 1.0;
        }
        if change < 0.0 {
            self.loss -= change;
        } else {
            self.gain += change;
        }
        if self.changes < self.period {
            return Ok(None);
        }
        // TA-Lib 0.8.1 multiplies by 1/n where it once divided by n.
        let inverse = 1.0 / self.n;
        self.gain *= inverse;
        self.loss *= inverse;
        let sum = self.gain + self.loss;
        Ok(Some(if is_zero(sum) {
            0.0
        } else {
            100.0 * (self.gain / sum)
        }))
    }
}

/// One MACD value: the line, its signal and their difference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdValue {
    /// Fast EMA less slow EMA.
    pub macd: f64,
    /// EMA of the line.
    pub signal: f64,
    /// Line less signal.
    pub histogram: f64,
}

/// MACD as TA-Lib computes it: not two standalone EMAs. Both averages
/// start together with the slow one's first value (the `slow`th input),
/// the fast one seeded with the mean of the last `fast` inputs then; the
/// signal is an EMA of the line seeded with the mean of its first `signal`
/// values, so the first value comes with input `slow + signal − 1`.
#[derive(Clone, Debug)]
pub struct Macd {
    window: Window,
    fast_n: usize,
    k: [f64; 3],
    averages: Option<(f64, f64)>,
    signal_n: usize,
    signal_sum: f64,
    lines: usize,
    signal: Option<f64>,
}

impl Macd {
    /// A MACD of `fast` and `slow` periods (taken in either order, as
    /// TA-Lib does) and a `signal` period.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, IndicatorError> {
        let (fast, slow) = (period("MACD", fast)?, period("MACD", slow)?);
        let (fast, slow) = (fast.min(slow), fast.max(slow));
        let signal = period("MACD", signal)?;
        let k = |n: usize| 2.0 / (n as f64 + 1.0);
        Ok(Self {
            window: Window::new(slow),
            fast_n: fast,
            k: [k(fast), k(slow), k(signal)],
            averages: None,
            signal_n: signal,
            signal_sum: 0.0,
            lines: 0,
            signal: None,
        })
    }

    /// Takes the next input; the value once the signal has started.
    pub fn update(&mut self, x: f64) -> Result<Option<MacdValue>, IndicatorError> {
        let x = finite("MACD", x)?;
        let (fast, slow) = match self.averages {
            Some((fast, slow)) => ((x - fast) * self.k[0] + fast, (x - slow) * self.k[1] + slow),
            None => {
                self.window.push(x);
                if !self.window.is_full() {
                    return Ok(None);
                }
                let slow_n = self.window.len;
                let skip = slow_n - self.fast_n;
                // Summed oldest first, as TA-Lib seeds its averages.
                let slow = self.window.iter().sum::<f64>() / slow_n as f64;
                let fast = self.window.iter().skip(skip).sum::<f64>() / self.fast_n as f64;
                (fast, slow)
            }
        };
        self.averages = Some((fast, slow));
        let line = fast - slow;
        self.lines += 1;
        let signal = match self.signal {
            // TA-Lib 0.8.1 fuses the signal's step.
            Some(prev) => (line - prev).mul_add(self.k[2], prev),
            None => {
                self.signal_sum += line;
                if self.lines < self.signal_n {
                    return Ok(None);
                }
                self.signal_sum / self.signal_n as f64
            }
        };
        self.signal = Some(signal);
        Ok(Some(MacdValue {
            macd: line,
            signal,
            histogram: line - signal,
        }))
    }
}

/// Rate of change over `n` inputs, in percent: `(x / x₋ₙ − 1) · 100`, 0
/// where the old input is 0. First value with input `n + 1`.
#[derive(Clone, Debug)]
pub struct Roc {
    window: Window,
}

impl Roc {
    /// A ROC over `n` inputs.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            window: Window::new(period("ROC", n)? + 1),
        })
    }

    /// Takes the next input; the ROC once `n + 1` have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("ROC", x)?;
        self.window.push(x);
        if !self.window.is_full() {
            return Ok(None);
        }
        let old = self.window.oldest().unwrap_or(0.0);
        Ok(Some(if old != 0.0 {
            ((x / old) - 1.0) * 100.0
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
    fn rsi_of_steady_rises_is_100_and_of_a_flat_series_0() {
        let mut rsi = Rsi::new(3).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0]
            .map(|x| rsi.update(x).unwrap())
            .to_vec();
        assert_eq!(out, [None, None, None, Some(100.0), Some(100.0)]);
        let mut flat = Rsi::new(2).unwrap();
        let out: Vec<_> = [5.0; 4].map(|x| flat.update(x).unwrap()).to_vec();
        assert_eq!(out, [None, None, Some(0.0), Some(0.0)]);
    }

    #[test]
    fn macd_starts_with_its_signal() {
        let mut macd = Macd::new(3, 5, 2).unwrap();
        let out: Vec<_> = (1..=7)
            .map(|x| macd.update(f64::from(x)).unwrap().is_some())
            .collect();
        // The slow average's first value with input 5, the signal's with 6.
        assert_eq!(out, [false, false, false, false, false, true, true]);
    }
}
