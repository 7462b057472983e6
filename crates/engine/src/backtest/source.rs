//! Recorded market data for the backtest, streamed from disk one event at
//! a time through the same decoders and sync rules as a live feed.

use std::collections::VecDeque;
use std::path::Path;

use kestrel_feed::capture::{CaptureReader, ReadProgress};
use kestrel_feed::{Decoded, FeedError, FrameDecoder, Sequencer, Verdict};
use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, InstrumentId, Price, Qty, Trade, UnixNanos, UpdateIds,
};

/// What a [`FeedEvent`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedKind {
    /// A delta the venue's sync rules apply.
    Delta,
    /// A whole book: the feed is in sync from here.
    Snapshot,
    /// A market trade.
    Trade,
    /// Continuity broke: the book is lost until the next snapshot.
    Gap,
}

/// One market event, in a slot whose buffers are reused from event to
/// event (a delta's level updates are copied in with `clone_from`), so that
/// streaming allocates nothing once the slots have grown. Only the field
/// of the current [`FeedKind`] is meaningful.
#[derive(Clone, Debug)]
pub struct FeedEvent {
    /// Which field holds the event.
    pub kind: FeedKind,
    /// Venue and local time of the event.
    pub time: EventTime,
    /// The delta, for [`FeedKind::Delta`].
    pub delta: BookDelta,
    /// The snapshot, for [`FeedKind::Snapshot`].
    pub snapshot: BookSnapshot,
    /// The trade, for [`FeedKind::Trade`].
    pub trade: Trade,
}

impl FeedEvent {
    /// An empty slot for events of `instrument`.
    pub fn new(instrument: InstrumentId) -> Self {
        let time = EventTime::default();
        Self {
            kind: FeedKind::Gap,
            time,
            delta: BookDelta {
                instrument,
                ids: UpdateIds::default(),
                time,
                updates: Vec::new(),
            },
            snapshot: BookSnapshot {
                instrument,
                last_update_id: 0,
                time,
                bids: Vec::new(),
                asks: Vec::new(),
            },
            trade: Trade {
                instrument,
                trade_id: 0,
                price: Price::ZERO,
                qty: Qty::ZERO,
                aggressor: None,
                time,
            },
        }
    }

    fn set_delta(&mut self, delta: &BookDelta) {
        self.kind = FeedKind::Delta;
        self.time = delta.time;
        // Field by field: a derived `clone_from` would clone the whole
        // delta, allocating a new vector every time.
        let d = &mut self.delta;
        d.instrument = delta.instrument;
        d.ids = delta.ids;
        d.time = delta.time;
        d.updates.clone_from(&delta.updates);
    }

    fn set_snapshot(&mut self, snapshot: &BookSnapshot) {
        self.kind = FeedKind::Snapshot;
        self.time = snapshot.time;
        let s = &mut self.snapshot;
        s.instrument = snapshot.instrument;
        s.last_update_id = snapshot.last_update_id;
        s.time = snapshot.time;
        s.bids.clone_from(&snapshot.bids);
        s.asks.clone_from(&snapshot.asks);
    }

    fn set_trade(&mut self, trade: Trade) {
        self.kind = FeedKind::Trade;
        self.time = trade.time;
        self.trade = trade;
    }

    fn set_gap(&mut self, time: EventTime) {
        self.kind = FeedKind::Gap;
        self.time = time;
    }
}

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
}

/// A recorded capture (`<local_ns> <frame>` lines, gzip or plain) decoded
/// by a venue decoder and kept in sync by the venue's sequencing rules:
/// deltas before the first snapshot are held until it bridges them, a gap
/// is passed on and the feed waits for the next snapshot, and stale or
/// duplicate deltas are dropped, exactly as live.
pub struct CaptureSource<D, S> {
    reader: CaptureReader<Box<dyn std::io::BufRead + Send>>,
    progress: ReadProgress,
    decoder: D,
    sequencer: S,
    /// Deltas waiting for a snapshot.
    pending: VecDeque<BookDelta>,
    /// Deltas held until a snapshot arrives, released after it.
    released: VecDeque<BookDelta>,
    /// Trades of the last frame not yet handed out.
    trades: Vec<Trade>,
    next_trade: usize,
    synced: bool,
    malformed: u64,
}

/// Deltas held while waiting for a snapshot; a capture that never sends
/// one must not grow memory without bound.
const MAX_PENDING: usize = 4096;

impl<D: FrameDecoder, S: Sequencer> CaptureSource<D, S> {
    /// Opens the capture at `path`.
    pub fn open(path: &Path, decoder: D, sequencer: S) -> Result<Self, FeedError> {
        let (reader, progress) = CaptureReader::open_with_progress(path)?;
        Ok(Self {
            reader,
            progress,
            decoder,
            sequencer,
            pending: VecDeque::new(),
            released: VecDeque::new(),
            trades: Vec::with_capacity(8),
            next_trade: 0,
            synced: false,
            malformed: 0,
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
            if let Some(trade) = self.trades.get(self.next_trade) {
                self.next_trade += 1;
                slot.set_trade(*trade);
                return Ok(true);
            }
            if let Some(delta) = self.released.pop_front() {
                if self.sequencer.on_delta(&delta.ids) == Verdict::Apply {
                    slot.set_delta(&delta);
                    return Ok(true);
                }
                continue;
            }
            let Some(frame) = self.reader.next_frame() else {
                return Ok(false);
            };
            let frame = match frame {
                Ok(f) => f,
                Err(FeedError::Frame { .. }) => {
                    self.malformed += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let local = frame.local.unwrap_or(UnixNanos::new(0));
            match self.decoder.decode(frame.frame, local) {
                Ok(Decoded::Snapshot { snapshot, .. }) => {
                    self.sequencer.on_snapshot(snapshot.last_update_id);
                    self.synced = true;
                    self.released.extend(self.pending.drain(..));
                    slot.set_snapshot(snapshot);
                    return Ok(true);
                }
                Ok(Decoded::Delta { delta, .. }) => match self.sequencer.on_delta(&delta.ids) {
                    Verdict::Apply => {
                        slot.set_delta(delta);
                        return Ok(true);
                    }
                    Verdict::Buffer => {
                        if self.pending.len() == MAX_PENDING {
                            self.pending.pop_front();
                        }
                        self.pending.push_back(delta.clone());
                    }
                    Verdict::Stale => {}
                    Verdict::Gap { .. } => {
                        self.synced = false;
                        self.pending.clear();
                        self.pending.push_back(delta.clone());
                        slot.set_gap(delta.time);
                        return Ok(true);
                    }
                },
                Ok(Decoded::Trades(trades)) if self.synced => {
                    self.trades.clear();
                    self.trades.extend_from_slice(trades);
                    self.next_trade = 0;
                }
                Ok(_) => {}
                Err(_) => self.malformed += 1,
            }
        }
    }

    fn progress(&self) -> Option<f64> {
        Some(self.progress.fraction())
    }

    fn malformed(&self) -> u64 {
        self.malformed
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
