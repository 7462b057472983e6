//! A naive dense price ladder spanning every price the stream touches: the
//! speed ideal (one array store per update) at an absurd memory cost on real
//! data, kept as a baseline so that [`kestrel_book::OrderBook`] is measured
//! against it in the same run.

use kestrel_model::{BookSnapshot, Level, LevelUpdate, Price, Qty, Side};

/// One `u64` per tick from the lowest to the highest price seen, per side.
#[derive(Clone)]
pub struct DenseLadder {
    base: i64,
    sides: [Vec<u64>; 2],
    /// Best index per side, if any.
    best: [Option<usize>; 2],
}

impl DenseLadder {
    /// A ladder covering every price in `prices`, loaded with `snapshot`.
    pub fn from_snapshot(
        prices: impl Iterator<Item = Price> + Clone,
        snapshot: &BookSnapshot,
    ) -> Self {
        let mut ladder = Self::spanning(prices);
        for (side, levels) in [(Side::Buy, &snapshot.bids), (Side::Sell, &snapshot.asks)] {
            for l in levels {
                ladder.update(&LevelUpdate {
                    price: l.price,
                    qty: l.qty,
                    side,
                });
            }
        }
        ladder
    }

    /// An empty ladder covering every price in `prices`.
    fn spanning(prices: impl Iterator<Item = Price> + Clone) -> Self {
        let lo = prices.clone().map(Price::ticks).min().unwrap_or(0);
        let hi = prices.map(Price::ticks).max().unwrap_or(0);
        let len = usize::try_from(hi - lo + 1).unwrap_or(0);
        Self {
            base: lo,
            sides: [vec![0; len], vec![0; len]],
            best: [None, None],
        }
    }

    /// Sets a level; scans for the next best when the best is removed.
    #[inline]
    pub fn update(&mut self, u: &LevelUpdate) {
        let i = (u.price.ticks() - self.base) as usize;
        let s = u.side as usize;
        let side = &mut self.sides[s];
        side[i] = u.qty.lots();
        let best = &mut self.best[s];
        let better = |a: usize, b: usize| if u.side == Side::Buy { a > b } else { a < b };
        if u.qty.lots() != 0 {
            if best.is_none_or(|b| better(i, b)) {
                *best = Some(i);
            }
        } else if *best == Some(i) {
            *best = match u.side {
                Side::Buy => side[..i].iter().rposition(|&q| q != 0),
                Side::Sell => side[i + 1..]
                    .iter()
                    .position(|&q| q != 0)
                    .map(|p| i + 1 + p),
            };
        }
    }

    /// Best level of `side`.
    #[inline]
    pub fn best(&self, side: Side) -> Option<Level> {
        self.best[side as usize].map(|i| Level {
            price: Price::from_ticks(self.base + i as i64),
            qty: Qty::from_lots(self.sides[side as usize][i]),
        })
    }

    /// Heap bytes of both arrays.
    pub fn heap_bytes(&self) -> usize {
        self.sides.iter().map(|s| s.len() * size_of::<u64>()).sum()
    }
}
