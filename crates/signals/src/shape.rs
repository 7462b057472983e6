//! Signals of the book's shape, read from the top levels in place (the book
//! is never copied): weighted imbalance, liquidity clusters and size
//! concentration. Each reads at most `depth` levels per side, a constant.

use kestrel_book::OrderBook;
use kestrel_model::{Price, Qty, Side};

/// What one pass over a side's best `depth` levels gives: every shape
/// signal reads the same levels, so the kernel walks them once per update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SideShape {
    /// `Σ wᵢ sizeᵢ` with `wᵢ = decayⁱ` (level 0 is the touch), in lots.
    pub weighted_size: f64,
    /// The largest level, if it stands out (see [`liquidity_cluster`]).
    pub cluster: Option<Cluster>,
    /// The largest level's share of the size (see [`size_concentration`]).
    pub concentration: Option<f64>,
}

/// One pass over the best `depth` levels on `side`: sizes weighted by
/// `decay` per level, and the largest level as a cluster if it stands at
/// least `min_z` standard deviations above the mean size.
pub fn side_shape(book: &OrderBook, side: Side, depth: usize, decay: f64, min_z: f64) -> SideShape {
    let mut w = 1.0;
    let mut weighted_size = 0.0;
    let (mut n, mut sum, mut sum_sq) = (0.0, 0.0, 0.0);
    let mut total = 0u64;
    let mut largest: Option<(Price, Qty)> = None;
    for level in book.levels(side).take(depth) {
        let lots = level.qty.lots();
        let q = lots as f64;
        weighted_size += w * q;
        w *= decay;
        n += 1.0;
        sum += q;
        sum_sq += q * q;
        total += lots;
        if largest.is_none_or(|(_, best)| level.qty > best) {
            largest = Some((level.price, level.qty));
        }
    }
    let cluster = largest.and_then(|(price, qty)| {
        let mean = sum / n;
        let sd = (sum_sq / n - mean * mean).max(0.0).sqrt();
        let z = (qty.lots() as f64 - mean) / sd;
        (sd != 0.0 && z >= min_z).then_some(Cluster { price, qty, z })
    });
    let concentration = largest
        .filter(|_| total > 0)
        .map(|(_, qty)| qty.lots() as f64 / total as f64);
    SideShape {
        weighted_size,
        cluster,
        concentration,
    }
}

/// `Σ wᵢ(bidᵢ − askᵢ) / Σ wᵢ(bidᵢ + askᵢ)` from both sides' weighted
/// sizes: +1 all bids, −1 all asks, `None` for an empty book.
pub fn imbalance(bids: &SideShape, asks: &SideShape) -> Option<f64> {
    let (b, a) = (bids.weighted_size, asks.weighted_size);
    (b + a > 0.0).then(|| (b - a) / (b + a))
}

/// `Σ wᵢ(bidᵢ − askᵢ) / Σ wᵢ(bidᵢ + askᵢ)` over the best `depth` levels,
/// with `wᵢ = decayⁱ` (level 0 is the touch): +1 all bids, −1 all asks.
/// `None` for an empty book.
pub fn weighted_imbalance(book: &OrderBook, depth: usize, decay: f64) -> Option<f64> {
    imbalance(
        &side_shape(book, Side::Buy, depth, decay, f64::INFINITY),
        &side_shape(book, Side::Sell, depth, decay, f64::INFINITY),
    )
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
    side_shape(book, side, depth, 1.0, min_z).cluster
}

/// The share of the best `depth` levels' size that sits at the single
/// largest level, per side: 1/depth when even, 1 when all at one price.
pub fn size_concentration(book: &OrderBook, side: Side, depth: usize) -> Option<f64> {
    side_shape(book, side, depth, 1.0, f64::INFINITY).concentration
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
