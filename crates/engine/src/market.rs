//! Market events from frame bytes, by the venue's sync rules: one path for
//! a recorded capture (the backtest) and a live connection.

use std::collections::VecDeque;

use kestrel_feed::{Decoded, FeedError, FrameDecoder, Sequencer, Verdict};
use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, InstrumentId, LevelUpdate, Price, Qty, TouchBounds, Trade,
    UnixNanos, UpdateIds,
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

    pub(crate) fn set_delta(&mut self, delta: &BookDelta) {
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
    /// The levels of a split diff its near part lacked.
    rest: Vec<LevelUpdate>,
    split_faults: u64,
}

/// How a frame begun with [`FrameSync::on_frame_near`] goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameStart {
    /// The slot's delta holds the near part of the next diff of the synced
    /// book; every level it lacks lies strictly beyond these prices.
    /// [`FrameSync::finish_near`] decodes the rest.
    Near(TouchBounds),
    /// Decoded whole, as [`FrameSync::on_frame`] does: whether the frame
    /// made an event.
    Whole(bool),
}

/// Why the rest of a split diff could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitFault {
    /// The frame, read whole, is not a valid diff.
    #[error("the diff's frame is malformed past its near levels")]
    Malformed,
    /// A level within the near part's bounds was listed past it: the
    /// venue's lists were not in price order.
    #[error("a diff listed a level near the touch after one beyond it")]
    OutOfOrder,
}

/// The end of a split diff, from [`FrameSync::finish_near`].
#[derive(Debug)]
pub struct NearRest<'a> {
    /// The levels the near part lacked, in the venue's order (none after a
    /// fault).
    pub rest: &'a [LevelUpdate],
    /// Set when the rest could not be taken: the book has lost continuity,
    /// as after a gap, and the slot's delta still holds only the near part.
    pub fault: Option<SplitFault>,
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
            rest: Vec::new(),
            split_faults: 0,
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
        self.split_faults
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

impl<D: FrameDecoder, S: Sequencer> FrameSync<D, S> {
    /// Like [`Self::on_frame`], but a diff that continues the synced book
    /// is decoded only as far as `bounds` first (see
    /// [`FrameDecoder::decode_near`]), for a caller that can act on it
    /// before the rest; anything else is decoded whole.
    pub fn on_frame_near(
        &mut self,
        frame: &[u8],
        local: UnixNanos,
        bounds: Option<TouchBounds>,
        slot: &mut FeedEvent,
    ) -> FrameStart {
        if let Some(bounds) = bounds.filter(|_| self.synced && self.released.is_empty()) {
            if let Some(near) = self.decoder.decode_near(frame, local, bounds) {
                if self.sequencer.continues(&near.delta.ids) {
                    // Applied, by `continues`' contract.
                    self.sequencer.on_delta(&near.delta.ids);
                    slot.set_delta(near.delta);
                    return FrameStart::Near(near.beyond);
                }
            }
        }
        FrameStart::Whole(self.on_frame(frame, local, slot))
    }

    /// Decodes the whole of a frame begun as [`FrameStart::Near`]: the
    /// slot's delta becomes the whole diff, and the levels its near part
    /// lacked are returned. Each of them must lie beyond `beyond`, and the
    /// others must be the near part's, in order; if not, or if the frame
    /// does not decode, the book loses continuity.
    pub fn finish_near(
        &mut self,
        frame: &[u8],
        local: UnixNanos,
        beyond: TouchBounds,
        slot: &mut FeedEvent,
    ) -> NearRest<'_> {
        self.rest.clear();
        let fault = match self.decoder.decode(frame, local) {
            Ok(Decoded::Delta { delta, .. }) => {
                let near = &slot.delta.updates;
                let mut seen = 0;
                let mut in_order = true;
                for u in &delta.updates {
                    if beyond
                        .get(u.side)
                        .is_some_and(|w| TouchBounds::worse(u.side, u.price, w))
                    {
                        self.rest.push(*u);
                    } else {
                        in_order &= near.get(seen) == Some(u);
                        seen += 1;
                    }
                }
                if in_order && seen == near.len() {
                    slot.delta.updates.clone_from(&delta.updates);
                    None
                } else {
                    Some(SplitFault::OutOfOrder)
                }
            }
            Ok(_) | Err(_) => {
                self.malformed += 1;
                Some(SplitFault::Malformed)
            }
        };
        if fault.is_some() {
            self.split_faults += 1;
            self.rest.clear();
            self.lose_sync();
        }
        NearRest {
            rest: &self.rest,
            fault,
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
