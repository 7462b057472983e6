//! `sma_cross`: the fast/slow moving-average crossover, on bar closes.
//!
//! When the fast average crosses above the slow one, the strategy closes
//! its position and goes long with everything; when it crosses below, it
//! closes and goes short. A cross is strict on both bars, as
//! backtesting.py's `crossover` has it: `fast[-2] < slow[-2]` and
//! `fast[-1] > slow[-1]`. Orders are market orders; a bar backtest fills
//! them at the next bar's open.

use std::collections::VecDeque;

use kestrel_model::{Bar, InstrumentIndex, Side};

use crate::api::{Context, NewOrder, Size, Strategy};

/// A simple moving average of the last `n` values, summed afresh over the
/// window each time (n is small) so it agrees with a straightforward
/// rolling mean to the last bit.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Sma {
    n: usize,
    window: VecDeque<f64>,
}

impl Sma {
    fn new(n: usize) -> Self {
        Self {
            n: n.max(1),
            window: VecDeque::with_capacity(n.max(1)),
        }
    }

    fn push(&mut self, x: f64) -> Option<f64> {
        if self.window.len() == self.n {
            self.window.pop_front();
        }
        self.window.push_back(x);
        (self.window.len() == self.n).then(|| self.window.iter().sum::<f64>() / self.n as f64)
    }
}

/// The crossover strategy.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SmaCross {
    fast: Sma,
    slow: Sma,
    /// (fast, slow) at the previous bar, once both exist.
    previous: Option<(f64, f64)>,
}

/// What a bar's averages call for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Cross {
    /// Fast crossed above slow.
    Up,
    /// Fast crossed below slow.
    Down,
}

impl SmaCross {
    /// With `fast` and `slow` bar windows (backtesting.py's example: 10, 20).
    pub fn new(fast: usize, slow: usize) -> Self {
        Self {
            fast: Sma::new(fast),
            slow: Sma::new(slow),
            previous: None,
        }
    }

    /// Feeds a close; the cross it completes, if any.
    pub fn on_close(&mut self, close: f64) -> Option<Cross> {
        let (fast, slow) = (self.fast.push(close), self.slow.push(close));
        let (Some(fast), Some(slow)) = (fast, slow) else {
            return None;
        };
        let cross = match self.previous {
            Some((pf, ps)) if pf < ps && fast > slow => Some(Cross::Up),
            Some((pf, ps)) if pf > ps && fast < slow => Some(Cross::Down),
            _ => None,
        };
        self.previous = Some((fast, slow));
        cross
    }
}

impl Strategy for SmaCross {
    /// Bars only: it never reads the book.
    fn book_depth(&self) -> Option<usize> {
        Some(0)
    }

    fn on_bar(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, bar: &Bar) {
        let Ok(tick) = ctx.instrument(instrument).map(|i| i.tick) else {
            return;
        };
        let close = tick.to_f64(bar.close.ticks());
        let side = match self.on_close(close) {
            Some(Cross::Up) => Side::Buy,
            Some(Cross::Down) => Side::Sell,
            None => return,
        };
        ctx.close_position(instrument);
        // A refusal is journaled with its reason; the strategy waits for
        // the next cross.
        let _ = ctx.place(NewOrder::market(instrument, side, Size::AllIn));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_are_strict_on_both_bars() {
        let mut s = SmaCross::new(2, 3);
        // Closes 5,4,3: fast 3.5 < slow 4 at the third bar (first with both).
        assert_eq!(s.on_close(5.0), None);
        assert_eq!(s.on_close(4.0), None);
        assert_eq!(s.on_close(3.0), None);
        // 6: fast (3+6)/2 = 4.5 > slow (4+3+6)/3 = 4.33: crossed up.
        assert_eq!(s.on_close(6.0), Some(Cross::Up));
        // Still above: no new cross.
        assert_eq!(s.on_close(7.0), None);
        // 1: fast 4 < slow 4.67: crossed down.
        assert_eq!(s.on_close(1.0), Some(Cross::Down));
        // Touching without crossing is not a cross: fast == slow, then below.
        let mut t = SmaCross::new(1, 2);
        t.on_close(2.0);
        assert_eq!(t.on_close(2.0), None, "fast 2 == slow 2");
        assert_eq!(t.on_close(3.0), None, "previous bar was equal, not below");
    }
}
