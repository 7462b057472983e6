//! Recorded market data for the backtest, streamed from disk one event at
//! a time through the same decoders and sync rules as a live feed.

use std::path::Path;

use kestrel_feed::capture::{CaptureReader, ReadProgress};
use kestrel_feed::{FeedError, FrameDecoder, Sequencer};
use kestrel_model::UnixNanos;

use crate::market::FrameSync;
pub use crate::market::{FeedEvent, FeedKind, MarketSource};

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
                MarketEvent::Delta(d) => slot.set_delta(d),
                MarketEvent::Snapshot(s) => slot.set_snapshot(s),
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
