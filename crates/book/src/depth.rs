//! Depth aggregation: cumulative size, size near the mid, and the cost of
//! sweeping the book. None of it allocates.

use kestrel_model::{Increment, Level, Price, Qty, Side};

use crate::book::OrderBook;

/// The result of walking one side of the book to fill a quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// How much the book could fill (less than asked if the side ran out).
    pub filled: Qty,
    /// Σ price × size over the fills, in ticks × lots (exact).
    pub notional: i128,
    /// The last price touched, i.e. the worst one.
    pub worst: Option<Price>,
}

impl Sweep {
    /// Volume-weighted average fill price in price units (analytics only).
    pub fn avg_price(&self, tick: &Increment) -> Option<f64> {
        (!self.filled.is_zero())
            .then(|| self.notional as f64 / self.filled.lots() as f64 * tick.to_f64(1))
    }
}

impl OrderBook {
    /// Total size of the best `n` levels of `side`.
    pub fn depth(&self, side: Side, n: usize) -> Qty {
        Qty::from_lots(
            self.levels(side)
                .take(n)
                .fold(0u64, |sum, l| sum.saturating_add(l.qty.lots())),
        )
    }

    /// Levels of `side`, best first, each with the size from the touch through it.
    pub fn cumulative(&self, side: Side) -> impl Iterator<Item = (Level, Qty)> + '_ {
        self.levels(side).scan(0u64, |sum, level| {
            *sum = sum.saturating_add(level.qty.lots());
            Some((level, Qty::from_lots(*sum)))
        })
    }

    /// Size resting on `side` within `bps` basis points of the mid, inclusive.
    /// Zero when either side is empty (there is no mid).
    ///
    /// Exact: a bid at `p` counts when `2·p·10⁴ ≥ (bid + ask)·(10⁴ − bps)`,
    /// all in integer ticks.
    pub fn qty_within_bps(&self, side: Side, bps: u32) -> Qty {
        let (Some(bid), Some(ask)) = (self.best_bid(), self.best_ask()) else {
            return Qty::ZERO;
        };
        let mid_x2 = i128::from(bid.price.ticks()) + i128::from(ask.price.ticks());
        let bps = i128::from(bps);
        let inside = |price: Price| {
            let lhs = 2 * i128::from(price.ticks()) * 10_000;
            match side {
                Side::Buy => lhs >= mid_x2 * (10_000 - bps),
                Side::Sell => lhs <= mid_x2 * (10_000 + bps),
            }
        };
        Qty::from_lots(
            self.levels(side)
                .take_while(|l| inside(l.price))
                .fold(0u64, |sum, l| sum.saturating_add(l.qty.lots())),
        )
    }

    /// What an order of `qty` on side `aggressor` would fill against the
    /// resting levels (a buy takes asks), ignoring hidden liquidity and impact.
    pub fn sweep(&self, aggressor: Side, qty: Qty) -> Sweep {
        let mut left = qty.lots();
        let mut sweep = Sweep::default();
        for level in self.levels(aggressor.opposite()) {
            if left == 0 {
                break;
            }
            let take = left.min(level.qty.lots());
            left -= take;
            sweep.notional += i128::from(level.price.ticks()) * i128::from(take);
            sweep.worst = Some(level.price);
        }
        sweep.filled = Qty::from_lots(qty.lots() - left);
        sweep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{book_with, lvl};

    #[test]
    fn aggregates_depth() {
        let book = book_with(
            &[(100.0, 1), (99.9, 2), (99.5, 4)],
            &[(100.1, 3), (100.2, 5)],
        );
        assert_eq!(book.depth(Side::Buy, 2), Qty::from_lots(3));
        assert_eq!(book.depth(Side::Sell, 10), Qty::from_lots(8));
        let cum: Vec<_> = book.cumulative(Side::Buy).map(|(_, q)| q.lots()).collect();
        assert_eq!(cum, vec![1, 3, 7]);
        // mid = 100.05; 10 bps = 0.10005 → bids ≥ 99.94995, asks ≤ 100.15005.
        assert_eq!(book.qty_within_bps(Side::Buy, 10), Qty::from_lots(1));
        assert_eq!(book.qty_within_bps(Side::Sell, 10), Qty::from_lots(3));
        assert_eq!(book.qty_within_bps(Side::Buy, 100), Qty::from_lots(7));
    }

    #[test]
    fn sweeps_levels_in_order() {
        let book = book_with(&[(100.0, 1)], &[(100.1, 3), (100.2, 5)]);
        let sweep = book.sweep(Side::Buy, Qty::from_lots(4));
        assert_eq!(sweep.filled, Qty::from_lots(4));
        assert_eq!(sweep.notional, 1001 * 3 + 1002);
        assert_eq!(sweep.worst, Some(lvl(100.2, 0).price));
        let avg = sweep.avg_price(book.tick()).unwrap();
        assert!((avg - 100.125).abs() < 1e-9);
        let too_big = book.sweep(Side::Sell, Qty::from_lots(5));
        assert_eq!(too_big.filled, Qty::from_lots(1));
        assert_eq!(
            book.sweep(Side::Sell, Qty::ZERO).avg_price(book.tick()),
            None
        );
    }

    #[test]
    fn one_sided_books_have_no_mid() {
        let book = book_with(&[(100.0, 1)], &[]);
        assert_eq!(book.mid(), None);
        assert_eq!(book.microprice(), None);
        assert_eq!(book.spread(), None);
        assert_eq!(book.qty_within_bps(Side::Buy, 10), Qty::ZERO);
    }
}
