//! Writes events as framed messages after a header.

use std::io::Write;

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Quote, Side, Trade,
};

use crate::error::TapeError;
use crate::header;
use crate::message::{self, Flags, Head, Kind, MAX_MESSAGE};

/// Appends events to a tape, one framed message each. Give it a buffered
/// writer.
#[derive(Debug)]
pub struct TapeWriter<W: Write> {
    out: W,
    instruments: Vec<InstrumentId>,
    messages: u64,
    /// The message being written, reused.
    buf: Vec<u8>,
}

impl<W: Write> TapeWriter<W> {
    /// Writes the header listing `instruments`; every event written later
    /// must be for one of them.
    pub fn new(mut out: W, instruments: &[Instrument]) -> Result<Self, TapeError> {
        out.write_all(&header::encode(instruments)?)?;
        Ok(Self {
            out,
            instruments: instruments.iter().map(|i| i.id).collect(),
            messages: 0,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Messages written so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// A delta, its levels as runs on one side.
    pub fn write_delta(&mut self, delta: &BookDelta) -> Result<(), TapeError> {
        let flags = Flags::NONE.with_if(Flags::HAS_PREV, delta.ids.prev.is_some());
        let head = self.head(Kind::Delta, flags, &delta.instrument, delta.time)?;
        self.put(&head, |out| message::delta_body(out, delta))
    }

    /// A whole book: bids best first, then asks best first.
    pub fn write_snapshot(&mut self, snapshot: &BookSnapshot) -> Result<(), TapeError> {
        let head = self.head(
            Kind::Snapshot,
            Flags::NONE,
            &snapshot.instrument,
            snapshot.time,
        )?;
        self.put(&head, |out| {
            out.varint(snapshot.last_update_id);
            out.sides(snapshot);
        })
    }

    /// A trade print.
    pub fn write_trade(&mut self, trade: &Trade) -> Result<(), TapeError> {
        let flags = Flags::NONE
            .with_if(Flags::AGGRESSOR_KNOWN, trade.aggressor.is_some())
            .with_if(Flags::SELL, trade.aggressor == Some(Side::Sell));
        let head = self.head(Kind::Trade, flags, &trade.instrument, trade.time)?;
        self.put(&head, |out| {
            out.varint(trade.trade_id);
            out.zigzag(trade.price.ticks());
            out.varint(trade.qty.lots());
        })
    }

    /// The venue's best bid and ask.
    pub fn write_quote(&mut self, quote: &Quote) -> Result<(), TapeError> {
        let head = self.head(Kind::Quote, Flags::NONE, &quote.instrument, quote.time)?;
        self.put(&head, |out| {
            out.varint(quote.update_id);
            out.zigzag(quote.bid.price.ticks());
            out.varint(quote.bid.qty.lots());
            out.zigzag(
                quote
                    .ask
                    .price
                    .ticks()
                    .wrapping_sub(quote.bid.price.ticks()),
            );
            out.varint(quote.ask.qty.lots());
        })
    }

    /// Flushes and hands back the writer.
    pub fn finish(mut self) -> Result<W, TapeError> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// Appends a whole message as it is (a merge copying messages).
    pub(crate) fn put_raw(&mut self, bytes: &[u8]) -> Result<(), TapeError> {
        self.out.write_all(bytes)?;
        self.messages += 1;
        Ok(())
    }

    fn head(
        &self,
        kind: Kind,
        flags: Flags,
        instrument: &InstrumentId,
        time: EventTime,
    ) -> Result<Head, TapeError> {
        Ok(Head {
            kind,
            flags,
            instrument: self.index(instrument)?,
            exchange_ns: time.exchange.as_nanos(),
            local_ns: time.local.as_nanos(),
        })
    }

    fn index(&self, id: &InstrumentId) -> Result<u16, TapeError> {
        self.instruments
            .iter()
            .position(|i| i == id)
            .and_then(|i| u16::try_from(i).ok())
            .ok_or(TapeError::NotInHeader(*id))
    }

    fn put(
        &mut self,
        head: &Head,
        body: impl FnOnce(&mut message::Out<'_>),
    ) -> Result<(), TapeError> {
        self.buf.clear();
        message::write(&mut self.buf, head, body);
        if self.buf.len() > MAX_MESSAGE {
            return Err(TapeError::TooLarge(self.buf.len()));
        }
        self.out.write_all(&self.buf)?;
        self.messages += 1;
        Ok(())
    }
}
