//! Records back into the model's events, one venue message at a time.

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Level, LevelUpdate, Price, Qty,
    Quote, Side, Trade, UnixNanos, UpdateIds,
};

use crate::error::TapeError;
use crate::reader::RecordSource;
use crate::record::{Flags, Record, RecordKind};

/// One event read back from a tape. Batches borrow the reader's buffers
/// until the next call, so reading allocates only while they grow to the
/// largest batch in the file.
#[derive(Debug)]
pub enum TapeEvent<'a> {
    /// An incremental update batch.
    Delta(&'a BookDelta),
    /// A whole book.
    Snapshot(&'a BookSnapshot),
    /// A trade print.
    Trade(Trade),
    /// The venue's best bid and ask.
    Quote(Quote),
}

impl TapeEvent<'_> {
    /// Venue and local timestamps of the event.
    pub fn time(&self) -> EventTime {
        match self {
            Self::Delta(d) => d.time,
            Self::Snapshot(s) => s.time,
            Self::Trade(t) => t.time,
            Self::Quote(q) => q.time,
        }
    }
}

/// Turns a [`RecordSource`] into events, checking that every batch hangs
/// together (same kind, instrument, ids and times; as many levels as it says).
#[derive(Debug)]
pub struct TapeEvents<S> {
    source: S,
    assembler: Assembler,
}

impl<S: RecordSource> TapeEvents<S> {
    /// Reads `source`, whose header listed `instruments`.
    pub fn new(source: S, instruments: &[Instrument]) -> Self {
        Self {
            source,
            assembler: Assembler::new(instruments),
        }
    }

    /// Records consumed so far.
    pub fn records(&self) -> u64 {
        self.assembler.records()
    }

    /// The next event, `None` at the end of the tape.
    pub fn next_event(&mut self) -> Result<Option<TapeEvent<'_>>, TapeError> {
        self.assembler.next(&mut self.source)
    }
}

/// Records into events, one venue message at a time, with buffers reused
/// from message to message: what [`TapeEvents`] and the frame decoder
/// ([`crate::TapeDecoder`]) share.
#[derive(Debug)]
pub(crate) struct Assembler {
    ids: Vec<InstrumentId>,
    /// Last batches read; kept to reuse their buffers.
    delta: Option<BookDelta>,
    snapshot: Option<BookSnapshot>,
    records: u64,
}

impl Assembler {
    /// An assembler for a tape whose header listed `instruments`.
    pub(crate) fn new(instruments: &[Instrument]) -> Self {
        Self {
            ids: instruments.iter().map(|i| i.id).collect(),
            delta: None,
            snapshot: None,
            records: 0,
        }
    }

    /// Records consumed so far.
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// The event the next message of `source` makes, `None` at its end.
    pub(crate) fn next<S: RecordSource>(
        &mut self,
        source: &mut S,
    ) -> Result<Option<TapeEvent<'_>>, TapeError> {
        let Some(first) = self.next_record(source)? else {
            return Ok(None);
        };
        let instrument = self.instrument(&first)?;
        let time = EventTime {
            exchange: UnixNanos::new(first.exchange_ns),
            local: UnixNanos::new(first.local_ns),
        };
        let side = |r: &Record| {
            if r.flags.contains(Flags::SELL) {
                Side::Sell
            } else {
                Side::Buy
            }
        };
        match first.kind()? {
            RecordKind::Trade => Ok(Some(TapeEvent::Trade(Trade {
                instrument,
                trade_id: first.a,
                price: Price::from_ticks(first.price),
                qty: Qty::from_lots(first.qty),
                aggressor: first
                    .flags
                    .contains(Flags::AGGRESSOR_KNOWN)
                    .then(|| side(&first)),
                time,
            }))),
            RecordKind::Quote => Ok(Some(TapeEvent::Quote(Quote {
                instrument,
                update_id: first.a,
                bid: Level {
                    price: Price::from_ticks(first.price),
                    qty: Qty::from_lots(first.qty),
                },
                ask: Level {
                    price: Price::from_ticks(first.b as i64),
                    qty: Qty::from_lots(first.c),
                },
                time,
            }))),
            RecordKind::DeltaLevel => {
                let mut updates = self.delta.take().map(|d| d.updates).unwrap_or_default();
                updates.clear();
                let read = self.read_batch(source, first, |r| {
                    updates.push(LevelUpdate {
                        price: Price::from_ticks(r.price),
                        qty: Qty::from_lots(r.qty),
                        side: side(r),
                    });
                });
                self.delta = Some(BookDelta {
                    instrument,
                    ids: UpdateIds {
                        first: first.a,
                        last: first.b,
                        prev: first.flags.contains(Flags::HAS_PREV).then_some(first.c),
                    },
                    time,
                    updates,
                });
                read?;
                Ok(self.delta.as_ref().map(TapeEvent::Delta))
            }
            RecordKind::SnapshotLevel => {
                let (mut bids, mut asks) = self
                    .snapshot
                    .take()
                    .map(|s| (s.bids, s.asks))
                    .unwrap_or_default();
                bids.clear();
                asks.clear();
                let read = self.read_batch(source, first, |r| {
                    let level = Level {
                        price: Price::from_ticks(r.price),
                        qty: Qty::from_lots(r.qty),
                    };
                    match side(r) {
                        Side::Buy => bids.push(level),
                        Side::Sell => asks.push(level),
                    }
                });
                self.snapshot = Some(BookSnapshot {
                    instrument,
                    last_update_id: first.a,
                    time,
                    bids,
                    asks,
                });
                read?;
                Ok(self.snapshot.as_ref().map(TapeEvent::Snapshot))
            }
        }
    }

    /// Feeds every level record of the batch opened by `first` to `level`.
    fn read_batch<S: RecordSource>(
        &mut self,
        source: &mut S,
        first: Record,
        mut level: impl FnMut(&Record),
    ) -> Result<(), TapeError> {
        let broken = |record, reason| TapeError::BrokenBatch { record, reason };
        if first.flags.contains(Flags::EMPTY) {
            if first.batch_len != 0 || !first.flags.contains(Flags::BATCH_END) {
                return Err(broken(self.records - 1, "empty marker inside a batch"));
            }
            return Ok(());
        }
        let mut record = first;
        let mut count: u32 = 0;
        loop {
            count += 1;
            level(&record);
            let end = record.flags.contains(Flags::BATCH_END);
            if end != (count == first.batch_len) {
                return Err(broken(
                    self.records - 1,
                    "level count differs from batch length",
                ));
            }
            if end {
                return Ok(());
            }
            record = self.next_record(source)?.ok_or(TapeError::Truncated(0))?;
            let same = record.kind == first.kind
                && record.instrument == first.instrument
                && record.batch_len == first.batch_len
                && (record.exchange_ns, record.local_ns) == (first.exchange_ns, first.local_ns)
                && (record.a, record.b, record.c) == (first.a, first.b, first.c)
                && record.flags.contains(Flags::HAS_PREV) == first.flags.contains(Flags::HAS_PREV)
                && !record.flags.contains(Flags::EMPTY);
            if !same {
                return Err(broken(self.records - 1, "record does not match its batch"));
            }
        }
    }

    fn next_record<S: RecordSource>(
        &mut self,
        source: &mut S,
    ) -> Result<Option<Record>, TapeError> {
        let record = source.next_record()?;
        if record.is_some() {
            self.records += 1;
        }
        Ok(record)
    }

    fn instrument(&self, record: &Record) -> Result<InstrumentId, TapeError> {
        self.ids
            .get(usize::from(record.instrument))
            .copied()
            .ok_or(TapeError::UnknownInstrument {
                record: self.records - 1,
                index: record.instrument,
                listed: self.ids.len(),
            })
    }
}
