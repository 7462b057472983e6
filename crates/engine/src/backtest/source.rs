//! Recorded market data for the backtest, streamed from disk one event at
//! a time through the same decoders and sync rules as a live feed: text
//! captures decoded as they are read, tapes decoded once beforehand.

use std::path::Path;
use std::sync::Arc;

use kestrel_feed::capture::{CaptureReader, ReadProgress};
use kestrel_feed::{FeedError, FrameDecoder, FrameSync, Sequencer, TradeFile};
pub use kestrel_feed::{FeedEvent, FeedKind};
use kestrel_model::UnixNanos;
use kestrel_tape::MappedTape;

use crate::kernel::PriceSource;

/// A stream of market events in arrival order.
pub trait MarketSource {
    /// Writes the next event into `slot`; `false` at the end of the data.
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError>;

    /// How much of the data has been read, 0 to 1, if known.
    fn progress(&self) -> Option<f64> {
        None
    }

    /// Frames that could not be decoded (counted and skipped).
    fn malformed(&self) -> u64 {
        0
    }

    /// Where the market's prices come from: a recording with a book, or
    /// trades alone.
    fn prices(&self) -> PriceSource {
        PriceSource::Book
    }
}

/// Recordings of different venues on one timeline are boxed: one virtual
/// call per event.
impl MarketSource for Box<dyn MarketSource> {
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError> {
        (**self).next_into(slot)
    }

    fn progress(&self) -> Option<f64> {
        (**self).progress()
    }

    fn malformed(&self) -> u64 {
        (**self).malformed()
    }

    fn prices(&self) -> PriceSource {
        (**self).prices()
    }
}

/// A recorded capture (`<local_ns> <frame>` lines, gzip or plain) through
/// the venue's decoder and sync rules, exactly as live ([`FrameSync`]).
pub struct CaptureSource<D, S> {
    reader: CaptureReader<Box<dyn std::io::BufRead + Send>>,
    progress: ReadProgress,
    sync: FrameSync<D, S>,
}

impl<D: FrameDecoder, S: Sequencer> CaptureSource<D, S> {
    /// Opens the capture at `path`.
    pub fn open(path: &Path, decoder: D, sequencer: S) -> Result<Self, FeedError> {
        let (reader, progress) = CaptureReader::open_with_progress(path)?;
        Ok(Self {
            reader,
            progress,
            sync: FrameSync::new(decoder, sequencer),
        })
    }

    /// A handle on how far through the file the source is.
    pub fn read_progress(&self) -> ReadProgress {
        self.progress.clone()
    }
}

impl<D: FrameDecoder, S: Sequencer> MarketSource for CaptureSource<D, S> {
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError> {
        loop {
            if self.sync.next_held(slot) {
                return Ok(true);
            }
            let Some(frame) = self.reader.next_frame() else {
                return Ok(false);
            };
            let frame = match frame {
                Ok(f) => f,
                Err(FeedError::Frame { .. }) => {
                    self.sync.count_malformed();
                    continue;
                }
                Err(e) => return Err(e),
            };
            let local = frame.local.unwrap_or(UnixNanos::new(0));
            if self.sync.on_frame(frame.frame, local, slot) {
                return Ok(true);
            }
        }
    }

    fn progress(&self) -> Option<f64> {
        Some(self.progress.fraction())
    }

    fn malformed(&self) -> u64 {
        self.sync.malformed()
    }
}

/// One instrument's messages of a memory-mapped tape (`kestrel data
/// convert`), through the venue's sync rules exactly as live
/// ([`FrameSync`], with a [`kestrel_tape::TapeDecoder`] as the decoder):
/// the text was parsed once, when the tape was written, and each frame is
/// one framed message, borrowed from the map.
pub struct TapeSource<D, S> {
    tape: Arc<MappedTape>,
    instrument: u16,
    next: usize,
    sync: FrameSync<D, S>,
}

impl<D: FrameDecoder, S: Sequencer> TapeSource<D, S> {
    /// Instrument `instrument` (its index in the header) of `tape`,
    /// decoded by `decoder` (a `TapeDecoder` of that instrument).
    pub fn new(tape: Arc<MappedTape>, instrument: u16, decoder: D, sequencer: S) -> Self {
        Self {
            tape,
            instrument,
            next: 0,
            sync: FrameSync::new(decoder, sequencer),
        }
    }
}

impl<D: FrameDecoder, S: Sequencer> MarketSource for TapeSource<D, S> {
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError> {
        loop {
            if self.sync.next_held(slot) {
                return Ok(true);
            }
            let message = match self.tape.message(self.next) {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(FeedError::Format(format!("tape: {e}"))),
                None => return Ok(false),
            };
            self.next = message.next;
            if message.instrument != self.instrument {
                continue;
            }
            let local = UnixNanos::new(message.local_ns);
            if self.sync.on_frame(message.bytes, local, slot) {
                return Ok(true);
            }
        }
    }

    fn progress(&self) -> Option<f64> {
        Some(self.next as f64 / self.tape.data_len().max(1) as f64)
    }

    fn malformed(&self) -> u64 {
        self.sync.malformed()
    }
}

/// A recording, text or tape: one type for a runner that takes either,
/// with a branch per event rather than a virtual call.
pub enum Recording<D, S> {
    /// A text capture, decoded as it is read.
    Capture(CaptureSource<D, S>),
    /// A tape, decoded once when it was written.
    Tape(TapeSource<D, S>),
}

impl<D: FrameDecoder, S: Sequencer> MarketSource for Recording<D, S> {
    #[inline]
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError> {
        match self {
            Self::Capture(c) => c.next_into(slot),
            Self::Tape(t) => t.next_into(slot),
        }
    }

    fn progress(&self) -> Option<f64> {
        match self {
            Self::Capture(c) => c.progress(),
            Self::Tape(t) => t.progress(),
        }
    }

    fn malformed(&self) -> u64 {
        match self {
            Self::Capture(c) => c.malformed(),
            Self::Tape(t) => t.malformed(),
        }
    }
}

/// Trades alone, from a file of them (Tardis, Binance's public files,
/// Parquet): no book, so market orders fill by the simulator's trade-only
/// rule. Bad rows are counted and skipped.
pub struct TradeSource<T> {
    file: T,
    malformed: u64,
}

impl<T: TradeFile> TradeSource<T> {
    /// The trades of `file`.
    pub fn new(file: T) -> Self {
        Self { file, malformed: 0 }
    }
}

impl<T: TradeFile> MarketSource for TradeSource<T> {
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError> {
        loop {
            match self.file.next_trade() {
                None => return Ok(false),
                Some(Ok(trade)) => {
                    slot.set_trade(trade);
                    return Ok(true);
                }
                Some(Err(e)) if e.is_recoverable() => self.malformed += 1,
                Some(Err(e)) => return Err(e),
            }
        }
    }

    fn malformed(&self) -> u64 {
        self.malformed
    }

    fn prices(&self) -> PriceSource {
        PriceSource::Trades
    }
}

/// Events already in memory (tests and benchmarks).
pub struct MemorySource<'a> {
    events: std::slice::Iter<'a, kestrel_model::MarketEvent>,
    total: usize,
    left: usize,
}

impl<'a> MemorySource<'a> {
    /// Replays `events` in order.
    pub fn new(events: &'a [kestrel_model::MarketEvent]) -> Self {
        Self {
            events: events.iter(),
            total: events.len(),
            left: events.len(),
        }
    }
}

impl MarketSource for MemorySource<'_> {
    fn next_into(&mut self, slot: &mut FeedEvent) -> Result<bool, FeedError> {
        use kestrel_model::MarketEvent;
        for event in self.events.by_ref() {
            self.left -= 1;
            match event {
                MarketEvent::Delta(d) => slot.set_delta(d, None),
                MarketEvent::Snapshot(s) => slot.set_snapshot(s, None),
                MarketEvent::Trade(t) => slot.set_trade(*t),
                MarketEvent::Quote(_) | MarketEvent::Bar(_) => continue,
            }
            return Ok(true);
        }
        Ok(false)
    }

    fn progress(&self) -> Option<f64> {
        Some(1.0 - self.left as f64 / self.total.max(1) as f64)
    }
}
