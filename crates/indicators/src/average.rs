//! Moving averages: simple, exponential, weighted, double and triple
//! exponential, and Kaufman's adaptive.

use crate::{IndicatorError, Window, finite, period};

/// Simple moving average of the last `n` inputs; the first value comes with
/// the `n`th input. The running total is kept in TA-Lib's order (add the
/// new input, divide, then drop the oldest), so the values are its own to
/// the bit.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Window,
    /// The sum of the inputs still in the window after the last value.
    total: f64,
    n: f64,
}

impl Sma {
    /// An SMA of `n` inputs.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("SMA", n)?;
        Ok(Self {
            window: Window::new(n),
            total: 0.0,
            n: n as f64,
        })
    }

    /// Takes the next input; the average once `n` have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("SMA", x)?;
        self.window.push(x);
        self.total += x;
        if !self.window.is_full() {
            return Ok(None);
        }
        let value = self.total / self.n;
        // The oldest input leaves before the next one comes.
        self.total -= self.window.oldest().unwrap_or(0.0);
        Ok(Some(value))
    }
}

/// How an EMA starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmaSeed {
    /// From the SMA of the first `n` inputs, its first value with the `n`th
    /// (TA-Lib).
    #[default]
    Sma,
    /// From the first input, a value from the first on (NautilusTrader).
    First,
}

/// Exponential moving average with weight `2 / (n + 1)` on each new input.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Ema {
    k: f64,
    n: usize,
    seed: EmaSeed,
    /// Inputs summed while seeding from their SMA.
    seeding: f64,
    count: usize,
    value: Option<f64>,
}

impl Ema {
    /// An EMA of period `n`, started as `seed` says.
    pub fn new(n: usize, seed: EmaSeed) -> Result<Self, IndicatorError> {
        let n = period("EMA", n)?;
        Ok(Self {
            k: 2.0 / (n as f64 + 1.0),
            n,
            seed,
            seeding: 0.0,
            count: 0,
            value: None,
        })
    }

    /// Takes the next input; the average once it has one.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("EMA", x)?;
        self.count += 1;
        self.value = match (self.value, self.seed) {
            // TA-Lib's step, in its order of operations.
            (Some(prev), _) => Some((x - prev) * self.k + prev),
            (None, EmaSeed::First) => Some(x),
            (None, EmaSeed::Sma) => {
                self.seeding += x;
                (self.count == self.n).then(|| self.seeding / self.n as f64)
            }
        };
        Ok(self.value)
    }

    /// The current value, if there is one.
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// Whether `n` inputs have come, whatever the seeding: NautilusTrader's
    /// "initialized", after which a first-value EMA is trusted.
    pub fn is_warm(&self) -> bool {
        self.count >= self.n
    }
}

/// Linearly weighted moving average of the last `n` inputs (weights 1 to
/// `n`, newest heaviest), kept as TA-Lib 0.8 keeps it: a running weighted
/// sum and a running plain sum, the oldest input leaving one step late,
/// both summed afresh from the window every `8n` values so rounding cannot
/// drift.
#[derive(Clone, Debug)]
pub struct Wma {
    window: Window,
    n: f64,
    divider: f64,
    /// Values until the sums are rebuilt.
    until_reseed: usize,
    /// Σ of the window's inputs (before the trailing one leaves).
    sub: f64,
    /// Σ of weight × input.
    sum: f64,
    trailing: f64,
}

impl Wma {
    /// A WMA of `n` inputs.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("WMA", n)?;
        Ok(Self {
            window: Window::new(n),
            n: n as f64,
            divider: (n * (n + 1) / 2) as f64,
            until_reseed: 8 * n,
            sub: 0.0,
            sum: 0.0,
            trailing: 0.0,
        })
    }

    /// Takes the next input; the average once `n` have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("WMA", x)?;
        if self.n == 1.0 {
            return Ok(Some(x));
        }
        self.window.push(x);
        if !self.window.is_full() {
            self.sub += x;
            self.sum += x * self.window.len as f64;
            return Ok(None);
        }
        self.sub += x;
        self.sub -= self.trailing;
        self.sum += x * self.n;
        self.until_reseed -= 1;
        if self.until_reseed == 0 {
            self.until_reseed = 8 * self.window.len;
            (self.sub, self.sum) = (0.0, 0.0);
            for (weight, v) in self.window.iter().enumerate() {
                self.sub += v;
                self.sum += v * (weight + 1) as f64;
            }
        }
        // The oldest in the window leaves at the next input.
        self.trailing = self.window.oldest().unwrap_or(0.0);
        let value = self.sum / self.divider;
        self.sum -= self.sub;
        Ok(Some(value))
    }
}

/// An EMA step as TA-Lib 0.8.1 takes it inside DEMA and TEMA: the change
/// rounded, then one fused multiply-add.
fn ema_step(prev: f64, x: f64, k: f64) -> f64 {
    (x - prev).mul_add(k, prev)
}

/// An EMA of EMAs, seeded as TA-Lib seeds DEMA and TEMA: each stage's
/// seed is the mean of the first `n` values of the stage before it.
#[derive(Clone, Debug)]
struct EmaChain<const D: usize> {
    n: usize,
    k: f64,
    values: [f64; D],
    /// Stages with a value so far.
    ready: usize,
    seeding: f64,
    count: usize,
}

impl<const D: usize> EmaChain<D> {
    fn new(n: usize) -> Self {
        Self {
            n,
            k: 2.0 / (n as f64 + 1.0),
            values: [0.0; D],
            ready: 0,
            seeding: 0.0,
            count: 0,
        }
    }

    /// Takes an input; whether every stage has a value.
    fn update(&mut self, x: f64) -> bool {
        for stage in 0..self.ready {
            let input = if stage == 0 {
                x
            } else {
                self.values[stage - 1]
            };
            self.values[stage] = ema_step(self.values[stage], input, self.k);
        }
        if self.ready < D {
            // The next stage is seeding on the last stage's value (or x).
            let input = if self.ready == 0 {
                x
            } else {
                self.values[self.ready - 1]
            };
            self.seeding += input;
            self.count += 1;
            if self.count == self.n {
                self.values[self.ready] = self.seeding / self.n as f64;
                self.ready += 1;
                (self.seeding, self.count) = (0.0, 0);
                if self.ready < D {
                    // The new stage's first value seeds the next one.
                    self.seeding += self.values[self.ready - 1];
                    self.count = 1;
                    if self.count == self.n {
                        self.values[self.ready] = self.seeding;
                        self.ready += 1;
                    }
                }
            }
        }
        self.ready == D
    }
}

/// Double exponential moving average, `2·EMA − EMA(EMA)`: its first value
/// with input `2(n − 1) + 1`.
#[derive(Clone, Debug)]
pub struct Dema {
    chain: EmaChain<2>,
}

impl Dema {
    /// A DEMA of period `n`.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            chain: EmaChain::new(period("DEMA", n)?),
        })
    }

    /// Takes the next input; the value once both averages have started.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("DEMA", x)?;
        let ready = self.chain.update(x);
        let [e1, e2] = self.chain.values;
        Ok(ready.then_some((2.0 * e1) - e2))
    }
}

/// Triple exponential moving average, `3·EMA − 3·EMA² + EMA³`: its first
/// value with input `3(n − 1) + 1`.
#[derive(Clone, Debug)]
pub struct Tema {
    chain: EmaChain<3>,
}

impl Tema {
    /// A TEMA of period `n`.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            chain: EmaChain::new(period("TEMA", n)?),
        })
    }

    /// Takes the next input; the value once all three averages have started.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("TEMA", x)?;
        if self.chain.n == 1 {
            return Ok(Some(x));
        }
        let ready = self.chain.update(x);
        let [e1, e2, e3] = self.chain.values;
        Ok(ready.then_some(e3 + ((3.0 * e1) - (3.0 * e2))))
    }
}

/// Kaufman's adaptive moving average over `n` changes, with TA-Lib's fast
/// and slow ends (2 and 30): its smoothing follows the efficiency ratio,
/// net move over the path travelled. First value with input `n + 1`.
#[derive(Clone, Debug)]
pub struct Kama {
    /// The last `n + 1` inputs.
    window: Window,
    n: usize,
    /// Σ |1-step changes| over the window.
    path: f64,
    value: Option<f64>,
}

impl Kama {
    const FAST: f64 = 2.0 / (2.0 + 1.0);
    const SLOW: f64 = 2.0 / (30.0 + 1.0);

    /// A KAMA over `n` changes.
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("KAMA", n)?;
        Ok(Self {
            window: Window::new(n + 1),
            n,
            path: 0.0,
            value: None,
        })
    }

    /// Takes the next input; the value once `n` changes have come.
    pub fn update(&mut self, x: f64) -> Result<Option<f64>, IndicatorError> {
        let x = finite("KAMA", x)?;
        if self.n == 1 {
            // TA-Lib's period 1 copies its input.
            return Ok(Some(x));
        }
        let previous = self.window.newest();
        let left = self.window.push(x);
        let Some(previous) = previous else {
            return Ok(None);
        };
        match left {
            // Seeding: TA-Lib sums the changes oldest first.
            None => {
                self.path += (previous - x).abs();
                if !self.window.is_full() {
                    return Ok(None);
                }
            }
            Some(old) => {
                let after_old = self.window.oldest().unwrap_or(old);
                self.path -= (old - after_old).abs();
                self.path += (x - previous).abs();
            }
        }
        let oldest = self.window.oldest().unwrap_or(x);
        let net = x - oldest;
        let ratio = if self.path <= net || (-1e-14 < self.path && self.path < 1e-14) {
            1.0
        } else {
            (net / self.path).abs()
        };
        // Fused as TA-Lib 0.8.1 fuses them.
        let mut smoothing = ratio.mul_add(Self::FAST - Self::SLOW, Self::SLOW);
        smoothing *= smoothing;
        let prev = self.value.unwrap_or(previous);
        let value = (x - prev).mul_add(smoothing, prev);
        self.value = Some(value);
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn averages_start_where_their_seeds_say() {
        let mut sma = Sma::new(3).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0]
            .map(|x| sma.update(x).unwrap())
            .to_vec();
        assert_eq!(out, [None, None, Some(2.0), Some(3.0)]);
        let mut ema = Ema::new(3, EmaSeed::Sma).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 5.0]
            .map(|x| ema.update(x).unwrap())
            .to_vec();
        assert_eq!(out, [None, None, Some(2.0), Some(3.5)]);
        let mut first = Ema::new(3, EmaSeed::First).unwrap();
        assert_eq!(first.update(4.0).unwrap(), Some(4.0));
        assert_eq!(first.update(6.0).unwrap(), Some(5.0));
    }

    #[test]
    fn bad_periods_and_inputs_are_refused() {
        assert!(matches!(Sma::new(0), Err(IndicatorError::Period { .. })));
        let mut sma = Sma::new(2).unwrap();
        sma.update(1.0).unwrap();
        assert_eq!(sma.update(f64::NAN), Err(IndicatorError::NotFinite("SMA")));
        // Unchanged by the refused input.
        assert_eq!(sma.update(3.0).unwrap(), Some(2.0));
    }
}
