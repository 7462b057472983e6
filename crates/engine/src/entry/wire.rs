//! The byte-level pieces of the entry codec: little-endian integers,
//! LEB128 varints (zigzag for signed values), length-prefixed text, and a
//! reader that never reads past its slice.
//!
//! Market data, most of what a journal holds, is written in varints: level
//! prices as the difference from the level before, times as the difference
//! from the record's `now`. A depth level then takes 3–5 bytes instead of 17,
//! which is what lets the journal keep up with the disk.

use kestrel_model::{
    ClientOrderId, Decimal, EventTime, InstrumentIndex, OrderType, Price, Qty, Side, TimeInForce,
    UnixNanos,
};

use super::EntryError;

/// Appends encoded fields to a payload buffer.
pub(super) struct Out<'a>(pub(super) &'a mut Vec<u8>);

impl Out<'_> {
    pub(super) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(super) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// LEB128: seven bits a byte, low first, the high bit saying more follow.
    pub(super) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    /// A signed value as a varint, small magnitudes of either sign short.
    pub(super) fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    /// `t` as its (wrapping) distance from `base`, which the reader knows.
    pub(super) fn time_from(&mut self, base: UnixNanos, t: UnixNanos) {
        self.zigzag(t.as_nanos().wrapping_sub(base.as_nanos()) as i64);
    }
    /// An exchange/local time pair near `base`.
    pub(super) fn event_time_from(&mut self, base: UnixNanos, t: EventTime) {
        self.time_from(base, t.exchange);
        self.time_from(base, t.local);
    }
    /// A book level: its price as the (wrapping) distance in ticks from the
    /// level before, `prev`, which it then becomes; its size in lots.
    pub(super) fn level(&mut self, prev: &mut Price, price: Price, qty: Qty) {
        self.zigzag(price.ticks().wrapping_sub(prev.ticks()));
        *prev = price;
        self.varint(qty.lots());
    }
    /// A count of items to follow.
    pub(super) fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }
    /// An instrument's index in the session, one byte below 128.
    pub(super) fn ix(&mut self, ix: InstrumentIndex) {
        self.varint(u64::from(ix.0));
    }
    pub(super) fn time(&mut self, t: UnixNanos) {
        self.u64(t.as_nanos());
    }
    pub(super) fn price(&mut self, p: Price) {
        self.i64(p.ticks());
    }
    pub(super) fn qty(&mut self, q: Qty) {
        self.u64(q.lots());
    }
    pub(super) fn opt_price(&mut self, p: Option<Price>) {
        match p {
            Some(p) => {
                self.u8(1);
                self.price(p);
            }
            None => self.u8(0),
        }
    }
    pub(super) fn side(&mut self, s: Side) {
        self.u8(side_code(s));
    }
    pub(super) fn decimal(&mut self, d: Decimal) {
        let (mantissa, scale) = d.to_parts();
        self.0.extend_from_slice(&mantissa.to_le_bytes());
        self.u8(scale);
    }
    /// Text of at most 65,535 bytes (longer is cut at a char boundary).
    pub(super) fn str(&mut self, s: &str) {
        let mut end = s.len().min(usize::from(u16::MAX));
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.u16(end as u16);
        self.0.extend_from_slice(&s.as_bytes()[..end]);
    }
    /// Text of any length (config files).
    pub(super) fn long_str(&mut self, s: &str) {
        self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        self.0
            .extend_from_slice(&s.as_bytes()[..s.len().min(u32::MAX as usize)]);
    }
    pub(super) fn client_id(&mut self, id: &ClientOrderId) {
        self.str(id.as_str());
    }
}

/// Reads fields back, failing with [`EntryError::Truncated`] or
/// [`EntryError::Invalid`] instead of panicking.
pub(super) struct In<'a> {
    bytes: &'a [u8],
}

impl<'a> In<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], EntryError> {
        if self.bytes.len() < n {
            return Err(EntryError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(super) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EntryError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Fails unless every byte was read: trailing bytes mean a wrong type.
    pub(super) fn finish(self) -> Result<(), EntryError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(EntryError::Invalid("trailing bytes"))
        }
    }

    pub(super) fn u8(&mut self) -> Result<u8, EntryError> {
        Ok(self.array::<1>()?[0])
    }
    pub(super) fn u16(&mut self) -> Result<u16, EntryError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(super) fn u32(&mut self) -> Result<u32, EntryError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(super) fn u64(&mut self) -> Result<u64, EntryError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(super) fn i64(&mut self) -> Result<i64, EntryError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    /// A LEB128 varint; more than ten bytes, or bits beyond 64, are invalid.
    pub(super) fn varint(&mut self) -> Result<u64, EntryError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(EntryError::Invalid("varint overflow"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(EntryError::Invalid("varint overflow"))
    }
    pub(super) fn zigzag(&mut self) -> Result<i64, EntryError> {
        let z = self.varint()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }
    pub(super) fn time_from(&mut self, base: UnixNanos) -> Result<UnixNanos, EntryError> {
        Ok(UnixNanos::new(
            base.as_nanos().wrapping_add(self.zigzag()? as u64),
        ))
    }
    pub(super) fn event_time_from(&mut self, base: UnixNanos) -> Result<EventTime, EntryError> {
        Ok(EventTime {
            exchange: self.time_from(base)?,
            local: self.time_from(base)?,
        })
    }
    /// What [`Out::level`] wrote, `prev` advancing to its price.
    pub(super) fn level(&mut self, prev: &mut Price) -> Result<(Price, Qty), EntryError> {
        *prev = Price::from_ticks(prev.ticks().wrapping_add(self.zigzag()?));
        Ok((*prev, Qty::from_lots(self.varint()?)))
    }
    /// A count of items each at least `item_bytes` long: a count the rest
    /// of the payload cannot hold is refused before anything is allocated.
    pub(super) fn len(&mut self, item_bytes: usize) -> Result<usize, EntryError> {
        let n = usize::try_from(self.varint()?).map_err(|_| EntryError::Truncated)?;
        if n.saturating_mul(item_bytes) > self.remaining() {
            return Err(EntryError::Truncated);
        }
        Ok(n)
    }
    pub(super) fn time(&mut self) -> Result<UnixNanos, EntryError> {
        Ok(UnixNanos::new(self.u64()?))
    }
    /// What [`Out::ix`] wrote.
    pub(super) fn ix(&mut self) -> Result<InstrumentIndex, EntryError> {
        u16::try_from(self.varint()?)
            .map(InstrumentIndex)
            .map_err(|_| EntryError::Invalid("instrument index"))
    }
    pub(super) fn price(&mut self) -> Result<Price, EntryError> {
        Ok(Price::from_ticks(self.i64()?))
    }
    pub(super) fn qty(&mut self) -> Result<Qty, EntryError> {
        Ok(Qty::from_lots(self.u64()?))
    }
    pub(super) fn opt_price(&mut self) -> Result<Option<Price>, EntryError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.price()?)),
            _ => Err(EntryError::Invalid("option tag")),
        }
    }
    pub(super) fn side(&mut self) -> Result<Side, EntryError> {
        side_from(self.u8()?)
    }
    pub(super) fn decimal(&mut self) -> Result<Decimal, EntryError> {
        let mantissa = i128::from_le_bytes(self.array()?);
        Decimal::from_parts(mantissa, self.u8()?).ok_or(EntryError::Invalid("decimal scale"))
    }
    pub(super) fn str(&mut self) -> Result<&'a str, EntryError> {
        let len = usize::from(self.u16()?);
        std::str::from_utf8(self.take(len)?).map_err(|_| EntryError::Invalid("text"))
    }
    pub(super) fn long_str(&mut self) -> Result<&'a str, EntryError> {
        let len = usize::try_from(self.u32()?).map_err(|_| EntryError::Truncated)?;
        std::str::from_utf8(self.take(len)?).map_err(|_| EntryError::Invalid("text"))
    }
    pub(super) fn client_id(&mut self) -> Result<ClientOrderId, EntryError> {
        ClientOrderId::new(self.str()?).map_err(|_| EntryError::Invalid("client order id"))
    }
}

fn side_code(s: Side) -> u8 {
    match s {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

fn side_from(b: u8) -> Result<Side, EntryError> {
    match b {
        0 => Ok(Side::Buy),
        1 => Ok(Side::Sell),
        _ => Err(EntryError::Invalid("side")),
    }
}

/// A stable one-byte code for each variant of a fieldless enum, both ways.
macro_rules! codes {
    ($name:ident, $from:ident, $ty:ty, [$($variant:path),+ $(,)?]) => {
        pub(super) fn $name(v: $ty) -> u8 {
            let all = [$($variant),+];
            all.iter().position(|x| *x == v).unwrap_or(0) as u8
        }
        pub(super) fn $from(b: u8) -> Result<$ty, EntryError> {
            [$($variant),+]
                .get(usize::from(b))
                .copied()
                .ok_or(EntryError::Invalid(stringify!($ty)))
        }
    };
}

codes!(
    order_type_code,
    order_type_from,
    OrderType,
    [
        OrderType::Market,
        OrderType::Limit,
        OrderType::PostOnly,
        OrderType::StopMarket,
        OrderType::StopLimit,
        OrderType::TakeProfitMarket,
        OrderType::TakeProfitLimit,
    ]
);

codes!(
    tif_code,
    tif_from,
    TimeInForce,
    [
        TimeInForce::Gtc,
        TimeInForce::Ioc,
        TimeInForce::Fok,
        TimeInForce::Gtx,
    ]
);

pub(super) use codes;
