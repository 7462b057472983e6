//! Frame bytes to book events for a caller that keeps the book itself:
//! the kernel, in a backtest and live alike.

use kestrel_book::OrderBook;
use kestrel_model::{
    BookDelta, BookSnapshot, EventTime, InstrumentId, Price, Qty, Trade, UnixNanos, UpdateIds,
};

use super::near::NearSplit;
use super::{Released, Resync, Step, SyncStats, SyncStatus, Trust, Untrusted};
use crate::decode::{Decoded, FrameDecoder};
use crate::sequence::Sequencer;

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
    /// The venue's checksum of the book after a delta or snapshot (OKX),
    /// for whoever applies it to check with [`super::integrity`].
    pub checksum: Option<i32>,
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
            checksum: None,
        }
    }

    /// Holds `delta`, with the venue's `checksum` after it.
    pub fn set_delta(&mut self, delta: &BookDelta, checksum: Option<i32>) {
        self.set_delta_head(delta);
        self.delta.updates.clone_from(&delta.updates);
        self.checksum = checksum;
    }

    /// A delta's instrument, ids and time, without its levels.
    pub(super) fn set_delta_head(&mut self, delta: &BookDelta) {
        self.kind = FeedKind::Delta;
        self.time = delta.time;
        self.checksum = None;
        let d = &mut self.delta;
        d.instrument = delta.instrument;
        d.ids = delta.ids;
        d.time = delta.time;
    }

    /// Holds `snapshot`, with the venue's `checksum` of it.
    pub fn set_snapshot(&mut self, snapshot: &BookSnapshot, checksum: Option<i32>) {
        self.kind = FeedKind::Snapshot;
        self.time = snapshot.time;
        self.snapshot.clone_from(snapshot);
        self.checksum = checksum;
    }

    /// Holds `trade`.
    pub fn set_trade(&mut self, trade: Trade) {
        self.kind = FeedKind::Trade;
        self.time = trade.time;
        self.trade = trade;
    }

    /// Marks the book lost at `time`.
    pub fn set_gap(&mut self, time: EventTime) {
        self.kind = FeedKind::Gap;
        self.time = time;
    }
}

/// Frames to [`FeedEvent`]s under a venue's sequencing rules, through the
/// shared [`Resync`] core: deltas before a snapshot are held until it
/// bridges them, a gap is passed on and the feed waits for the next
/// snapshot, stale or duplicate deltas are dropped. A frame may make
/// several events (a snapshot that releases held deltas, a batch of
/// trades): the first comes from [`Self::on_frame`], the rest from
/// [`Self::next_held`]. The caller applies each book event to its book and
/// then calls [`Self::verify`]: the same integrity policy as
/// [`super::BookSync`].
pub struct FrameSync<D, S> {
    pub(super) decoder: D,
    pub(super) resync: Resync<S>,
    /// Trades of the last frame not yet handed out.
    trades: Vec<Trade>,
    next_trade: usize,
    pub(super) malformed: u64,
    /// A diff being taken in parts.
    pub(super) split: NearSplit,
}

impl<D: FrameDecoder, S: Sequencer> FrameSync<D, S> {
    /// Sync state for a feed decoded by `decoder`, sequenced by `sequencer`.
    pub fn new(decoder: D, sequencer: S) -> Self {
        Self {
            decoder,
            resync: Resync::new(sequencer),
            trades: Vec::with_capacity(8),
            next_trade: 0,
            malformed: 0,
            split: NearSplit::default(),
        }
    }

    /// Whether a snapshot has been taken since the book was last lost.
    pub fn is_synced(&self) -> bool {
        self.resync.has_snapshot()
    }

    /// Whether the book is trusted, and if not why.
    pub fn trust(&self) -> Trust {
        self.resync.trust()
    }

    /// Counters of the book's sync.
    pub fn stats(&self) -> &SyncStats {
        self.resync.stats()
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

    /// After the caller applied the last book event to `book`: the shared
    /// integrity policy. A book that fails is lost (deltas are held again
    /// until a snapshot bridges them) and the caller treats it as a gap.
    #[inline]
    pub fn verify(&mut self, book: &OrderBook, checksum: Option<i32>) -> SyncStatus {
        let status = self.resync.verify(book, checksum);
        if let SyncStatus::Lost(_) = status {
            self.drop_trades();
        }
        status
    }

    /// Forgets the book's continuity for `reason` (the connection dropped,
    /// the caller found it wrong): deltas are held again until the next
    /// snapshot bridges them.
    pub fn lose_sync(&mut self, reason: Untrusted) {
        if matches!(reason, Untrusted::Disconnected | Untrusted::StaleFeed) {
            self.resync.stats_mut().disconnects += 1;
        }
        self.resync.lose(reason);
        self.drop_trades();
    }

    fn drop_trades(&mut self) {
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
        match self.resync.next_released() {
            Some(Released::Apply(delta)) => {
                slot.set_delta(&delta, None);
                self.resync.count_applied(delta.updates.len());
                self.resync.recycle(delta);
                true
            }
            Some(Released::Lost(_)) => {
                let time = slot.time;
                slot.set_gap(time);
                true
            }
            None => false,
        }
    }

    /// Decodes one frame; writes its first event into `slot` if it makes
    /// one (more may follow from [`Self::next_held`]).
    pub fn on_frame(&mut self, frame: &[u8], local: UnixNanos, slot: &mut FeedEvent) -> bool {
        match self.decoder.decode(frame, local) {
            Ok(Decoded::Snapshot { snapshot, checksum }) => {
                self.resync.on_snapshot(snapshot.last_update_id);
                slot.set_snapshot(snapshot, checksum);
                true
            }
            Ok(Decoded::Delta { delta, checksum }) => match self.resync.on_delta(delta) {
                Step::Apply => {
                    self.resync.count_applied(delta.updates.len());
                    slot.set_delta(delta, checksum);
                    true
                }
                Step::Held | Step::Stale => false,
                Step::Lost(_) => {
                    self.trades.clear();
                    self.next_trade = 0;
                    slot.set_gap(delta.time);
                    true
                }
            },
            Ok(Decoded::Trades(trades)) if self.resync.has_snapshot() => {
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
