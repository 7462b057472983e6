//! A tape's venue messages as frames, so that a tape replays through the
//! same sync path as a live socket or a text capture (the venue's
//! sequencer, the same held and stale diffs, the same gaps): each frame is
//! the bytes of one framed message, borrowed from the map, and decoding it
//! is reading varints rather than parsing JSON.

use kestrel_feed::{Decoded, FrameDecoder, FrameError};
use kestrel_model::{Instrument, Trade, UnixNanos};

use crate::events::{Assembler, TapeEvent};

/// Decodes one instrument's messages of a tape; other instruments'
/// messages are [`Decoded::Other`], as another symbol's frames are.
#[derive(Debug)]
pub struct TapeDecoder {
    assembler: Assembler,
    instrument: u16,
    /// The last trade message's print, lent out as a one-trade batch.
    trade: Vec<Trade>,
}

impl TapeDecoder {
    /// A decoder of the messages of `instruments[instrument]`, on a tape
    /// whose header listed `instruments`.
    pub fn new(instruments: &[Instrument], instrument: u16) -> Self {
        Self {
            assembler: Assembler::new(instruments),
            instrument,
            trade: Vec::with_capacity(1),
        }
    }
}

impl FrameDecoder for TapeDecoder {
    fn decode(&mut self, frame: &[u8], _local: UnixNanos) -> Result<Decoded<'_>, FrameError> {
        // The instrument index sits at bytes 6..8 of every message.
        let Some(&[lo, hi]) = frame.get(6..8) else {
            return Err(FrameError::MissingField("tape message"));
        };
        if u16::from_le_bytes([lo, hi]) != self.instrument {
            return Ok(Decoded::Other);
        }
        // A damaged message is a malformed frame: counted, and its gap
        // left to the sequencer, as a capture's would be.
        let Ok(event) = self.assembler.read(frame) else {
            return Err(FrameError::BadValue("tape message"));
        };
        Ok(match event {
            TapeEvent::Delta(delta) => Decoded::Delta {
                delta,
                checksum: None,
            },
            TapeEvent::Snapshot(snapshot) => Decoded::Snapshot {
                snapshot,
                checksum: None,
            },
            TapeEvent::Quote(quote) => Decoded::Quote(quote),
            TapeEvent::Trade(trade) => {
                self.trade.clear();
                self.trade.push(trade);
                Decoded::Trades(&self.trade)
            }
        })
    }
}
