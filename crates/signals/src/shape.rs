//! Signals of the book's shape, read from the top levels in place (the book
//! is never copied): weighted imbalance, liquidity clusters and size
//! concentration. Each reads at most `depth` levels per side, a constant.

use kestrel_book::OrderBook;
use kestrel_model::{Price, Qty, Side};

/// `Σ wᵢ(bidᵢ − askᵢ) / Σ wᵢ(bidᵢ + askᵢ)` over the best `depth` levels,
/// with `wᵢ = decayⁱ` (level 0 is the touch): +1 all bids, −1 all asks.
/// `None` for an empty book.
pub fn weighted_imbalance(book: &OrderBook, depth: usize, decay: f64) -> Option<f64> {
    let side_sum = |side| {
        let mut w = 1.0;
        let mut sum = 0.0;
        for level in book.levels(side).take(depth) {
            sum += w * level.qty.lots() as f64;
            w *= decay;
        }
        sum
    };
    let (bids, asks) = (side_sum(Side::Buy), side_sum(Side::Sell));
    (bids + asks > 0.0).then(|| (bids - asks) / (bids + asks))
}

/// A level much larger than the levels around it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cluster {
    /// Its price.
    pub price: Price,
    /// Its size.
    pub qty: Qty,
    /// Standard deviations above the mean size of the levels read.
    pub z: f64,
}

/// The largest of the best `depth` levels on `side` if it stands at least
/// `min_z` standard deviations above their mean size.
pub fn liquidity_cluster(
    book: &OrderBook,
    side: Side,
    depth: usize,
    min_z: f64,
) -> Option<Cluster> {
    let (mut n, mut sum, mut sum_sq) = (0.0, 0.0, 0.0);
    let mut largest: Option<(Price, Qty)> = None;
    for level in book.levels(side).take(depth) {
        let q = level.qty.lots() as f64;
        n += 1.0;
        sum += q;
        sum_sq += q * q;
        if largest.is_none_or(|(_, best)| level.qty > best) {
            largest = Some((level.price, level.qty));
        }
    }
    let (price, qty) = largest?;
    let mean = sum / n;
    let sd = (sum_sq / n - mean * mean).max(0.0).sqrt();
    if sd == 0.0 {
        return None;
    }
    let z = (qty.lots() as f64 - mean) / sd;
    (z >= min_z).then_some(Cluster { price, qty, z })
}

/// The share of the best `depth` levels' size that sits at the single
/// largest level, per side: 1/depth when even, 1 when all at one price.
pub fn size_concentration(book: &OrderBook, side: Side, depth: usize) -> Option<f64> {
    let (mut total, mut largest) = (0u64, 0u64);
    for level in book.levels(side).take(depth) {
        total += level.qty.lots();
        largest = largest.max(level.qty.lots());
    }
    (total > 0).then(|| largest as f64 / total as f64)
}

#[cfg(test)]
pub(crate) mod tests {
    use kestrel_model::Instrument;

    use super::*;

    pub(crate) fn instrument() -> Instrument {
        kestrel_model::testing::instrument("1", "1")
    }

    /// Bids and asks as (price, size), best first.
    pub(crate) fn book(bids: &[(i64, u64)], asks: &[(i64, u64)]) -> OrderBook {
        let mut book = OrderBook::new(&instrument());
        for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
            for &(p, q) in levels {
                book.update_level(side, Price::from_ticks(p), Qty::from_lots(q));
            }
        }
        book
    }

    #[test]
    fn imbalance_weights_levels_by_distance() {
        let b = book(&[(100, 10), (99, 20)], &[(101, 30), (102, 40)]);
        // Flat weights: (30 − 70) / 100.
        assert_eq!(weighted_imbalance(&b, 2, 1.0), Some(-0.4));
        // Halving: bids 10 + 10 = 20, asks 30 + 20 = 50 → −30/70.
        assert!((weighted_imbalance(&b, 2, 0.5).unwrap() + 30.0 / 70.0).abs() < 1e-12);
        // Touch only: (10 − 30) / 40.
        assert_eq!(weighted_imbalance(&b, 1, 0.5), Some(-0.5));
        assert_eq!(weighted_imbalance(&book(&[], &[]), 5, 1.0), None);
    }

    #[test]
    fn a_wall_among_thin_levels_is_a_cluster() {
        let b = book(
            &[(100, 1), (99, 1), (98, 1), (97, 13)],
            &[(101, 2), (102, 2)],
        );
        // Sizes 1,1,1,13: mean 4, sd √27 ≈ 5.196, z(13) = 9/5.196 ≈ 1.732.
        let c = liquidity_cluster(&b, Side::Buy, 4, 1.5).unwrap();
        assert_eq!(
            (c.price, c.qty),
            (Price::from_ticks(97), Qty::from_lots(13))
        );
        assert!((c.z - 9.0 / 27f64.sqrt()).abs() < 1e-12);
        assert!(liquidity_cluster(&b, Side::Buy, 4, 2.0).is_none());
        assert!(
            liquidity_cluster(&b, Side::Sell, 4, 0.0).is_none(),
            "even sizes: no outlier"
        );
        assert_eq!(size_concentration(&b, Side::Buy, 4), Some(13.0 / 16.0));
        assert_eq!(size_concentration(&b, Side::Sell, 4), Some(0.5));
    }
}
