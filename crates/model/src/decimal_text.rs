//! Rendering fixed-point values back to venue-style decimal text, on the
//! stack: formatting a price never allocates.

use std::fmt;

/// "00" to "99", so a u64 is written two digits per division.
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// A u64 magnitude with its count of fractional digits, trailing fractional
/// zeros already dropped if asked: the usual case, written two digits per
/// division straight into the caller's buffer.
#[derive(Clone, Copy)]
struct SmallDecimal {
    value: u64,
    frac: u8,
}

impl SmallDecimal {
    fn new(mut value: u64, mut frac: u8, trim: bool) -> Self {
        if trim {
            while frac > 0 && value % 10 == 0 {
                value /= 10;
                frac -= 1;
            }
        }
        Self { value, frac }
    }

    /// Bytes the text takes: the digits (at least one before the point) and
    /// the point.
    fn len(self) -> usize {
        let digits = self.value.checked_ilog10().map_or(1, |d| d as usize + 1);
        let frac = usize::from(self.frac);
        digits.max(frac + 1) + usize::from(frac > 0)
    }

    /// Writes the text so that it ends just before `end`.
    fn write_ending_at(self, out: &mut [u8], end: usize) {
        let Self { mut value, frac } = self;
        let mut pos = end;
        let pair = |out: &mut [u8], v: u64, pos: &mut usize| {
            let i = 2 * (v as usize);
            *pos -= 2;
            out[*pos..*pos + 2].copy_from_slice(&PAIRS[i..i + 2]);
        };
        let mut left = frac;
        while left >= 2 {
            pair(out, value % 100, &mut pos);
            value /= 100;
            left -= 2;
        }
        if left == 1 {
            pos -= 1;
            out[pos] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        if frac > 0 {
            pos -= 1;
            out[pos] = b'.';
        }
        while value >= 100 {
            pair(out, value % 100, &mut pos);
            value /= 100;
        }
        if value >= 10 {
            pair(out, value, &mut pos);
        } else {
            out[pos - 1] = b'0' + value as u8;
        }
    }
}

/// Writes `steps` × `display_step` × 10^-`decimals` at the start of `out`
/// and returns its length; `None` if `out` is too short or the magnitude
/// needs more than 64 bits (render a [`DecimalText`] then).
///
/// Writing in place matters where many values are rendered in a row (OKX's
/// checksum renders 100 per frame): a value copied out of a fresh stack
/// buffer is read back before its byte stores have landed, and each such
/// read stalls.
pub(crate) fn write_into(
    steps: i64,
    display_step: u64,
    decimals: u8,
    trim: bool,
    out: &mut [u8],
) -> Option<usize> {
    let value = steps.unsigned_abs().checked_mul(display_step)?;
    let small = SmallDecimal::new(value, decimals, trim);
    let sign = usize::from(steps < 0);
    let len = sign + small.len();
    let out = out.get_mut(..len)?;
    small.write_ending_at(out, len);
    if sign == 1 {
        out[0] = b'-';
    }
    Some(len)
}

/// Writes `value` × 10^-`decimals` right-aligned into `buf`, dropping
/// trailing fractional zeros if `trim`; returns the start index.
fn write_digits<T>(buf: &mut [u8; 48], mut value: T, decimals: u8, trim: bool) -> usize
where
    T: Copy + PartialEq + From<u8> + std::ops::Rem<Output = T> + std::ops::DivAssign,
    u8: TryFrom<T>,
{
    let (zero, ten) = (T::from(0), T::from(10));
    let digit = |v: T| u8::try_from(v % ten).unwrap_or(0);
    let mut pos = buf.len();
    let mut frac_left = decimals;
    let mut skipping_zeros = trim;
    while frac_left > 0 {
        let d = digit(value);
        value /= ten;
        frac_left -= 1;
        if skipping_zeros && d == 0 {
            continue;
        }
        skipping_zeros = false;
        pos -= 1;
        buf[pos] = b'0' + d;
    }
    if pos < buf.len() {
        pos -= 1;
        buf[pos] = b'.';
    }
    loop {
        pos -= 1;
        buf[pos] = b'0' + digit(value);
        value /= ten;
        if value == zero {
            break;
        }
    }
    pos
}

/// A rendered decimal held on the stack: formatting one never allocates.
#[derive(Clone, Copy)]
pub struct DecimalText {
    buf: [u8; 48],
    start: u8,
}

impl DecimalText {
    pub(crate) fn render(steps: i64, display_step: u64, decimals: u8, trim: bool) -> Self {
        // |steps| × display_step < 2^63 × 2^64, so the magnitude fits in u128;
        // it nearly always fits in u64, where division is several times cheaper.
        let value = u128::from(steps.unsigned_abs()) * u128::from(display_step);
        let mut buf = [0u8; 48];
        let mut pos = match u64::try_from(value) {
            Ok(small) => {
                let small = SmallDecimal::new(small, decimals, trim);
                small.write_ending_at(&mut buf, 48);
                48 - small.len()
            }
            Err(_) => write_digits(&mut buf, value, decimals, trim),
        };
        if steps < 0 {
            pos -= 1;
            buf[pos] = b'-';
        }
        // `pos` < 48 always: at most 39 digits, a point and a sign.
        Self {
            buf,
            start: pos as u8,
        }
    }

    /// A whole number, written without `fmt` (a signed request's
    /// `timestamp` and `recvWindow` are written on the way to the wire).
    pub fn integer(n: i64) -> Self {
        Self::render(n, 1, 0, false)
    }

    /// The rendered text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, '.' and '-' are written.
        std::str::from_utf8(&self.buf[usize::from(self.start)..]).unwrap_or_default()
    }

    /// The rendered text as bytes, e.g. for hashing.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[usize::from(self.start)..]
    }
}

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn pairs_agree_with_single_digits(value: u64, decimals in 0u8..=20, trim: bool) {
            let (mut a, mut b) = ([0u8; 48], [0u8; 48]);
            let small = SmallDecimal::new(value, decimals, trim);
            small.write_ending_at(&mut a, 48);
            let pb = write_digits(&mut b, value, decimals, trim);
            proptest::prop_assert_eq!(&a[48 - small.len()..], &b[pb..]);
        }

        #[test]
        fn written_in_place_as_rendered(steps: i64, step in 1u64..1000, decimals in 0u8..=12, trim: bool) {
            let mut out = [0u8; 64];
            let rendered = DecimalText::render(steps, step, decimals, trim);
            match write_into(steps, step, decimals, trim, &mut out) {
                Some(len) => proptest::prop_assert_eq!(&out[..len], rendered.as_bytes()),
                None => proptest::prop_assert!(steps.unsigned_abs().checked_mul(step).is_none()),
            }
            proptest::prop_assert_eq!(write_into(steps, step, decimals, trim, &mut out[..2]).is_some(), rendered.as_bytes().len() <= 2);
        }
    }
}
