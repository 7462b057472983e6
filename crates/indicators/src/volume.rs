//! Volume: on-balance volume, the money flow index and session VWAP.

use crate::{Bar, IndicatorError, Window, finite, period};

/// On-balance volume: from the first bar's volume (as TA-Lib starts it),
/// plus each bar's volume on a higher close, minus it on a lower one.
#[derive(Clone, Debug, Default)]
pub struct Obv {
    state: Option<(f64, f64)>,
}

impl Obv {
    /// An OBV.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next bar; the OBV, from the first bar on.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (close, volume) = (
            finite("OBV close", bar.close)?,
            finite("OBV volume", bar.volume)?,
        );
        let obv = match self.state {
            None => volume,
            Some((prev, obv)) if close > prev => obv + volume,
            Some((prev, obv)) if close < prev => obv - volume,
            Some((_, obv)) => obv,
        };
        self.state = Some((close, obv));
        Ok(Some(obv))
    }
}

/// Money flow index over `n` bars, as TA-Lib 0.8 computes it: each bar's
/// money flow (typical price × volume) counts as positive or negative by
/// its typical price's move, and as none when the move is within 1e-14 of
/// the two prices; MFI = 100 · positive / total (0 for no flow at all),
/// kept within 0 to 100. A whole window without flow zeroes the sums, so
/// their rounding residue cannot linger. First value with bar `n + 1`.
#[derive(Clone, Debug)]
pub struct Mfi {
    n: usize,
    /// Per bar in the window: positive and negative flow.
    positive: Window,
    negative: Window,
    prev_typical: Option<f64>,
    positive_sum: f64,
    negative_sum: f64,
    /// Bars in a row that brought no flow.
    idle: usize,
}

impl Mfi {
    /// An MFI over `n` bars (TA-Lib's default: 14).
    pub fn new(n: usize) -> Result<Self, IndicatorError> {
        let n = period("MFI", n)?;
        Ok(Self {
            n,
            positive: Window::new(n),
            negative: Window::new(n),
            prev_typical: None,
            positive_sum: 0.0,
            negative_sum: 0.0,
            idle: 0,
        })
    }

    /// Takes the next bar; the MFI once `n` moves have come.
    pub fn update(&mut self, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (high, low, close, volume) = (
            finite("MFI high", bar.high)?,
            finite("MFI low", bar.low)?,
            finite("MFI close", bar.close)?,
            finite("MFI volume", bar.volume)?,
        );
        let typical = (high + low + close) / 3.0;
        let Some(prev) = self.prev_typical.replace(typical) else {
            return Ok(None);
        };
        // The oldest leaves before the newest is added, as in TA-Lib.
        if self.positive.is_full() {
            self.positive_sum -= self.positive.oldest().unwrap_or(0.0);
            self.negative_sum -= self.negative.oldest().unwrap_or(0.0);
        }
        let change = typical - prev;
        let scale = typical.abs() + prev.abs();
        let flow = if change.abs() <= 1e-14 * scale {
            0.0
        } else {
            typical * volume
        };
        let (plus, minus) = if change < 0.0 {
            (0.0, flow)
        } else {
            (flow, 0.0)
        };
        self.positive.push(plus);
        self.negative.push(minus);
        self.positive_sum += plus;
        self.negative_sum += minus;
        self.idle = if flow == 0.0 { self.idle + 1 } else { 0 };
        if self.idle >= self.n {
            self.idle = self.n;
            (self.positive_sum, self.negative_sum) = (0.0, 0.0);
        }
        if !self.positive.is_full() {
            return Ok(None);
        }
        let total = self.positive_sum + self.negative_sum;
        let positive = self.positive_sum.clamp(0.0, total.max(0.0));
        Ok(Some(if total <= 0.0 {
            0.0
        } else {
            100.0 * (positive / total)
        }))
    }
}

/// Volume-weighted average price of the session so far: Σ typical price ×
/// volume over Σ volume, reset when a bar opens in a new session (sessions
/// of `session_ns` from the Unix epoch: a UTC day by default). TA-Lib has
/// no VWAP; this is the textbook one.
#[derive(Clone, Debug)]
pub struct Vwap {
    session_ns: u64,
    session: Option<u64>,
    value_sum: f64,
    volume_sum: f64,
}

impl Vwap {
    /// One UTC day.
    pub const DAY_NS: u64 = 86_400_000_000_000;

    /// A VWAP over sessions of `session_ns` (at least 1 ns).
    pub fn new(session_ns: u64) -> Self {
        Self {
            session_ns: session_ns.max(1),
            session: None,
            value_sum: 0.0,
            volume_sum: 0.0,
        }
    }

    /// Takes the next bar, opening at `open_ns`; the session's VWAP, once
    /// it has traded.
    pub fn update(&mut self, open_ns: u64, bar: &Bar) -> Result<Option<f64>, IndicatorError> {
        let (high, low, close, volume) = (
            finite("VWAP high", bar.high)?,
            finite("VWAP low", bar.low)?,
            finite("VWAP close", bar.close)?,
            finite("VWAP volume", bar.volume)?,
        );
        let session = open_ns / self.session_ns;
        if self.session != Some(session) {
            self.session = Some(session);
            (self.value_sum, self.volume_sum) = (0.0, 0.0);
        }
        self.value_sum += (high + low + close) / 3.0 * volume;
        self.volume_sum += volume;
        Ok((self.volume_sum > 0.0).then(|| self.value_sum / self.volume_sum))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn bar(c: f64, v: f64) -> Bar {
        Bar {
            open: c,
            high: c,
            low: c,
            close: c,
            volume: v,
        }
    }

    #[test]
    fn obv_starts_at_the_first_volume() {
        let mut obv = Obv::new();
        let out: Vec<_> = [
            bar(10.0, 5.0),
            bar(11.0, 2.0),
            bar(11.0, 9.0),
            bar(9.0, 4.0),
        ]
        .iter()
        .map(|b| obv.update(b).unwrap().unwrap())
        .collect();
        assert_eq!(out, [5.0, 7.0, 7.0, 3.0]);
    }

    #[test]
    fn vwap_weights_by_volume_and_resets_each_session() {
        let mut v = Vwap::new(Vwap::DAY_NS);
        assert_eq!(v.update(0, &bar(10.0, 1.0)).unwrap(), Some(10.0));
        assert_eq!(v.update(60, &bar(13.0, 3.0)).unwrap(), Some(12.25));
        assert_eq!(v.update(Vwap::DAY_NS, &bar(20.0, 1.0)).unwrap(), Some(20.0));
        let mut empty = Vwap::new(Vwap::DAY_NS);
        assert_eq!(empty.update(0, &bar(10.0, 0.0)).unwrap(), None);
    }
}
