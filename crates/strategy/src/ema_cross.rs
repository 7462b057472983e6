//! `ema_cross`: a fast and a slow EMA of bar closes, always in the market
//! on the side the fast one is (NautilusTrader's `EMACross` example, rule
//! for rule, so the two can be run side by side on the same trades).
//!
//! On each closed bar of its spec, once both EMAs have seen `slow` closes
//! and unless the bar is a single price (no information): fast ≥ slow
//! calls for long, fast < slow for short. Flat, it enters with a market
//! order of `qty`; on the other side, it closes and enters. So it reverses
//! on every cross after its first entry. With a market order still
//! unfilled it waits.

use kestrel_indicators::{Ema, EmaSeed};
use kestrel_model::{Bar, BarSpec, InstrumentIndex, Qty, Side};

use crate::api::{Context, NewOrder, Size, Strategy};

/// `ema_cross`'s settings.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmaCrossConfig {
    /// The bars it reads, built from trades.
    pub bar: BarSpec,
    /// Fast EMA period, bars.
    pub fast: usize,
    /// Slow EMA period, bars.
    pub slow: usize,
    /// How the EMAs start: NautilusTrader's is the first close.
    pub seed: EmaSeed,
    /// Order size.
    pub qty: Qty,
}

/// The strategy.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EmaCross {
    config: EmaCrossConfig,
    bars: [BarSpec; 1],
    fast: Ema,
    slow: Ema,
    /// Times the fast EMA changed sides of the slow one, once both are warm.
    crossings: u64,
    /// The side the fast EMA was on at the last warm bar.
    last_side: Option<Side>,
}

impl EmaCross {
    /// The strategy; refused for an EMA period of zero or one too long.
    pub fn new(config: EmaCrossConfig) -> Result<Self, kestrel_indicators::IndicatorError> {
        Ok(Self {
            bars: [config.bar],
            fast: Ema::new(config.fast, config.seed)?,
            slow: Ema::new(config.slow, config.seed)?,
            config,
            crossings: 0,
            last_side: None,
        })
    }

    /// Crossings seen so far (the first warm bar sets a side, not a cross).
    pub fn crossings(&self) -> u64 {
        self.crossings
    }

    /// Feeds a close; the side the EMAs call for, once both are warm.
    fn on_close(&mut self, close: f64) -> Option<Side> {
        let (fast, slow) = (self.fast.update(close).ok()?, self.slow.update(close).ok()?);
        if !(self.fast.is_warm() && self.slow.is_warm()) {
            return None;
        }
        let side = if fast? >= slow? {
            Side::Buy
        } else {
            Side::Sell
        };
        if self.last_side.is_some_and(|last| last != side) {
            self.crossings += 1;
        }
        self.last_side = Some(side);
        Some(side)
    }
}

impl Strategy for EmaCross {
    fn book_depth(&self) -> Option<usize> {
        Some(0)
    }

    fn bars(&self) -> &[BarSpec] {
        &self.bars
    }

    fn on_bar(&mut self, ctx: &mut dyn Context, instrument: InstrumentIndex, bar: &Bar) {
        if bar.spec != self.config.bar {
            return;
        }
        let Ok(tick) = ctx.instrument(instrument).map(|i| i.tick) else {
            return;
        };
        let Some(side) = self.on_close(tick.to_f64(bar.close.ticks())) else {
            return;
        };
        let single_price = bar.high == bar.low;
        if single_price || !ctx.open_orders().is_empty() {
            return;
        }
        let position = ctx.position_lots(instrument);
        let against = match side {
            Side::Buy => position < 0,
            Side::Sell => position > 0,
        };
        if against {
            ctx.close_position(instrument);
        } else if position != 0 {
            return;
        }
        // A refusal is journaled with its reason; the next bar tries again.
        let _ = ctx.place(NewOrder::market(
            instrument,
            side,
            Size::Qty(self.config.qty),
        ));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn strategy(seed: EmaSeed) -> EmaCross {
        EmaCross::new(EmaCrossConfig {
            bar: BarSpec::MINUTE,
            fast: 2,
            slow: 3,
            seed,
            qty: Qty::from_lots(1),
        })
        .unwrap()
    }

    #[test]
    fn it_waits_for_both_emas_then_follows_the_fast_one() {
        let mut s = strategy(EmaSeed::First);
        assert_eq!(s.on_close(10.0), None);
        assert_eq!(s.on_close(11.0), None);
        // Third close: both warm; rising, the fast EMA is above.
        assert_eq!(s.on_close(12.0), Some(Side::Buy));
        assert_eq!(s.on_close(13.0), Some(Side::Buy));
        assert_eq!(s.on_close(5.0), Some(Side::Sell));
        assert_eq!(s.crossings(), 1);
    }

    #[test]
    fn a_sma_seeded_ema_starts_later_in_value_not_in_warmth() {
        let mut s = strategy(EmaSeed::Sma);
        assert_eq!(s.on_close(10.0), None);
        assert_eq!(s.on_close(11.0), None);
        assert_eq!(s.on_close(12.0), Some(Side::Buy));
    }
}
