//! Writes events as records after a header.

use std::io::Write;

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Quote, Side, Trade,
};

use crate::error::TapeError;
use crate::header;
use crate::record::{Flags, Record, RecordKind};

/// Appends events to a tape. Give it a buffered writer: it writes one
/// 64-byte record at a time.
#[derive(Debug)]
pub struct TapeWriter<W: Write> {
    out: W,
    instruments: Vec<InstrumentId>,
    records: u64,
}

impl<W: Write> TapeWriter<W> {
    /// Writes the header listing `instruments`; every event written later
    /// must be for one of them.
    pub fn new(mut out: W, instruments: &[Instrument]) -> Result<Self, TapeError> {
        out.write_all(&header::encode(instruments)?)?;
        Ok(Self {
            out,
            instruments: instruments.iter().map(|i| i.id).collect(),
            records: 0,
        })
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// One record per level, ids and times repeated in each.
    pub fn write_delta(&mut self, delta: &BookDelta) -> Result<(), TapeError> {
        let base = self.batch_record(
            RecordKind::DeltaLevel,
            &delta.instrument,
            delta.time,
            delta.updates.len(),
        )?;
        let base = Record {
            a: delta.ids.first,
            b: delta.ids.last,
            c: delta.ids.prev.unwrap_or(0),
            flags: base
                .flags
                .with_if(Flags::HAS_PREV, delta.ids.prev.is_some()),
            ..base
        };
        if delta.updates.is_empty() {
            return self.put(&empty(base));
        }
        let last = delta.updates.len() - 1;
        for (i, u) in delta.updates.iter().enumerate() {
            self.put(&level(
                base,
                u.side,
                u.price.ticks(),
                u.qty.lots(),
                i == last,
            ))?;
        }
        Ok(())
    }

    /// One record per level: bids best first, then asks best first.
    pub fn write_snapshot(&mut self, snapshot: &BookSnapshot) -> Result<(), TapeError> {
        let count = snapshot.bids.len() + snapshot.asks.len();
        let base = self.batch_record(
            RecordKind::SnapshotLevel,
            &snapshot.instrument,
            snapshot.time,
            count,
        )?;
        let base = Record {
            a: snapshot.last_update_id,
            ..base
        };
        if count == 0 {
            return self.put(&empty(base));
        }
        let levels = (snapshot.bids.iter().map(|l| (Side::Buy, l)))
            .chain(snapshot.asks.iter().map(|l| (Side::Sell, l)));
        for (i, (side, l)) in levels.enumerate() {
            self.put(&level(
                base,
                side,
                l.price.ticks(),
                l.qty.lots(),
                i + 1 == count,
            ))?;
        }
        Ok(())
    }

    /// One record.
    pub fn write_trade(&mut self, trade: &Trade) -> Result<(), TapeError> {
        let record = Record {
            kind: RecordKind::Trade as u8,
            flags: Flags::NONE
                .with_if(Flags::AGGRESSOR_KNOWN, trade.aggressor.is_some())
                .with_if(Flags::SELL, trade.aggressor == Some(Side::Sell)),
            instrument: self.index(&trade.instrument)?,
            exchange_ns: trade.time.exchange.as_nanos(),
            local_ns: trade.time.local.as_nanos(),
            price: trade.price.ticks(),
            qty: trade.qty.lots(),
            a: trade.trade_id,
            ..Record::default()
        };
        self.put(&record)
    }

    /// One record.
    pub fn write_quote(&mut self, quote: &Quote) -> Result<(), TapeError> {
        let record = Record {
            kind: RecordKind::Quote as u8,
            instrument: self.index(&quote.instrument)?,
            exchange_ns: quote.time.exchange.as_nanos(),
            local_ns: quote.time.local.as_nanos(),
            price: quote.bid.price.ticks(),
            qty: quote.bid.qty.lots(),
            a: quote.update_id,
            b: quote.ask.price.ticks() as u64,
            c: quote.ask.qty.lots(),
            ..Record::default()
        };
        self.put(&record)
    }

    /// Flushes and hands back the writer.
    pub fn finish(mut self) -> Result<W, TapeError> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn batch_record(
        &self,
        kind: RecordKind,
        instrument: &InstrumentId,
        time: EventTime,
        len: usize,
    ) -> Result<Record, TapeError> {
        Ok(Record {
            kind: kind as u8,
            instrument: self.index(instrument)?,
            batch_len: u32::try_from(len).map_err(|_| TapeError::BatchTooLong(len))?,
            exchange_ns: time.exchange.as_nanos(),
            local_ns: time.local.as_nanos(),
            ..Record::default()
        })
    }

    fn index(&self, id: &InstrumentId) -> Result<u16, TapeError> {
        self.instruments
            .iter()
            .position(|i| i == id)
            .and_then(|i| u16::try_from(i).ok())
            .ok_or(TapeError::NotInHeader(*id))
    }

    /// Appends a record as it is (a merge copying whole messages).
    pub(crate) fn put(&mut self, record: &Record) -> Result<(), TapeError> {
        self.out.write_all(&record.to_bytes())?;
        self.records += 1;
        Ok(())
    }
}

fn level(base: Record, side: Side, price: i64, qty: u64, end: bool) -> Record {
    Record {
        flags: base
            .flags
            .with_if(Flags::SELL, side == Side::Sell)
            .with_if(Flags::BATCH_END, end),
        price,
        qty,
        ..base
    }
}

fn empty(base: Record) -> Record {
    Record {
        flags: base.flags.with(Flags::EMPTY).with(Flags::BATCH_END),
        ..base
    }
}
