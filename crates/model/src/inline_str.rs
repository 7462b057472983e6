//! A short ASCII string stored inline, so ids and symbols are `Copy` and
//! events that carry them never touch the heap.

use std::fmt;
use std::hash::{Hash, Hasher};

/// Why a string was refused as an inline id or symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InlineStrError {
    /// The string was empty.
    #[error("empty")]
    Empty,
    /// Longer than the type allows.
    #[error("longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A byte outside the allowed set.
    #[error("byte {byte:#04x} at position {pos} is not allowed")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its position.
        pos: usize,
    },
}

/// Up to `N` (≤ 255) printable ASCII bytes, stored inline.
#[derive(Clone, Copy)]
pub struct InlineStr<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

/// As its text (kernel snapshots).
impl<const N: usize> serde::Serialize for InlineStr<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// From its text, checked as [`InlineStr::new`] checks it.
impl<'de, const N: usize> serde::Deserialize<'de> for InlineStr<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <&str>::deserialize(d)?;
        Self::new(text).map_err(serde::de::Error::custom)
    }
}

impl<const N: usize> InlineStr<N> {
    /// Copies `s`, accepting only bytes for which `allowed` holds.
    pub fn new_with(s: &str, allowed: impl Fn(u8) -> bool) -> Result<Self, InlineStrError> {
        let src = s.as_bytes();
        if src.is_empty() {
            return Err(InlineStrError::Empty);
        }
        if src.len() > N || src.len() > usize::from(u8::MAX) {
            return Err(InlineStrError::TooLong { max: N });
        }
        if let Some(pos) = src.iter().position(|&b| !allowed(b)) {
            return Err(InlineStrError::InvalidByte {
                byte: src[pos],
                pos,
            });
        }
        let mut bytes = [0u8; N];
        bytes[..src.len()].copy_from_slice(src);
        Ok(Self {
            len: src.len() as u8,
            bytes,
        })
    }

    /// Copies `s` if it is non-empty, short enough and printable ASCII.
    pub fn new(s: &str) -> Result<Self, InlineStrError> {
        Self::new_with(s, |b| b.is_ascii_graphic())
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // Construction admits ASCII only.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl<const N: usize> std::str::FromStr for InlineStr<N> {
    type Err = InlineStrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// Every constructor zero-fills past the text, so whole arrays compare as
/// the texts do. The bytes' differences are folded, which the compiler
/// vectorises inline: `==` on a 40-byte array (or a slice) is a `memcmp`
/// call, one per event on the hot path, where venues find their market by
/// id (some 8 % of a trades backtest's time).
impl<const N: usize> PartialEq for InlineStr<N> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .bytes
                .iter()
                .zip(&other.bytes)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

impl<const N: usize> Eq for InlineStr<N> {}

impl<const N: usize> PartialOrd for InlineStr<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for InlineStr<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<const N: usize> Hash for InlineStr<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_compares_by_content() {
        let a = InlineStr::<8>::new("BTC").unwrap();
        assert_eq!(a, InlineStr::<8>::new("BTC").unwrap());
        assert_eq!(a.as_str(), "BTC");
        assert_eq!(InlineStr::<8>::new(""), Err(InlineStrError::Empty));
        assert_eq!(
            InlineStr::<2>::new("BTC"),
            Err(InlineStrError::TooLong { max: 2 })
        );
        assert_eq!(
            InlineStr::<8>::new("B C"),
            Err(InlineStrError::InvalidByte { byte: b' ', pos: 1 })
        );
        assert!(InlineStr::<8>::new("ünï").is_err());
    }
}
