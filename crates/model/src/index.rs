//! Dense indices for the hot path: a kernel numbers its instruments and
//! strategies 0, 1, 2, … when a session starts, and every event, order and
//! record names them by number, so per-event work indexes arrays instead of
//! looking names up (hftbacktest's `asset_no`, barter's indexed instruments).

use std::fmt;

/// An instrument's place in a kernel's instrument table (and in a
/// journal's or tape's header, which list them in that order).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(transparent)]
pub struct InstrumentIndex(pub u16);

impl InstrumentIndex {
    /// The first instrument: the only one of a single-market session.
    pub const FIRST: Self = Self(0);

    /// The index as a `usize`, for indexing.
    #[inline(always)]
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for InstrumentIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instrument #{}", self.0)
    }
}

/// A strategy's place in its kernel.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(transparent)]
pub struct StrategyIndex(pub u8);

impl StrategyIndex {
    /// The first strategy.
    pub const FIRST: Self = Self(0);

    /// The index as a `usize`, for indexing.
    #[inline(always)]
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for StrategyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "strategy #{}", self.0)
    }
}
