//! Deciding on a diff's levels near the touch before the rest is decoded.
//!
//! A depth diff can carry hundreds of levels, and decoding them all is
//! most of the time from its frame to our order. What the kernel reads to
//! decide is near the touch: each side's best `depth` levels (signals and
//! strategy), the per-level signals' band around the touch, and the levels
//! where our orders rest. So a live session asks the decoder for the levels
//! at or better than [`Kernel::touch_bounds`] and hands them to
//! [`Kernel::on_delta_near`], which either decides or answers with deeper
//! bounds to read on to; the rest goes to [`Kernel::on_delta_rest`] once
//! the orders are out.
//!
//! The result is the one [`Kernel::on_delta`] gives for the whole diff,
//! exactly. The decoder says which price every level it left lies
//! strictly beyond (and the feed checks it when it decodes them), and the
//! kernel decides only when such levels cannot change what it reads: its
//! top `depth` levels are all at or better than that price, no per-level
//! signal watches a price beyond it, and none of our orders rests beyond
//! it. Per-level work uses each side's best from before the diff, so the
//! order the parts come in changes nothing either.

use kestrel_model::{InstrumentIndex, LevelUpdate, Price, Side, TouchBounds, UnixNanos};
use kestrel_strategy::Strategy;

use super::Kernel;

/// Levels read past the kernel's own depth when it asks for a diff's near
/// part: levels removed at the touch pull deeper ones into the top, and
/// a margin makes reading on rarer (one split diff in six in the bundled
/// captures; a wider margin costs more than it saves).
const TOUCH_MARGIN: usize = 4;

/// A diff whose near part has been applied and whose rest has not.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SplitDelta {
    /// Each side's best before the diff.
    touch: [Option<Price>; 2],
    /// Whether the kernel is waiting for the rest to decide.
    deciding_after_rest: bool,
    /// Parts taken so far.
    parts: u32,
}

impl<S: Strategy> Kernel<S> {
    /// How deep into each side of `ix`'s book the kernel reads: the
    /// signals' depth or its subscribers', whichever is deepest; `None` if
    /// a subscriber reads the book without a bound.
    fn read_depth(&self, ix: InstrumentIndex) -> Option<usize> {
        let market = &self.markets[ix.get()];
        let mut depth = market.signals.depth().max(1);
        for &s in &market.subscribers {
            depth = depth.max(self.strategies[s.get()].book_depth()?);
        }
        Some(depth)
    }

    /// Whether one of our orders on `side` of `ix` rests beyond `bound`.
    fn ours_beyond(&self, ix: InstrumentIndex, side: Side, bound: Price) -> bool {
        self.core
            .strategies
            .iter()
            .any(|s| s.orders.rests_beyond(ix, side, bound))
    }

    /// The prices at or better than which the next diff's levels must be
    /// decoded before the kernel can decide on it, per side; `None` for a
    /// side that needs all of them, or for both when the kernel cannot
    /// split a diff now (no synced book, a strategy that reads the whole
    /// book). A live session asks between inputs, so that the answer is
    /// ready when a frame comes.
    pub fn touch_bounds(&self, ix: InstrumentIndex) -> Option<TouchBounds> {
        if !self.markets[ix.get()].synced {
            return None;
        }
        let depth = self.read_depth(ix)?;
        let reach = depth.saturating_add(TOUCH_MARGIN);
        let book = &self.markets[ix.get()].book;
        let bound = |side| self.side_bound(ix, side, reach, book.best(side).map(|l| l.price));
        Some(TouchBounds {
            bid: bound(Side::Buy),
            ask: bound(Side::Sell),
        })
    }

    /// The deepest of what the kernel reads on `side` while its best is
    /// `best`: the `reach`-th level, the edge of the per-level signals'
    /// band, our orders. `None` if the book is not that deep.
    fn side_bound(
        &self,
        ix: InstrumentIndex,
        side: Side,
        reach: usize,
        best: Option<Price>,
    ) -> Option<Price> {
        let market = &self.markets[ix.get()];
        let level = market.book.levels(side).nth(reach - 1)?.price;
        let band = best.map(|b| market.signals.band_edge(side, b));
        let orders = self
            .core
            .strategies
            .iter()
            .filter_map(|s| s.orders.worst_resting(ix, side));
        Some(
            [band]
                .into_iter()
                .flatten()
                .chain(orders)
                .fold(level, |deepest, p| {
                    if side.is_worse(p, deepest) {
                        p
                    } else {
                        deepest
                    }
                }),
        )
    }

    /// Levels of a diff near the touch: at first those at or better than
    /// the bounds the kernel gave, plus on each side the first level
    /// beyond them, whose price `beyond` holds (every level still to come
    /// on that side lies strictly beyond it; `None`: none are to come).
    /// Returns `None` once the kernel has decided, or the bounds to read
    /// on to when the levels to come could still change what it reads;
    /// the next levels come through this again, the last through
    /// [`Self::on_delta_rest`], which decides if this did not.
    pub fn on_delta_near(
        &mut self,
        ix: InstrumentIndex,
        part: &[LevelUpdate],
        beyond: TouchBounds,
        now: UnixNanos,
    ) -> Option<TouchBounds> {
        self.core.now = now;
        let (touch, parts) = self.markets[ix.get()]
            .split
            .map_or_else(|| (self.touch(ix), 0), |s| (s.touch, s.parts));
        self.apply_levels(ix, part, touch, now);
        // A diff that removed more levels at the touch than the margin
        // covers often removed many: each read on reaches twice as far.
        let depth = self.read_depth(ix);
        let reach = depth.map(|d| {
            d.saturating_add(TOUCH_MARGIN)
                .saturating_mul(1 << (parts + 1).min(16))
        });
        let more = |side: Side| -> Option<Price> {
            let w = beyond.get(side)?;
            if depth.is_some_and(|d| self.unmoved_by_beyond(ix, side, w, touch, d)) {
                return None;
            }
            let deepest = match side {
                Side::Buy => Price::from_ticks(i64::MIN),
                Side::Sell => Price::from_ticks(i64::MAX),
            };
            Some(
                reach
                    .and_then(|r| self.side_bound(ix, side, r, touch[side as usize]))
                    .unwrap_or(deepest),
            )
        };
        let more = TouchBounds {
            bid: more(Side::Buy),
            ask: more(Side::Sell),
        };
        let ready = more == TouchBounds::default();
        self.markets[ix.get()].split = Some(SplitDelta {
            touch,
            deciding_after_rest: !ready,
            parts: parts + 1,
        });
        if ready {
            self.after_book(ix, now);
            None
        } else {
            Some(more)
        }
    }

    /// The rest of the diff whose near part [`Self::on_delta_near`] took.
    pub fn on_delta_rest(&mut self, ix: InstrumentIndex, rest: &[LevelUpdate], now: UnixNanos) {
        let split = self.markets[ix.get()].split.take().unwrap_or_default();
        self.apply_levels(ix, rest, split.touch, now);
        if split.deciding_after_rest {
            self.after_book(ix, now);
        }
    }

    /// Whether levels strictly beyond `w` on `side` cannot change what the
    /// kernel reads, `depth` levels a side, with the near part applied and
    /// `touch` the bests from before the diff.
    fn unmoved_by_beyond(
        &self,
        ix: InstrumentIndex,
        side: Side,
        w: Price,
        touch: [Option<Price>; 2],
        depth: usize,
    ) -> bool {
        // The top `depth` levels are all at or better than `w`.
        let market = &self.markets[ix.get()];
        let top_holds = market
            .book
            .levels(side)
            .nth(depth - 1)
            .is_some_and(|l| !side.is_worse(l.price, w));
        // No per-level signal watches a price beyond `w`: the touch is at or
        // better than `w`, and the nearest price beyond is out of its band.
        let next = Price::from_ticks(match side {
            Side::Buy => w.ticks().saturating_sub(1),
            Side::Sell => w.ticks().saturating_add(1),
        });
        let unwatched = touch[side as usize].is_none_or(|best| {
            !side.is_worse(best, w) && !market.signals.watches(next, Some(best))
        });
        top_holds && unwatched && !self.ours_beyond(ix, side, w)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use kestrel_book::OrderBook;
    use kestrel_model::{BookDelta, BookSnapshot, EventTime, Level, Qty, UpdateIds};
    use kestrel_signals::SignalValues;
    use kestrel_strategy::Context;
    use proptest::prelude::{any, prop, prop_assert_eq, proptest};

    use super::*;
    use crate::kernel::KernelConfig;

    const IX: InstrumentIndex = InstrumentIndex::FIRST;

    /// Records what it is shown at each book update.
    #[derive(Default)]
    struct Watcher {
        seen: Vec<(Option<Level>, Option<Level>, SignalValues)>,
    }

    impl Strategy for Watcher {
        fn on_book(
            &mut self,
            _: &mut dyn Context,
            _: InstrumentIndex,
            book: &OrderBook,
            signals: &SignalValues,
        ) {
            self.seen.push((book.best_bid(), book.best_ask(), *signals));
        }
        fn book_depth(&self) -> Option<usize> {
            Some(1)
        }
    }

    fn kernel(config: &KernelConfig, bids: &[(i64, u64)], asks: &[(i64, u64)]) -> Kernel<Watcher> {
        let instrument = kestrel_model::testing::instrument("1", "1");
        let mut kernel = Kernel::new(&instrument, Watcher::default(), config).unwrap();
        let level = |&(p, q): &(i64, u64)| Level {
            price: Price::from_ticks(p),
            qty: Qty::from_lots(q),
        };
        let snapshot = BookSnapshot {
            instrument: instrument.id,
            last_update_id: 1,
            time: EventTime::default(),
            bids: bids.iter().map(level).collect(),
            asks: asks.iter().map(level).collect(),
        };
        kernel.on_snapshot(IX, &snapshot, UnixNanos::new(1));
        kernel
    }

    /// What a decoder does with one side's list: read from its near end
    /// until the first level beyond the bound.
    struct SideRead {
        from_near_end: Vec<LevelUpdate>,
        taken: usize,
    }

    impl SideRead {
        fn new(list: &[LevelUpdate], side: Side) -> Self {
            let mut from_near_end = list.to_vec();
            if list.len() > 1 && side.is_worse(list[0].price, list[1].price) {
                from_near_end.reverse();
            }
            Self {
                from_near_end,
                taken: 0,
            }
        }

        /// Reads on to `bound`; where the levels left lie.
        fn read(
            &mut self,
            side: Side,
            bound: Option<Price>,
            out: &mut Vec<LevelUpdate>,
        ) -> Option<Price> {
            let mut past = None;
            while let Some(u) = self.from_near_end.get(self.taken) {
                self.taken += 1;
                out.push(*u);
                if bound.is_some_and(|b| side.is_worse(u.price, b)) {
                    past = Some(u.price);
                    break;
                }
            }
            if self.taken == self.from_near_end.len() {
                None
            } else {
                past
            }
        }
    }

    fn side_list(
        side: Side,
        touch: i64,
        offsets: &[(i64, u64)],
        ascending: bool,
    ) -> Vec<LevelUpdate> {
        let mut prices: Vec<i64> = offsets
            .iter()
            .map(|&(o, _)| {
                if side == Side::Buy {
                    touch - o
                } else {
                    touch + o
                }
            })
            .collect();
        prices.sort_unstable();
        prices.dedup();
        if !ascending {
            prices.reverse();
        }
        prices
            .iter()
            .zip(offsets.iter().cycle())
            .map(|(&p, &(_, q))| LevelUpdate {
                price: Price::from_ticks(p),
                qty: Qty::from_lots(if q < 25 { 0 } else { q }),
                side,
            })
            .collect()
    }

    proptest! {
        /// Deciding on a diff near the touch first, reading on when the
        /// kernel asks, gives what the whole diff gives: the same bests
        /// and signals shown to the strategy, the same book.
        #[test]
        fn near_first_equals_the_whole_diff(
            book_bids in prop::collection::vec((1i64..4, 1u64..50), 5..60),
            book_asks in prop::collection::vec((1i64..4, 1u64..50), 5..60),
            // Half of a diff's levels removed: runs of removals at the
            // touch are what make the kernel read on.
            diff_bids in prop::collection::vec((0i64..120, 0u64..50), 0..80),
            diff_asks in prop::collection::vec((0i64..120, 0u64..50), 0..80),
            bids_ascending in any::<bool>(),
            asks_ascending in any::<bool>(),
        ) {
            let config = super::super::tests::config();
            let ladder = |gaps: &[(i64, u64)], start: i64, step: i64| {
                let mut price = start;
                gaps.iter()
                    .map(|&(gap, q)| {
                        price += step * gap;
                        (price, q)
                    })
                    .collect::<Vec<_>>()
            };
            let bids = ladder(&book_bids, 10_001, -1);
            let asks = ladder(&book_asks, 10_000, 1);
            let bid_list = side_list(Side::Buy, 10_000, &diff_bids, bids_ascending);
            let ask_list = side_list(Side::Sell, 10_001, &diff_asks, asks_ascending);

            let mut whole = kernel(&config, &bids, &asks);
            let delta = BookDelta {
                instrument: kestrel_model::testing::instrument("1", "1").id,
                ids: UpdateIds::default(),
                time: EventTime::default(),
                updates: [bid_list.clone(), ask_list.clone()].concat(),
            };
            whole.on_delta(IX, &delta, UnixNanos::new(2));

            let mut split = kernel(&config, &bids, &asks);
            let bounds = split.touch_bounds(IX).unwrap_or_default();
            let mut reads = [SideRead::new(&bid_list, Side::Buy), SideRead::new(&ask_list, Side::Sell)];
            let mut part = Vec::new();
            let mut beyond = TouchBounds {
                bid: reads[0].read(Side::Buy, bounds.bid, &mut part),
                ask: reads[1].read(Side::Sell, bounds.ask, &mut part),
            };
            while let Some(more) = split.on_delta_near(IX, &part, beyond, UnixNanos::new(2)) {
                part.clear();
                if let Some(b) = more.bid {
                    beyond.bid = reads[0].read(Side::Buy, Some(b), &mut part);
                }
                if let Some(a) = more.ask {
                    beyond.ask = reads[1].read(Side::Sell, Some(a), &mut part);
                }
            }
            let rest: Vec<LevelUpdate> = reads
                .iter()
                .flat_map(|r| r.from_near_end[r.taken..].iter().copied())
                .collect();
            split.on_delta_rest(IX, &rest, UnixNanos::new(2));

            prop_assert_eq!(&whole.strategy().seen, &split.strategy().seen);
            prop_assert_eq!(whole.book().snapshot(1_000), split.book().snapshot(1_000));
        }
    }
}
