//! Microstructure signals, each updated in O(1) per book change or trade
//! and read from the book in place: the book is never copied.
//!
//! | signal | module | updated by |
//! |---|---|---|
//! | top-N weighted book imbalance | [`shape`] | read on demand (N levels) |
//! | microprice | the book | read on demand |
//! | order-flow imbalance (Cont, Kukanov, Stoikov) | [`flow`] | each top-of-book change |
//! | depth withdrawal / replenishment near the touch | [`flow`] | each level update |
//! | liquidity clusters | [`shape`] | read on demand (N levels) |
//! | aggressive absorption | [`flow`] | each trade and best change |
//! | abnormal size concentration (z-score) | [`shape`] + [`decay`] | each book change |
//! | abnormal trade size (z-score) | [`flow`] | each trade |
//! | trade-flow imbalance | [`flow`] | each trade |
//! | realised volatility | [`regime`] | each mid change |
//! | spread regime | [`regime`] | each book change |
//!
//! Memory is time-decayed by half-life in venue time ([`decay`]), so the
//! state per signal is a few numbers whatever the history.

pub mod decay;
pub mod flow;
pub mod regime;
pub mod shape;

use kestrel_book::OrderBook;
use kestrel_model::{Price, Qty, Side, Trade, UnixNanos};

use crate::decay::DecayedStats;
use crate::flow::{Absorption, DepthChange, OrderFlowImbalance, TradeFlow, TradeSizeZ};
use crate::regime::{RealisedVol, SpreadRegime, SpreadTracker};
use crate::shape::{Cluster, SideShape};

/// Settings of every signal.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignalConfig {
    /// Levels per side the shape signals read.
    pub depth: usize,
    /// Weight ratio between consecutive levels in the imbalance.
    pub level_decay: f64,
    /// Half-life of the flow signals, in ns.
    pub flow_half_life_ns: u64,
    /// Half-life of volatility, spread and concentration history, in ns.
    pub slow_half_life_ns: u64,
    /// How near the touch depth changes count, in ticks.
    pub near_ticks: i64,
    /// z above which the largest level is a cluster.
    pub cluster_z: f64,
    /// z above which the spread is wide.
    pub wide_spread_z: f64,
}

impl Default for SignalConfig {
    fn default() -> Self {
        Self {
            depth: 10,
            level_decay: 0.7,
            flow_half_life_ns: 5_000_000_000,
            slow_half_life_ns: 60_000_000_000,
            near_ticks: 10,
            cluster_z: 2.5,
            wide_spread_z: 2.0,
        }
    }
}

/// Every signal's value at one moment; `Copy`, so a strategy can keep it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignalValues {
    /// Top-N weighted imbalance in [−1, 1].
    pub imbalance: Option<f64>,
    /// Size-weighted mid.
    pub microprice: Option<f64>,
    /// Decayed order-flow imbalance, in lots.
    pub ofi: f64,
    /// Decayed trade-flow imbalance in [−1, 1].
    pub trade_flow: Option<f64>,
    /// Size withdrawn near the touch, bids then asks, decayed lots.
    pub withdrawn: [f64; 2],
    /// Size added near the touch, bids then asks, decayed lots.
    pub replenished: [f64; 2],
    /// An outlier level among the top N, bids then asks.
    pub clusters: [Option<Cluster>; 2],
    /// Volume absorbed at each best level and that per lot still resting.
    pub absorbed: [Option<(u64, f64)>; 2],
    /// z-score of each side's size concentration against its history.
    pub concentration_z: [Option<f64>; 2],
    /// z-score of the last trade's size.
    pub trade_size_z: Option<f64>,
    /// Realised volatility of the mid, per √second.
    pub volatility: Option<f64>,
    /// The spread's regime.
    pub spread: Option<SpreadRegime>,
}

/// Every signal of one instrument.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Signals {
    config: SignalConfig,
    ofi: OrderFlowImbalance,
    trade_flow: TradeFlow,
    depth_change: DepthChange,
    absorption: Absorption,
    trade_size: TradeSizeZ,
    volatility: RealisedVol,
    spread: SpreadTracker,
    concentration: [DecayedStats; 2],
    concentration_z: [Option<f64>; 2],
}

impl Signals {
    /// Signals with `config`.
    pub fn new(config: SignalConfig) -> Self {
        Self {
            ofi: OrderFlowImbalance::new(config.flow_half_life_ns),
            trade_flow: TradeFlow::new(config.flow_half_life_ns),
            depth_change: DepthChange::new(config.near_ticks, config.flow_half_life_ns),
            absorption: Absorption::default(),
            trade_size: TradeSizeZ::new(config.slow_half_life_ns),
            volatility: RealisedVol::new(config.slow_half_life_ns),
            spread: SpreadTracker::new(config.wide_spread_z, config.slow_half_life_ns),
            concentration: [DecayedStats::new(config.slow_half_life_ns); 2],
            concentration_z: [None; 2],
            config,
        }
    }

    /// Whether a change at `price` feeds a per-level signal while its
    /// side's best is `best`. Only those need [`Signals::on_level`] and the
    /// level's old size: a deep update then costs no more than the book's
    /// own write.
    pub fn watches(&self, price: Price, best: Option<Price>) -> bool {
        self.depth_change.watches(price, best)
    }

    /// How many of each side's best levels the shape signals read.
    pub fn depth(&self) -> usize {
        self.config.depth
    }

    /// The deepest price on `side` a per-level signal watches while the
    /// side's best is `best`.
    pub fn band_edge(&self, side: Side, best: Price) -> Price {
        let reach = i64::try_from(self.config.near_ticks.unsigned_abs()).unwrap_or(i64::MAX);
        Price::from_ticks(match side {
            Side::Buy => best.ticks().saturating_sub(reach),
            Side::Sell => best.ticks().saturating_add(reach),
        })
    }

    /// A level is about to change from `old` to `new` while its side's
    /// best is `best` (the caller reads both from the book before applying
    /// the update).
    pub fn on_level(
        &mut self,
        side: Side,
        price: Price,
        old: Qty,
        new: Qty,
        best: Option<Price>,
        t: UnixNanos,
    ) {
        self.depth_change.on_level(side, price, old, new, best, t);
    }

    /// The book after a whole update (delta or snapshot) at `t`; every
    /// signal as of it, the book's top levels read once.
    pub fn on_book(&mut self, book: &OrderBook, t: UnixNanos) -> SignalValues {
        let (bid, ask) = (book.best_bid(), book.best_ask());
        self.absorption.on_best(Side::Buy, bid.map(|l| l.price));
        self.absorption.on_best(Side::Sell, ask.map(|l| l.price));
        if let (Some(bid), Some(ask)) = (bid, ask) {
            self.ofi.on_top(bid, ask, t);
            if let Some(mid) = book.mid() {
                self.volatility.on_mid(mid, t);
            }
            if let Some(spread) = book.spread() {
                self.spread.on_spread(spread, t);
            }
        }
        let shapes = self.shapes(book);
        for (i, shape) in shapes.iter().enumerate() {
            if let Some(c) = shape.concentration {
                self.concentration_z[i] = self.concentration[i].z_score(c);
                self.concentration[i].add(c, t);
            }
        }
        self.values_with(book, &shapes)
    }

    /// Both sides' shape, bids first.
    fn shapes(&self, book: &OrderBook) -> [SideShape; 2] {
        let c = &self.config;
        [Side::Buy, Side::Sell]
            .map(|side| shape::side_shape(book, side, c.depth, c.level_decay, c.cluster_z))
    }

    /// A trade print.
    pub fn on_trade(&mut self, trade: &Trade) {
        self.trade_flow.on_trade(trade);
        self.absorption.on_trade(trade);
        self.trade_size.on_trade(trade);
    }

    /// Every signal now; the shape signals read the book's top levels.
    pub fn values(&self, book: &OrderBook) -> SignalValues {
        self.values_with(book, &self.shapes(book))
    }

    fn values_with(&self, book: &OrderBook, [bids, asks]: &[SideShape; 2]) -> SignalValues {
        let resting = |side| book.best(side).map_or(Qty::ZERO, |l| l.qty);
        SignalValues {
            imbalance: shape::imbalance(bids, asks),
            microprice: book.microprice(),
            ofi: self.ofi.value(),
            trade_flow: self.trade_flow.imbalance(),
            withdrawn: [
                self.depth_change.withdrawn(Side::Buy),
                self.depth_change.withdrawn(Side::Sell),
            ],
            replenished: [
                self.depth_change.replenished(Side::Buy),
                self.depth_change.replenished(Side::Sell),
            ],
            clusters: [bids.cluster, asks.cluster],
            absorbed: [
                self.absorption.absorbed(Side::Buy, resting(Side::Buy)),
                self.absorption.absorbed(Side::Sell, resting(Side::Sell)),
            ],
            concentration_z: self.concentration_z,
            trade_size_z: self.trade_size.last(),
            volatility: self.volatility.per_sqrt_second(),
            spread: self.spread.regime(),
        }
    }
}

#[cfg(test)]
mod tests {
    use kestrel_model::EventTime;

    use super::*;
    use crate::shape::tests::{book, instrument};

    #[test]
    fn one_pass_through_every_signal() {
        let mut book = book(&[(100, 10), (99, 20)], &[(101, 30), (102, 40)]);
        let mut s = Signals::new(SignalConfig {
            depth: 2,
            level_decay: 1.0,
            flow_half_life_ns: u64::MAX,
            slow_half_life_ns: u64::MAX,
            near_ticks: 5,
            cluster_z: 0.5,
            wide_spread_z: 2.0,
        });
        let t = UnixNanos::new(1_000_000_000);
        s.on_book(&book, t);
        // Bids at 100 thin out from 10 to 4.
        let (side, price, new) = (Side::Buy, Price::from_ticks(100), Qty::from_lots(4));
        let best = book.best(side).map(|l| l.price);
        s.on_level(side, price, book.qty_at(side, price), new, best, t);
        book.update_level(side, price, new);
        s.on_book(&book, UnixNanos::new(2_000_000_000));
        s.on_trade(&Trade {
            instrument: instrument().id,
            trade_id: 7,
            price: Price::from_ticks(100),
            qty: Qty::from_lots(3),
            aggressor: Some(Side::Sell),
            time: EventTime::default(),
        });
        let v = s.values(&book);
        assert_eq!(v.imbalance, Some((24.0 - 70.0) / 94.0));
        assert_eq!(v.ofi, -6.0, "the best bid lost 6 at the same price");
        assert_eq!(v.withdrawn, [6.0, 0.0]);
        assert_eq!(v.trade_flow, Some(-1.0));
        assert_eq!(
            v.absorbed[0],
            Some((3, 0.75)),
            "3 absorbed, 4 still resting"
        );
        // Bid sizes 4 and 20: the 20 is a cluster at z = 1 (mean 12, sd 8).
        assert_eq!(
            v.clusters[0].map(|c| (c.price, c.z)),
            Some((Price::from_ticks(99), 1.0))
        );
        assert_eq!(v.spread, Some(SpreadRegime::Tight), "one tick");
        assert_eq!(
            v.volatility,
            Some(0.0),
            "a second passed, the mid stayed at 100.5"
        );
    }
}
