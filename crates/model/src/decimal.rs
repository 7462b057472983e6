//! Exact decimal strings ↔ fixed-point integers, with no float in between.
//!
//! Venues send prices and sizes as decimal strings (`"61659.70"`,
//! `"0.00100000"`). [`Increment`] turns such a string into a whole number of
//! ticks or lots and back, exactly; [`Decimal`] holds the few exact values that
//! are not on a grid (minimum notional, fee rates).

use std::cmp::Ordering;
use std::fmt;

pub use crate::decimal_text::DecimalText;

/// Longest decimal string accepted, in bytes. Venue strings are far shorter;
/// the cap bounds the work done on hostile input.
pub const MAX_DECIMAL_LEN: usize = 40;

/// Most fractional digits an [`Increment`] or [`Decimal`] may declare.
pub const MAX_SCALE: u8 = 18;

const POW10: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^0 … 10^38, every power an `i128` holds.
const POW10_WIDE: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^`k` as an `i128`, `None` past 10^38: a lookup where `checked_pow`
/// loops, on every sum of two decimals.
fn pow10_wide(k: u32) -> Option<i128> {
    POW10_WIDE.get(usize::try_from(k).ok()?).copied()
}

/// Why a decimal string or value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The string was empty.
    #[error("empty decimal string")]
    Empty,
    /// A byte that is not a digit, a leading `-` or one `.`.
    #[error("invalid byte {byte:#04x} at position {pos}")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its position in the input.
        pos: usize,
    },
    /// No digit before the point, or none after it (`".5"`, `"1."`, `"-"`).
    #[error("missing digits around the decimal point")]
    MissingDigits,
    /// Longer than [`MAX_DECIMAL_LEN`] bytes, or more than [`MAX_SCALE`] decimals.
    #[error("too many digits")]
    TooManyDigits,
    /// The value does not fit the 64-bit fixed-point range.
    #[error("value out of the 64-bit fixed-point range")]
    Overflow,
    /// The value is not a whole multiple of the increment (off the tick or lot grid).
    #[error("value is not a multiple of the increment")]
    OffGrid,
    /// A negative value where only non-negative ones make sense (sizes).
    #[error("negative value where a non-negative one is required")]
    Negative,
    /// An increment of zero: nothing could be expressed in its units.
    #[error("increment must be greater than zero")]
    ZeroIncrement,
}

/// Parses `s` as an exact decimal scaled by 10^`scale`, returning the sign and
/// the magnitude. Digits beyond `scale` must be zeros, or the value is off grid.
#[inline]
fn parse_scaled(s: &[u8], scale: u8) -> Result<(bool, u64), DecimalError> {
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    if s.len() > MAX_DECIMAL_LEN {
        return Err(DecimalError::TooManyDigits);
    }
    let negative = s[0] == b'-';
    let start = usize::from(negative);
    let mut acc: u64 = 0;
    let mut i = start;
    while i < s.len() && s[i] != b'.' {
        acc = push_digit(acc, s[i], i)?;
        i += 1;
    }
    if i == start {
        return Err(DecimalError::MissingDigits);
    }
    let mut frac_digits: u8 = 0;
    if i < s.len() {
        i += 1; // the point
        if i == s.len() {
            return Err(DecimalError::MissingDigits);
        }
        while i < s.len() {
            if frac_digits < scale {
                acc = push_digit(acc, s[i], i)?;
                frac_digits += 1;
            } else if s[i] != b'0' {
                return Err(if s[i].is_ascii_digit() {
                    DecimalError::OffGrid
                } else {
                    DecimalError::InvalidByte { byte: s[i], pos: i }
                });
            }
            i += 1;
        }
    }
    let acc = acc
        .checked_mul(POW10[usize::from(scale - frac_digits)])
        .ok_or(DecimalError::Overflow)?;
    Ok((negative, acc))
}

#[inline(always)]
fn push_digit(acc: u64, byte: u8, pos: usize) -> Result<u64, DecimalError> {
    let digit = byte.wrapping_sub(b'0');
    if digit > 9 {
        return Err(DecimalError::InvalidByte { byte, pos });
    }
    acc.checked_mul(10)
        .and_then(|a| a.checked_add(u64::from(digit)))
        .ok_or(DecimalError::Overflow)
}

/// Number of digits after the point in a decimal string, or an error if the
/// string is not a plain decimal.
fn fraction_digits(s: &[u8]) -> Result<u8, DecimalError> {
    let digits = s
        .iter()
        .position(|&b| b == b'.')
        .map_or(0, |dot| s.len() - dot - 1);
    u8::try_from(digits)
        .ok()
        .filter(|&d| d <= MAX_SCALE)
        .ok_or(DecimalError::TooManyDigits)
}

/// A venue's grid step for prices (tick) or quantities (lot), such as `"0.10"`.
///
/// Prices and quantities are counted in whole steps; the increment converts
/// between those counts and the venue's decimal strings. It keeps the number
/// of decimals it was written with, so `"0.10"` renders prices as `61659.70`,
/// the way the venue prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Increment {
    /// The step in units of 10^-`scale`, with trailing zeros removed (`0.10` → 1).
    step: u64,
    /// Decimal scale of `step`.
    scale: u8,
    /// Decimals the venue writes (`0.10` → 2).
    decimals: u8,
    /// The step in units of 10^-`decimals` (`0.10` → 10).
    display_step: u64,
}

impl Increment {
    /// Parses an increment such as `"0.10"` or `"0.00100000"`.
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        let decimals = fraction_digits(s.as_bytes())?;
        let (negative, display_step) = parse_scaled(s.as_bytes(), decimals)?;
        if display_step == 0 {
            return Err(DecimalError::ZeroIncrement);
        }
        if negative {
            return Err(DecimalError::Negative);
        }
        let (mut step, mut scale) = (display_step, decimals);
        while scale > 0 && step % 10 == 0 {
            step /= 10;
            scale -= 1;
        }
        Ok(Self {
            step,
            scale,
            decimals,
            display_step,
        })
    }

    /// Decimals used when rendering values on this grid.
    pub const fn decimals(&self) -> u8 {
        self.decimals
    }

    /// The increment itself as an exact decimal.
    pub fn as_decimal(&self) -> Decimal {
        Decimal::normalised(i128::from(self.step), self.scale)
    }

    /// Parses a venue string into a signed count of steps. Exact: a value off
    /// the grid is [`DecimalError::OffGrid`], never rounded.
    #[inline]
    pub fn steps(&self, s: &[u8]) -> Result<i64, DecimalError> {
        let (negative, magnitude) = parse_scaled(s, self.scale)?;
        let count = self.count(magnitude)?;
        let count = i64::try_from(count).map_err(|_| DecimalError::Overflow)?;
        Ok(if negative { -count } else { count })
    }

    /// Steps of a non-negative decimal given as its digits read as one
    /// integer (`61659.70` → 6165970) and the number of those digits after
    /// the point (2). Lets a venue parser convert while it scans, in one
    /// pass; exactness rules are those of [`Self::steps_unsigned`].
    #[inline(always)]
    pub fn steps_from_digits(&self, digits: u64, frac: u8) -> Result<u64, DecimalError> {
        let magnitude = if frac == self.scale {
            digits
        } else if frac < self.scale {
            digits
                .checked_mul(POW10[usize::from(self.scale - frac)])
                .ok_or(DecimalError::Overflow)?
        } else {
            // Surplus decimals must be zeros: an exact division by 10^k,
            // done without a divide instruction.
            exact_div_pow10(digits, frac - self.scale).ok_or(DecimalError::OffGrid)?
        };
        self.count(magnitude)
    }

    /// Decimal places of the step (`0.10` → 1, `0.00100000` → 3): digits
    /// past these must be zeros for a value to be on the grid.
    #[inline]
    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// Parses a venue string into a non-negative count of steps.
    #[inline]
    pub fn steps_unsigned(&self, s: &[u8]) -> Result<u64, DecimalError> {
        let (negative, magnitude) = parse_scaled(s, self.scale)?;
        if negative && magnitude != 0 {
            return Err(DecimalError::Negative);
        }
        // Sizes are also used signed (positions, rendering): a count past
        // `i64::MAX` is out of range, not a silently negative size.
        match self.count(magnitude)? {
            steps if steps > i64::MAX as u64 => Err(DecimalError::Overflow),
            steps => Ok(steps),
        }
    }

    #[inline(always)]
    fn count(&self, magnitude: u64) -> Result<u64, DecimalError> {
        // Power-of-ten grids (the common case) need no division.
        if self.step == 1 {
            Ok(magnitude)
        } else if magnitude % self.step == 0 {
            Ok(magnitude / self.step)
        } else {
            Err(DecimalError::OffGrid)
        }
    }

    /// `steps` × increment as a float, for signals and analytics only.
    pub fn to_f64(&self, steps: i64) -> f64 {
        steps as f64 * self.display_step as f64 / POW10[usize::from(self.decimals)] as f64
    }

    /// Renders `steps` × increment with the increment's decimals (`61659.70`).
    pub fn display(&self, steps: i64) -> DecimalText {
        DecimalText::render(steps, self.display_step, self.decimals, false)
    }

    /// Renders `steps` × increment with trailing fractional zeros removed
    /// (`61659.7`, `3366`), as OKX writes values in its checksum strings.
    pub fn display_trimmed(&self, steps: i64) -> DecimalText {
        DecimalText::render(steps, self.display_step, self.decimals, true)
    }

    /// Writes what [`Self::display_trimmed`] renders at the start of `out`
    /// and returns its length, for loops that render many values into one
    /// buffer; `None` if `out` is too short or the value needs more than 64
    /// bits, where `display_trimmed` still works.
    pub fn write_trimmed(&self, steps: i64, out: &mut [u8]) -> Option<usize> {
        crate::decimal_text::write_into(steps, self.display_step, self.decimals, true, out)
    }
}

impl std::str::FromStr for Increment {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Increment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display(1).as_str())
    }
}

/// An exact decimal off any grid: minimum notional, fee rates, notionals.
///
/// Always normalised (no trailing fractional zeros), so `==` compares values.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Decimal {
    mantissa: i128,
    scale: u8,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Self = Self {
        mantissa: 0,
        scale: 0,
    };

    fn normalised(mut mantissa: i128, mut scale: u8) -> Self {
        // Most mantissas fit 64 bits, where dividing by ten is a multiply
        // and not a call into 128-bit division.
        if let Ok(mut small) = i64::try_from(mantissa) {
            while scale > 0 && small % 10 == 0 {
                small /= 10;
                scale -= 1;
            }
            return Self {
                mantissa: i128::from(small),
                scale,
            };
        }
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Self { mantissa, scale }
    }

    /// Parses a decimal string such as `"0.0002"` or `"-0.00005"`.
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        let scale = fraction_digits(s.as_bytes())?;
        let (negative, magnitude) = parse_scaled(s.as_bytes(), scale)?;
        let mantissa = i128::from(magnitude);
        Ok(Self::normalised(
            if negative { -mantissa } else { mantissa },
            scale,
        ))
    }

    /// The mantissa and scale: the value is `mantissa` × 10^-`scale`. For
    /// compact binary encodings such as the journal's.
    pub const fn to_parts(self) -> (i128, u8) {
        (self.mantissa, self.scale)
    }

    /// `mantissa` × 10^-`scale`, normalised; `None` past the scale
    /// arithmetic keeps (2 × [`MAX_SCALE`]).
    pub fn from_parts(mantissa: i128, scale: u8) -> Option<Self> {
        (scale <= 2 * MAX_SCALE).then(|| Self::normalised(mantissa, scale))
    }

    /// `steps` of `increment`, exactly.
    pub fn from_steps(steps: i64, increment: &Increment) -> Self {
        Self::normalised(
            i128::from(steps) * i128::from(increment.step),
            increment.scale,
        )
    }

    /// The exact product, or `None` if it leaves the representable range.
    pub fn checked_mul(self, rhs: Self) -> Option<Self> {
        let mantissa = self.mantissa.checked_mul(rhs.mantissa)?;
        let scale = self.scale.checked_add(rhs.scale)?;
        (scale <= 2 * MAX_SCALE).then(|| Self::normalised(mantissa, scale))
    }

    /// The exact sum, or `None` if it leaves the representable range.
    pub fn checked_add(self, rhs: Self) -> Option<Self> {
        let scale = self.scale.max(rhs.scale);
        let widen = |d: Self| {
            d.mantissa
                .checked_mul(pow10_wide(u32::from(scale - d.scale))?)
        };
        Some(Self::normalised(
            widen(self)?.checked_add(widen(rhs)?)?,
            scale,
        ))
    }

    /// The exact difference, or `None` if it leaves the representable range.
    pub fn checked_sub(self, rhs: Self) -> Option<Self> {
        self.checked_add(Self {
            mantissa: rhs.mantissa.checked_neg()?,
            scale: rhs.scale,
        })
    }

    /// `self × num / den`, rounded half to even at 18 decimals (the most a
    /// `Decimal` carries): the share of a cost basis that a partial exit
    /// closes, for example. `None` if `den` is 0 or the range is left.
    pub fn checked_mul_ratio(self, num: u64, den: u64) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let extra = MAX_SCALE.saturating_sub(self.scale);
        let widened = self.mantissa.checked_mul(pow10_wide(u32::from(extra))?)?;
        let product = widened.checked_mul(i128::from(num))?;
        let den = i128::from(den);
        let (q, r) = (product / den, product % den);
        let twice = r.abs() * 2;
        let rounded = if twice > den || (twice == den && q % 2 != 0) {
            q + product.signum()
        } else {
            q
        };
        Some(Self::normalised(rounded, self.scale + extra))
    }

    /// `self / rhs`, rounded half to even at 18 decimals: an inverse
    /// contract's value in its coin (`contracts × 100 USD / price`). `None`
    /// if `rhs` is 0 or the range is left.
    pub fn checked_div(self, rhs: Self) -> Option<Self> {
        if rhs.mantissa == 0 {
            return None;
        }
        // value = (a·10^-sa) / (b·10^-sb) = (a·10^(MAX+sb-sa) / b)·10^-MAX.
        let shift = i32::from(MAX_SCALE) + i32::from(rhs.scale) - i32::from(self.scale);
        let (num, den) = if shift >= 0 {
            (
                self.mantissa
                    .checked_mul(pow10_wide(u32::try_from(shift).ok()?)?)?,
                rhs.mantissa,
            )
        } else {
            (
                self.mantissa,
                rhs.mantissa
                    .checked_mul(pow10_wide(shift.unsigned_abs())?)?,
            )
        };
        let (q, r) = (num / den, num % den);
        let (twice, den_abs) = (r.unsigned_abs() * 2, den.unsigned_abs());
        let rounded = if twice > den_abs || (twice == den_abs && q % 2 != 0) {
            q + (num.signum() * den.signum())
        } else {
            q
        };
        Some(Self::normalised(rounded, MAX_SCALE))
    }

    /// The negation, or `None` at the edge of the range.
    pub fn checked_neg(self) -> Option<Self> {
        Some(Self {
            mantissa: self.mantissa.checked_neg()?,
            scale: self.scale,
        })
    }

    /// The value as a float, for analytics only.
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// Whether the value is below zero.
    pub const fn is_negative(self) -> bool {
        self.mantissa < 0
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        // Align scales; fall back to floats only if alignment would overflow,
        // which needs values near 10^20 with 18 decimals.
        let (a, b) = match self.scale.cmp(&other.scale) {
            Ordering::Equal => (Some(self.mantissa), Some(other.mantissa)),
            Ordering::Less => (
                self.mantissa
                    .checked_mul(10i128.pow(u32::from(other.scale - self.scale))),
                Some(other.mantissa),
            ),
            Ordering::Greater => (
                Some(self.mantissa),
                other
                    .mantissa
                    .checked_mul(10i128.pow(u32::from(self.scale - other.scale))),
            ),
        };
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Decimal {
    /// A whole number.
    fn from(n: i64) -> Self {
        Self::normalised(i128::from(n), 0)
    }
}

impl std::str::FromStr for Decimal {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let divisor = 10u128.pow(u32::from(self.scale));
        let magnitude = self.mantissa.unsigned_abs();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let int = magnitude / divisor;
        if self.scale == 0 {
            write!(f, "{sign}{int}")
        } else {
            let frac = magnitude % divisor;
            let width = usize::from(self.scale);
            write!(f, "{sign}{int}.{frac:0width$}")
        }
    }
}

/// For `k` < 20: the inverse of 5^k modulo 2^64, and the largest `u64`
/// that is a multiple of 5^k divided by 5^k.
const INV_POW5: [(u64, u64); 20] = {
    let mut table = [(0u64, 0u64); 20];
    let mut k = 0;
    let mut pow5: u64 = 1;
    while k < 20 {
        // Newton's iteration doubles the correct low bits each step; an odd
        // number is its own inverse modulo 8, so five steps reach 64 bits.
        let mut inv = pow5;
        let mut step = 0;
        while step < 5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(pow5.wrapping_mul(inv)));
            step += 1;
        }
        table[k] = (inv, u64::MAX / pow5);
        pow5 = pow5.wrapping_mul(5);
        k += 1;
    }
    table
};

/// `n / 10^k` if 10^k divides `n`, else `None`, with shifts and one
/// multiplication (Granlund and Montgomery's divisibility test): `n` must
/// be a multiple of 2^k, and `n / 2^k` times the inverse of 5^k must land
/// at or below `u64::MAX / 5^k`.
#[inline(always)]
fn exact_div_pow10(n: u64, k: u8) -> Option<u64> {
    let Some(&(inverse, limit)) = INV_POW5.get(usize::from(k)) else {
        // 10^k exceeds every u64: only zero divides.
        return (n == 0).then_some(0);
    };
    if n & ((1u64 << k) - 1) != 0 {
        return None;
    }
    let quotient = (n >> k).wrapping_mul(inverse);
    (quotient <= limit).then_some(quotient)
}

#[cfg(test)]
mod tests;
