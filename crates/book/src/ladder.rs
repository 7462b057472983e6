//! One side of a book: a dense window of ticks around the touch, and an
//! ordered store ([`FarLevels`], a B+ tree) for the far levels outside it.
//!
//! Keys are ordered so that lower is better. Asks use the price in ticks and
//! bids its bitwise complement (`!ticks`), which reverses the order without
//! overflow, so one implementation serves both sides.
//!
//! Invariants, for a non-empty side:
//! * the best (lowest) key lies in the window `[base, base + window)`;
//! * every far level is worse than the whole window (key ≥ `base + window`).
//!
//! The window is placed with a quarter of it on the better side of the best
//! level, and moved ("recentred") only when the best leaves it or drifts past
//! its middle. Recentring is O(window / 64 + levels moved + log far) and
//! rare: the steady-state update is an array store, a bit flip and a compare.
//! An update outside the window costs O(log far), however far apart the
//! levels are; nothing on any update path walks the whole far store.

use crate::bitset::{Bitset, Ones};
use crate::far::{FarCursor, FarLevels};

const NO_BEST: usize = usize::MAX;

/// One side of an L2 book keyed by "lower is better" ticks.
///
/// Aligned to a cache line, so a ladder is 128 bytes: the update path
/// indexes `sides[side]` with a shift and reads every field off one base.
/// (At 208 or 120 bytes the compiler instead picked each field's address by
/// side, a `cmov` per field, and the real stream ran 15–20% slower.)
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[repr(align(64))]
pub(crate) struct Ladder {
    /// Key of the best level, valid when `best_qty` != 0.
    best_key: i64,
    /// Size at the best level; 0 when the side is empty. Cached beside
    /// `best_key` so reading the top of book is two loads.
    best_qty: u64,
    /// Key of slot 0.
    base: i64,
    /// Size per slot, 0 for an empty slot.
    qty: Box<[u64]>,
    occupied: Bitset,
    /// Slot of the best level, `NO_BEST` when the side is empty.
    best: usize,
    /// Levels outside the window, all worse than the window. Boxed (once,
    /// at construction) so the ladder fits its 128 bytes.
    far: Box<FarLevels>,
    /// Reused buffer for recentring.
    scratch: Vec<(i64, u64)>,
    /// Times the window has moved, for diagnostics.
    recenters: u64,
}

impl Ladder {
    /// An empty side with a window of `window` slots (a multiple of 64).
    pub(crate) fn new(window: usize) -> Self {
        Self {
            best_key: 0,
            best_qty: 0,
            base: 0,
            qty: vec![0; window].into_boxed_slice(),
            occupied: Bitset::new(window),
            best: NO_BEST,
            far: Box::default(),
            scratch: Vec::new(),
            recenters: 0,
        }
    }

    #[inline(always)]
    fn window(&self) -> usize {
        self.qty.len()
    }

    /// Where the window sits after a recentre on `best_key`.
    fn base_for(&self, best_key: i64) -> i64 {
        best_key.saturating_sub((self.window() / 4) as i64)
    }

    #[inline(always)]
    fn slot_of(&self, key: i64) -> Option<usize> {
        slot_in(self.base, self.window(), key)
    }

    /// The best level as (key, size).
    #[inline(always)]
    pub(crate) fn best(&self) -> Option<(i64, u64)> {
        (self.best_qty != 0).then_some((self.best_key, self.best_qty))
    }

    /// Makes `slot` (or `NO_BEST`) the best and refreshes the cached level.
    #[inline(always)]
    fn set_best(&mut self, slot: usize) {
        self.best = slot;
        if slot == NO_BEST {
            self.best_qty = 0;
        } else {
            self.best_key = self.base + slot as i64;
            self.best_qty = self.qty[slot];
        }
    }

    /// Number of levels on this side; O(window / 64), off the update path.
    pub(crate) fn len(&self) -> usize {
        self.occupied.count_ones() + self.far.len()
    }

    /// Times the window has moved.
    pub(crate) fn recenters(&self) -> u64 {
        self.recenters
    }

    /// Levels outside the dense window.
    pub(crate) fn far_len(&self) -> usize {
        self.far.len()
    }

    /// The size at `key`, 0 if there is no level there.
    #[inline]
    pub(crate) fn get(&self, key: i64) -> u64 {
        match self.slot_of(key) {
            Some(slot) => self.qty[slot],
            None => self.far.get(key),
        }
    }

    /// Sets the size at `key`; zero removes the level (absent levels are ignored).
    #[inline]
    pub(crate) fn set(&mut self, key: i64, qty: u64) {
        match self.slot_of(key) {
            Some(slot) => self.set_dense(slot, qty),
            None => self.set_outside(key, qty),
        }
    }

    /// The steady-state update: store the size, flip the occupancy bit. It
    /// never reads the old size, so a cache miss on the slot does not stall
    /// the next update. Whether it adds, changes or removes a level is
    /// unpredictable on real feeds, so that is arithmetic, not branches; only
    /// updates at or above the best branch.
    #[inline(always)]
    fn set_dense(&mut self, slot: usize, qty: u64) {
        self.qty[slot] = qty;
        self.occupied.assign(slot, qty != 0);
        if slot <= self.best {
            if qty != 0 {
                // A new best, or a new size at the best.
                self.best = slot;
                self.best_key = self.base + slot as i64;
                self.best_qty = qty;
            } else if slot == self.best {
                self.on_best_removed();
            }
        }
    }

    fn on_best_removed(&mut self) {
        match self.occupied.next_set(self.best + 1) {
            Some(next) => {
                self.set_best(next);
                if next > self.window() / 2 {
                    // The touch drifted away: bring depth back into the window.
                    self.recenter(self.base_for(self.best_key));
                }
            }
            None => {
                self.set_best(NO_BEST);
                if let Some((key, _)) = self.far.first() {
                    self.recenter(self.base_for(key));
                }
            }
        }
    }

    #[inline(never)]
    fn set_outside(&mut self, key: i64, qty: u64) {
        if qty != 0 && (key < self.base || self.best == NO_BEST) {
            // A new best outside the window, or the first level of an empty side.
            self.recenter(self.base_for(key));
            if let Some(slot) = self.slot_of(key) {
                self.set_dense(slot, qty);
            }
            return;
        }
        self.far.set(key, qty);
    }

    /// Moves the window to start at `new_base`, which must not be above the
    /// side's best key; levels migrate between the window and the far store.
    ///
    /// Every far key is worse than the old best, so at or above `new_base`:
    /// the far levels the new window covers are the store's first ones and
    /// leave it as a run. The window's levels that no longer fit are better
    /// than every far level and join it as a run. Nothing here walks the
    /// whole far store.
    #[cold]
    fn recenter(&mut self, new_base: i64) {
        self.recenters += 1;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        self.drain_dense(|key, qty| scratch.push((key, qty)));
        self.base = new_base;

        let window = self.window();
        let (far, sizes, occupied) = (&mut *self.far, &mut self.qty, &mut self.occupied);
        far.drain_while(
            |key| slot_in(new_base, window, key).is_some(),
            |key, qty| {
                if let Some(s) = slot_in(new_base, window, key) {
                    sizes[s] = qty;
                    occupied.assign(s, true);
                }
            },
        );
        // Window levels are at or above `new_base`: those still inside come
        // first, the rest are below every far key and go out as one run.
        let inside = scratch.partition_point(|&(key, _)| self.slot_of(key).is_some());
        for &(key, qty) in &scratch[..inside] {
            if let Some(s) = self.slot_of(key) {
                self.qty[s] = qty;
                self.occupied.assign(s, true);
            }
        }
        self.far.prepend(&scratch[inside..]);
        self.set_best(self.occupied.next_set(0).unwrap_or(NO_BEST));
        debug_assert!(
            self.far
                .first()
                .is_none_or(|(k, _)| k >= new_base && self.slot_of(k).is_none())
        );
        self.scratch = scratch;
    }

    /// Empties the window, handing each level to `each` in key order, and
    /// leaves the side without a best; the far store is untouched.
    fn drain_dense(&mut self, mut each: impl FnMut(i64, u64)) {
        let mut slot = self.occupied.next_set(0);
        while let Some(s) = slot {
            each(self.base + s as i64, self.qty[s]);
            self.qty[s] = 0;
            self.occupied.assign(s, false);
            slot = self.occupied.next_set(s + 1);
        }
        self.set_best(NO_BEST);
    }

    /// Removes every level; keeps the allocations.
    pub(crate) fn clear(&mut self) {
        self.drain_dense(|_, _| {});
        self.far.clear();
    }

    /// Levels best first, as (key, size).
    pub(crate) fn iter(&self) -> LadderIter<'_> {
        // Empty side: start past the window so only the (empty) far store is read.
        let start = if self.best == NO_BEST {
            self.window()
        } else {
            self.best
        };
        LadderIter {
            ladder: self,
            dense: self.occupied.ones_from(start),
            far: FarCursor::START,
        }
    }

    /// Bytes held on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.qty.len() * size_of::<u64>()
            + self.occupied.heap_bytes()
            + size_of::<FarLevels>()
            + self.far.heap_bytes()
            + self.scratch.capacity() * size_of::<(i64, u64)>()
    }
}

/// The slot of `key` in a window of `window` slots starting at `base`.
#[inline(always)]
fn slot_in(base: i64, window: usize, key: i64) -> Option<usize> {
    key.checked_sub(base)
        .and_then(|offset| usize::try_from(offset).ok())
        .filter(|&slot| slot < window)
}

/// Levels of one side, best first: the window, then the far store.
pub(crate) struct LadderIter<'a> {
    ladder: &'a Ladder,
    dense: Ones<'a>,
    /// Where the far store's levels resume once the window's have run out;
    /// most reads (top of book, a checksum's 25 levels) never get there.
    far: FarCursor,
}

impl Ladder {
    /// One far level for [`LadderIter`], out of line: kept out of the
    /// window's loop, and taking and returning the cursor by value, so the
    /// iterator's state stays in registers.
    #[cold]
    #[inline(never)]
    fn far_step(&self, cursor: FarCursor) -> Option<((i64, u64), FarCursor)> {
        self.far.step(cursor)
    }
}

impl Iterator for LadderIter<'_> {
    type Item = (i64, u64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.dense.next() {
            Some(s) => Some((self.ladder.base + s as i64, self.ladder.qty[s])),
            None => {
                let (level, cursor) = self.ladder.far_step(self.far)?;
                self.far = cursor;
                Some(level)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ladder_is_two_cache_lines() {
        assert_eq!(size_of::<Ladder>(), 128);
    }

    fn levels(l: &Ladder) -> Vec<(i64, u64)> {
        l.iter().collect()
    }

    #[test]
    fn tracks_best_through_sets_and_removals() {
        let mut l = Ladder::new(64);
        assert_eq!(l.best(), None);
        l.set(100, 5);
        l.set(103, 7);
        l.set(101, 1);
        assert_eq!(l.best(), Some((100, 5)));
        l.set(100, 0);
        assert_eq!(l.best(), Some((101, 1)));
        l.set(99, 2);
        assert_eq!(l.best(), Some((99, 2)));
        assert_eq!(levels(&l), vec![(99, 2), (101, 1), (103, 7)]);
        l.set(500, 0); // absent: ignored
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn far_levels_live_outside_the_window_and_come_back() {
        let mut l = Ladder::new(64);
        l.set(1_000, 1);
        l.set(1_000_000, 2); // far worse
        l.set(5_000, 3); // far worse
        assert_eq!(l.far_len(), 2);
        assert_eq!(levels(&l), vec![(1_000, 1), (5_000, 3), (1_000_000, 2)]);
        l.set(1_000, 0); // best gone: the next far level becomes best
        assert_eq!(l.best(), Some((5_000, 3)));
        assert_eq!(l.far_len(), 1);
        l.set(-7, 4); // far better: the window follows
        assert_eq!(l.best(), Some((-7, 4)));
        assert_eq!(levels(&l), vec![(-7, 4), (5_000, 3), (1_000_000, 2)]);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn recentres_when_the_touch_drifts() {
        let mut l = Ladder::new(64);
        for k in 0..60 {
            l.set(k, 1);
        }
        for k in 0..40 {
            l.set(k, 0);
        }
        assert_eq!(l.best(), Some((40, 1)));
        assert_eq!(levels(&l), (40..60).map(|k| (k, 1)).collect::<Vec<_>>());
        assert_eq!(l.far_len(), 0);
    }

    #[test]
    fn far_levels_cross_into_and_out_of_the_window() {
        let mut l = Ladder::new(64);
        let window = [(1_000, 1), (1_010, 2), (1_040, 3)];
        let far = [(1_050, 4), (1_060, 5), (1_100, 6), (2_000, 7)];
        for (k, q) in window.into_iter().chain(far) {
            l.set(k, q);
        }
        // The window is [984, 1048).
        assert_eq!(l.far_len(), 4);
        // A best far better: the whole window goes out to the far store.
        l.set(-5_000, 8);
        assert_eq!(l.far_len(), 7);
        assert_eq!(l.best(), Some((-5_000, 8)));
        let all: Vec<_> = window.into_iter().chain(far).collect();
        assert_eq!(levels(&l)[1..], all);
        // It goes again: the window is empty and takes the far levels back.
        l.set(-5_000, 0);
        assert_eq!((l.best(), l.far_len()), (Some((1_000, 1)), 4));
        assert_eq!(levels(&l), all);
        // The touch drifts past the window's middle: far levels come in.
        l.set(1_000, 0);
        l.set(1_010, 0);
        assert_eq!((l.best(), l.far_len()), (Some((1_040, 3)), 2));
        assert_eq!((l.get(1_050), l.get(1_100), l.get(2_000)), (4, 6, 7));
        for k in [1_040, 1_050, 1_060] {
            l.set(k, 0);
        }
        assert_eq!((l.best(), l.far_len()), (Some((1_100, 6)), 1));
        l.set(1_100, 0);
        assert_eq!((l.best(), l.far_len()), (Some((2_000, 7)), 0));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn heap_bytes_count_far_levels_not_the_ticks_between_them() {
        let mut l = Ladder::new(64);
        let empty = l.heap_bytes();
        // 10,000 levels over ten million ticks.
        for k in 0..10_000 {
            l.set(1_000 * k, 1);
        }
        assert_eq!(l.far_len(), 9_999);
        let per_level = (l.heap_bytes() - empty) / 10_000;
        assert!((16..=128).contains(&per_level), "{per_level} bytes a level");
    }

    #[test]
    fn extreme_keys_never_overflow() {
        let mut l = Ladder::new(64);
        l.set(i64::MAX, 1);
        l.set(i64::MIN, 2);
        l.set(i64::MAX - 1, 3);
        assert_eq!(l.best(), Some((i64::MIN, 2)));
        assert_eq!(
            levels(&l),
            vec![(i64::MIN, 2), (i64::MAX - 1, 3), (i64::MAX, 1)]
        );
        l.set(i64::MIN, 0);
        assert_eq!(l.best(), Some((i64::MAX - 1, 3)));
        l.clear();
        assert_eq!(l.best(), None);
        assert_eq!(l.len(), 0);
    }
}
