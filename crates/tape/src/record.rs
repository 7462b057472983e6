//! The 64-byte record: one level change, trade or quote with both clocks.
//!
//! Layout, little-endian, one cache line:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | [`RecordKind`] |
//! | 1 | 1 | flags ([`Flags`]) |
//! | 2 | 2 | instrument index into the header's table |
//! | 4 | 4 | levels in this record's batch (level records), else 0 |
//! | 8 | 8 | venue timestamp, ns since the epoch |
//! | 16 | 8 | local receive timestamp, ns since the epoch |
//! | 24 | 8 | price, ticks (quote: bid price) |
//! | 32 | 8 | quantity, lots (quote: bid size) |
//! | 40 | 8 | `a`: first update id, snapshot id, trade id or quote update id |
//! | 48 | 8 | `b`: last update id (quote: ask price, ticks) |
//! | 56 | 8 | `c`: previous batch's last id (quote: ask size, lots) |
//!
//! A venue message with many levels becomes a *batch* of consecutive level
//! records that repeat its ids and times; the last one carries
//! [`Flags::BATCH_END`]. A batch with no levels (a Binance diff can be empty
//! and still advance the ids) is one record with [`Flags::EMPTY`].

use crate::error::TapeError;

/// Size of every record, in bytes.
pub const RECORD_SIZE: usize = 64;

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RecordKind {
    /// One level of an incremental update batch.
    DeltaLevel = 1,
    /// One level of a whole-book snapshot batch.
    SnapshotLevel = 2,
    /// One trade print.
    Trade = 3,
    /// The venue's best bid and ask.
    Quote = 4,
}

impl RecordKind {
    fn from_u8(byte: u8) -> Option<Self> {
        Some(match byte {
            1 => Self::DeltaLevel,
            2 => Self::SnapshotLevel,
            3 => Self::Trade,
            4 => Self::Quote,
            _ => return None,
        })
    }

    /// Whether records of this kind come in batches.
    pub const fn is_level(self) -> bool {
        matches!(self, Self::DeltaLevel | Self::SnapshotLevel)
    }
}

/// Bit flags of a record. Unknown bits make the record invalid, so a newer
/// writer's meaning is never silently dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// The level is an ask, or the trade's aggressor sold.
    pub const SELL: Self = Self(1);
    /// Last record of its batch.
    pub const BATCH_END: Self = Self(1 << 1);
    /// `c` holds the previous batch's last id (Binance futures `pu`, OKX `prevSeqId`).
    pub const HAS_PREV: Self = Self(1 << 2);
    /// The trade's aggressor side is known (then [`Flags::SELL`] tells which).
    pub const AGGRESSOR_KNOWN: Self = Self(1 << 3);
    /// A batch with no levels; price and quantity are zero and meaningless.
    pub const EMPTY: Self = Self(1 << 4);
    const KNOWN: u8 = 0b1_1111;

    /// No flags.
    pub const NONE: Self = Self(0);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of bits.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// `other` added when `on`.
    #[must_use]
    pub const fn with_if(self, other: Self, on: bool) -> Self {
        if on { self.with(other) } else { self }
    }

    /// The raw byte.
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// One record, decoded from or about to be encoded to its 64 bytes.
///
/// The meaning of `price`, `qty`, `a`, `b` and `c` depends on `kind`; the
/// writer and the event assembler are the only code that interprets them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// Raw kind byte, checked by [`Record::kind`].
    pub kind: u8,
    /// Flags.
    pub flags: Flags,
    /// Index into the header's instrument table.
    pub instrument: u16,
    /// Levels in the batch this record belongs to.
    pub batch_len: u32,
    /// Venue timestamp, ns.
    pub exchange_ns: u64,
    /// Local receive timestamp, ns.
    pub local_ns: u64,
    /// Price in ticks.
    pub price: i64,
    /// Quantity in lots.
    pub qty: u64,
    /// Kind-specific word (see the module table).
    pub a: u64,
    /// Kind-specific word.
    pub b: u64,
    /// Kind-specific word.
    pub c: u64,
}

impl Record {
    /// The record's kind, or an error naming the bad byte.
    pub fn kind(&self) -> Result<RecordKind, TapeError> {
        RecordKind::from_u8(self.kind).ok_or(TapeError::BadKind(self.kind))
    }

    /// Encodes to the on-disk layout.
    pub fn to_bytes(&self) -> [u8; RECORD_SIZE] {
        let mut out = [0u8; RECORD_SIZE];
        out[0] = self.kind;
        out[1] = self.flags.0;
        out[2..4].copy_from_slice(&self.instrument.to_le_bytes());
        out[4..8].copy_from_slice(&self.batch_len.to_le_bytes());
        let words = [
            self.exchange_ns,
            self.local_ns,
            self.price as u64,
            self.qty,
            self.a,
            self.b,
            self.c,
        ];
        for (chunk, word) in out[8..].chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Decodes the on-disk layout, rejecting unknown kinds and flag bits.
    pub fn from_bytes(bytes: &[u8; RECORD_SIZE]) -> Result<Self, TapeError> {
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let record = Self {
            kind: bytes[0],
            flags: Flags(bytes[1]),
            instrument: u16::from_le_bytes([bytes[2], bytes[3]]),
            batch_len: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            exchange_ns: word(8),
            local_ns: word(16),
            price: word(24) as i64,
            qty: word(32),
            a: word(40),
            b: word(48),
            c: word(56),
        };
        record.kind()?;
        if record.flags.0 & !Flags::KNOWN != 0 {
            return Err(TapeError::BadFlags(record.flags.0));
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bytes_round_trip(
            kind in 1u8..=4, flags in 0u8..32, instrument: u16, batch_len: u32,
            exchange_ns: u64, local_ns: u64, price: i64, qty: u64, a: u64, b: u64, c: u64,
        ) {
            let record = Record {
                kind, flags: Flags(flags), instrument, batch_len, exchange_ns, local_ns,
                price, qty, a, b, c,
            };
            prop_assert_eq!(Record::from_bytes(&record.to_bytes()).ok(), Some(record));
        }
    }

    #[test]
    fn unknown_kind_and_flags_are_refused() {
        let mut bytes = Record {
            kind: 3,
            ..Record::default()
        }
        .to_bytes();
        bytes[0] = 9;
        assert!(matches!(
            Record::from_bytes(&bytes),
            Err(TapeError::BadKind(9))
        ));
        bytes[0] = 3;
        bytes[1] = 0x80;
        assert!(matches!(
            Record::from_bytes(&bytes),
            Err(TapeError::BadFlags(0x80))
        ));
    }

    #[test]
    fn layout_is_little_endian_at_documented_offsets() {
        let bytes = Record {
            kind: 1,
            flags: Flags::BATCH_END,
            instrument: 0x0102,
            batch_len: 3,
            exchange_ns: 0x1122_3344_5566_7788,
            price: -1,
            ..Record::default()
        }
        .to_bytes();
        assert_eq!(&bytes[..8], &[1, 2, 2, 1, 3, 0, 0, 0]);
        assert_eq!(bytes[8], 0x88);
        assert_eq!(&bytes[24..32], &[0xff; 8]);
    }
}
