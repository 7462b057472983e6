//! Moving runs of levels between the window and the far store: when the
//! window moves, the levels that change hands are always the far store's
//! lowest keys, so both directions work leaf by leaf at the front of the
//! tree, O(levels moved + log n), instead of level by level.

use super::{CAP, Cut, FarLevels, Leaf, MIN, NIL};

impl FarLevels {
    /// Hands the levels whose keys satisfy `inside` to `each` in key order
    /// and removes them. `inside` must hold for a prefix of the keys (those
    /// below some bound); the cost is O(levels taken + log n).
    pub(crate) fn drain_while(
        &mut self,
        mut inside: impl FnMut(i64) -> bool,
        mut each: impl FnMut(i64, u64),
    ) {
        while let Some(leaf) = self.leaves.get(self.head) {
            let len = leaf.len;
            let taken = leaf.keys[..len].partition_point(|&k| inside(k));
            for i in 0..taken {
                each(leaf.keys[i], leaf.qtys[i]);
            }
            if taken == 0 {
                return;
            }
            self.cut(Cut::Front(taken));
            if taken < len {
                return;
            }
        }
    }

    /// Adds `run`, sorted by key, whose keys are all below every key held:
    /// the levels a window pushes out when it moves to a better price. Whole
    /// leaves are filled and linked in at the front, so the cost is
    /// O(run + log n) rather than a search and a shift per level.
    pub(crate) fn prepend(&mut self, run: &[(i64, u64)]) {
        debug_assert!(run.is_sorted_by(|a, b| a.0 < b.0));
        debug_assert!(match (run.last(), self.first()) {
            (Some(last), Some(first)) => last.0 < first.0,
            _ => true,
        });
        if run.len() < MIN {
            for &(key, qty) in run.iter().rev() {
                self.set(key, qty);
            }
            return;
        }
        // A root leaf may hold fewer than `MIN` levels, which a leaf with
        // others in front of it may not: its levels become the run's tail.
        let mut tail = Leaf::EMPTY;
        if self.height == 0 && self.root != NIL && self.leaves[self.root].len < MIN {
            tail = self.leaves[self.root];
            self.clear();
        }
        let level = |at: usize| match run.get(at) {
            Some(&level) => level,
            None => (tail.keys[at - run.len()], tail.qtys[at - run.len()]),
        };
        let total = run.len() + tail.len;
        let leaves = total.div_ceil(CAP);
        let (size, extra) = (total / leaves, total % leaves);
        let mut end = total;
        // Highest keys first: each new leaf goes in front of all the others.
        for i in (0..leaves).rev() {
            let start = end - size - usize::from(i < extra);
            let id = self.new_leaf();
            let leaf = &mut self.leaves[id];
            for (slot, at) in (start..end).enumerate() {
                (leaf.keys[slot], leaf.qtys[slot]) = level(at);
            }
            leaf.len = end - start;
            self.push_front(id);
            self.len += end - start;
            end = start;
        }
    }

    /// Links leaf `id`, whose keys are below every key held, in at the front.
    fn push_front(&mut self, id: usize) {
        let Some((old_first, _)) = self.first() else {
            (self.root, self.head, self.height) = (id, id, 0);
            return;
        };
        self.leaves[id].next = self.head;
        self.head = id;
        let (left, split) = if self.height == 0 {
            (id, Some((old_first, self.root)))
        } else {
            (
                self.root,
                self.front_at(self.root, self.height, id, old_first),
            )
        };
        if let Some((min, right)) = split {
            let root = self.new_branch();
            let branch = &mut self.branches[root];
            branch.len = 2;
            branch.kids[0] = left;
            branch.kids[1] = right;
            branch.mins[1] = min;
            self.root = root;
            self.height += 1;
        }
    }

    /// Puts leaf `id` first under `node`; `old_first`, the lowest key held
    /// until now, becomes the lower bound of the child it displaces.
    fn front_at(
        &mut self,
        node: usize,
        height: usize,
        id: usize,
        old_first: i64,
    ) -> Option<(i64, usize)> {
        if height == 1 {
            let split = self.insert_kid(node, 0, old_first, id);
            self.branches[node].mins[1] = old_first;
            return split;
        }
        let kid = self.branches[node].kids[0];
        let (min, right) = self.front_at(kid, height - 1, id, old_first)?;
        self.insert_kid(node, 1, min, right)
    }
}
