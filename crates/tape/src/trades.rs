//! A tape of trades alone, read as a [`TradeFile`].
//!
//! A trades CSV converted to a tape (`kestrel data convert`) holds no book:
//! synced as an order-book feed it would never sync, and every trade would
//! be held back for a snapshot that never comes. Read this way, its trades
//! reach a trades backtest as they would from the CSV, without parsing text.

use std::sync::Arc;

use kestrel_feed::{FeedError, TradeFile};
use kestrel_model::Trade;

use crate::events::{Assembler, TapeEvent};
use crate::message::Kind;
use crate::reader::MappedTape;

/// One instrument's trades of a mapped tape, in file order.
#[derive(Debug)]
pub struct TapeTrades {
    tape: Arc<MappedTape>,
    instrument: u16,
    next: usize,
    assembler: Assembler,
}

impl TapeTrades {
    /// The trades of instrument `instrument` (its index in the header).
    pub fn new(tape: Arc<MappedTape>, instrument: u16) -> Self {
        let assembler = Assembler::new(tape.instruments());
        Self {
            tape,
            instrument,
            next: 0,
            assembler,
        }
    }
}

impl TradeFile for TapeTrades {
    fn next_trade(&mut self) -> Option<Result<Trade, FeedError>> {
        // A damaged message stops the read (as it does a book replay):
        // nothing after it can be trusted to be whole.
        let damaged = |e| Some(Err(FeedError::Format(format!("tape: {e}"))));
        loop {
            let message = match self.tape.message(self.next)? {
                Ok(m) => m,
                Err(e) => return damaged(e),
            };
            self.next = message.next;
            if message.instrument != self.instrument {
                continue;
            }
            match self.assembler.read(message.bytes) {
                Ok(TapeEvent::Trade(trade)) => return Some(Ok(trade)),
                Ok(_) => {}
                Err(e) => return damaged(e),
            }
        }
    }
}

impl MappedTape {
    /// Whether instrument `instrument` (its index in the header) has any
    /// book message, delta or snapshot: a tape without one holds trades or
    /// quotes alone. A damaged message ends the search (`true`): the book
    /// replay that follows reports it.
    pub fn holds_book(&self, instrument: u16) -> bool {
        let mut offset = 0;
        while let Some(message) = self.message(offset) {
            let Ok(m) = message else {
                return true;
            };
            let kind = m.bytes.get(4).map(|&b| Kind::from_u8(b));
            if m.instrument == instrument
                && matches!(kind, Some(Ok(Kind::Delta | Kind::Snapshot)) | Some(Err(_)))
            {
                return true;
            }
            offset = m.next;
        }
        false
    }
}
