//! A tape's venue messages as frames, so that a tape replays through the
//! same sync path as a live socket or a text capture (the venue's
//! sequencer, the same held and stale diffs, the same gaps): each frame is
//! the bytes of one message's records, borrowed from the map, and decoding
//! it is reading fixed-width fields rather than parsing JSON.

use kestrel_feed::{Decoded, FrameDecoder, FrameError};
use kestrel_model::{Instrument, Trade, UnixNanos};

use crate::events::{Assembler, TapeEvent};
use crate::reader::SliceRecords;

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
        // The instrument index sits at bytes 2..4 of every record.
        let Some(&[lo, hi]) = frame.get(2..4) else {
            return Err(FrameError::MissingField("tape record"));
        };
        if u16::from_le_bytes([lo, hi]) != self.instrument {
            return Ok(Decoded::Other);
        }
        let mut records = SliceRecords(frame);
        let event = self.assembler.next(&mut records);
        let event = match event {
            Ok(Some(event)) if records.0.is_empty() => event,
            Ok(Some(_)) => {
                self.last_error = Some(crate::TapeError::BrokenBatch {
                    record: 0,
                    reason: "a frame holds more than one message",
                });
                return Err(FrameError::BadValue("tape batch"));
            }
            Ok(None) => return Ok(Decoded::Other),
            Err(e) => {
                self.last_error = Some(e);
                return Err(FrameError::BadValue("tape record"));
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
