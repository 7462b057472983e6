//! The fast path for venue level lists, `[["61659.70","1.486"],…]`.
//!
//! Depth frames are mostly levels, so this loop sets the feed's speed. The
//! list is read in 64-byte blocks: one pass of byte comparisons per block
//! (SSE2 on x86-64, a plain loop elsewhere) marks its quotes, points and
//! digits as bitmasks, and the levels inside the block are then checked on
//! those masks, a few bit operations each. Each decimal converts eight
//! digits at a time with no per-byte branch.
//!
//! Anything outside the venues' own compact layout (blanks, exponents, a
//! level over 64 bytes, a number over 16 digits) returns `None`, and the
//! caller takes the general [`Scanner`](crate::json::Scanner) path, which
//! also gives the precise error. The fast path accepts nothing the general
//! path refuses; a property test holds the two to the same answers.

use kestrel_model::{Instrument, Level, Price, Qty};

use crate::json::{POW10, digits_value};

/// Bytes classified at once; a level must fit in one block.
const BLOCK: usize = 64;

/// A copy of up to 64 bytes of the input (zero-padded at its end) and where
/// its quotes, points and digits are, one bit per byte.
struct Block {
    bytes: [u8; BLOCK],
    quotes: u64,
    dots: u64,
    digits: u64,
}

impl Block {
    /// The block of `input` starting at `at`.
    #[inline(always)]
    fn at(input: &[u8], at: usize) -> Self {
        let mut bytes = [0u8; BLOCK];
        match input.get(at..at + BLOCK) {
            Some(window) => bytes.copy_from_slice(window),
            None => {
                let tail = input.get(at..).unwrap_or_default();
                bytes[..tail.len()].copy_from_slice(tail);
            }
        }
        let (quotes, dots, digits) = classify(&bytes);
        Self {
            bytes,
            quotes,
            dots,
            digits,
        }
    }

    /// Eight bytes from `at` as a little-endian word.
    #[inline(always)]
    fn word(&self, at: usize) -> Option<u64> {
        let bytes: [u8; 8] = self.bytes.get(at..at + 8)?.try_into().ok()?;
        Some(u64::from_le_bytes(bytes))
    }

    #[inline(always)]
    fn byte(&self, at: u32) -> u8 {
        self.bytes.get(at as usize).copied().unwrap_or(0)
    }
}

/// Masks of the quotes, points and digits of a block.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
#[allow(unsafe_code)]
fn classify(block: &[u8; BLOCK]) -> (u64, u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_sub_epi8,
    };
    let (mut quotes, mut dots, mut digits) = (0u64, 0u64, 0u64);
    // SAFETY: the cfg guarantees SSE2, which these intrinsics need. Each
    // unaligned 16-byte load reads `block[16k..16k + 16]`, inside the array
    // for k < BLOCK / 16.
    unsafe {
        let bits = |v: __m128i| u64::from(_mm_movemask_epi8(v) as u16);
        for k in 0..BLOCK / 16 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let shift = 16 * k;
            quotes |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))) << shift;
            dots |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8))) << shift;
            // A digit is a byte whose distance above '0' is at most 9.
            let above = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
            digits |= bits(_mm_cmpeq_epi8(_mm_min_epu8(above, _mm_set1_epi8(9)), above)) << shift;
        }
    }
    (quotes, dots, digits)
}

/// Masks of the quotes, points and digits of a block.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn classify(block: &[u8; BLOCK]) -> (u64, u64, u64) {
    let (mut quotes, mut dots, mut digits) = (0u64, 0u64, 0u64);
    for (k, &b) in block.iter().enumerate() {
        let bit = 1u64 << k;
        match b {
            b'"' => quotes |= bit,
            b'.' => dots |= bit,
            b'0'..=b'9' => digits |= bit,
            _ => {}
        }
    }
    (quotes, dots, digits)
}

/// Bits `from..to` set (`from ≤ to < 64`).
#[inline(always)]
fn span(from: u32, to: u32) -> u64 {
    ((1u64 << to) - 1) & (u64::MAX << from)
}

/// `KEEP[k]`: the low `k` bytes of a word.
const KEEP: [u64; 9] = [
    0,
    0xFF,
    0xFFFF,
    0xFF_FFFF,
    0xFFFF_FFFF,
    0xFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF,
    0xFF_FFFF_FFFF_FFFF,
    u64::MAX,
];

/// Eight digits of a decimal read with its point squeezed out, from digit
/// `p` on: the first `int - p` come from before the point, the rest from
/// one byte further along.
#[inline(always)]
fn digit_word(block: &Block, start: u32, int: u32, p: u32) -> Option<u64> {
    let keep = KEEP[int.saturating_sub(p).min(8) as usize];
    let at = (start + p) as usize;
    Some((block.word(at)? & keep) | (block.word(at + 1)? & !keep))
}

/// The decimal in bytes `start..end` of the block, or `None` unless it is
/// digits with at most one inner point and at most 16 digits: its digits as
/// one integer and how many of them follow the point.
#[inline(always)]
fn decimal(block: &Block, start: u32, end: u32) -> Option<(u64, u32)> {
    if start >= end || end >= 64 {
        return None;
    }
    let inner = span(start, end);
    let dots = block.dots & inner;
    let well_formed = (block.digits | dots) & inner == inner
        && dots & dots.wrapping_sub(1) == 0
        && dots & ((1u64 << start) | (1u64 << (end - 1))) == 0;
    if !well_formed {
        return None;
    }
    let len = end - start;
    let (int, frac) = if dots == 0 {
        (len, 0)
    } else {
        let int = dots.trailing_zeros() - start;
        (int, len - int - 1)
    };
    let n = int + frac;
    if n <= 8 {
        return Some((digits_value(digit_word(block, start, int, 0)?, n), frac));
    }
    if n > 16 {
        return None;
    }
    let high = digits_value(digit_word(block, start, int, 0)?, 8);
    let low = digits_value(digit_word(block, start, int, 8)?, n - 8);
    Some((high * POW10[(n - 8) as usize] + low, frac))
}

/// [`decimal`] without the trailing zeros past `scale` decimals, which
/// venues pad their numbers with (`"61659.70000000"` at a 0.01 tick reads
/// as `6165970`): fewer digits to convert, and no division after. A
/// number whose surplus digits are not all zeros reads whole, and is
/// refused as off the grid later.
#[inline(always)]
fn trimmed_decimal(block: &Block, start: u32, end: u32, scale: u8) -> Option<(u64, u32)> {
    let dots = block.dots & span(start, end.min(63));
    if dots != 0 && end < 64 {
        let frac = end - dots.trailing_zeros() - 1;
        let surplus = frac.saturating_sub(u32::from(scale));
        if (1..=8).contains(&surplus) {
            let zeros = block.word((end - surplus) as usize)? & KEEP[surplus as usize];
            if zeros == 0x3030_3030_3030_3030 & KEEP[surplus as usize] {
                // With no decimals left the point goes too.
                let cut = surplus + u32::from(scale == 0);
                return decimal(block, start, end - cut);
            }
        }
    }
    decimal(block, start, end)
}

/// From byte `at` just after a level's size: the index of the level's `]`,
/// skipping any extra elements that are quoted digit strings (OKX's order
/// counts).
#[inline(always)]
fn level_close(block: &Block, mut at: u32) -> Option<u32> {
    loop {
        match block.byte(at) {
            b']' => return Some(at),
            b',' if block.byte(at + 1) == b'"' => {
                at += 2;
                while block.byte(at).is_ascii_digit() {
                    at += 1;
                }
                if block.byte(at) != b'"' {
                    return None;
                }
                at += 1;
            }
            _ => return None,
        }
    }
}

/// The level at byte `at` of the block: its price and size, and the index
/// just past its `]`.
#[inline(always)]
fn level(block: &Block, at: u32, instrument: &Instrument) -> Option<(Level, u32)> {
    if at >= 60 || block.byte(at) != b'[' || block.byte(at + 1) != b'"' {
        return None;
    }
    let px_start = at + 2;
    let px_end = (block.quotes >> px_start).trailing_zeros() + px_start;
    if px_end >= 61 || block.byte(px_end + 1) != b',' || block.byte(px_end + 2) != b'"' {
        return None;
    }
    let sz_start = px_end + 3;
    let sz_end = (block.quotes >> sz_start).trailing_zeros() + sz_start;
    let (px, px_frac) = trimmed_decimal(block, px_start, px_end, instrument.tick.scale())?;
    let (sz, sz_frac) = trimmed_decimal(block, sz_start, sz_end, instrument.lot.scale())?;
    let close = level_close(block, sz_end + 1)?;
    let ticks = instrument.tick.steps_from_digits(px, px_frac as u8).ok()?;
    let lots = instrument.lot.steps_from_digits(sz, sz_frac as u8).ok()?;
    let level = Level {
        price: Price::from_ticks(i64::try_from(ticks).ok()?),
        qty: Qty::from_lots(lots),
    };
    Some((level, close + 1))
}

/// Reads a whole level list in the venues' compact layout, handing each level
/// to `push`; the number of bytes the list took, or `None` for anything else
/// (the caller then rereads the list on the general path).
#[inline]
pub fn levels(input: &[u8], instrument: &Instrument, mut push: impl FnMut(Level)) -> Option<usize> {
    match levels_while(input, instrument, |level| {
        push(level);
        true
    })? {
        ListRead::Whole(used) => Some(used),
        ListRead::Stopped(_) => None,
    }
}

/// How far [`levels_while`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRead {
    /// To the list's end, just before this index.
    Whole(usize),
    /// Up to the level `push` declined to go past, which ends just before
    /// this index.
    Stopped(usize),
}

/// [`levels`], stopping after the first level for which `push` returns
/// `false`.
#[inline]
pub fn levels_while(
    input: &[u8],
    instrument: &Instrument,
    push: impl FnMut(Level) -> bool,
) -> Option<ListRead> {
    if *input.first()? != b'[' {
        return None;
    }
    if *input.get(1)? == b']' {
        return Some(ListRead::Whole(2));
    }
    levels_from(input, 1, instrument, push)
}

/// [`levels_while`] from the level whose `[` is at `input[start]`, inside
/// a list: `Whole` then counts the bytes up to the list's end from the
/// start of `input`, and `Stopped` too.
#[inline]
pub fn levels_from(
    input: &[u8],
    start: usize,
    instrument: &Instrument,
    mut push: impl FnMut(Level) -> bool,
) -> Option<ListRead> {
    let mut base = start;
    let mut block = Block::at(input, base);
    let mut at = 0u32;
    loop {
        let (level, end) = match level(&block, at, instrument) {
            Some(found) => found,
            // The level may run past this block: retry it at a block's start.
            None if at > 0 => {
                base += at as usize;
                block = Block::at(input, base);
                level(&block, 0, instrument)?
            }
            None => return None,
        };
        if !push(level) {
            return Some(ListRead::Stopped(base + end as usize));
        }
        let mut end = end;
        if end as usize >= BLOCK {
            base += end as usize;
            block = Block::at(input, base);
            end = 0;
        }
        match block.byte(end) {
            b',' => at = end + 1,
            b']' => return Some(ListRead::Whole(base + end as usize + 1)),
            _ => return None,
        }
    }
}

/// One level of a list in the compact layout, starting at `input[at]`
/// (its `[`): the level and the index just past its `]`. `None` for
/// anything the fast path declines.
#[inline]
pub fn level_at(input: &[u8], at: usize, instrument: &Instrument) -> Option<(Level, usize)> {
    let block = Block::at(input, at);
    let (level, end) = level(&block, 0, instrument)?;
    Some((level, at + end as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_registry::testing::usdm_btcusdt;

    fn scan(text: &str) -> Option<(Vec<Level>, usize)> {
        let mut out = Vec::new();
        let used = levels(text.as_bytes(), &usdm_btcusdt(), |l| out.push(l))?;
        Some((out, used))
    }

    #[test]
    fn reads_the_venue_layout() {
        let text = r#"[["61659.70","1.486"],["61595.80","0.000"],["61705.5","12"]],"a""#;
        let (got, used) = scan(text).unwrap();
        assert_eq!(used, text.len() - 4);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].price, Price::from_ticks(616_597));
        assert_eq!(got[0].qty, Qty::from_lots(1_486));
        assert_eq!(got[2].qty, Qty::from_lots(12_000));
        assert_eq!(scan("[]").unwrap().1, 2);
    }

    #[test]
    fn long_lists_cross_blocks_without_losing_a_level() {
        let inst = usdm_btcusdt();
        let levels_text: Vec<String> = (0..300u64)
            .map(|k| {
                format!(
                    r#"["{}.{}","{}.{:03}"]"#,
                    60_000 + k * 37,
                    k % 10,
                    k * k,
                    k % 1000
                )
            })
            .collect();
        let text = format!("[{}]", levels_text.join(","));
        let (fast, used) = scan(&text).unwrap();
        assert_eq!(used, text.len());
        let mut general = Vec::new();
        crate::decode::levels(text.as_bytes(), &inst, |l| general.push(l)).unwrap();
        assert_eq!(fast, general);
    }

    #[test]
    fn skips_quoted_counts_after_the_size() {
        let (got, _) = scan(r#"[["61659.7","1.486","0","3"]]"#).unwrap();
        assert_eq!(got[0].qty, Qty::from_lots(1_486));
        for odd in [
            r#"[["1.0","1","0",]]"#,
            r#"[["1.0","1",,"0"]]"#,
            r#"[["1.0","1","0]]"#,
            r#"[["1.0","1",[]]]"#,
        ] {
            assert!(scan(odd).is_none(), "{odd}");
        }
    }

    #[test]
    fn refuses_what_is_not_the_compact_layout() {
        for odd in [
            r#"[ ["1.0","1"]]"#,
            r#"[["1.0" ,"1"]]"#,
            r#"[["1.05","1"]]"#,
            r#"[["1.","1"]]"#,
            r#"[[".1","1"]]"#,
            r#"[["1.2.3","1"]]"#,
            r#"[["","1"]]"#,
            r#"[["1e5","1"]]"#,
            r#"[["-1","1"]]"#,
            r#"[["12345678901234567","1"]]"#,
            r#"[["1.0","1"],]"#,
            r#"[["1.0","1"]"#,
            r#"[["1.0","1"#,
        ] {
            assert!(scan(odd).is_none(), "{odd}");
        }
    }

    #[test]
    fn numbers_of_every_length_convert_exactly() {
        let inst = usdm_btcusdt();
        for int in ["0", "7", "61659", "12345678", "1234567890123456"] {
            for frac in ["", ".7", ".70", ".1234567", ".12345678"] {
                let number = format!("{int}{frac}");
                let text = format!(r#"[["1.0","{number}"]]"#);
                let expected = inst.lot.steps_unsigned(number.as_bytes()).ok();
                let got = scan(&text).map(|(levels, _)| levels[0].qty.lots());
                if int.len() + frac.len().saturating_sub(1) <= 16 {
                    assert_eq!(got, expected, "{number}");
                } else {
                    assert!(got.is_none() || got == expected, "{number}");
                }
            }
        }
    }

    /// Text made of the characters a level list is written with, so most
    /// cases are near misses of the compact layout.
    fn level_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // Mostly on the instrument's grids (0.1 tick, 0.001 lot), so that
        // the fast path's accepting branch is exercised too.
        let price = "[0-9]{1,12}(\\.[0-9]0{0,4})?";
        // Padded with zeros past the lot's scale as spot venues write
        // them, sometimes with a digit that puts it off the grid.
        let size = "[0-9]{1,12}(\\.[0-9]{1,3}0{0,9}[0-9]?)?";
        let level = (price, size, proptest::collection::vec("[0-9]{0,2}", 0..3)).prop_map(
            |(px, sz, extra)| {
                let mut level = format!(r#"["{px}","{sz}""#);
                for e in extra {
                    level.push_str(&format!(r#","{e}""#));
                }
                level.push(']');
                level
            },
        );
        let noise = proptest::option::of("[\\[\\]\",. 0-9e-]{1,3}");
        (proptest::collection::vec(level, 0..12), noise, 0..80usize).prop_map(
            |(levels, noise, at)| {
                let mut text = format!("[{}]", levels.join(","));
                if let Some(noise) = noise {
                    text.insert_str(at.min(text.len()), &noise);
                }
                text
            },
        )
    }

    proptest::proptest! {
        /// The fast path either declines or gives exactly what the general
        /// path gives, and takes exactly the list's bytes.
        #[test]
        fn agrees_with_the_general_path(text in level_text()) {
            let inst = usdm_btcusdt();
            let mut fast = Vec::new();
            if let Some(used) = levels(text.as_bytes(), &inst, |l| fast.push(l)) {
                let mut s = crate::json::Scanner::new(text.as_bytes());
                let raw = s.skip_value().ok();
                proptest::prop_assert_eq!(raw.map(<[u8]>::len), Some(used));
                let mut general = Vec::new();
                let result = crate::decode::levels(raw.unwrap_or_default(), &inst, |l| general.push(l));
                proptest::prop_assert!(result.is_ok(), "general path refused {text}");
                proptest::prop_assert_eq!(&fast, &general);
            }
        }
    }
}
