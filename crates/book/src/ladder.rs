//! One side of a book: a dense window of ticks around the touch, and a sorted
//! store for the far levels outside it.
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
//! its middle. Recentring is O(window / 64 + levels moved) and rare: the
//! steady-state update is an array store, a bit flip and a compare.

use crate::bitset::{Bitset, Ones};

const NO_BEST: usize = usize::MAX;

/// One side of an L2 book keyed by "lower is better" ticks.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
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
    /// Levels outside the window, sorted by key, all worse than the window.
    far: Vec<(i64, u64)>,
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
            far: Vec::new(),
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
        key.checked_sub(self.base)
            .and_then(|offset| usize::try_from(offset).ok())
            .filter(|&slot| slot < self.window())
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
            None => self
                .far
                .binary_search_by_key(&key, |&(k, _)| k)
                .map_or(0, |i| self.far[i].1),
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
                if let Some(&(key, _)) = self.far.first() {
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
        match self.far.binary_search_by_key(&key, |&(k, _)| k) {
            Ok(i) if qty == 0 => {
                self.far.remove(i);
            }
            Ok(i) => self.far[i].1 = qty,
            Err(i) if qty != 0 => self.far.insert(i, (key, qty)),
            Err(_) => {}
        }
    }

    /// Moves the window to start at `new_base`, which must not be above the
    /// side's best key; levels migrate between the window and the far store.
    #[cold]
    fn recenter(&mut self, new_base: i64) {
        self.recenters += 1;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        self.drain_dense(|key, qty| scratch.push((key, qty)));
        self.base = new_base;

        let from = self.far.partition_point(|&(k, _)| k < new_base);
        let inside = self.far[from..].partition_point(|&(k, _)| self.slot_of(k).is_some());
        let to = from + inside;
        scratch.extend(self.far.drain(from..to));
        let far_before = self.far.len();
        for &(key, qty) in &scratch {
            match self.slot_of(key) {
                Some(s) => {
                    self.qty[s] = qty;
                    self.occupied.assign(s, true);
                }
                None => self.far.push((key, qty)),
            }
        }
        if self.far.len() != far_before {
            self.far.sort_unstable_by_key(|&(k, _)| k);
        }
        self.set_best(self.occupied.next_set(0).unwrap_or(NO_BEST));
        debug_assert!(
            self.far
                .first()
                .is_none_or(|&(k, _)| k >= new_base && self.slot_of(k).is_none())
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
            far: self.far.iter(),
        }
    }

    /// Bytes held on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.qty.len() * size_of::<u64>()
            + self.occupied.heap_bytes()
            + (self.far.capacity() + self.scratch.capacity()) * size_of::<(i64, u64)>()
    }
}

/// Levels of one side, best first: the window, then the far store.
pub(crate) struct LadderIter<'a> {
    ladder: &'a Ladder,
    dense: Ones<'a>,
    far: std::slice::Iter<'a, (i64, u64)>,
}

impl Iterator for LadderIter<'_> {
    type Item = (i64, u64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.dense.next() {
            Some(s) => Some((self.ladder.base + s as i64, self.ladder.qty[s])),
            None => self.far.next().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
