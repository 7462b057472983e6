//! A two-level occupancy bitset over a ladder's slots.
//!
//! Finding the next occupied slot after the best is what a removal at the
//! touch costs. With one bit per slot and one summary bit per 64-slot word,
//! that search reads at most a few words even across an empty window.

/// Fixed-size bitset with a summary word per 64 words.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Bitset {
    words: Box<[u64]>,
    /// Bit `i` set ⇔ `words[i]` is non-zero.
    summary: Box<[u64]>,
}

impl Bitset {
    /// A bitset of `bits` bits (a multiple of 64), all clear.
    pub(crate) fn new(bits: usize) -> Self {
        let words = bits.div_ceil(64);
        Self {
            words: vec![0; words].into_boxed_slice(),
            summary: vec![0; words.div_ceil(64)].into_boxed_slice(),
        }
    }

    /// Sets bit `i` to `on` without branching on `on`: on real feeds whether
    /// an update adds or removes a level is a coin flip the predictor loses.
    /// The summary is written only when the word's emptiness flips, which is
    /// rare and predictable; writing it every time would chain every update
    /// of a side through one memory word.
    #[inline(always)]
    pub(crate) fn assign(&mut self, i: usize, on: bool) {
        let (w, b) = (i >> 6, i & 63);
        let old = self.words[w];
        let word = (old & !(1 << b)) | (u64::from(on) << b);
        self.words[w] = word;
        if (old == 0) != (word == 0) {
            self.summary[w >> 6] ^= 1 << (w & 63);
        }
    }

    /// Number of set bits; O(bits / 64).
    pub(crate) fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The first set bit at or after `from`.
    #[inline]
    pub(crate) fn next_set(&self, from: usize) -> Option<usize> {
        let w = from >> 6;
        let bits = *self.words.get(w)? & (!0u64 << (from & 63));
        if bits != 0 {
            return Some((w << 6) | bits.trailing_zeros() as usize);
        }
        let start = w + 1;
        let mut s = start >> 6;
        let mut summary = *self.summary.get(s)? & (!0u64 << (start & 63));
        loop {
            if summary != 0 {
                let word = (s << 6) | summary.trailing_zeros() as usize;
                return Some((word << 6) | self.words[word].trailing_zeros() as usize);
            }
            s += 1;
            summary = *self.summary.get(s)?;
        }
    }

    /// The set bits at or after `from`, in increasing order.
    #[inline]
    pub(crate) fn ones_from(&self, from: usize) -> Ones<'_> {
        let word = from >> 6;
        let bits = self
            .words
            .get(word)
            .map_or(0, |&w| w & (!0u64 << (from & 63)));
        Ones {
            set: self,
            word,
            bits,
        }
    }

    /// Bytes held on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.words.len() + self.summary.len()) * size_of::<u64>()
    }
}

/// Iterator over set bits: keeps the current word and pops its lowest bit,
/// so each step is a trailing-zero count, not a fresh search.
pub(crate) struct Ones<'a> {
    set: &'a Bitset,
    word: usize,
    /// Bits of `word` not yet returned.
    bits: u64,
}

impl Iterator for Ones<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.bits == 0 {
            let next = self.set.next_set((self.word + 1) << 6)?;
            self.word = next >> 6;
            self.bits = self.set.words[self.word] & (!0u64 << (next & 63));
        }
        let bit = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some((self.word << 6) | bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_set_bit_across_words_and_summaries() {
        let mut b = Bitset::new(64 * 64 * 3);
        assert_eq!(b.next_set(0), None);
        for i in [5, 64, 4095, 4096, 9000, 64 * 64 * 3 - 1] {
            b.assign(i, true);
        }
        assert_eq!(b.next_set(0), Some(5));
        assert_eq!(b.next_set(6), Some(64));
        assert_eq!(b.next_set(65), Some(4095));
        assert_eq!(b.next_set(4096), Some(4096));
        assert_eq!(b.next_set(4097), Some(9000));
        assert_eq!(b.next_set(9001), Some(64 * 64 * 3 - 1));
        assert_eq!(b.next_set(64 * 64 * 3), None);
        assert_eq!(b.count_ones(), 6);
        b.assign(9000, false);
        assert_eq!(b.next_set(4097), Some(64 * 64 * 3 - 1));
        b.assign(64 * 64 * 3 - 1, false);
        assert_eq!(b.next_set(4097), None);
    }

    #[test]
    fn ones_iterates_set_bits_in_order() {
        let mut b = Bitset::new(64 * 64 * 2);
        let bits = [0, 1, 63, 64, 200, 4095, 4096, 8191];
        for i in bits {
            b.assign(i, true);
        }
        assert_eq!(b.ones_from(0).collect::<Vec<_>>(), bits);
        assert_eq!(b.ones_from(2).collect::<Vec<_>>(), bits[2..]);
        assert_eq!(b.ones_from(8191).collect::<Vec<_>>(), [8191]);
        assert_eq!(b.ones_from(8192).count(), 0);
    }

    #[test]
    fn small_sets_work() {
        let mut b = Bitset::new(64);
        b.assign(63, true);
        assert_eq!(b.next_set(0), Some(63));
        assert_eq!(b.next_set(64), None);
        b.assign(63, false);
        assert_eq!(b.next_set(0), None);
    }
}
