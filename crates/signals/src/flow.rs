//! Signals of what trades and order changes do: order-flow imbalance,
//! trade-flow imbalance, depth withdrawal and replenishment near the touch,
//! aggressive absorption at the best levels, and abnormal trade size. Each
//! update is O(1).

use kestrel_model::{Level, Price, Qty, Side, Trade, UnixNanos};

use crate::decay::{DecayedStats, DecayedSum};

/// Order-flow imbalance (Cont, Kukanov and Stoikov, 2014): each change of
/// the best levels adds
/// `e = 1{Pb ≥ Pb'}·qb − 1{Pb ≤ Pb'}·qb' − 1{Pa ≤ Pa'}·qa + 1{Pa ≥ Pa'}·qa'`
/// (primes are the previous best), summed with time decay. Positive means
/// buying pressure.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct OrderFlowImbalance {
    last: Option<(Level, Level)>,
    sum: DecayedSum,
}

impl OrderFlowImbalance {
    /// With contributions halving every `half_life_ns`.
    pub const fn new(half_life_ns: u64) -> Self {
        Self {
            last: None,
            sum: DecayedSum::new(half_life_ns),
        }
    }

    /// The best bid and ask after an update at `t`.
    pub fn on_top(&mut self, bid: Level, ask: Level, t: UnixNanos) {
        if let Some((pb, pa)) = self.last {
            let q = |l: Level| l.qty.lots() as f64;
            let mut e = 0.0;
            if bid.price >= pb.price {
                e += q(bid);
            }
            if bid.price <= pb.price {
                e -= q(pb);
            }
            if ask.price <= pa.price {
                e -= q(ask);
            }
            if ask.price >= pa.price {
                e += q(pa);
            }
            self.sum.add(e, t);
        }
        self.last = Some((bid, ask));
    }

    /// The decayed sum, in lots.
    pub fn value(&self) -> f64 {
        self.sum.value()
    }
}

/// `(buy − sell) / (buy + sell)` of aggressor volume, time-decayed.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct TradeFlow {
    buys: DecayedSum,
    sells: DecayedSum,
}

impl TradeFlow {
    /// With volumes halving every `half_life_ns`.
    pub const fn new(half_life_ns: u64) -> Self {
        Self {
            buys: DecayedSum::new(half_life_ns),
            sells: DecayedSum::new(half_life_ns),
        }
    }

    /// A trade print; one without an aggressor side is left out.
    pub fn on_trade(&mut self, trade: &Trade) {
        let t = trade.time.exchange;
        let q = trade.qty.lots() as f64;
        match trade.aggressor {
            Some(Side::Buy) => {
                self.buys.add(q, t);
                self.sells.add(0.0, t);
            }
            Some(Side::Sell) => {
                self.sells.add(q, t);
                self.buys.add(0.0, t);
            }
            None => {}
        }
    }

    /// The imbalance, once anything traded.
    pub fn imbalance(&self) -> Option<f64> {
        let (b, s) = (self.buys.value(), self.sells.value());
        (b + s > 0.0).then(|| (b - s) / (b + s))
    }
}

/// Size pulled from and added to the levels within `near_ticks` of the
/// touch, per side, time-decayed: liquidity withdrawing ahead of a move, or
/// refilling behind one.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct DepthChange {
    near_ticks: i64,
    withdrawn: [DecayedSum; 2],
    replenished: [DecayedSum; 2],
}

impl DepthChange {
    /// Counting levels within `near_ticks` of the best, halving every
    /// `half_life_ns`.
    pub const fn new(near_ticks: i64, half_life_ns: u64) -> Self {
        Self {
            near_ticks,
            withdrawn: [DecayedSum::new(half_life_ns); 2],
            replenished: [DecayedSum::new(half_life_ns); 2],
        }
    }

    /// Whether a change at `price` counts while the side's best is `best`.
    pub fn watches(&self, price: Price, best: Option<Price>) -> bool {
        best.is_some_and(|b| price.ticks().abs_diff(b.ticks()) <= self.near_ticks.unsigned_abs())
    }

    /// A level changed from `old` to `new` while the side's best was `best`.
    pub fn on_level(
        &mut self,
        side: Side,
        price: Price,
        old: Qty,
        new: Qty,
        best: Option<Price>,
        t: UnixNanos,
    ) {
        if !self.watches(price, best) {
            return;
        }
        let i = side as usize;
        if new < old {
            self.withdrawn[i].add((old.lots() - new.lots()) as f64, t);
        } else if new > old {
            self.replenished[i].add((new.lots() - old.lots()) as f64, t);
        }
    }

    /// Decayed size withdrawn near the touch on `side`, in lots.
    pub fn withdrawn(&self, side: Side) -> f64 {
        self.withdrawn[side as usize].value()
    }

    /// Decayed size added near the touch on `side`, in lots.
    pub fn replenished(&self, side: Side) -> f64 {
        self.replenished[side as usize].value()
    }
}

/// Aggressive volume absorbed by a best level that does not give way: per
/// side, what traded at the current best price since it became best. Large
/// absorption against a level that still stands shows hidden or refilling
/// liquidity.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Absorption {
    /// Per side: the best price being tracked and the volume absorbed there.
    at: [Option<(Price, u64)>; 2],
}

impl Absorption {
    /// The side's best changed (or not) to `best`.
    pub fn on_best(&mut self, side: Side, best: Option<Price>) {
        let slot = &mut self.at[side as usize];
        if slot.map(|(p, _)| p) != best {
            *slot = best.map(|p| (p, 0));
        }
    }

    /// A trade: a sell aggressor hits the bids, a buy aggressor lifts the asks.
    pub fn on_trade(&mut self, trade: &Trade) {
        let Some(aggressor) = trade.aggressor else {
            return;
        };
        if let Some((price, absorbed)) = &mut self.at[aggressor.opposite() as usize] {
            if *price == trade.price {
                *absorbed += trade.qty.lots();
            }
        }
    }

    /// Volume absorbed at `side`'s best, and that per lot still resting
    /// there (`qty` the level's size now); `None` without a best.
    pub fn absorbed(&self, side: Side, resting: Qty) -> Option<(u64, f64)> {
        let (_, absorbed) = self.at[side as usize]?;
        let ratio = absorbed as f64 / resting.lots().max(1) as f64;
        Some((absorbed, ratio))
    }
}

/// How unusual a trade's size is: its z-score against the decayed history
/// of trade sizes.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct TradeSizeZ {
    stats: DecayedStats,
    last: Option<f64>,
}

impl TradeSizeZ {
    /// With history halving every `half_life_ns`.
    pub const fn new(half_life_ns: u64) -> Self {
        Self {
            stats: DecayedStats::new(half_life_ns),
            last: None,
        }
    }

    /// A trade: scored against the history before it, then added to it.
    pub fn on_trade(&mut self, trade: &Trade) {
        let q = trade.qty.lots() as f64;
        self.last = self.stats.z_score(q);
        self.stats.add(q, trade.time.exchange);
    }

    /// The last trade's z-score.
    pub fn last(&self) -> Option<f64> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use kestrel_model::EventTime;

    use super::*;
    use crate::shape::tests::instrument;

    const NEVER: u64 = u64::MAX;

    fn lvl(p: i64, q: u64) -> Level {
        Level {
            price: Price::from_ticks(p),
            qty: Qty::from_lots(q),
        }
    }

    fn trade(p: i64, q: u64, aggressor: Side) -> Trade {
        Trade {
            instrument: instrument().id,
            trade_id: 1,
            price: Price::from_ticks(p),
            qty: Qty::from_lots(q),
            aggressor: Some(aggressor),
            time: EventTime::default(),
        }
    }

    #[test]
    fn ofi_follows_the_papers_cases() {
        let t = UnixNanos::new(0);
        let mut ofi = OrderFlowImbalance::new(NEVER);
        ofi.on_top(lvl(100, 10), lvl(101, 10), t);
        assert_eq!(ofi.value(), 0.0, "the first top sets the reference");
        // Bid size up 10 → 15 at the same price: +15 − 10 = +5; asks unchanged: −10 + 10.
        ofi.on_top(lvl(100, 15), lvl(101, 10), t);
        assert_eq!(ofi.value(), 5.0);
        // Bid improves to 101 with 4: +4 (nothing subtracted); ask moves up to 102 with 7: +10.
        ofi.on_top(lvl(101, 4), lvl(102, 7), t);
        assert_eq!(ofi.value(), 5.0 + 4.0 + 10.0);
        // Bid falls back to 100 with 9: −4 (the old best size); ask falls to 101 with 3: −3.
        ofi.on_top(lvl(100, 9), lvl(101, 3), t);
        assert_eq!(ofi.value(), 19.0 - 4.0 - 3.0);
    }

    #[test]
    fn trade_flow_and_absorption_and_size_z() {
        let mut flow = TradeFlow::new(NEVER);
        assert_eq!(flow.imbalance(), None);
        flow.on_trade(&trade(101, 30, Side::Buy));
        flow.on_trade(&trade(100, 10, Side::Sell));
        assert_eq!(flow.imbalance(), Some(0.5));

        let mut abs = Absorption::default();
        abs.on_best(Side::Buy, Some(Price::from_ticks(100)));
        abs.on_trade(&trade(100, 6, Side::Sell));
        abs.on_trade(&trade(100, 4, Side::Sell));
        abs.on_trade(&trade(101, 9, Side::Buy));
        assert_eq!(
            abs.absorbed(Side::Buy, Qty::from_lots(5)),
            Some((10, 2.0)),
            "10 absorbed, 5 still there"
        );
        abs.on_best(Side::Buy, Some(Price::from_ticks(100)));
        assert_eq!(
            abs.absorbed(Side::Buy, Qty::from_lots(5)).unwrap().0,
            10,
            "same best: kept"
        );
        abs.on_best(Side::Buy, Some(Price::from_ticks(99)));
        assert_eq!(
            abs.absorbed(Side::Buy, Qty::from_lots(5)).unwrap().0,
            0,
            "the level gave way"
        );

        let mut z = TradeSizeZ::new(NEVER);
        for q in [1, 3, 1, 3] {
            z.on_trade(&trade(100, q, Side::Buy));
        }
        z.on_trade(&trade(100, 6, Side::Buy));
        assert_eq!(z.last(), Some(4.0), "mean 2, sd 1");
    }

    #[test]
    fn depth_changes_count_near_the_touch_only() {
        let mut d = DepthChange::new(2, NEVER);
        let t = UnixNanos::new(0);
        let best = Some(Price::from_ticks(100));
        let q = Qty::from_lots;
        d.on_level(Side::Buy, Price::from_ticks(99), q(10), q(4), best, t);
        d.on_level(Side::Buy, Price::from_ticks(98), q(1), q(8), best, t);
        d.on_level(Side::Buy, Price::from_ticks(90), q(50), q(0), best, t);
        assert_eq!(
            (d.withdrawn(Side::Buy), d.replenished(Side::Buy)),
            (6.0, 7.0)
        );
        assert_eq!(d.withdrawn(Side::Sell), 0.0);
    }
}
