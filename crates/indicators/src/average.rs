//! Moving averages: simple and exponential.

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
        self.total -= self.window.iter().next().unwrap_or(0.0);
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
