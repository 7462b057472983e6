//! Market events from frame bytes, by the venue's sync rules: one path for
//! a recorded capture (the backtest) and a live connection.

use std::collections::VecDeque;

mod near;

use kestrel_feed::{Decoded, FeedError, FrameDecoder, Sequencer, Verdict};

use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, InstrumentId, Price, Qty, Trade, UnixNanos, UpdateIds,
};
pub use near::{FrameStart, NearRest, SplitFault};

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

    pub(crate) fn set_delta(&mut self, delta: &BookDelta) {
        self.set_delta_head(delta);
        self.delta.updates.clone_from(&delta.updates);
    }

    /// A delta's instrument, ids and time, without its levels.
    pub(crate) fn set_delta_head(&mut self, delta: &BookDelta) {
        self.kind = FeedKind::Delta;
        self.time = delta.time;
        // Field by field: a derived `clone_from` would clone the whole
        // delta, allocating a new vector every time.
        let d = &mut self.delta;
        d.instrument = delta.instrument;
        d.ids = delta.ids;
        d.time = delta.time;
    }

    pub(crate) fn set_snapshot(&mut self, snapshot: &BookSnapshot) {
        self.kind = FeedKind::Snapshot;
        self.time = snapshot.time;
        let s = &mut self.snapshot;
        s.instrument = snapshot.instrument;
        s.last_update_id = snapshot.last_update_id;
        s.time = snapshot.time;
        s.bids.clone_from(&snapshot.bids);
        s.asks.clone_from(&snapshot.asks);
    }

    pub(crate) fn set_trade(&mut self, trade: Trade) {
        self.kind = FeedKind::Trade;
        self.time = trade.time;
        self.trade = trade;
    }

    pub(crate) fn set_gap(&mut self, time: EventTime) {
        self.kind = FeedKind::Gap;
        self.time = time;
    }
}

/// Frames to [`FeedEvent`]s under a venue's sequencing rules: deltas
/// before the first snapshot are held until it bridges them, a gap is
/// passed on and the feed waits for the next snapshot, stale or duplicate
/// deltas are dropped. A frame may make several events (a snapshot that
/// releases held deltas, a batch of trades): the first comes from
/// [`Self::on_frame`], the rest from [`Self::next_held`].
pub struct FrameSync<D, S> {
    decoder: D,
    sequencer: S,
    /// Deltas waiting for a snapshot.
    pending: VecDeque<BookDelta>,
    /// Deltas a snapshot released, handed out after it.
    released: VecDeque<BookDelta>,
    /// Trades of the last frame not yet handed out.
    trades: Vec<Trade>,
    next_trade: usize,
    synced: bool,
    malformed: u64,
    /// A diff being taken in parts.
    split: near::NearSplit,
}

/// Deltas held while waiting for a snapshot; a feed that never sends one
/// must not grow memory without bound.
const MAX_PENDING: usize = 4096;

impl<D: FrameDecoder, S: Sequencer> FrameSync<D, S> {
    /// Sync state for a feed decoded by `decoder`, sequenced by `sequencer`.
    pub fn new(decoder: D, sequencer: S) -> Self {
        Self {
            decoder,
            sequencer,
            pending: VecDeque::new(),
            released: VecDeque::new(),
            trades: Vec::with_capacity(8),
            next_trade: 0,
            synced: false,
            malformed: 0,
            split: near::NearSplit::default(),
        }
    }

    /// Whether a snapshot has been applied since the last gap.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Frames that could not be decoded (counted and skipped).
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// Diffs whose rest did not agree with their near part (each also a
    /// loss of continuity).
    pub fn split_faults(&self) -> u64 {
        self.split.faults
    }

    /// Forgets the book's continuity (the connection dropped): deltas are
    /// held again until the next snapshot bridges them.
    pub fn lose_sync(&mut self) {
        self.sequencer.reset();
        self.synced = false;
        self.pending.clear();
        self.released.clear();
        self.trades.clear();
        self.next_trade = 0;
    }

    /// Counts a frame that never reached the decoder (unreadable line).
    pub fn count_malformed(&mut self) {
        self.malformed += 1;
    }

    /// Writes the next event held from earlier frames into `slot`.
    pub fn next_held(&mut self, slot: &mut FeedEvent) -> bool {
        if let Some(trade) = self.trades.get(self.next_trade) {
            self.next_trade += 1;
            slot.set_trade(*trade);
            return true;
        }
        while let Some(delta) = self.released.pop_front() {
            if self.sequencer.on_delta(&delta.ids) == Verdict::Apply {
                slot.set_delta(&delta);
                return true;
            }
        }
        false
    }

    /// Decodes one frame; writes its first event into `slot` if it makes
    /// one (more may follow from [`Self::next_held`]).
    pub fn on_frame(&mut self, frame: &[u8], local: UnixNanos, slot: &mut FeedEvent) -> bool {
        match self.decoder.decode(frame, local) {
            Ok(Decoded::Snapshot { snapshot, .. }) => {
                self.sequencer.on_snapshot(snapshot.last_update_id);
                self.synced = true;
                self.released.extend(self.pending.drain(..));
                slot.set_snapshot(snapshot);
                true
            }
            Ok(Decoded::Delta { delta, .. }) => match self.sequencer.on_delta(&delta.ids) {
                Verdict::Apply => {
                    slot.set_delta(delta);
                    true
                }
                Verdict::Buffer => {
                    if self.pending.len() == MAX_PENDING {
                        self.pending.pop_front();
                    }
                    self.pending.push_back(delta.clone());
                    false
                }
                Verdict::Stale => false,
                Verdict::Gap { .. } => {
                    self.synced = false;
                    self.pending.clear();
                    self.pending.push_back(delta.clone());
                    slot.set_gap(delta.time);
                    true
                }
            },
            Ok(Decoded::Trades(trades)) if self.synced => {
                self.trades.clear();
                self.trades.extend_from_slice(trades);
                self.next_trade = 0;
                self.next_held(slot)
            }
            Ok(_) => false,
            Err(_) => {
                self.malformed += 1;
                false
            }
        }
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
}
