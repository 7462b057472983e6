//! The far store against `BTreeMap`, with its tree invariants checked after
//! every operation.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// Checks the tree's shape and that it holds exactly `model`.
fn check(far: &FarLevels, model: &BTreeMap<i64, u64>) {
    assert_eq!(far.len(), model.len());
    let ours: Vec<_> = far.iter().collect();
    let theirs: Vec<_> = model.iter().map(|(&k, &q)| (k, q)).collect();
    assert_eq!(ours, theirs);
    assert_eq!(far.first(), theirs.first().copied());
    if far.root == NIL {
        assert_eq!((far.head, far.len), (NIL, 0));
        return;
    }
    let mut in_order = Vec::new();
    let live = walk(far, far.root, far.height, (None, None), true, &mut in_order);
    let mut chain = Vec::new();
    let mut leaf = far.head;
    while leaf != NIL {
        chain.push(leaf);
        leaf = far.leaves[leaf].next;
    }
    assert_eq!(chain, in_order, "leaf chain out of key order");
    // Every arena slot is either in the tree or on a free list.
    let free = |mut id: usize, next: &dyn Fn(usize) -> usize| {
        let mut n = 0;
        while id != NIL {
            n += 1;
            id = next(id);
        }
        n
    };
    let free_leaves = free(far.free_leaf, &|id| far.leaves[id].next);
    let free_branches = free(far.free_branch, &|id| far.branches[id].kids[0]);
    assert_eq!(live.0 + free_leaves, far.leaves.len());
    assert_eq!(live.1 + free_branches, far.branches.len());
}

/// Walks the subtree at `node`, checking fill and key bounds; returns the
/// (leaves, branches) it holds.
fn walk(
    far: &FarLevels,
    node: usize,
    height: usize,
    (lo, hi): (Option<i64>, Option<i64>),
    root: bool,
    leaves: &mut Vec<usize>,
) -> (usize, usize) {
    let within = |k: i64| lo.is_none_or(|lo| k >= lo) && hi.is_none_or(|hi| k < hi);
    if height == 0 {
        let leaf = &far.leaves[node];
        assert!(
            leaf.len >= if root { 1 } else { MIN },
            "leaf of {}",
            leaf.len
        );
        assert!(leaf.keys[..leaf.len].is_sorted_by(|a, b| a < b));
        assert!(leaf.keys[..leaf.len].iter().all(|&k| within(k)));
        leaves.push(node);
        return (1, 0);
    }
    let branch = &far.branches[node];
    assert!(
        branch.len >= if root { 2 } else { MIN },
        "branch of {}",
        branch.len
    );
    let mins = &branch.mins[1..branch.len];
    assert!(mins.is_sorted_by(|a, b| a < b));
    assert!(mins.iter().all(|&k| within(k)));
    let mut count = (0, 1);
    for i in 0..branch.len {
        let kid_lo = if i == 0 { lo } else { Some(branch.mins[i]) };
        let kid_hi = if i + 1 < branch.len {
            Some(branch.mins[i + 1])
        } else {
            hi
        };
        let (l, b) = walk(
            far,
            branch.kids[i],
            height - 1,
            (kid_lo, kid_hi),
            false,
            leaves,
        );
        count = (count.0 + l, count.1 + b);
    }
    count
}

#[derive(Clone, Debug)]
enum Op {
    Set(i64, u64),
    /// Drain every key below this one.
    DrainBelow(i64),
    /// Prepend this many keys, this far apart, below every key held.
    Prepend(usize, i64),
    Clear,
}

/// A run of `count` keys `step` apart ending below every key of `model`.
fn run_below(model: &BTreeMap<i64, u64>, count: usize, step: i64) -> Vec<(i64, u64)> {
    let top = model.keys().next().copied().unwrap_or(0);
    (1..=count as i64)
        .rev()
        .filter_map(|i| top.checked_sub(i.checked_mul(step)?))
        .map(|k| (k, k as u64 | 1))
        .collect()
}

fn prepend(far: &mut FarLevels, model: &mut BTreeMap<i64, u64>, count: usize, step: i64) {
    let run = run_below(model, count, step);
    far.prepend(&run);
    model.extend(run);
}

fn key() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0i64..2_000,
        1 => any::<i64>(),
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX)],
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            // Sizes of 0 remove: as many removals as inserts keeps the tree
            // growing and shrinking through splits and merges.
            200 => (key(), prop_oneof![Just(0u64), 1u64..100]).prop_map(|(k, q)| Op::Set(k, q)),
            3 => key().prop_map(Op::DrainBelow),
            3 => (0usize..300, 1i64..50).prop_map(|(count, step)| Op::Prepend(count, step)),
            1 => Just(Op::Clear),
        ],
        1..3_000,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn behaves_as_an_ordered_map(ops in ops()) {
        let mut far = FarLevels::default();
        let mut model = BTreeMap::new();
        for op in ops {
            match op {
                Op::Set(k, 0) => {
                    model.remove(&k);
                    far.set(k, 0);
                }
                Op::Set(k, q) => {
                    model.insert(k, q);
                    far.set(k, q);
                }
                Op::DrainBelow(bound) => {
                    let mut taken = Vec::new();
                    far.drain_while(|k| k < bound, |k, q| taken.push((k, q)));
                    let rest = model.split_off(&bound);
                    let expected: Vec<_> = model.into_iter().collect();
                    prop_assert_eq!(taken, expected);
                    model = rest;
                }
                Op::Prepend(count, step) => prepend(&mut far, &mut model, count, step),
                Op::Clear => {
                    far.clear();
                    model.clear();
                }
            }
            check(&far, &model);
            if let Some((&k, &q)) = model.iter().next() {
                prop_assert_eq!(far.get(k), q);
            }
        }
    }
}

/// Bulk edits that build trees three and four high and then empty any part
/// of them, so every merge and sharing path between siblings runs.
#[derive(Clone, Debug)]
enum Bulk {
    /// Sets `count` keys from `start`, `step` apart.
    Fill { start: i64, count: i64, step: i64 },
    /// Removes the keys present in `from..from + span`.
    Remove { from: i64, span: i64 },
    /// Drains keys below `bound`.
    Drain { bound: i64 },
    /// Prepends `count` keys `step` apart below every key held.
    Prepend { count: usize, step: i64 },
}

fn bulk() -> impl Strategy<Value = Vec<Bulk>> {
    let key = 0i64..400_000;
    prop::collection::vec(
        prop_oneof![
            3 => (key.clone(), 1i64..20_000, 1i64..40)
                .prop_map(|(start, count, step)| Bulk::Fill { start, count, step }),
            3 => (key.clone(), 1i64..200_000).prop_map(|(from, span)| Bulk::Remove { from, span }),
            1 => key.prop_map(|bound| Bulk::Drain { bound }),
            2 => (1usize..20_000, 1i64..5).prop_map(|(count, step)| Bulk::Prepend { count, step }),
        ],
        1..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn bulk_edits_keep_the_tree_balanced(edits in bulk()) {
        let mut far = FarLevels::default();
        let mut model = BTreeMap::new();
        for edit in edits {
            match edit {
                Bulk::Fill { start, count, step } => {
                    for k in (0..count).map(|i| start + i * step) {
                        far.set(k, k as u64 + 1);
                        model.insert(k, k as u64 + 1);
                    }
                }
                Bulk::Remove { from, span } => {
                    let gone: Vec<i64> = model.range(from..from + span).map(|(&k, _)| k).collect();
                    // From both ends in turn, so both the first and the
                    // last children of branches run short.
                    let (mut low, mut high) = (0, gone.len());
                    while low < high {
                        let k = if (high - low) % 2 == 0 {
                            low += 1;
                            gone[low - 1]
                        } else {
                            high -= 1;
                            gone[high]
                        };
                        far.set(k, 0);
                        model.remove(&k);
                    }
                }
                Bulk::Drain { bound } => {
                    far.drain_while(|k| k < bound, |_, _| {});
                    model = model.split_off(&bound);
                }
                Bulk::Prepend { count, step } => prepend(&mut far, &mut model, count, step),
            }
            check(&far, &model);
        }
    }
}

/// A scrambled order of `0..n`, the same every run.
fn scrambled(n: i64) -> impl Iterator<Item = i64> {
    (0..n).map(move |i| (i * 7_919) % n)
}

#[test]
fn grows_and_shrinks_through_several_levels() {
    let mut far = FarLevels::default();
    let mut model = BTreeMap::new();
    let n = 100_000;
    for k in scrambled(n) {
        far.set(k * 3, k as u64 + 1);
        model.insert(k * 3, k as u64 + 1);
    }
    check(&far, &model);
    assert!(far.height >= 2, "height {}", far.height);
    assert_eq!(far.get(3 * 500), 501);
    assert_eq!(far.get(3 * 500 + 1), 0);
    for k in scrambled(n).filter(|k| k % 4 != 0) {
        far.set(k * 3, 0);
        model.remove(&(k * 3));
    }
    check(&far, &model);
    for k in (0..n).filter(|k| k % 4 == 0) {
        far.set(k * 3, 0);
    }
    assert_eq!((far.len(), far.first(), far.root), (0, None, NIL));
}

#[test]
fn drains_a_prefix_across_leaves_and_keeps_the_rest() {
    let mut far = FarLevels::default();
    let mut model = BTreeMap::new();
    for k in scrambled(10_000) {
        far.set(k, 1);
        model.insert(k, 1);
    }
    let mut taken = 0;
    far.drain_while(|k| k < 6_543, |_, _| taken += 1);
    assert_eq!(taken, 6_543);
    let model = model.split_off(&6_543);
    check(&far, &model);
    far.drain_while(|_| true, |_, _| {});
    check(&far, &BTreeMap::new());
}

#[test]
fn prepends_in_front_of_a_small_root_and_of_a_tall_tree() {
    for held in [0, 1, MIN - 1, MIN, CAP, 50_000] {
        for count in [MIN - 1, MIN, CAP - 1, CAP + 1, 5 * CAP + 7, 30_000] {
            let mut far = FarLevels::default();
            let mut model = BTreeMap::new();
            for k in scrambled(held as i64) {
                far.set(k, 1);
                model.insert(k, 1);
            }
            prepend(&mut far, &mut model, count, 3);
            check(&far, &model);
        }
    }
}

#[test]
fn reuses_its_nodes_after_clear_and_churn() {
    let mut far = FarLevels::default();
    let fill = |far: &mut FarLevels| {
        for k in scrambled(20_000) {
            far.set(k, 1);
        }
        for k in scrambled(20_000).filter(|k| k % 3 != 0) {
            far.set(k, 0);
        }
    };
    fill(&mut far);
    let bytes = far.heap_bytes();
    for _ in 0..3 {
        far.clear();
        fill(&mut far);
    }
    assert_eq!(far.heap_bytes(), bytes, "the arenas grew again");
    // Bounded by the levels present: at most 4 leaf slots per level held at
    // the peak, and far less than a tick-indexed array over the range.
    assert!(bytes < 20_000 * 4 * 16 * 2, "{bytes} bytes");
}
