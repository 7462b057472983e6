//! Where a resting order stands in its level's queue, estimated from L2 data.
//!
//! The simulator fills our orders by it, and the execution layer estimates
//! our live orders' places by it: one model, so backtest and live agree.
//!
//! L2 data shows only each level's total size, so when that size drops and
//! no trade printed there, someone cancelled, ahead of us or behind us. A
//! [`QueueModel`] decides how much of the drop was ahead. Trades at the level
//! always advance the queue by their size, and the trades seen since the
//! level's last recorded change are subtracted from that change, so a trade
//! and the size drop it causes are not counted twice (the approach of
//! hftbacktest's queue models).
//!
//! Quantities here are lots of recorded size; our own orders are not in the
//! recorded data.

/// How a recorded size decrease at our level is split between the queue
/// ahead of us and the queue behind us.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum QueueModel {
    /// Cancellations are all behind us: the queue ahead shrinks only by
    /// trades, or when the level becomes smaller than the queue ahead. Fills
    /// come late if at all; the safe choice for judging a market maker.
    Conservative,
    /// A share `f(ahead) / (f(ahead) + f(behind))` of each decrease is taken
    /// from ahead of us, with `f(x) = x^power`, after Rigtorp's estimator.
    /// Just after joining, nothing is behind us, so every cancel is ahead;
    /// near the front, almost all are behind. A larger power leans harder
    /// toward whichever side is longer. `power = 1` is proportional.
    Probabilistic {
        /// Exponent of `f`; 1 to 3 is usual.
        power: f64,
    },
}

impl Default for QueueModel {
    fn default() -> Self {
        Self::Probabilistic { power: 2.0 }
    }
}

/// A resting order's place in its level's queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueuePosition {
    /// Recorded size ahead of us, in lots.
    pub ahead: u64,
    /// Recorded size traded at our level since its last recorded change.
    traded: u64,
}

impl QueuePosition {
    /// Joining the back of a level that holds `ahead` lots.
    pub fn back_of(ahead: u64) -> Self {
        Self { ahead, traded: 0 }
    }

    /// A trade of `qty` lots printed at our price against our side. Returns
    /// how many lots of it reached us (the part beyond the queue ahead).
    pub fn on_trade(&mut self, qty: u64) -> u64 {
        self.traded = self.traded.saturating_add(qty);
        let reached = qty.saturating_sub(self.ahead);
        self.ahead = self.ahead.saturating_sub(qty);
        reached
    }

    /// The recorded size at our level changed from `old` to `new` lots.
    pub fn on_depth(&mut self, model: QueueModel, old: u64, new: u64) {
        let traded = std::mem::take(&mut self.traded);
        if new >= old {
            // Size added joins behind us.
            return;
        }
        let cancelled = (old - new).saturating_sub(traded);
        if let QueueModel::Probabilistic { power } = model {
            if cancelled > 0 {
                let behind = old.saturating_sub(self.ahead);
                let (f_ahead, f_behind) =
                    ((self.ahead as f64).powf(power), (behind as f64).powf(power));
                let share = if f_ahead + f_behind > 0.0 {
                    f_ahead / (f_ahead + f_behind)
                } else {
                    1.0
                };
                self.ahead = self
                    .ahead
                    .saturating_sub((cancelled as f64 * share).round() as u64);
            }
        }
        // Whatever the split, no more can be ahead than the level holds; this
        // also takes from ahead any cancel larger than the queue behind.
        self.ahead = self.ahead.min(new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPORTIONAL: QueueModel = QueueModel::Probabilistic { power: 1.0 };

    #[test]
    fn trades_advance_the_queue_and_the_excess_reaches_us() {
        let mut q = QueuePosition::back_of(10);
        assert_eq!(q.on_trade(4), 0);
        assert_eq!(q.ahead, 6);
        assert_eq!(q.on_trade(9), 3);
        assert_eq!(q.ahead, 0);
        assert_eq!(q.on_trade(2), 2);
    }

    #[test]
    fn conservative_moves_only_when_the_level_shrinks_below_us() {
        let mut q = QueuePosition::back_of(10);
        q.on_depth(QueueModel::Conservative, 30, 20);
        assert_eq!(q.ahead, 10, "the 10 cancelled were behind us");
        q.on_depth(QueueModel::Conservative, 20, 6);
        assert_eq!(q.ahead, 6, "only 6 left in the whole level");
        q.on_depth(QueueModel::Conservative, 6, 50);
        assert_eq!(q.ahead, 6, "additions join behind");
    }

    #[test]
    fn probabilistic_splits_by_the_sizes_ahead_and_behind() {
        // 10 ahead, 30 behind: a proportional model takes 1/4 of a cancel
        // of 8 from ahead.
        let mut q = QueuePosition::back_of(10);
        q.on_depth(PROPORTIONAL, 40, 32);
        assert_eq!(q.ahead, 8);
        // Squared: 10² / (10² + 30²) = 1/10 of 20 = 2.
        let mut q = QueuePosition::back_of(10);
        q.on_depth(QueueModel::Probabilistic { power: 2.0 }, 40, 20);
        assert_eq!(q.ahead, 8);
        // Just joined (nothing behind): every cancel is ahead.
        let mut q = QueuePosition::back_of(10);
        q.on_depth(PROPORTIONAL, 10, 7);
        assert_eq!(q.ahead, 7);
    }

    #[test]
    fn a_trade_and_the_drop_it_causes_count_once() {
        let mut q = QueuePosition::back_of(10);
        q.on_trade(4);
        assert_eq!(q.ahead, 6);
        // The feed then shows the level down by the 4 traded: no cancel.
        q.on_depth(PROPORTIONAL, 10, 6);
        assert_eq!(q.ahead, 6);
        // A later drop is a cancel again: 6 ahead, 0 behind, all ahead.
        q.on_depth(PROPORTIONAL, 6, 3);
        assert_eq!(q.ahead, 3);
    }

    #[test]
    fn a_cancel_larger_than_the_queue_behind_comes_from_ahead() {
        // 2 ahead, 8 behind, 9 cancelled: cubed, almost none is put ahead,
        // but only 8 can have been behind.
        let mut q = QueuePosition::back_of(2);
        q.on_depth(QueueModel::Probabilistic { power: 3.0 }, 10, 1);
        assert_eq!(q.ahead, 1);
        // 9 ahead, 1 behind, 5 cancelled, proportional: 4.5 rounds to 5.
        let mut q = QueuePosition::back_of(9);
        q.on_depth(PROPORTIONAL, 10, 5);
        assert_eq!(q.ahead, 4);
    }
}
