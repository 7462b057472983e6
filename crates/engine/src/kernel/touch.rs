//! Deciding on a diff's levels near the touch before the rest is decoded.
//!
//! A depth diff can carry hundreds of levels, and decoding them all is
//! most of the time from its frame to our order. What the kernel reads to
//! decide is near the touch: each side's best `depth` levels (signals and
//! strategy), the per-level signals' band around the touch, and the levels
//! where our orders rest. So a live session asks the decoder for the levels
//! at or better than [`Kernel::touch_bounds`], hands them to
//! [`Kernel::on_delta_near`], and the rest to [`Kernel::on_delta_rest`]
//! once the order is out.
//!
//! The result is the one [`Kernel::on_delta`] gives for the whole diff,
//! exactly. The decoder says which price every level it left lies
//! strictly beyond (and the feed checks it when it decodes them), and the
//! kernel decides early only when such levels cannot change what it
//! reads: its top `depth` levels are all at or better than that price,
//! no per-level signal watches a price beyond it, and none of our orders
//! rests beyond it. Otherwise it waits for the rest. Per-level work uses
//! each side's best from before the diff, so the order the two parts come
//! in changes nothing either.

use kestrel_model::{BookDelta, LevelUpdate, Price, Side, TouchBounds, UnixNanos};
use kestrel_strategy::Strategy;

use super::Kernel;

/// Levels read past the kernel's own depth when it asks for a diff's near
/// part: levels removed at the touch pull deeper ones into the top, and
/// a margin makes waiting for the rest rare.
const TOUCH_MARGIN: usize = 10;

/// A diff whose near part has been applied and whose rest has not.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SplitDelta {
    /// Each side's best before the diff.
    touch: [Option<Price>; 2],
    /// Whether the kernel is waiting for the rest to decide.
    deciding_after_rest: bool,
}

impl<S: Strategy> Kernel<S> {
    /// How deep into each side of the book the kernel reads: the signals'
    /// depth or the strategy's, whichever is deeper; `None` if the
    /// strategy reads the book without a bound.
    fn read_depth(&self) -> Option<usize> {
        Some(
            self.strategy
                .book_depth()?
                .max(self.core.signals.depth())
                .max(1),
        )
    }

    /// The prices at or better than which the next diff's levels must be
    /// decoded before the kernel can decide on it, per side; `None` for a
    /// side that needs all of them, or for both when the kernel cannot
    /// split a diff now (no synced book, a strategy that reads the whole
    /// book).
    pub fn touch_bounds(&self) -> Option<TouchBounds> {
        if !self.core.synced {
            return None;
        }
        let depth = self.read_depth()? + TOUCH_MARGIN;
        let bound = |side: Side| -> Option<Price> {
            let level = self.book.levels(side).nth(depth - 1)?.price;
            let best = self.book.best(side)?.price;
            let band = self.core.signals.band_edge(side, best);
            let orders = self.core.orders.worst_resting(side);
            [Some(band), orders]
                .into_iter()
                .flatten()
                .fold(level, |deepest, p| {
                    if TouchBounds::worse(side, p, deepest) {
                        p
                    } else {
                        deepest
                    }
                })
                .into()
        };
        Some(TouchBounds {
            bid: bound(Side::Buy),
            ask: bound(Side::Sell),
        })
    }

    /// The near part of a diff: its levels at or better than the bounds
    /// the kernel gave, plus on each side the first level beyond them,
    /// whose price `beyond` holds (every level still to come on that side
    /// lies strictly beyond it; `None`: none are to come). Returns whether
    /// the kernel has decided; if not, it will once the rest is in.
    pub fn on_delta_near(&mut self, near: &BookDelta, beyond: TouchBounds, now: UnixNanos) -> bool {
        self.core.now = now;
        let touch = self.touch();
        self.apply_levels(&near.updates, touch, now);
        let ready = [Side::Buy, Side::Sell].into_iter().all(|side| {
            beyond
                .get(side)
                .is_none_or(|w| self.unmoved_by_beyond(side, w, touch))
        });
        self.split = Some(SplitDelta {
            touch,
            deciding_after_rest: !ready,
        });
        if ready {
            self.after_book(now);
        }
        ready
    }

    /// The rest of the diff whose near part [`Self::on_delta_near`] took.
    pub fn on_delta_rest(&mut self, rest: &[LevelUpdate], now: UnixNanos) {
        let split = self.split.take().unwrap_or_default();
        self.apply_levels(rest, split.touch, now);
        if split.deciding_after_rest {
            self.after_book(now);
        }
    }

    /// Whether levels strictly beyond `w` on `side` cannot change what the
    /// kernel reads, with the near part applied and `touch` the bests from
    /// before the diff.
    fn unmoved_by_beyond(&self, side: Side, w: Price, touch: [Option<Price>; 2]) -> bool {
        let Some(depth) = self.read_depth() else {
            return false;
        };
        // The top `depth` levels are all at or better than `w`.
        let top_holds = self
            .book
            .levels(side)
            .nth(depth - 1)
            .is_some_and(|l| !TouchBounds::worse(side, l.price, w));
        // No per-level signal watches a price beyond `w`: the touch is at or
        // better than `w`, and the nearest price beyond is out of its band.
        let next = Price::from_ticks(match side {
            Side::Buy => w.ticks() - 1,
            Side::Sell => w.ticks() + 1,
        });
        let unwatched = touch[side as usize].is_none_or(|best| {
            !TouchBounds::worse(side, best, w) && !self.core.signals.watches(next, Some(best))
        });
        top_holds && unwatched && !self.core.orders.rests_beyond(side, w)
    }
}
