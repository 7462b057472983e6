//! Fixed-point [`Price`] and [`Qty`], counted in the instrument's ticks and lots.
//!
//! Neither type knows its instrument: the [`Increment`] that parsed a value
//! also renders it. Keeping the scale out of the value keeps both types eight
//! bytes, `Copy` and as cheap as the integer inside.

use crate::decimal::{DecimalError, DecimalText, Increment};

/// A price as a whole number of ticks. Signed: some markets trade below zero.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(transparent)]
pub struct Price(i64);

impl Price {
    /// Zero ticks.
    pub const ZERO: Self = Self(0);

    /// A price of `ticks` ticks.
    pub const fn from_ticks(ticks: i64) -> Self {
        Self(ticks)
    }

    /// The number of ticks.
    pub const fn ticks(self) -> i64 {
        self.0
    }

    /// Parses a venue decimal string on the `tick` grid, exactly.
    #[inline]
    pub fn parse(s: &str, tick: &Increment) -> Result<Self, DecimalError> {
        Self::parse_bytes(s.as_bytes(), tick)
    }

    /// Like [`Price::parse`], straight from frame bytes.
    #[inline]
    pub fn parse_bytes(s: &[u8], tick: &Increment) -> Result<Self, DecimalError> {
        tick.steps(s).map(Self)
    }

    /// Renders the price the way the venue writes it (`61659.70` for tick `0.10`).
    pub fn display(self, tick: &Increment) -> DecimalText {
        tick.display(self.0)
    }

    /// Renders the price without trailing fractional zeros (`61659.7`), as
    /// OKX writes it in checksum strings.
    pub fn display_trimmed(self, tick: &Increment) -> DecimalText {
        tick.display_trimmed(self.0)
    }

    /// [`Self::display_trimmed`] written into `out`; see
    /// [`Increment::write_trimmed`].
    pub fn write_trimmed(self, tick: &Increment, out: &mut [u8]) -> Option<usize> {
        tick.write_trimmed(self.0, out)
    }

    /// The price as a float, for signals and analytics only.
    pub fn to_f64(self, tick: &Increment) -> f64 {
        tick.to_f64(self.0)
    }

    /// Sum of two prices (or a price and a price difference), `None` on overflow.
    pub const fn checked_add(self, rhs: Self) -> Option<Self> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// Difference of two prices, `None` on overflow.
    pub const fn checked_sub(self, rhs: Self) -> Option<Self> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The price moved by `ticks`, `None` on overflow.
    pub const fn checked_offset(self, ticks: i64) -> Option<Self> {
        match self.0.checked_add(ticks) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }
}

/// A non-negative quantity as a whole number of lots.
///
/// Zero is a valid quantity; in a book update it means "remove the level".
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(transparent)]
pub struct Qty(u64);

impl Qty {
    /// Nothing.
    pub const ZERO: Self = Self(0);

    /// A quantity of `lots` lots.
    pub const fn from_lots(lots: u64) -> Self {
        Self(lots)
    }

    /// The number of lots.
    pub const fn lots(self) -> u64 {
        self.0
    }

    /// Whether the quantity is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses a venue decimal string on the `lot` grid, exactly. Negative
    /// sizes are refused.
    #[inline]
    pub fn parse(s: &str, lot: &Increment) -> Result<Self, DecimalError> {
        Self::parse_bytes(s.as_bytes(), lot)
    }

    /// Like [`Qty::parse`], straight from frame bytes.
    #[inline]
    pub fn parse_bytes(s: &[u8], lot: &Increment) -> Result<Self, DecimalError> {
        lot.steps_unsigned(s).map(Self)
    }

    /// Renders the quantity the way the venue writes it.
    pub fn display(self, lot: &Increment) -> DecimalText {
        lot.display(self.signed_lots())
    }

    /// Renders the quantity without trailing fractional zeros (`1.25`).
    pub fn display_trimmed(self, lot: &Increment) -> DecimalText {
        lot.display_trimmed(self.signed_lots())
    }

    /// [`Self::display_trimmed`] written into `out`; see
    /// [`Increment::write_trimmed`].
    pub fn write_trimmed(self, lot: &Increment, out: &mut [u8]) -> Option<usize> {
        lot.write_trimmed(self.signed_lots(), out)
    }

    /// Lots as the signed count `Increment` renders; quantities above
    /// `i64::MAX` lots cannot come from a parse, so this saturates.
    fn signed_lots(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// The quantity as a float, for signals and analytics only.
    pub fn to_f64(self, lot: &Increment) -> f64 {
        lot.to_f64(1) * self.0 as f64
    }

    /// Sum, `None` on overflow.
    pub const fn checked_add(self, rhs: Self) -> Option<Self> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// Difference, `None` if it would go below zero.
    pub const fn checked_sub(self, rhs: Self) -> Option<Self> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// Difference floored at zero.
    pub const fn saturating_sub(self, rhs: Self) -> Self {
        Self(self.0.saturating_sub(rhs.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(s: &str) -> Increment {
        Increment::parse(s).unwrap()
    }

    #[test]
    fn price_round_trips_venue_strings() {
        let tick = inc("0.10");
        let p = Price::parse("61659.70", &tick).unwrap();
        assert_eq!(p.ticks(), 616_597);
        assert_eq!(p.display(&tick).to_string(), "61659.70");
        assert_eq!(Price::parse("61659.75", &tick), Err(DecimalError::OffGrid));
        assert_eq!(
            Price::parse("6165x", &tick),
            Err(DecimalError::InvalidByte { byte: b'x', pos: 4 })
        );
    }

    #[test]
    fn a_size_past_the_signed_range_is_out_of_range_not_negative() {
        // 10,003,333,333,333,333,000 lots fits a u64 but not an i64: read
        // as one it would render as a negative size (found by fuzzing).
        let lot = inc("0.001");
        assert_eq!(
            Qty::parse("10003333333333333", &lot),
            Err(DecimalError::Overflow)
        );
        let most = Qty::parse("9223372036854775.807", &lot).unwrap();
        assert_eq!(most.display(&lot).to_string(), "9223372036854775.807");
    }

    #[test]
    fn qty_is_exact_and_non_negative() {
        let lot = inc("0.001");
        assert_eq!(Qty::parse("0.00100000", &lot), Ok(Qty::from_lots(1)));
        assert_eq!(
            Qty::parse("20.004", &lot)
                .unwrap()
                .display(&lot)
                .to_string(),
            "20.004"
        );
        assert_eq!(Qty::parse("-1", &lot), Err(DecimalError::Negative));
        assert_eq!(Qty::parse("0.0005", &lot), Err(DecimalError::OffGrid));
        assert_eq!(Qty::parse("", &lot), Err(DecimalError::Empty));
        assert_eq!(
            Qty::parse("18446744073709551616", &inc("1")),
            Err(DecimalError::Overflow)
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Price::from_ticks(i64::MAX).checked_offset(1), None);
        assert_eq!(
            Price::from_ticks(5).checked_sub(Price::from_ticks(7)),
            Some(Price::from_ticks(-2))
        );
        assert_eq!(Qty::from_lots(1).checked_sub(Qty::from_lots(2)), None);
        assert_eq!(
            Qty::from_lots(u64::MAX).checked_add(Qty::from_lots(1)),
            None
        );
        assert_eq!(
            Qty::from_lots(1).saturating_sub(Qty::from_lots(2)),
            Qty::ZERO
        );
    }
}
