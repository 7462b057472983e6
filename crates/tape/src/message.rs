//! One venue message on a tape: a fixed head, the event in varints, and a
//! checksum.
//!
//! Layout, little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | `n`, the bytes from offset 4 up to the checksum |
//! | 4 | 1 | [`Kind`] |
//! | 5 | 1 | flags ([`Flags`]) |
//! | 6 | 2 | instrument index into the header's table |
//! | 8 | 8 | venue timestamp, ns since the epoch |
//! | 16 | 8 | local receive timestamp, ns since the epoch |
//! | 24 | `n` − 20 | the event (below) |
//! | 4 + `n` | 4 | CRC32C of bytes 4 .. 4 + `n` |
//!
//! Events, in LEB128 varints (zigzag for signed values). A level is its
//! price as the difference in ticks from the level before (the first from
//! zero), then its size in lots:
//!
//! * delta: first id, last − first, [first − previous batch's last, with
//!   [`Flags::HAS_PREV`]], then runs of levels on one side: the number of
//!   runs, and per run its side (0 buy, 1 sell), its length and its levels;
//! * snapshot: last update id, the bids' count and levels, the asks';
//! * trade: trade id, price, size (the aggressor in the flags);
//! * quote: update id, bid price, bid size, ask price − bid price, ask size.
//!
//! A venue lists each side's levels in price order, so most differences
//! take a byte or two and a level three to five bytes, against 64 in the
//! fixed records of version 2: a replay reads an eighth of the memory.

use kestrel_model::{BookDelta, BookSnapshot, Level, LevelUpdate, Price, Qty, Side};

use crate::error::TapeError;

/// Bytes before the event: length, kind, flags, instrument, two times.
pub const HEAD: usize = 24;
/// Bytes of the checksum after the event.
pub const TAIL: usize = 4;
/// Largest message a reader accepts: a snapshot of a million levels fits.
pub const MAX_MESSAGE: usize = 32 << 20;

/// What a message holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// An incremental update batch.
    Delta = 1,
    /// A whole book.
    Snapshot = 2,
    /// A trade print.
    Trade = 3,
    /// The venue's best bid and ask.
    Quote = 4,
}

impl Kind {
    /// The kind a byte names.
    pub fn from_u8(byte: u8) -> Result<Self, TapeError> {
        Ok(match byte {
            1 => Self::Delta,
            2 => Self::Snapshot,
            3 => Self::Trade,
            4 => Self::Quote,
            _ => return Err(TapeError::BadKind(byte)),
        })
    }
}

/// Bit flags of a message. Unknown bits make the message invalid, so a
/// newer writer's meaning is never silently dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// The trade's aggressor sold.
    pub const SELL: Self = Self(1);
    /// The delta names the previous batch's last id (Binance futures `pu`,
    /// OKX `prevSeqId`).
    pub const HAS_PREV: Self = Self(1 << 2);
    /// The trade's aggressor side is known (then [`Flags::SELL`] tells which).
    pub const AGGRESSOR_KNOWN: Self = Self(1 << 3);
    const KNOWN: u8 = 0b1101;

    /// No flags.
    pub const NONE: Self = Self(0);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `other` added when `on`.
    #[must_use]
    pub const fn with_if(self, other: Self, on: bool) -> Self {
        if on { Self(self.0 | other.0) } else { self }
    }

    /// The raw byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The flags a byte holds, refusing unknown bits.
    pub fn from_bits(byte: u8) -> Result<Self, TapeError> {
        if byte & !Self::KNOWN != 0 {
            return Err(TapeError::BadFlags(byte));
        }
        Ok(Self(byte))
    }
}

/// A message's fixed head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// What it holds.
    pub kind: Kind,
    /// Its flags.
    pub flags: Flags,
    /// Index into the header's instrument table.
    pub instrument: u16,
    /// Venue timestamp, ns.
    pub exchange_ns: u64,
    /// Local receive timestamp, ns.
    pub local_ns: u64,
}

/// Appends a message: `head`, then the event `body` writes, then its
/// length and checksum.
pub(crate) fn write(out: &mut Vec<u8>, head: &Head, body: impl FnOnce(&mut Out<'_>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(head.kind as u8);
    out.push(head.flags.0);
    out.extend_from_slice(&head.instrument.to_le_bytes());
    out.extend_from_slice(&head.exchange_ns.to_le_bytes());
    out.extend_from_slice(&head.local_ns.to_le_bytes());
    body(&mut Out(out));
    let n = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&n.to_le_bytes());
    let crc = crate::crc::crc32c(&out[start + 4..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// The length of the message that `bytes` starts with, checksum included,
/// read from its first four bytes; `None` if they are not there.
pub(crate) fn framed_len(bytes: &[u8]) -> Option<Result<usize, TapeError>> {
    let n = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    if !(HEAD - 4..=MAX_MESSAGE).contains(&n) {
        return Some(Err(TapeError::BadLength(n as u64)));
    }
    Some(Ok(4 + n + TAIL))
}

/// Checks a whole message (`bytes`, as [`framed_len`] measured it) and
/// reads its head; the event's bytes follow, for [`In`].
pub fn open(bytes: &[u8]) -> Result<(Head, In<'_>), TapeError> {
    let body_end = bytes
        .len()
        .checked_sub(TAIL)
        .filter(|&end| end >= HEAD)
        .ok_or(TapeError::Truncated(bytes.len() as u64))?;
    let (framed, crc) = bytes.split_at(body_end);
    let want = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crate::crc::crc32c(&framed[4..]) != want {
        return Err(TapeError::BadChecksum);
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&framed[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let head = Head {
        kind: Kind::from_u8(framed[4])?,
        flags: Flags::from_bits(framed[5])?,
        instrument: u16::from_le_bytes([framed[6], framed[7]]),
        exchange_ns: word(8),
        local_ns: word(16),
    };
    Ok((head, In(&framed[HEAD..])))
}

/// Appends varint fields.
pub(crate) struct Out<'a>(&'a mut Vec<u8>);

impl Out<'_> {
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    pub(crate) fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub(crate) fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }

    pub(crate) fn level(&mut self, prev: &mut Price, price: Price, qty: Qty) {
        self.zigzag(price.ticks().wrapping_sub(prev.ticks()));
        *prev = price;
        self.varint(qty.lots());
    }

    /// A delta's levels as runs on one side.
    pub(crate) fn updates(&mut self, updates: &[LevelUpdate]) {
        let runs = updates.chunk_by(|a, b| a.side == b.side);
        self.len(runs.clone().count());
        let mut prev = Price::from_ticks(0);
        for run in runs {
            let Some(first) = run.first() else { continue };
            self.varint(u64::from(first.side == Side::Sell));
            self.len(run.len());
            for u in run {
                self.level(&mut prev, u.price, u.qty);
            }
        }
    }

    /// A snapshot's two sides.
    pub(crate) fn sides(&mut self, book: &BookSnapshot) {
        let mut prev = Price::from_ticks(0);
        for levels in [&book.bids, &book.asks] {
            self.len(levels.len());
            for l in levels.iter() {
                self.level(&mut prev, l.price, l.qty);
            }
        }
    }
}

/// A zigzag-encoded varint's signed value.
#[inline(always)]
fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// The varint `bytes` starts with and the bytes after it; `None` if they
/// do not start with a whole one. Most of a tape's fields (price steps,
/// sizes in lots, counts) take one or two bytes (three for a size past
/// 16,383 lots), read here without a loop.
#[inline(always)]
fn varint_at(bytes: &[u8]) -> Option<(u64, &[u8])> {
    match *bytes {
        [b0, ref rest @ ..] if b0 < 0x80 => Some((u64::from(b0), rest)),
        [b0, b1, ref rest @ ..] if b1 < 0x80 => {
            Some((u64::from(b0 & 0x7f) | u64::from(b1) << 7, rest))
        }
        [b0, b1, b2, ref rest @ ..] if b2 < 0x80 => Some((
            u64::from(b0 & 0x7f) | u64::from(b1 & 0x7f) << 7 | u64::from(b2) << 14,
            rest,
        )),
        _ => varint_long(bytes),
    }
}

/// A varint of four bytes or more (or none). Ids and times take six to
/// eight: those are read from one 8-byte word, the 7-bit groups packed by
/// three shift-and-mask steps; longer ones, and the last bytes of an
/// event, byte by byte.
fn varint_long(bytes: &[u8]) -> Option<(u64, &[u8])> {
    if let Some(word) = bytes.first_chunk::<8>() {
        let w = u64::from_le_bytes(*word);
        let ends = !w & 0x8080_8080_8080_8080;
        if ends != 0 {
            let len = ends.trailing_zeros() as usize / 8 + 1;
            let kept = if len == 8 {
                w
            } else {
                w & ((1u64 << (8 * len)) - 1)
            };
            let mut x = kept & 0x7f7f_7f7f_7f7f_7f7f;
            x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
            x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
            x = (x & 0x0000_0000_0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4);
            return Some((x, &bytes[len..]));
        }
    }
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            // The tenth byte holds the top bit only.
            if i == 9 && b > 1 {
                return None;
            }
            return Some((v, &bytes[i + 1..]));
        }
    }
    None
}

/// Reads an event's varint fields, never past its bytes.
#[derive(Debug)]
pub struct In<'a>(&'a [u8]);

impl In<'_> {
    fn broken(what: &'static str) -> TapeError {
        TapeError::BadEvent(what)
    }

    /// One varint field.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, TapeError> {
        self.next().ok_or_else(|| self.why())
    }

    /// One zigzag (signed) varint field.
    #[inline]
    pub(crate) fn zigzag(&mut self) -> Result<i64, TapeError> {
        self.next().map(unzigzag).ok_or_else(|| self.why())
    }

    /// The next varint, `None` if the bytes left do not hold one (nothing
    /// is consumed then; [`Self::why`] says what is wrong).
    #[inline(always)]
    fn next(&mut self) -> Option<u64> {
        let (v, rest) = varint_at(self.0)?;
        self.0 = rest;
        Some(v)
    }

    /// Why the varint at the current place could not be read.
    #[cold]
    fn why(&self) -> TapeError {
        let bytes = self.0;
        if bytes.len() < 10 && bytes.iter().all(|b| b & 0x80 != 0) {
            Self::broken("event ends inside a field")
        } else {
            Self::broken("varint overflow")
        }
    }

    /// `levels.len()` levels into `levels` (price steps from `prev`, which
    /// moves, and sizes), each by `write`. The bytes are read from a local
    /// slice so the loop keeps its place in registers.
    #[inline(always)]
    fn levels<T>(
        &mut self,
        prev: &mut Price,
        levels: &mut [T],
        write: impl Fn(&mut T, Price, Qty),
    ) -> Result<(), TapeError> {
        let mut bytes = self.0;
        let mut price = prev.ticks();
        for slot in levels {
            let Some((step, rest)) = varint_at(bytes) else {
                self.0 = bytes;
                return Err(self.why());
            };
            let Some((lots, rest)) = varint_at(rest) else {
                self.0 = rest;
                return Err(self.why());
            };
            bytes = rest;
            price = price.wrapping_add(unzigzag(step));
            write(slot, Price::from_ticks(price), Qty::from_lots(lots));
        }
        self.0 = bytes;
        *prev = Price::from_ticks(price);
        Ok(())
    }

    /// A count of items of at least `item_bytes` each: one the rest of the
    /// event cannot hold is refused before anything is allocated.
    pub(crate) fn len(&mut self, item_bytes: usize) -> Result<usize, TapeError> {
        let n = usize::try_from(self.varint()?).map_err(|_| Self::broken("count"))?;
        if n.saturating_mul(item_bytes) > self.0.len() {
            return Err(Self::broken("count larger than the event"));
        }
        Ok(n)
    }

    /// What [`Out::updates`] wrote, into `updates` (cleared first).
    pub(crate) fn updates(&mut self, updates: &mut Vec<LevelUpdate>) -> Result<(), TapeError> {
        updates.clear();
        // A run takes at least two bytes (side, length), a level two.
        let runs = self.len(2)?;
        let mut prev = Price::from_ticks(0);
        for _ in 0..runs {
            let side = match self.varint()? {
                0 => Side::Buy,
                1 => Side::Sell,
                _ => return Err(Self::broken("side")),
            };
            let n = self.len(2)?;
            let start = updates.len();
            let blank = LevelUpdate {
                side,
                price: prev,
                qty: Qty::ZERO,
            };
            updates.resize(start + n, blank);
            self.levels(&mut prev, &mut updates[start..], |u, price, qty| {
                (u.price, u.qty) = (price, qty);
            })?;
        }
        Ok(())
    }

    /// What [`Out::sides`] wrote, into `bids` and `asks` (cleared first).
    pub(crate) fn sides(
        &mut self,
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<(), TapeError> {
        let mut prev = Price::from_ticks(0);
        for levels in [bids, asks] {
            let n = self.len(2)?;
            let blank = Level {
                price: prev,
                qty: Qty::ZERO,
            };
            levels.clear();
            levels.resize(n, blank);
            self.levels(&mut prev, levels, |l, price, qty| {
                (l.price, l.qty) = (price, qty);
            })?;
        }
        Ok(())
    }

    /// Every byte read: trailing bytes are damage, not padding.
    pub(crate) fn finish(self) -> Result<(), TapeError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Self::broken("trailing bytes"))
        }
    }
}

/// Rewrites the instrument index of a whole message in place and its
/// checksum with it (a merge renumbering instruments).
pub(crate) fn renumber(bytes: &mut [u8], instrument: u16) {
    bytes[6..8].copy_from_slice(&instrument.to_le_bytes());
    let end = bytes.len() - TAIL;
    let crc = crate::crc::crc32c(&bytes[4..end]);
    bytes[end..].copy_from_slice(&crc.to_le_bytes());
}

/// A delta's event bytes.
pub(crate) fn delta_body(out: &mut Out<'_>, delta: &BookDelta) {
    out.varint(delta.ids.first);
    out.varint(delta.ids.last.wrapping_sub(delta.ids.first));
    if let Some(prev) = delta.ids.prev {
        out.varint(delta.ids.first.wrapping_sub(prev));
    }
    out.updates(&delta.updates);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Out, varint_at};

    proptest! {
        /// Every value reads back whatever follows it: the word path (8
        /// bytes left), the byte path, and both ends of each length.
        #[test]
        fn varints_read_back(v in any::<u64>(), shift in 0u32..64, tail in proptest::collection::vec(any::<u8>(), 0..12)) {
            for value in [v, v >> shift] {
                let mut bytes = Vec::new();
                Out(&mut bytes).varint(value);
                let len = bytes.len();
                bytes.extend_from_slice(&tail);
                let (read, rest) = varint_at(&bytes).unwrap();
                prop_assert_eq!(read, value);
                prop_assert_eq!(rest.len(), bytes.len() - len);
            }
        }
    }
}
