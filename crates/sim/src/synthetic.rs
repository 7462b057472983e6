//! Seeded synthetic trades: a market's tape made up, the same for a seed on
//! every machine, for benchmarks and side-by-side runs with other engines
//! at sizes no bundled recording reaches.
//!
//! The price walks in ticks under a drift that changes sign now and then,
//! so bars trend and turn; gaps between trades are exponential (ms, as
//! Binance stamps them, several trades often in one ms); sizes are
//! exponential in lots; the aggressor is the side the price moved to.

use kestrel_model::{EventTime, InstrumentId, Price, Qty, Side, Trade, UnixNanos};

use crate::rng::SplitMix64;

/// What the tape looks like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticSpec {
    /// Seed: the same seed, the same tape.
    pub seed: u64,
    /// The first trade's time.
    pub start: UnixNanos,
    /// The first trade's price.
    pub price: Price,
    /// Mean gap between trades, ms.
    pub mean_gap_ms: f64,
    /// Mean size, lots.
    pub mean_lots: f64,
    /// Largest move of one trade, ticks.
    pub max_step_ticks: i64,
    /// Mean trades between the drift's turns.
    pub mean_trend_trades: f64,
}

impl SyntheticSpec {
    /// An ETHUSDT-like tape (the `ema_cross` comparison's): 3000.00 on a
    /// 0.01 tick from 2024-01-01 00:00 UTC, a trade every 50 ms on
    /// average, 30 lots on average, moves of up to 3 ticks, the drift
    /// turning every 20,000 trades on average.
    pub fn ethusdt(seed: u64) -> Self {
        Self {
            seed,
            start: UnixNanos::from_millis(1_704_067_200_000),
            price: Price::from_ticks(300_000),
            mean_gap_ms: 50.0,
            mean_lots: 30.0,
            max_step_ticks: 3,
            mean_trend_trades: 20_000.0,
        }
    }
}

/// The trades of a [`SyntheticSpec`], as an endless iterator.
#[derive(Clone, Debug)]
pub struct SyntheticTrades {
    spec: SyntheticSpec,
    instrument: InstrumentId,
    rng: SplitMix64,
    price: i64,
    at_ms: u64,
    next_id: u64,
    /// +1 or −1.
    drift: i64,
}

impl SyntheticTrades {
    /// Trades of `instrument` as `spec` says.
    pub fn new(instrument: InstrumentId, spec: SyntheticSpec) -> Self {
        Self {
            instrument,
            rng: SplitMix64::new(spec.seed),
            price: spec.price.ticks(),
            at_ms: spec.start.as_nanos() / 1_000_000,
            next_id: 1,
            drift: 1,
            spec,
        }
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Exponential with mean `mean`.
    fn exponential(&mut self, mean: f64) -> f64 {
        -self.unit().ln() * mean
    }
}

impl Iterator for SyntheticTrades {
    type Item = Trade;

    fn next(&mut self) -> Option<Trade> {
        if self.unit() < 1.0 / self.spec.mean_trend_trades.max(1.0) {
            self.drift = -self.drift;
        }
        self.at_ms += self.exponential(self.spec.mean_gap_ms) as u64;
        // Up a little more often than down along the drift.
        let u = self.unit();
        let up = 0.15 + 0.02 * self.drift as f64;
        let down = 0.15 - 0.02 * self.drift as f64;
        let size = 1 + self.rng.below(self.spec.max_step_ticks.max(1) as usize) as i64;
        let (step, aggressor) = if u < up {
            (size, Side::Buy)
        } else if u < up + down {
            (-size, Side::Sell)
        } else if self.rng.below(2) == 0 {
            (0, Side::Buy)
        } else {
            (0, Side::Sell)
        };
        // Prices stay above one tick.
        self.price = (self.price + step).max(1);
        let lots = 1 + self.exponential(self.spec.mean_lots - 1.0) as u64;
        let at = UnixNanos::from_millis(self.at_ms);
        let trade = Trade {
            instrument: self.instrument,
            trade_id: self.next_id,
            price: Price::from_ticks(self.price),
            qty: Qty::from_lots(lots),
            aggressor: Some(aggressor),
            time: EventTime {
                exchange: at,
                local: at,
            },
        };
        self.next_id += 1;
        Some(trade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> SyntheticSpec {
        SyntheticSpec::ethusdt(seed)
    }

    #[test]
    fn a_seed_makes_one_tape_with_time_going_forward() {
        let id = kestrel_model::testing::instrument("0.01", "0.001").id;
        let a: Vec<_> = SyntheticTrades::new(id, spec(7)).take(10_000).collect();
        let b: Vec<_> = SyntheticTrades::new(id, spec(7)).take(10_000).collect();
        assert_eq!(a, b);
        assert_ne!(
            a,
            SyntheticTrades::new(id, spec(8))
                .take(10_000)
                .collect::<Vec<_>>()
        );
        assert!(
            a.windows(2)
                .all(|w| w[0].time.exchange <= w[1].time.exchange)
        );
        assert!(a.iter().all(|t| t.price.ticks() > 0 && t.qty.lots() > 0));
        let span_s = a[9_999].time.exchange.nanos_since(a[0].time.exchange) as f64 / 1e9;
        assert!(
            (300.0..700.0).contains(&span_s),
            "about 50 ms a trade: {span_s} s"
        );
    }
}
