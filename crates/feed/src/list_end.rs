//! Where a level list in the compact layout ends, found without reading
//! its levels: the first `]]`. Strings in such a list hold only digits and
//! points, so no earlier `]]` can occur inside a valid one. A list with a
//! blank, a control byte or a non-ASCII byte before that point is not in
//! the compact layout, where a `]]` could be some later list's end: the
//! search gives up, and the caller reads the frame the general way.

/// Bytes looked at per step.
const STEP: usize = 64;

/// The index of the first `]]` in `input`, or `None` if a byte outside
/// the compact layout's comes first, or there is none.
pub fn list_close(input: &[u8]) -> Option<usize> {
    let mut at = 0;
    // Whether the previous step's last byte was a `]`.
    let mut carry = 0u64;
    while let Some(chunk) = input.get(at..at + STEP) {
        let (closes, odd) = classify(chunk);
        // A pair that starts on the previous step's last byte.
        if carry & closes & 1 != 0 {
            return Some(at - 1);
        }
        let pairs = closes & (closes >> 1);
        let first_pair = if pairs == 0 {
            STEP as u32
        } else {
            pairs.trailing_zeros()
        };
        if odd != 0 && odd.trailing_zeros() < first_pair {
            return None;
        }
        if pairs != 0 {
            return Some(at + first_pair as usize);
        }
        carry = closes >> 63;
        at += STEP;
    }
    let start = at.saturating_sub(carry as usize);
    let tail = input.get(start..)?;
    let close = tail.windows(2).position(|w| w == b"]]")?;
    if tail.get(..close)?.iter().any(|&b| odd_byte(b)) {
        return None;
    }
    Some(start + close)
}

/// A byte no compact level list holds: a blank, a control byte, a
/// non-ASCII byte.
fn odd_byte(b: u8) -> bool {
    b <= b' ' || b >= 0x80
}

/// One bit per `]` and one per odd byte among 64 bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
#[allow(unsafe_code)]
fn classify(chunk: &[u8]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    if chunk.len() < STEP {
        return (0, u64::MAX);
    }
    let (mut closes, mut odd) = (0u64, 0u64);
    // SAFETY: the cfg guarantees SSE2; the chunk holds at least 64 bytes,
    // and each unaligned load reads `chunk[16k..16k + 16]` for k < 4.
    unsafe {
        let close = _mm_set1_epi8(b']' as i8);
        // Signed: bytes at or below a blank, and those of 0x80 and up.
        let above_blank = _mm_set1_epi8(b'!' as i8);
        let bits = |v: __m128i| u64::from(_mm_movemask_epi8(v) as u16);
        for k in 0..STEP / 16 {
            let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast::<__m128i>());
            closes |= bits(_mm_cmpeq_epi8(v, close)) << (16 * k);
            odd |= bits(_mm_cmplt_epi8(v, above_blank)) << (16 * k);
        }
    }
    (closes, odd)
}

/// One bit per `]` and one per odd byte among 64 bytes.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn classify(chunk: &[u8]) -> (u64, u64) {
    chunk
        .iter()
        .take(STEP)
        .enumerate()
        .fold((0, 0), |(closes, odd), (k, &b)| {
            (
                closes | (u64::from(b == b']') << k),
                odd | (u64::from(odd_byte(b)) << k),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reading of the rule.
    fn naive(input: &[u8]) -> Option<usize> {
        let close = input.windows(2).position(|w| w == b"]]")?;
        (!input[..close].iter().any(|&b| odd_byte(b))).then_some(close)
    }

    #[test]
    fn finds_the_end_across_steps() {
        let list = format!("[{}]", vec![r#"["61659.70","1.486"]"#; 40].join(","));
        let frame = format!(r#"{list},"a":[["1.0","2"]]}}"#);
        assert_eq!(list_close(frame.as_bytes()), Some(list.len() - 2));
        for cut in 0..frame.len() {
            assert_eq!(
                list_close(&frame.as_bytes()[cut..]),
                naive(&frame.as_bytes()[cut..])
            );
        }
    }

    #[test]
    fn gives_up_at_a_blank_before_the_end() {
        assert_eq!(list_close(br#"[["1","2"] ],"a":[["1","2"]]}"#), None);
        assert_eq!(list_close(br#"[["1","2"]],"a": [["1","2"]]}"#), Some(9));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_plain_rule(text in "[\\[\\]\",.0-9 \t\u{e9}]{0,300}") {
            proptest::prop_assert_eq!(list_close(text.as_bytes()), naive(text.as_bytes()));
        }
    }
}
