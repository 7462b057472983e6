//! What a venue decoder produces, and the pieces every decoder shares.
//!
//! Decoders write into buffers they own and lend the result out
//! ([`Decoded`]), so once the buffers have grown to the largest frame seen,
//! decoding allocates nothing.

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Level, LevelUpdate, Price, Qty,
    Quote, Side, Trade, UnixNanos, UpdateIds,
};

use crate::error::FrameError;
use crate::json::Scanner;

/// One decoded frame, borrowing the decoder's buffers until the next call.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// Incremental depth changes.
    Delta {
        /// The changes and their update ids.
        delta: &'a BookDelta,
        /// The venue's checksum of the book after this delta, if it sent one.
        checksum: Option<i32>,
    },
    /// A whole book that replaces ours (REST snapshot, OKX and Bybit snapshots).
    Snapshot {
        /// The book.
        snapshot: &'a BookSnapshot,
        /// The venue's checksum of that book, if it sent one.
        checksum: Option<i32>,
    },
    /// The venue's top levels only (OKX `books5`): a view of the touch, not
    /// a base for incremental updates.
    TopLevels(&'a BookSnapshot),
    /// Trade prints, in the venue's order.
    Trades(&'a [Trade]),
    /// The venue's best bid and ask.
    Quote(Quote),
    /// A frame for another symbol or stream, a subscription answer or a pong.
    Other,
}

/// A venue protocol decoder: frame bytes in, normalised events out.
pub trait FrameDecoder {
    /// Decodes one frame received at `local`.
    fn decode(&mut self, frame: &[u8], local: UnixNanos) -> Result<Decoded<'_>, FrameError>;
}

/// The reusable output buffers of a decoder.
#[derive(Debug)]
pub(crate) struct FrameBuffers {
    pub delta: BookDelta,
    pub snapshot: BookSnapshot,
    pub trades: Vec<Trade>,
}

impl FrameBuffers {
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            delta: BookDelta {
                instrument,
                ids: UpdateIds::default(),
                time: EventTime::default(),
                updates: Vec::with_capacity(256),
            },
            snapshot: BookSnapshot {
                instrument,
                last_update_id: 0,
                time: EventTime::default(),
                bids: Vec::new(),
                asks: Vec::new(),
            },
            trades: Vec::with_capacity(4),
        }
    }

    /// Empties the delta and stamps it with its instrument.
    pub fn reset_delta(&mut self, instrument: InstrumentId) -> &mut BookDelta {
        self.delta.instrument = instrument;
        self.delta.updates.clear();
        &mut self.delta
    }

    /// Empties the snapshot and stamps it with its instrument.
    pub fn reset_snapshot(&mut self, instrument: InstrumentId) -> &mut BookSnapshot {
        self.snapshot.instrument = instrument;
        self.snapshot.bids.clear();
        self.snapshot.asks.clear();
        &mut self.snapshot
    }
}

/// The instruments a decoder serves, looked up by the venue's native symbol.
///
/// Never empty. A linear scan: a feed serves a handful of instruments, and
/// comparing a few short symbols beats hashing one.
#[derive(Clone, Debug)]
pub struct Instruments {
    list: Vec<Instrument>,
}

impl Instruments {
    /// A table holding `first`.
    pub fn new(first: Instrument) -> Self {
        Self { list: vec![first] }
    }

    /// Adds an instrument.
    #[must_use]
    pub fn with(mut self, instrument: Instrument) -> Self {
        self.list.push(instrument);
        self
    }

    /// The instrument whose native symbol is `native`, ignoring ASCII case
    /// (Binance writes `btcusdt` in stream names and `BTCUSDT` in payloads).
    #[inline]
    pub fn find(&self, native: &[u8]) -> Option<&Instrument> {
        self.list
            .iter()
            .find(|i| i.native_symbol.as_bytes().eq_ignore_ascii_case(native))
    }

    /// The first instrument: the one a symbol-less REST snapshot belongs to.
    pub fn first(&self) -> &Instrument {
        &self.list[0]
    }

    /// All instruments.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.list.iter()
    }
}

/// Parses a price on the instrument's tick grid.
#[inline(always)]
pub(crate) fn price(text: &[u8], instrument: &Instrument) -> Result<Price, FrameError> {
    Price::parse_bytes(text, &instrument.tick).map_err(|error| FrameError::Decimal {
        field: "price",
        error,
    })
}

/// Parses a size on the instrument's lot grid.
#[inline(always)]
pub(crate) fn qty(text: &[u8], instrument: &Instrument) -> Result<Qty, FrameError> {
    Qty::parse_bytes(text, &instrument.lot).map_err(|error| FrameError::Decimal {
        field: "qty",
        error,
    })
}

/// Reads a level list `[["price","size",…],…]` (extra elements, such as
/// OKX's order counts, are skipped) and hands each level to `push`.
#[inline]
pub(crate) fn levels(
    raw: &[u8],
    instrument: &Instrument,
    mut push: impl FnMut(Level),
) -> Result<(), FrameError> {
    let mut s = Scanner::new(raw);
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        s.begin_array()?;
        let mut inner = true;
        if !s.next_element(&mut inner)? {
            return Err(FrameError::BadValue("level"));
        }
        let px = s.string()?;
        if !s.next_element(&mut inner)? {
            return Err(FrameError::BadValue("level"));
        }
        let sz = s.string()?;
        while s.next_element(&mut inner)? {
            s.skip_value()?;
        }
        push(Level {
            price: price(px, instrument)?,
            qty: qty(sz, instrument)?,
        });
    }
    Ok(())
}

/// Reads a level list at the scanner's cursor straight into a delta's
/// updates on `side`, in one pass.
///
/// The venues' own layout, `[["61659.70","1.486"],…]` without blanks, is
/// parsed by a fused scan that converts each decimal as it reads it; any
/// other layout (blanks, extra elements, a malformed level) is handed to the
/// general path, which also produces the precise error.
#[inline]
pub(crate) fn scan_delta_levels(
    s: &mut Scanner<'_>,
    side: Side,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Result<(), FrameError> {
    let bytes = s.rest();
    let kept = out.len();
    if let Some(used) = fast_levels(bytes, side, instrument, out) {
        s.advance(used);
        return Ok(());
    }
    out.truncate(kept);
    let raw = s.skip_value()?;
    delta_levels(raw, side, instrument, out)
}

/// The fused scan of [`scan_delta_levels`]; `None` if the input is not in the
/// strict layout or is not valid, `Some(bytes used)` otherwise.
#[inline(always)]
fn fast_levels(
    b: &[u8],
    side: Side,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Option<usize> {
    let mut i = 0;
    if *b.first()? != b'[' {
        return None;
    }
    i += 1;
    if *b.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        if b.get(i..i + 2)? != b"[\"" {
            return None;
        }
        let (px, px_frac, next) = fast_number(b, i + 2)?;
        if b.get(next..next + 2)? != b",\"" {
            return None;
        }
        let (sz, sz_frac, next) = fast_number(b, next + 2)?;
        if *b.get(next)? != b']' {
            return None;
        }
        let ticks = instrument.tick.steps_from_digits(px, px_frac).ok()?;
        let lots = instrument.lot.steps_from_digits(sz, sz_frac).ok()?;
        out.push(LevelUpdate {
            price: Price::from_ticks(i64::try_from(ticks).ok()?),
            qty: Qty::from_lots(lots),
            side,
        });
        i = next + 2;
        match *b.get(next + 1)? {
            b',' => {}
            b']' => return Some(i),
            _ => return None,
        }
    }
}

/// Reads an unsigned decimal up to its closing quote: the digits as one
/// integer, how many follow the point, and the index after the quote.
///
/// Eight bytes at a time where 16 bytes are left (venue decimals are short:
/// `61659.70`, `0.010`); byte by byte otherwise.
#[inline(always)]
fn fast_number(b: &[u8], i: usize) -> Option<(u64, u8, usize)> {
    match b.get(i..i + 16) {
        Some(window) => swar_number(window, i).or_else(|| bytewise_number(b, i)),
        None => bytewise_number(b, i),
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Up to eight ASCII digits starting at `at` (of which `n` are used) as an
/// integer, or `None` if any is not a digit. `window` must hold 8 bytes from
/// `at`.
#[inline(always)]
fn eight_digits(window: &[u8], at: usize, n: u32) -> Option<u64> {
    if n == 0 {
        return Some(0);
    }
    let bytes: [u8; 8] = window.get(at..at + 8)?.try_into().ok()?;
    // Keep the n digits, moved to the high end, and pad the front with '0's.
    let pad = 8 * (8 - n);
    let digits = (u64::from_le_bytes(bytes) << pad) | (0x3030_3030_3030_3030 & !(u64::MAX << pad));
    // Every byte in '0'..='9'?
    if (digits.wrapping_add(0x4646_4646_4646_4646) | digits.wrapping_sub(0x3030_3030_3030_3030))
        & HIGHS
        != 0
    {
        return None;
    }
    // Pairs, then quads, then the eight digits (first byte most significant).
    let v = digits - 0x3030_3030_3030_3030;
    let v = (v * 10) + (v >> 8);
    let v = (((v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32)))
        .wrapping_add(((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
        >> 32;
    Some(v)
}

/// Marks (high bit) the bytes of `x` equal to `c`; exact up to the first
/// match, which is all the callers use.
#[inline(always)]
fn byte_matches(x: u64, c: u8) -> u64 {
    let y = x ^ (ONES * u64::from(c));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// [`fast_number`] on a 16-byte window starting at the number (index `i`).
/// Branch-light: quote and point are located with bit masks over both
/// words, and all validity checks meet in one test.
#[inline(always)]
fn swar_number(window: &[u8], i: usize) -> Option<(u64, u8, usize)> {
    let lo = u64::from_le_bytes(window.get(..8)?.try_into().ok()?);
    let hi = u64::from_le_bytes(window.get(8..16)?.try_into().ok()?);
    let quotes = u128::from(byte_matches(lo, b'"')) | (u128::from(byte_matches(hi, b'"')) << 64);
    if quotes == 0 {
        return None;
    }
    let quote = quotes.trailing_zeros() / 8;
    // Points before the quote (quote ≤ 15, so the shift is in range).
    let dots = (u128::from(byte_matches(lo, b'.')) | (u128::from(byte_matches(hi, b'.')) << 64))
        & ((1u128 << (8 * quote)) - 1);
    let has_dot = dots != 0;
    let dot = if has_dot {
        dots.trailing_zeros() / 8
    } else {
        quote
    };
    let int_len = dot;
    let frac_len = quote - dot - u32::from(has_dot);
    let shape_ok = dots.count_ones() <= 1
        && (1..=8).contains(&int_len)
        && frac_len <= 8
        && (frac_len > 0 || !has_dot);
    if !shape_ok {
        return None;
    }
    let int = eight_digits(window, 0, int_len)?;
    let frac = eight_digits(window, (int_len + u32::from(has_dot)) as usize, frac_len)?;
    let value = int * POW10_U64[frac_len as usize] + frac;
    Some((value, frac_len as u8, i + quote as usize + 1))
}

const POW10_U64: [u64; 9] = [
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

/// [`fast_number`] one byte at a time.
#[inline(always)]
fn bytewise_number(b: &[u8], mut i: usize) -> Option<(u64, u8, usize)> {
    let (mut acc, mut digits, mut frac, mut dot) = (0u64, 0u32, 0u8, false);
    loop {
        let c = *b.get(i)?;
        i += 1;
        if c == b'"' {
            break;
        }
        if c == b'.' {
            if dot {
                return None;
            }
            dot = true;
            continue;
        }
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
        digits += 1;
        frac += u8::from(dot);
    }
    // 19 digits always fit in a u64; longer numbers take the exact slow path.
    if digits == 0 || digits > 19 || (dot && frac == 0) {
        return None;
    }
    Some((acc, frac, i))
}

/// Appends a level list to a delta's updates on `side`.
#[inline]
pub(crate) fn delta_levels(
    raw: &[u8],
    side: Side,
    instrument: &Instrument,
    out: &mut Vec<LevelUpdate>,
) -> Result<(), FrameError> {
    levels(raw, instrument, |Level { price, qty }| {
        out.push(LevelUpdate { price, qty, side });
    })
}

/// Replaces `out` with a level list.
pub(crate) fn snapshot_levels(
    raw: &[u8],
    instrument: &Instrument,
    out: &mut Vec<Level>,
) -> Result<(), FrameError> {
    out.clear();
    levels(raw, instrument, |level| out.push(level))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruments::usdm_btcusdt;

    #[test]
    fn fused_scan_takes_the_venue_layout_and_matches_the_general_path() {
        let inst = usdm_btcusdt();
        let raw = br#"[["1000.00","606.675"],["61595.80","0.000"],["61705.5","12"]]"#;
        let mut fast = Vec::new();
        assert_eq!(
            fast_levels(raw, Side::Buy, &inst, &mut fast),
            Some(raw.len())
        );
        let mut general = Vec::new();
        delta_levels(raw, Side::Buy, &inst, &mut general).unwrap();
        assert_eq!(fast, general);
        assert_eq!(fast_levels(b"[]", Side::Buy, &inst, &mut fast), Some(2));
        for odd in [
            &br#"[ ["1.0","1"]]"#[..],
            br#"[["1.0","1","0"]]"#,
            br#"[["1.05","1"]]"#,
            br#"[["1.","1"]]"#,
        ] {
            assert_eq!(fast_levels(odd, Side::Buy, &inst, &mut fast), None);
        }
    }

    #[test]
    fn word_at_a_time_numbers_agree_with_byte_at_a_time() {
        let cases = [
            "0",
            "7",
            "61659.70",
            "0.000",
            "1.486",
            "606.675",
            "12345678.12345678",
            "1000.00",
            "99999999",
            "123456789",
            "1.123456789",
            "0.1",
            ".5",
            "5.",
            "1.2.3",
            "12a4",
            "",
            "1e5",
            "-1",
            "00000000.00000001",
        ];
        for case in cases {
            let text = format!("{case}\",\"0.001\"]]");
            let b = text.as_bytes();
            let swar = b.get(..16).and_then(|w| swar_number(w, 0));
            let bytewise = bytewise_number(b, 0);
            if let Some(got) = swar {
                assert_eq!(Some(got), bytewise, "{case}");
            }
            assert_eq!(fast_number(b, 0), bytewise, "{case}");
        }
    }
}
