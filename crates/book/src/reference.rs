//! A deliberately naive `BTreeMap` book: the oracle for property tests and
//! the baseline in benchmarks. Obviously correct, not fast.

use std::collections::BTreeMap;

use kestrel_model::{BookSnapshot, Level, Price, Qty, Side};

/// Two ordered maps from price to size.
#[derive(Clone, Debug, Default)]
pub struct ReferenceBook {
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
}

impl ReferenceBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the size at one price; zero removes the level.
    pub fn update_level(&mut self, side: Side, price: Price, qty: Qty) {
        let map = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        if qty.is_zero() {
            map.remove(&price);
        } else {
            map.insert(price, qty);
        }
    }

    /// Replaces the whole book with a snapshot.
    pub fn load_snapshot(&mut self, snapshot: &BookSnapshot) {
        self.bids.clear();
        self.asks.clear();
        for (side, levels) in [(Side::Buy, &snapshot.bids), (Side::Sell, &snapshot.asks)] {
            for level in levels {
                self.update_level(side, level.price, level.qty);
            }
        }
    }

    /// Highest bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids
            .last_key_value()
            .map(|(&price, &qty)| Level { price, qty })
    }

    /// Lowest ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks
            .first_key_value()
            .map(|(&price, &qty)| Level { price, qty })
    }

    /// The best `n` levels of `side`, best first.
    pub fn top(&self, side: Side, n: usize) -> Vec<Level> {
        let to_level = |(&price, &qty): (&Price, &Qty)| Level { price, qty };
        match side {
            Side::Buy => self.bids.iter().rev().take(n).map(to_level).collect(),
            Side::Sell => self.asks.iter().take(n).map(to_level).collect(),
        }
    }

    /// Number of levels on `side`.
    pub fn level_count(&self, side: Side) -> usize {
        match side {
            Side::Buy => self.bids.len(),
            Side::Sell => self.asks.len(),
        }
    }
}
