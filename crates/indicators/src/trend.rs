//! Trend strength: Wilder's average directional index.

use crate::{Bar, IndicatorError, finite, period};

/// TA-Lib's zero for sums of this size.
fn is_zero(x: f64) -> bool {
    -1e-14 < x && x < 1e-14
}

/// Wilder's ADX over `n` bars, as TA-Lib computes it: directional
/// movements and true ranges summed over the first `n − 1` changes, then
/// smoothed by `s − s/n + new`; DX = 100·|−DI − +DI| / (−DI + +DI); the
/// first ADX the plain mean of `n` DX (a DX the zero guards skip counts as
/// 0), with bar `2n`; then `(adx·(n − 1) + dx) / n`.
#[derive(Clone, Debug)]
pub struct Adx {
    n: usize,
    /// The previous bar's high, low and close.
    prev: Option<(f64, f64, f64)>,
    changes: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    dx_sum: f64,
    value: Option<f64>,
}

impl Adx {
    /// An ADX over `n` bars (TA-Lib's default: 14).
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        Ok(Self {
            n: period("ADX", n)?,
            prev: None,
            changes: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            dx_sum: 0.0,
            value: None,
        })
    }

    /// Takes the next bar; the ADX once `2n` bars have come.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (high, low, close) = (
            finite("ADX high", bar.high)?,
            finite("ADX low", bar.low)?,
            finite("ADX close", bar.close)?,
        );
        let Some((prev_high, prev_low, prev_close)) = self.prev.replace((high, low, close)) else {
            return Ok(None);
        };
        let up = high - prev_high;
        let down = prev_low - low;
        let (plus, minus) = if down > 0.0 && up < down {
            (0.0, down)
        } else if up > 0.0 && up > down {
            (up, 0.0)
        } else {
            (0.0, 0.0)
        };
        let range = (high - low)
            .max((high - prev_close).abs())
            .max((low - prev_close).abs());
        self.changes += 1;
        let n = self.n as f64;
        if self.changes < self.n {
            self.plus_dm += plus;
            self.minus_dm += minus;
            self.tr += range;
            return Ok(None);
        }
        self.minus_dm -= self.minus_dm / n;
        self.plus_dm -= self.plus_dm / n;
        self.minus_dm += minus;
        self.plus_dm += plus;
        self.tr = self.tr - self.tr / n + range;
        let dx = (!is_zero(self.tr))
            .then(|| {
                let minus_di = 100.0 * (self.minus_dm / self.tr);
                let plus_di = 100.0 * (self.plus_dm / self.tr);
                let sum = minus_di + plus_di;
                (!is_zero(sum)).then(|| 100.0 * ((minus_di - plus_di).abs() / sum))
            })
            .flatten();
        self.value = match self.value {
            Some(adx) => Some(dx.map_or(adx, |dx| (adx * (n - 1.0) + dx) / n)),
            None => {
                self.dx_sum += dx.unwrap_or(0.0);
                (self.changes == 2 * self.n - 1).then(|| self.dx_sum / n)
            }
        };
        Ok(self.value)
    }
}
