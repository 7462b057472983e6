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
    /// Why the last frame failed, for reports.
    last_error: Option<crate::TapeError>,
}

impl TapeDecoder {
    /// A decoder of the messages of `instruments[instrument]`, on a tape
    /// whose header listed `instruments`.
    pub fn new(instruments: &[Instrument], instrument: u16) -> Self {
        Self {
            assembler: Assembler::new(instruments),
            instrument,
            trade: Vec::with_capacity(1),
            last_error: None,
        }
    }

    /// Why the last undecodable frame failed.
    pub fn last_error(&self) -> Option<&crate::TapeError> {
        self.last_error.as_ref()
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
        let event = match self.assembler.read(frame) {
            Ok(event) => event,
            Err(e) => {
                self.last_error = Some(e);
                return Err(FrameError::BadValue("tape message"));
            }
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
