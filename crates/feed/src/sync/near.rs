//! Taking a depth diff in parts, near the touch first, for a caller that
//! can act before the rest of its frame is decoded (a live session; see
//! `Kernel::touch_bounds`).
//!
//! The decoder reads each side's list from its near end as far as the
//! caller's bounds, and on further if asked; the whole frame is decoded
//! after, and checked: each side strictly in price order, its near end
//! exactly the levels handed out. So every level the caller had not seen
//! lies beyond the last one it had. A frame that fails the check loses
//! the book's continuity, as a gap does.

use kestrel_model::{LevelUpdate, Side, TouchBounds, UnixNanos};

use super::{FeedEvent, FrameSync, Untrusted};
use crate::decode::{Decoded, FrameDecoder};
use crate::sequence::Sequencer;

/// Frames shorter than this are decoded whole: a diff's near part is
/// some 25 levels, about a kilobyte, and a frame not much longer has
/// little to leave for later.
const SPLIT_MIN_BYTES: usize = 1536;

/// Reads past the first that [`FrameSync::take_near`] makes before it
/// leaves the decision to the whole diff: a diff that removed a deep run
/// of levels at the touch is better decoded whole.
const MAX_NEAR_READS: usize = 8;

/// How a frame begun with [`FrameSync::on_frame_near`] goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameStart {
    /// A diff of the synced book whose near part is read: every level it
    /// lacks lies strictly beyond these prices (none on a side without
    /// one). The slot's delta holds the diff's ids and time;
    /// [`FrameSync::take_near`] hands out the near levels, and
    /// [`FrameSync::finish_near`] the rest, leaving the whole diff in the
    /// slot.
    Near(TouchBounds),
    /// Decoded whole, as [`FrameSync::on_frame`] does: whether the frame
    /// made an event.
    Whole(bool),
}

/// Why the rest of a split diff could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitFault {
    /// The frame, read whole, is not a valid diff, or not the one its
    /// near part said (another instrument, other update ids).
    #[error("the diff's frame is malformed past its near levels")]
    Malformed,
    /// A side of the diff was not strictly in price order, or its near end
    /// was not the levels handed out.
    #[error("a diff's levels were not in price order")]
    OutOfOrder,
}

/// The end of a split diff, from [`FrameSync::finish_near`].
#[derive(Debug)]
pub struct NearRest<'a> {
    /// The levels the near parts lacked (none after a fault).
    pub rest: &'a [LevelUpdate],
    /// Set when the rest could not be taken: the book has lost continuity,
    /// as after a gap, and the slot's delta holds the near levels handed
    /// out, in that order.
    pub fault: Option<SplitFault>,
}

/// A split diff's state between its parts.
#[derive(Debug, Default)]
pub(super) struct NearSplit {
    /// Every near level handed out, in the order handed out.
    given: Vec<LevelUpdate>,
    /// The levels the near parts lacked.
    rest: Vec<LevelUpdate>,
    /// One side of the whole diff, while it is checked.
    side: Vec<LevelUpdate>,
    /// Diffs whose whole did not agree with their near parts.
    pub(super) faults: u64,
}

impl<D: FrameDecoder, S: Sequencer> FrameSync<D, S> {
    /// Like [`Self::on_frame`], but a diff that continues the synced book
    /// is decoded only as far as `bounds` first (see
    /// [`FrameDecoder::decode_near`]); anything else is decoded whole, and
    /// so is a frame too short for the split to pay.
    pub fn on_frame_near(
        &mut self,
        frame: &[u8],
        local: UnixNanos,
        bounds: Option<TouchBounds>,
        slot: &mut FeedEvent,
    ) -> FrameStart {
        let worth_it = frame.len() >= SPLIT_MIN_BYTES && self.resync.has_snapshot();
        if let Some(bounds) = bounds.filter(|_| worth_it) {
            if let Some(near) = self.decoder.decode_near(frame, local, bounds) {
                if self.resync.take_continuing(near.delta) {
                    slot.set_delta_head(near.delta);
                    self.split.given.clone_from(&near.delta.updates);
                    return FrameStart::Near(near.beyond);
                }
            }
        }
        FrameStart::Whole(self.on_frame(frame, local, slot))
    }

    /// Hands the near part of a frame begun as [`FrameStart::Near`] to
    /// `take` with where its levels left lie, and reads on to the bounds
    /// `take` answers with until it answers `None`: whether it did, within
    /// eight more reads. Either way [`Self::finish_near`]
    /// takes the rest.
    pub fn take_near(
        &mut self,
        frame: &[u8],
        beyond: TouchBounds,
        mut take: impl FnMut(&[LevelUpdate], TouchBounds) -> Option<TouchBounds>,
    ) -> bool {
        let mut beyond = beyond;
        let mut reads = 0;
        let mut from = 0;
        loop {
            let part = self.split.given.get(from..).unwrap_or_default();
            let Some(bounds) = take(part, beyond) else {
                return true;
            };
            if reads == MAX_NEAR_READS {
                return false;
            }
            reads += 1;
            let Some(more) = self.decoder.decode_more(frame, bounds) else {
                return false;
            };
            from = self.split.given.len();
            self.split.given.extend_from_slice(&more.delta.updates);
            beyond = more.beyond;
        }
    }

    /// Decodes the whole of a frame begun as [`FrameStart::Near`] and
    /// checks it against the near levels handed out: the slot's delta
    /// becomes the whole diff, and the levels not handed out are returned.
    /// If the frame does not decode or does not agree, the book loses
    /// continuity.
    pub fn finish_near(
        &mut self,
        frame: &[u8],
        local: UnixNanos,
        slot: &mut FeedEvent,
    ) -> NearRest<'_> {
        let split = &mut self.split;
        let fault = match self.decoder.decode(frame, local) {
            Ok(Decoded::Delta { delta, checksum })
                if delta.ids == slot.delta.ids && delta.instrument == slot.delta.instrument =>
            {
                let taken = split.take_rest(&delta.updates);
                if taken.is_ok() {
                    slot.delta.updates.clone_from(&delta.updates);
                    slot.checksum = checksum;
                    self.resync.count_applied(delta.updates.len());
                }
                taken.err()
            }
            Ok(_) | Err(_) => {
                self.malformed += 1;
                Some(SplitFault::Malformed)
            }
        };
        if fault.is_some() {
            self.split.faults += 1;
            self.split.rest.clear();
            slot.delta.updates.clone_from(&self.split.given);
            self.lose_sync(Untrusted::SplitFault);
        }
        NearRest {
            rest: &self.split.rest,
            fault,
        }
    }
}

impl NearSplit {
    /// Checks the whole diff against the levels handed out, side by side,
    /// and keeps the others.
    fn take_rest(&mut self, whole: &[LevelUpdate]) -> Result<(), SplitFault> {
        self.rest.clear();
        for side in [Side::Buy, Side::Sell] {
            self.side.clear();
            self.side.extend(whole.iter().filter(|u| u.side == side));
            let descending = self.side.windows(2).all(|w| w[0].price > w[1].price);
            let ascending = self.side.windows(2).all(|w| w[0].price < w[1].price);
            let best_first = match side {
                Side::Buy => descending,
                Side::Sell => ascending,
            };
            if !(descending || ascending) {
                return Err(SplitFault::OutOfOrder);
            }
            let given = self.given.iter().filter(|u| u.side == side);
            let k = given.clone().count();
            let n = self.side.len();
            let near_end_agrees = k <= n
                && if best_first {
                    self.side.iter().take(k).eq(given)
                } else {
                    self.side.iter().rev().take(k).eq(given)
                };
            if !near_end_agrees {
                return Err(SplitFault::OutOfOrder);
            }
            let rest = if best_first {
                self.side.get(k..)
            } else {
                self.side.get(..n - k)
            };
            self.rest.extend_from_slice(rest.unwrap_or_default());
        }
        Ok(())
    }
}
