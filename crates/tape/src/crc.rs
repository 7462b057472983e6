//! The CRC-32C (Castagnoli) each message carries, on the replay's hot path.
//!
//! The `crc32c` crate is made for long buffers: it aligns the input and
//! sets up three interleaved streams, which for a message of some 55 bytes
//! cost more than the checksum itself (about 140 instructions a message,
//! a tenth of a replay). Here a message is folded eight bytes at a time
//! with the SSE 4.2 instruction, and the crate is the fallback on CPUs
//! without it. Both compute the same function (tested).

/// CRC-32C of `bytes`.
#[inline]
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: `sse42` needs SSE 4.2 and nothing else, and the CPU was
        // just found to have it.
        #[allow(unsafe_code)]
        return unsafe { sse42(bytes) };
    }
    crc32c::crc32c(bytes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
fn sse42(bytes: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64};
    let mut crc = u64::from(u32::MAX);
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        crc = _mm_crc32_u64(crc, u64::from_le_bytes(*word));
        rest = tail;
    }
    // The last 0–7 bytes in at most three steps rather than one a byte.
    let mut crc = crc as u32;
    if let [a, b, c, d, ref tail @ ..] = *rest {
        crc = _mm_crc32_u32(crc, u32::from_le_bytes([a, b, c, d]));
        rest = tail;
    }
    if let [a, b, ref tail @ ..] = *rest {
        crc = _mm_crc32_u16(crc, u16::from_le_bytes([a, b]));
        rest = tail;
    }
    if let [a] = *rest {
        crc = _mm_crc32_u8(crc, a);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_the_crc32c_crate(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(super::crc32c(&bytes), crc32c::crc32c(&bytes));
        }
    }

    #[test]
    fn gives_the_standard_check_value() {
        // CRC-32C of "123456789" (RFC 3720, the iSCSI polynomial).
        assert_eq!(super::crc32c(b"123456789"), 0xE306_9283);
    }
}
