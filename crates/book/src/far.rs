//! The far-level store: the levels of one side that lie outside its dense
//! window, in key order.
//!
//! A feed can put levels anywhere (a glitch, or a hostile venue, spreads
//! them over a million ticks), so every operation here must stay O(log n)
//! in the number of far levels: a sorted `Vec` costs a memmove of the whole
//! tail per insert or removal and stalled replays for minutes (issue 17).
//!
//! It is a B+ tree whose nodes live in two arenas and are recycled through
//! free lists. `std::collections::BTreeMap` would give the same bounds, but
//! it allocates and frees nodes as it grows and shrinks and frees them all on
//! `clear`, and the book must not allocate on its update path once warm.
//! Leaves are chained in key order, so iterating needs no stack and no
//! allocation. The levels the window takes back or pushes out are always the
//! lowest keys, so they move as whole leaves at the front (`bulk`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Entries per leaf and children per branch: a leaf is 1 KiB, so a search
/// reads a few cache lines per node and the tree stays two or three high.
const CAP: usize = 64;
/// A node below this many entries (other than the root) is merged with a
/// sibling or takes some of its entries, so memory stays proportional to
/// the levels present.
const MIN: usize = CAP / 4;
/// Two siblings merge when they fit in this much, else they share evenly;
/// the slack keeps a merged node from splitting on the next insert.
const MERGE_MAX: usize = CAP * 3 / 4;
/// "No node", for the root, the leaf chain and the free lists.
const NIL: usize = usize::MAX;
/// A cursor's leaf before its first step: the store's first leaf, read then.
const UNSTARTED: usize = usize::MAX - 1;

/// Up to `CAP` levels in key order.
#[derive(Clone, Copy)]
struct Leaf {
    len: usize,
    /// The next leaf in key order, or the next free leaf.
    next: usize,
    keys: [i64; CAP],
    qtys: [u64; CAP],
}

impl Leaf {
    const EMPTY: Self = Self {
        len: 0,
        next: NIL,
        keys: [0; CAP],
        qtys: [0; CAP],
    };
}

/// Up to `CAP` children. Every key in child `i` is at least `mins[i]` and
/// every key in child `i - 1` is below it; `mins[0]` is unused.
#[derive(Clone, Copy)]
struct Branch {
    len: usize,
    mins: [i64; CAP],
    /// Children; a free branch links to the next free one in `kids[0]`.
    kids: [usize; CAP],
}

impl Branch {
    const EMPTY: Self = Self {
        len: 0,
        mins: [0; CAP],
        kids: [NIL; CAP],
    };

    /// Which child may hold `key`.
    #[inline]
    fn kid_for(&self, key: i64) -> usize {
        self.mins[1..self.len].partition_point(|&min| min <= key)
    }
}

/// What a removal does at the leaf it reaches.
#[derive(Clone, Copy)]
enum Cut {
    /// Remove this key, if present.
    Key(i64),
    /// Remove the first this-many levels of the first leaf.
    Front(usize),
}

/// Levels outside the window as an ordered map from key to size; the window
/// moves levels in and out in runs ([`Self::drain_while`], [`Self::prepend`]).
#[derive(Clone)]
pub(crate) struct FarLevels {
    leaves: Vec<Leaf>,
    branches: Vec<Branch>,
    free_leaf: usize,
    free_branch: usize,
    root: usize,
    /// Branch levels above the leaves; 0 when the root is a leaf.
    height: usize,
    /// The first leaf in key order, `NIL` when empty.
    head: usize,
    len: usize,
}

impl Default for FarLevels {
    fn default() -> Self {
        Self {
            leaves: Vec::new(),
            branches: Vec::new(),
            free_leaf: NIL,
            free_branch: NIL,
            root: NIL,
            height: 0,
            head: NIL,
            len: 0,
        }
    }
}

impl FarLevels {
    /// Number of levels.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The lowest key and its size.
    #[inline]
    pub(crate) fn first(&self) -> Option<(i64, u64)> {
        let leaf = self.leaves.get(self.head)?;
        (leaf.len > 0).then(|| (leaf.keys[0], leaf.qtys[0]))
    }

    /// The size at `key`, 0 if absent.
    pub(crate) fn get(&self, key: i64) -> u64 {
        if self.root == NIL {
            return 0;
        }
        let leaf = &self.leaves[self.leaf_for(key)];
        leaf.keys[..leaf.len]
            .binary_search(&key)
            .map_or(0, |i| leaf.qtys[i])
    }

    fn leaf_for(&self, key: i64) -> usize {
        let mut node = self.root;
        for _ in 0..self.height {
            let branch = &self.branches[node];
            node = branch.kids[branch.kid_for(key)];
        }
        node
    }

    /// Sets the size at `key`; zero removes the level (an absent one is ignored).
    pub(crate) fn set(&mut self, key: i64, qty: u64) {
        if qty == 0 {
            self.cut(Cut::Key(key));
        } else {
            self.insert(key, qty);
        }
    }

    fn insert(&mut self, key: i64, qty: u64) {
        if self.root == NIL {
            let leaf = self.new_leaf();
            self.leaves[leaf].keys[0] = key;
            self.leaves[leaf].qtys[0] = qty;
            self.leaves[leaf].len = 1;
            (self.root, self.head, self.height, self.len) = (leaf, leaf, 0, 1);
            return;
        }
        if let Some((min, right)) = self.insert_at(self.root, self.height, key, qty) {
            // The root split: a new root above the two halves.
            let root = self.new_branch();
            let branch = &mut self.branches[root];
            branch.len = 2;
            branch.kids[0] = self.root;
            branch.kids[1] = right;
            branch.mins[1] = min;
            self.root = root;
            self.height += 1;
        }
    }

    /// Inserts below `node`; when `node` splits, returns the new right
    /// sibling and its lowest key.
    fn insert_at(
        &mut self,
        node: usize,
        height: usize,
        key: i64,
        qty: u64,
    ) -> Option<(i64, usize)> {
        if height == 0 {
            return self.insert_in_leaf(node, key, qty);
        }
        let at = self.branches[node].kid_for(key);
        let kid = self.branches[node].kids[at];
        let (min, right) = self.insert_at(kid, height - 1, key, qty)?;
        self.insert_kid(node, at + 1, min, right)
    }

    fn insert_in_leaf(&mut self, id: usize, key: i64, qty: u64) -> Option<(i64, usize)> {
        let leaf = &mut self.leaves[id];
        let at = match leaf.keys[..leaf.len].binary_search(&key) {
            Ok(i) => {
                leaf.qtys[i] = qty;
                return None;
            }
            Err(i) => i,
        };
        self.len += 1;
        if leaf.len < CAP {
            put(leaf, at, key, qty);
            return None;
        }
        // Full: the upper half moves to a new leaf after this one.
        let right = self.new_leaf();
        let (left, new) = pair(&mut self.leaves, id, right);
        let half = CAP / 2;
        new.keys[..CAP - half].copy_from_slice(&left.keys[half..]);
        new.qtys[..CAP - half].copy_from_slice(&left.qtys[half..]);
        new.len = CAP - half;
        left.len = half;
        new.next = left.next;
        left.next = right;
        if at <= half {
            put(left, at, key, qty);
        } else {
            put(new, at - half, key, qty);
        }
        Some((new.keys[0], right))
    }

    /// Puts child `kid` (lowest key `min`) at position `at` of `node`,
    /// splitting `node` if it is full.
    fn insert_kid(&mut self, node: usize, at: usize, min: i64, kid: usize) -> Option<(i64, usize)> {
        let branch = &mut self.branches[node];
        if branch.len < CAP {
            put_kid(branch, at, min, kid);
            return None;
        }
        let right = self.new_branch();
        let (left, new) = pair(&mut self.branches, node, right);
        let half = CAP / 2;
        new.mins[..CAP - half].copy_from_slice(&left.mins[half..]);
        new.kids[..CAP - half].copy_from_slice(&left.kids[half..]);
        new.len = CAP - half;
        left.len = half;
        // `at == half` appends to the left half, so the right half's first
        // child, and the separator above it, stay as they are.
        if at <= half {
            put_kid(left, at, min, kid);
        } else {
            put_kid(new, at - half, min, kid);
        }
        Some((new.mins[0], right))
    }

    fn cut(&mut self, cut: Cut) {
        if self.root == NIL {
            return;
        }
        self.cut_at(self.root, self.height, cut);
        // A root branch left with one child gives way to it; an empty root
        // leaf leaves the tree empty.
        while self.height > 0 && self.branches[self.root].len == 1 {
            let old = self.root;
            self.root = self.branches[old].kids[0];
            self.height -= 1;
            self.free_branch(old);
        }
        if self.height == 0 && self.leaves[self.root].len == 0 {
            self.free_leaf(self.root);
            (self.root, self.head) = (NIL, NIL);
        }
    }

    /// Applies `cut` below `node`; returns whether `node` fell below `MIN`.
    fn cut_at(&mut self, node: usize, height: usize, cut: Cut) -> bool {
        if height == 0 {
            let leaf = &mut self.leaves[node];
            let (from, count) = match cut {
                Cut::Key(key) => match leaf.keys[..leaf.len].binary_search(&key) {
                    Ok(i) => (i, 1),
                    Err(_) => return false,
                },
                Cut::Front(count) => (0, count),
            };
            leaf.keys.copy_within(from + count..leaf.len, from);
            leaf.qtys.copy_within(from + count..leaf.len, from);
            leaf.len -= count;
            self.len -= count;
            return leaf.len < MIN;
        }
        let at = match cut {
            Cut::Key(key) => self.branches[node].kid_for(key),
            Cut::Front(_) => 0,
        };
        if self.cut_at(self.branches[node].kids[at], height - 1, cut) {
            self.rebalance(node, height - 1, at);
        }
        self.branches[node].len < MIN
    }

    /// Child `at` of `node` (at `kid_height`) fell below `MIN`: merge it with
    /// a sibling, or even out the two.
    fn rebalance(&mut self, node: usize, kid_height: usize, at: usize) {
        let branch = &self.branches[node];
        if branch.len < 2 {
            return; // a root with one child; `cut` collapses it
        }
        let left_at = if at + 1 < branch.len { at } else { at - 1 };
        let (left, right) = (branch.kids[left_at], branch.kids[left_at + 1]);
        let separator = branch.mins[left_at + 1];
        let min = if kid_height == 0 {
            self.even_leaves(left, right)
        } else {
            self.even_branches(left, right, separator)
        };
        let branch = &mut self.branches[node];
        match min {
            Some(min) => branch.mins[left_at + 1] = min,
            None => {
                // Merged: the right child is gone.
                let len = branch.len;
                branch.mins.copy_within(left_at + 2..len, left_at + 1);
                branch.kids.copy_within(left_at + 2..len, left_at + 1);
                branch.len -= 1;
            }
        }
    }

    /// Merges leaf `right` into `left` if they fit (freeing `right`,
    /// returning `None`), else shares their levels evenly and returns
    /// `right`'s new lowest key.
    fn even_leaves(&mut self, left: usize, right: usize) -> Option<i64> {
        let (l, r) = pair(&mut self.leaves, left, right);
        let total = l.len + r.len;
        if total <= MERGE_MAX {
            l.keys[l.len..total].copy_from_slice(&r.keys[..r.len]);
            l.qtys[l.len..total].copy_from_slice(&r.qtys[..r.len]);
            l.len = total;
            l.next = r.next;
            self.free_leaf(right);
            return None;
        }
        let keep = total / 2;
        if l.len < keep {
            let moved = keep - l.len;
            l.keys[l.len..keep].copy_from_slice(&r.keys[..moved]);
            l.qtys[l.len..keep].copy_from_slice(&r.qtys[..moved]);
            r.keys.copy_within(moved..r.len, 0);
            r.qtys.copy_within(moved..r.len, 0);
        } else {
            let moved = l.len - keep;
            r.keys.copy_within(..r.len, moved);
            r.qtys.copy_within(..r.len, moved);
            r.keys[..moved].copy_from_slice(&l.keys[keep..l.len]);
            r.qtys[..moved].copy_from_slice(&l.qtys[keep..l.len]);
        }
        (l.len, r.len) = (keep, total - keep);
        Some(r.keys[0])
    }

    /// As [`Self::even_leaves`], for branches: `separator` is the lowest key
    /// under `right`, which becomes the bound of its first child on a move.
    fn even_branches(&mut self, left: usize, right: usize, separator: i64) -> Option<i64> {
        let (l, r) = pair(&mut self.branches, left, right);
        let total = l.len + r.len;
        r.mins[0] = separator;
        if total <= MERGE_MAX {
            l.mins[l.len..total].copy_from_slice(&r.mins[..r.len]);
            l.kids[l.len..total].copy_from_slice(&r.kids[..r.len]);
            l.len = total;
            self.free_branch(right);
            return None;
        }
        let keep = total / 2;
        if l.len < keep {
            let moved = keep - l.len;
            l.mins[l.len..keep].copy_from_slice(&r.mins[..moved]);
            l.kids[l.len..keep].copy_from_slice(&r.kids[..moved]);
            r.mins.copy_within(moved..r.len, 0);
            r.kids.copy_within(moved..r.len, 0);
        } else {
            let moved = l.len - keep;
            r.mins.copy_within(..r.len, moved);
            r.kids.copy_within(..r.len, moved);
            r.mins[..moved].copy_from_slice(&l.mins[keep..l.len]);
            r.kids[..moved].copy_from_slice(&l.kids[keep..l.len]);
        }
        (l.len, r.len) = (keep, total - keep);
        Some(r.mins[0])
    }

    fn new_leaf(&mut self) -> usize {
        match self.free_leaf {
            NIL => {
                self.leaves.push(Leaf::EMPTY);
                self.leaves.len() - 1
            }
            id => {
                self.free_leaf = self.leaves[id].next;
                self.leaves[id].len = 0;
                self.leaves[id].next = NIL;
                id
            }
        }
    }

    fn free_leaf(&mut self, id: usize) {
        self.leaves[id].len = 0;
        self.leaves[id].next = self.free_leaf;
        self.free_leaf = id;
    }

    fn new_branch(&mut self) -> usize {
        match self.free_branch {
            NIL => {
                self.branches.push(Branch::EMPTY);
                self.branches.len() - 1
            }
            id => {
                self.free_branch = self.branches[id].kids[0];
                self.branches[id].len = 0;
                id
            }
        }
    }

    fn free_branch(&mut self, id: usize) {
        self.branches[id].len = 0;
        self.branches[id].kids[0] = self.free_branch;
        self.free_branch = id;
    }

    /// Removes every level; keeps the arenas' memory for reuse.
    pub(crate) fn clear(&mut self) {
        self.leaves.clear();
        self.branches.clear();
        (self.free_leaf, self.free_branch) = (NIL, NIL);
        (self.root, self.head, self.height, self.len) = (NIL, NIL, 0, 0);
    }

    /// The level at `cursor` and the cursor past it; `None` at the end.
    /// A cursor is two words and borrows nothing, so an iterator over the
    /// window and then the far store stays small and in registers.
    #[inline]
    pub(crate) fn step(&self, cursor: FarCursor) -> Option<((i64, u64), FarCursor)> {
        let (mut leaf, mut at) = match cursor.leaf {
            UNSTARTED => (self.head, 0),
            leaf => (leaf, cursor.at),
        };
        loop {
            let node = self.leaves.get(leaf)?;
            if at < node.len {
                let level = (node.keys[at], node.qtys[at]);
                return Some((level, FarCursor { leaf, at: at + 1 }));
            }
            (leaf, at) = (node.next, 0);
        }
    }

    /// Levels in key order.
    pub(crate) fn iter(&self) -> FarIter<'_> {
        FarIter {
            leaves: &self.leaves,
            leaf: self.head,
            at: 0,
        }
    }

    /// Bytes held on the heap: both arenas at capacity, since the memory of
    /// freed nodes is kept for reuse (as the sorted `Vec` kept its
    /// capacity). Every leaf but the root is at least a quarter full, so this
    /// is at most about 64 bytes per level at the most levels ever held at
    /// once, plus the arenas' growth slack: bounded by levels, never by ticks.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.leaves.capacity() * size_of::<Leaf>() + self.branches.capacity() * size_of::<Branch>()
    }
}

/// Inserts (`key`, `qty`) at position `at` of a leaf that has room.
#[inline]
fn put(leaf: &mut Leaf, at: usize, key: i64, qty: u64) {
    leaf.keys.copy_within(at..leaf.len, at + 1);
    leaf.qtys.copy_within(at..leaf.len, at + 1);
    leaf.keys[at] = key;
    leaf.qtys[at] = qty;
    leaf.len += 1;
}

/// Inserts child `kid` with lowest key `min` at position `at` of a branch
/// that has room.
fn put_kid(branch: &mut Branch, at: usize, min: i64, kid: usize) {
    branch.mins.copy_within(at..branch.len, at + 1);
    branch.kids.copy_within(at..branch.len, at + 1);
    branch.mins[at] = min;
    branch.kids[at] = kid;
    branch.len += 1;
}

/// Two distinct nodes of one arena, both mutable.
fn pair<T>(arena: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    debug_assert_ne!(a, b);
    if a < b {
        let (low, high) = arena.split_at_mut(b);
        (&mut low[a], &mut high[0])
    } else {
        let (low, high) = arena.split_at_mut(a);
        (&mut high[0], &mut low[b])
    }
}

/// A position in a [`FarLevels`]' key order, for [`FarLevels::step`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct FarCursor {
    leaf: usize,
    at: usize,
}

impl FarCursor {
    /// Before the first far level.
    pub(crate) const START: Self = Self {
        leaf: UNSTARTED,
        at: 0,
    };
}

/// Far levels in key order, following the leaf chain.
pub(crate) struct FarIter<'a> {
    leaves: &'a [Leaf],
    leaf: usize,
    at: usize,
}

impl Iterator for FarIter<'_> {
    type Item = (i64, u64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let leaf = self.leaves.get(self.leaf)?;
            if self.at < leaf.len {
                let level = (leaf.keys[self.at], leaf.qtys[self.at]);
                self.at += 1;
                return Some(level);
            }
            (self.leaf, self.at) = (leaf.next, 0);
        }
    }
}

impl std::fmt::Debug for FarLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Written as the sorted `Vec<(i64, u64)>` it replaced, so saved books (in
/// kernel snapshots) read back across the change. The length goes first:
/// formats such as postcard need it before the elements.
impl Serialize for FarLevels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for level in self.iter() {
            seq.serialize_element(&level)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for FarLevels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut far = Self::default();
        for (key, qty) in Vec::<(i64, u64)>::deserialize(deserializer)? {
            far.set(key, qty);
        }
        Ok(far)
    }
}

mod bulk;
#[cfg(test)]
mod tests;
