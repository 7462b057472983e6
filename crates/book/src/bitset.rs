//! A two-level occupancy bitset over a ladder's slots.
//!
//! Finding the next occupied slot after the best is what a removal at the
//! touch costs. With one bit per slot and one summary bit per 64-slot word,
//! that search reads at most a few words even across an empty window.

/// Fixed-size bitset with a summary word per 64 words.
#[derive(Clone, Debug)]
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

    #[inline(always)]
    pub(crate) fn set(&mut self, i: usize) {
        let w = i >> 6;
        self.words[w] |= 1 << (i & 63);
        self.summary[w >> 6] |= 1 << (w & 63);
    }

    #[inline(always)]
    pub(crate) fn clear(&mut self, i: usize) {
        let w = i >> 6;
        self.words[w] &= !(1 << (i & 63));
        if self.words[w] == 0 {
            self.summary[w >> 6] &= !(1 << (w & 63));
        }
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

    /// Bytes held on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.words.len() + self.summary.len()) * size_of::<u64>()
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
            b.set(i);
        }
        assert_eq!(b.next_set(0), Some(5));
        assert_eq!(b.next_set(6), Some(64));
        assert_eq!(b.next_set(65), Some(4095));
        assert_eq!(b.next_set(4096), Some(4096));
        assert_eq!(b.next_set(4097), Some(9000));
        assert_eq!(b.next_set(9001), Some(64 * 64 * 3 - 1));
        assert_eq!(b.next_set(64 * 64 * 3), None);
        b.clear(9000);
        assert_eq!(b.next_set(4097), Some(64 * 64 * 3 - 1));
        b.clear(64 * 64 * 3 - 1);
        assert_eq!(b.next_set(4097), None);
    }

    #[test]
    fn small_sets_work() {
        let mut b = Bitset::new(64);
        b.set(63);
        assert_eq!(b.next_set(0), Some(63));
        assert_eq!(b.next_set(64), None);
        b.clear(63);
        assert_eq!(b.next_set(0), None);
    }
}
