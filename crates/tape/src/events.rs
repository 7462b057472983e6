//! Messages back into the model's events.

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, Instrument, InstrumentId, Level, Price, Qty, Quote, Side,
    Trade, UnixNanos, UpdateIds,
};

use crate::error::TapeError;
use crate::message::{self, Flags, Kind};
use crate::reader::MessageSource;

/// One event read back from a tape. Deltas and snapshots borrow the
/// reader's buffers until the next call, so reading allocates only while
/// they grow to the largest message in the file.
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

/// Turns a [`MessageSource`] into events, every message checked against
/// its checksum and read whole.
#[derive(Debug)]
pub struct TapeEvents<S> {
    source: S,
    assembler: Assembler,
}

impl<S: MessageSource> TapeEvents<S> {
    /// Reads `source`, whose header listed `instruments`.
    pub fn new(source: S, instruments: &[Instrument]) -> Self {
        Self {
            source,
            assembler: Assembler::new(instruments),
        }
    }

    /// Messages read so far.
    pub fn messages(&self) -> u64 {
        self.assembler.messages
    }

    /// The next event, `None` at the end of the tape.
    pub fn next_event(&mut self) -> Result<Option<TapeEvent<'_>>, TapeError> {
        match self.source.next_message()? {
            Some(bytes) => self.assembler.read(bytes).map(Some),
            None => Ok(None),
        }
    }
}

/// Messages into events, with buffers reused from message to message: what
/// [`TapeEvents`] and the frame decoder ([`crate::TapeDecoder`]) share.
#[derive(Debug)]
pub(crate) struct Assembler {
    ids: Vec<InstrumentId>,
    /// The last delta and snapshot read; kept to reuse their buffers.
    delta: Option<BookDelta>,
    snapshot: Option<BookSnapshot>,
    messages: u64,
}

impl Assembler {
    /// An assembler for a tape whose header listed `instruments`.
    pub(crate) fn new(instruments: &[Instrument]) -> Self {
        Self {
            ids: instruments.iter().map(|i| i.id).collect(),
            delta: None,
            snapshot: None,
            messages: 0,
        }
    }

    /// The event of one whole message (framed, checksum included).
    pub(crate) fn read(&mut self, bytes: &[u8]) -> Result<TapeEvent<'_>, TapeError> {
        self.messages += 1;
        let (head, mut r) = message::open(bytes)?;
        let instrument = self.ids.get(usize::from(head.instrument)).copied().ok_or(
            TapeError::UnknownInstrument {
                message: self.messages - 1,
                index: head.instrument,
                listed: self.ids.len(),
            },
        )?;
        let time = EventTime {
            exchange: UnixNanos::new(head.exchange_ns),
            local: UnixNanos::new(head.local_ns),
        };
        let event = match head.kind {
            Kind::Delta => {
                let first = r.varint()?;
                let last = first.wrapping_add(r.varint()?);
                let prev = if head.flags.contains(Flags::HAS_PREV) {
                    Some(first.wrapping_sub(r.varint()?))
                } else {
                    None
                };
                // Written in place: the levels' buffer is kept from one
                // delta to the next.
                let delta = self.delta.get_or_insert_with(|| BookDelta {
                    instrument,
                    ids: UpdateIds::default(),
                    time,
                    updates: Vec::new(),
                });
                r.updates(&mut delta.updates)?;
                r.finish()?;
                delta.instrument = instrument;
                delta.ids = UpdateIds { first, last, prev };
                delta.time = time;
                TapeEvent::Delta(delta)
            }
            Kind::Snapshot => {
                let last_update_id = r.varint()?;
                let (mut bids, mut asks) = self
                    .snapshot
                    .take()
                    .map(|s| (s.bids, s.asks))
                    .unwrap_or_default();
                r.sides(&mut bids, &mut asks)?;
                r.finish()?;
                TapeEvent::Snapshot(self.snapshot.insert(BookSnapshot {
                    instrument,
                    last_update_id,
                    time,
                    bids,
                    asks,
                }))
            }
            Kind::Trade => {
                let trade_id = r.varint()?;
                let price = Price::from_ticks(r.zigzag()?);
                let qty = Qty::from_lots(r.varint()?);
                r.finish()?;
                let side = if head.flags.contains(Flags::SELL) {
                    Side::Sell
                } else {
                    Side::Buy
                };
                TapeEvent::Trade(Trade {
                    instrument,
                    trade_id,
                    price,
                    qty,
                    aggressor: head.flags.contains(Flags::AGGRESSOR_KNOWN).then_some(side),
                    time,
                })
            }
            Kind::Quote => {
                let update_id = r.varint()?;
                let bid_price = r.zigzag()?;
                let bid_qty = r.varint()?;
                let ask_price = bid_price.wrapping_add(r.zigzag()?);
                let ask_qty = r.varint()?;
                r.finish()?;
                TapeEvent::Quote(Quote {
                    instrument,
                    update_id,
                    bid: Level {
                        price: Price::from_ticks(bid_price),
                        qty: Qty::from_lots(bid_qty),
                    },
                    ask: Level {
                        price: Price::from_ticks(ask_price),
                        qty: Qty::from_lots(ask_qty),
                    },
                    time,
                })
            }
        };
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use kestrel_model::LevelUpdate;
    use kestrel_registry::testing::usdm_btcusdt;
    use proptest::prelude::*;

    use super::*;
    use crate::{TapeReader, TapeWriter};

    fn time(exchange: u64, local: u64) -> EventTime {
        EventTime {
            exchange: UnixNanos::new(exchange),
            local: UnixNanos::new(local),
        }
    }

    fn side(sell: bool) -> Side {
        if sell { Side::Sell } else { Side::Buy }
    }

    proptest! {
        /// Whatever a writer is given comes back the same: any prices
        /// (differences wrap), sizes, ids and times.
        #[test]
        fn every_event_reads_back_as_written(
            first in any::<u64>(), last in any::<u64>(), prev in any::<Option<u64>>(),
            levels in prop::collection::vec((any::<i64>(), any::<u64>(), any::<bool>()), 0..40),
            trade in (any::<u64>(), any::<i64>(), any::<u64>(), any::<Option<bool>>()),
            quote in (any::<u64>(), any::<i64>(), any::<u64>(), any::<i64>(), any::<u64>()),
            times in (any::<u64>(), any::<u64>()),
        ) {
            let i = usdm_btcusdt();
            let t = time(times.0, times.1);
            let delta = BookDelta {
                instrument: i.id,
                ids: UpdateIds { first, last, prev },
                time: t,
                updates: levels
                    .iter()
                    .map(|&(p, q, s)| LevelUpdate { price: Price::from_ticks(p), qty: Qty::from_lots(q), side: side(s) })
                    .collect(),
            };
            let level = |&(p, q, _): &(i64, u64, bool)| Level { price: Price::from_ticks(p), qty: Qty::from_lots(q) };
            let snapshot = BookSnapshot {
                instrument: i.id,
                last_update_id: first,
                time: t,
                bids: levels.iter().filter(|l| !l.2).map(level).collect(),
                asks: levels.iter().filter(|l| l.2).map(level).collect(),
            };
            let print = Trade {
                instrument: i.id,
                trade_id: trade.0,
                price: Price::from_ticks(trade.1),
                qty: Qty::from_lots(trade.2),
                aggressor: trade.3.map(side),
                time: t,
            };
            let top = Quote {
                instrument: i.id,
                update_id: quote.0,
                bid: Level { price: Price::from_ticks(quote.1), qty: Qty::from_lots(quote.2) },
                ask: Level { price: Price::from_ticks(quote.3), qty: Qty::from_lots(quote.4) },
                time: t,
            };
            let mut w = TapeWriter::new(Vec::new(), std::slice::from_ref(&i)).unwrap();
            w.write_delta(&delta).unwrap();
            w.write_snapshot(&snapshot).unwrap();
            w.write_trade(&print).unwrap();
            w.write_quote(&top).unwrap();
            let bytes = w.finish().unwrap();
            let reader = TapeReader::new(&bytes[..]).unwrap();
            let mut events = TapeEvents::new(reader, std::slice::from_ref(&i));
            match events.next_event().unwrap() {
                Some(TapeEvent::Delta(d)) => prop_assert_eq!(d, &delta),
                other => prop_assert!(false, "{other:?}"),
            }
            match events.next_event().unwrap() {
                Some(TapeEvent::Snapshot(s)) => prop_assert_eq!(s, &snapshot),
                other => prop_assert!(false, "{other:?}"),
            }
            match events.next_event().unwrap() {
                Some(TapeEvent::Trade(x)) => prop_assert_eq!(x, print),
                other => prop_assert!(false, "{other:?}"),
            }
            match events.next_event().unwrap() {
                Some(TapeEvent::Quote(q)) => prop_assert_eq!(q, top),
                other => prop_assert!(false, "{other:?}"),
            }
            prop_assert!(events.next_event().unwrap().is_none());
        }
    }
}
