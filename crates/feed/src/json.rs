//! A JSON scanner specialised for venue frames: it walks the frame bytes in
//! place, hands out borrowed slices and integers, and never builds a value
//! tree or allocates.
//!
//! Venue decoders read the fields they know and [`Scanner::skip_value`] the
//! rest, so a new field the venue adds does not break them. Strings are
//! returned raw (escapes are skipped over, not decoded): every string a
//! decoder compares or parses (keys, symbols, decimals) is plain ASCII, and a
//! stray escape inside a price makes the decimal parse fail, as it should.

use crate::error::FrameError;

/// Deepest nesting [`Scanner::skip_value`] follows; deeper input is refused
/// rather than recursed into, so a hostile frame cannot exhaust the stack.
const MAX_DEPTH: u32 = 64;

/// A cursor over one frame.
#[derive(Clone, Copy, Debug)]
pub struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `bytes`.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The bytes from the cursor on.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Moves the cursor `n` bytes on (after a caller scanned [`Self::rest`]).
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes.len());
    }

    /// Byte offset of the cursor.
    pub fn pos(&self) -> usize {
        self.pos
    }

    fn error(&self, expected: &'static str) -> FrameError {
        FrameError::Syntax {
            pos: u32::try_from(self.pos).unwrap_or(u32::MAX),
            expected,
        }
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-blank byte, without consuming it.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), FrameError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    /// Whether only blanks are left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Checks that only blanks are left after the frame's value.
    pub fn finish(&mut self) -> Result<(), FrameError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error("end of frame"))
        }
    }

    /// Enters an object: consumes `{`.
    #[inline]
    pub fn begin_object(&mut self) -> Result<(), FrameError> {
        self.expect(b'{', "'{'")
    }

    /// The next key of the object being read, with the cursor left on its
    /// value; `None` once the closing `}` is consumed. `first` is true for the
    /// first call after [`Self::begin_object`].
    #[inline]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<&'a [u8]>, FrameError> {
        if let Some(key) = self.compact_key(*first) {
            *first = false;
            return Ok(Some(key));
        }
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ => return Err(self.error("',' or '}'")),
        }
        *first = false;
        let key = self.string()?;
        self.expect(b':', "':'")?;
        Ok(Some(key))
    }

    /// The venues' compact layout, `,"key":` (or `"key":` first), read
    /// without the general path's blank skipping; `None` for anything else,
    /// which [`Self::next_key`] then reads the general way.
    #[inline(always)]
    fn compact_key(&mut self, first: bool) -> Option<&'a [u8]> {
        let start = self.pos + usize::from(!first);
        if !first && self.bytes.get(self.pos) != Some(&b',') {
            return None;
        }
        if self.bytes.get(start) != Some(&b'"') {
            return None;
        }
        let rest = self.bytes.get(start + 1..)?;
        let mut len = 0;
        while *rest.get(len)? != b'"' {
            if rest[len] == b'\\' || len == 32 {
                return None;
            }
            len += 1;
        }
        if rest.get(len + 1) != Some(&b':') {
            return None;
        }
        self.pos = start + len + 3;
        rest.get(..len)
    }

    /// Enters an array: consumes `[`.
    #[inline]
    pub fn begin_array(&mut self) -> Result<(), FrameError> {
        self.expect(b'[', "'['")
    }

    /// Moves to the next element of the array being read: `true` with the
    /// cursor on it, `false` once the closing `]` is consumed.
    #[inline]
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool, FrameError> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            Some(b',') if !*first => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) if *first => {
                *first = false;
                Ok(true)
            }
            _ => Err(self.error("',' or ']'")),
        }
    }

    /// A string's raw contents, without the quotes.
    #[inline]
    pub fn string(&mut self) -> Result<&'a [u8], FrameError> {
        self.expect(b'"', "a string")?;
        let start = self.pos;
        let mut at = start;
        loop {
            let rest = self.bytes.get(at..).unwrap_or_default();
            match rest.iter().position(|&b| b == b'"' || b == b'\\') {
                Some(i) if rest[i] == b'"' => {
                    self.pos = at + i + 1;
                    return Ok(&self.bytes[start..at + i]);
                }
                // An escape: skip the backslash and the byte it escapes.
                Some(i) => at += i + 2,
                None => {
                    self.pos = self.bytes.len();
                    return Err(self.error("closing '\"'"));
                }
            }
        }
    }

    /// A string, or `None` for `null`.
    pub fn string_or_null(&mut self) -> Result<Option<&'a [u8]>, FrameError> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), FrameError> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("true, false or null"))
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self) -> Result<bool, FrameError> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| true),
            Some(b'f') => self.literal(b"false").map(|()| false),
            _ => Err(self.error("true or false")),
        }
    }

    /// A non-negative integer, written bare or, as OKX and Bybit do for some
    /// fields, as a string of digits.
    #[inline]
    pub fn u64(&mut self) -> Result<u64, FrameError> {
        if self.peek() == Some(b'"') {
            let digits = self.string()?;
            return parse_u64(digits).ok_or_else(|| self.error("an unsigned integer"));
        }
        let start = self.pos;
        // Eight digits at a time while they last (ids and millisecond
        // timestamps run to 13 digits and more).
        let mut value: u64 = 0;
        while let Some(word) = self.bytes.get(self.pos..self.pos + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            let digits = leading_digits(word);
            if digits == 0 {
                break;
            }
            value = value
                .checked_mul(POW10[digits as usize])
                .and_then(|v| v.checked_add(digits_value(word, digits)))
                .ok_or_else(|| self.error("an integer below 2^64"))?;
            self.pos += digits as usize;
            if digits < 8 {
                break;
            }
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit)))
                .ok_or_else(|| self.error("an integer below 2^64"))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("an unsigned integer"));
        }
        Ok(value)
    }

    /// A signed integer, bare or quoted (OKX's `prevSeqId` is -1 on snapshots).
    pub fn i64(&mut self) -> Result<i64, FrameError> {
        let quoted = self.peek() == Some(b'"');
        if quoted {
            self.pos += 1;
        }
        let negative = self.bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let magnitude = self.u64()?;
        if quoted {
            self.expect(b'"', "closing '\"'")?;
        }
        let value = if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        value.ok_or_else(|| self.error("an integer within i64"))
    }

    /// Skips one value of any type and returns its raw bytes.
    pub fn skip_value(&mut self) -> Result<&'a [u8], FrameError> {
        self.skip_ws();
        let start = self.pos;
        self.skip_nested(0)?;
        Ok(&self.bytes[start..self.pos])
    }

    fn skip_nested(&mut self, depth: u32) -> Result<(), FrameError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting at most 64 deep"));
        }
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => {
                self.pos += 1;
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.skip_nested(depth + 1)?;
                }
                Ok(())
            }
            Some(b'[') => {
                self.pos += 1;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.skip_nested(depth + 1)?;
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') =
                    self.bytes.get(self.pos)
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    Err(self.error("a number"))
                } else {
                    Ok(())
                }
            }
            _ => Err(self.error("a value")),
        }
    }
}

/// Powers of ten up to 10^8.
pub(crate) const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many of the word's bytes, from the first, are ASCII digits (0..=8).
#[inline(always)]
pub(crate) fn leading_digits(word: u64) -> u32 {
    // High bit set in every byte that is not '0'..='9'.
    let not_digit = (word.wrapping_add(0x4646_4646_4646_4646)
        | word.wrapping_sub(0x3030_3030_3030_3030))
        & 0x8080_8080_8080_8080;
    not_digit.trailing_zeros() / 8
}

/// The first `n` (1..=8) bytes of `word`, known to be ASCII digits, as an
/// integer (first byte most significant), in a few multiplications.
#[inline(always)]
pub(crate) fn digits_value(word: u64, n: u32) -> u64 {
    // Move the digits to the high end; the vacated bytes become zeros.
    let v = (word << (8 * (8 - n))) & 0x0F0F_0F0F_0F0F_0F0F;
    let v = (v * 10) + (v >> 8);
    (((v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32)))
        .wrapping_add(((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

/// Digits to `u64`, `None` if empty, not all digits, or too large.
pub fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_objects_arrays_and_skips_unknown_values() {
        let text =
            br#" {"a": [1, "x\"y", {"n": null, "t": true}], "b" : -12.5e3, "c":"7", "d":false} "#;
        let mut s = Scanner::new(text);
        s.begin_object().unwrap();
        let mut first = true;
        let mut seen = Vec::new();
        while let Some(key) = s.next_key(&mut first).unwrap() {
            match key {
                b"c" => assert_eq!(s.u64().unwrap(), 7),
                b"d" => assert!(!s.bool().unwrap()),
                _ => {
                    s.skip_value().unwrap();
                }
            }
            seen.push(key.to_vec());
        }
        assert_eq!(
            seen,
            [b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]
        );
        assert!(s.at_end());
    }

    #[test]
    fn integers_bare_quoted_and_signed() {
        assert_eq!(
            Scanner::new(b"18446744073709551615").u64().unwrap(),
            u64::MAX
        );
        assert!(Scanner::new(b"18446744073709551616").u64().is_err());
        assert_eq!(Scanner::new(b"\"-1\"").i64().unwrap(), -1);
        assert_eq!(
            Scanner::new(b"-9223372036854775808").i64().unwrap(),
            i64::MIN
        );
        assert!(Scanner::new(b"9223372036854775808").i64().is_err());
        assert!(Scanner::new(b"x").u64().is_err());
        // Word-at-a-time reading agrees with Rust's parser on the digit prefix.
        for n in [
            "0",
            "7",
            "12345678",
            "123456789",
            "1723075200123",
            "18446744073709551615",
        ] {
            for tail in ["", ",", "}", "\"", "1x", "99"] {
                let text = format!("{n}{tail}");
                let prefix: String = text.chars().take_while(char::is_ascii_digit).collect();
                let got = Scanner::new(text.as_bytes()).u64().ok();
                assert_eq!(got, prefix.parse::<u64>().ok(), "{text}");
            }
        }
        assert!(Scanner::new(b"\"\"").u64().is_err());
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        for text in [
            &b"{"[..],
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":1,}",
            b"[1 2]",
            b"\"abc",
            b"\"ab\\",
            b"tru",
            b"{\"a\":1 \"b\":2}",
        ] {
            assert!(Scanner::new(text).skip_value().is_err(), "{:?}", text);
        }
        let deep = "[".repeat(100_000);
        assert!(Scanner::new(deep.as_bytes()).skip_value().is_err());
    }
}
