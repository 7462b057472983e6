//! Rendering fixed-point values back to venue-style decimal text, on the
//! stack: formatting a price never allocates.

use std::fmt;

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
            Ok(small) => write_digits(&mut buf, small, decimals, trim),
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
