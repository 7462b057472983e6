//! The recorded market, frame by frame: applied to the simulated venue and
//! handed on for broadcast.
//!
//! The capture is read lazily, one line at a time, so memory stays bounded
//! whatever its length. Its REST snapshot syncs the venue's book by
//! Binance's spot rules; from then on every diff the rules apply, every
//! trade and every `bookTicker` is passed on verbatim: the `U`/`u` chain our
//! clients see is the venue's own.

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::Path;

use kestrel_binance::{BinanceDecoder, FuturesSequencer, SpotSequencer};
use kestrel_feed::capture::{CaptureReader, open_maybe_gzip};
use kestrel_feed::{Decoded, FeedError, FrameDecoder, Instruments, Sequencer, Verdict};
use kestrel_model::{BookDelta, Instrument, Trade, UnixNanos};
use kestrel_sim::SimVenue;

use crate::depth_window::{ClosedWindow, DepthWindow};

pub use crate::streams::StreamKind;

/// A frame ready to broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketFrame {
    /// When the capture received it.
    pub recorded: UnixNanos,
    /// The venue's time of its event (`E`, or the trade time; a
    /// `bookTicker` carries none and gets the receive time).
    pub exchange: UnixNanos,
    /// Its stream.
    pub kind: StreamKind,
    /// The event object, as the venue sent it (without a combined-stream
    /// envelope).
    pub payload: Vec<u8>,
    /// For a depth diff, its first and last update ids.
    pub ids: Option<(u64, u64)>,
}

/// Counters of the replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Capture lines read.
    pub frames: u64,
    /// Frames passed on.
    pub published: u64,
    /// Diffs the sync rules dropped as older than the book.
    pub stale: u64,
    /// Gaps in the capture's own chain.
    pub gaps: u64,
    /// Lines that did not decode.
    pub malformed: u64,
}

/// A frame's market events, read but not yet applied to the venue.
#[derive(Debug, Default)]
struct Staged {
    delta: Option<BookDelta>,
    trades: Vec<Trade>,
}

/// The capture, its decoder and the venue's book sync.
///
/// A frame is read ahead (its due time must be known), but its events
/// reach the venue only when it is released: orders never match against a
/// market their senders could not yet have seen.
pub struct MarketReplay {
    reader: CaptureReader<Box<dyn BufRead + Send>>,
    decoder: BinanceDecoder,
    /// Spot's `U`/`u` rules, or for a linear contract the futures `pu` chain.
    sequencer: Box<dyn Sequencer + Send>,
    symbol: String,
    /// `lastUpdateId` of the venue's book: the snapshot's, then each
    /// applied diff's `u`.
    last_update_id: Option<u64>,
    /// Events of the frame read ahead; buffers are reused.
    staged: Staged,
    /// The current second of diffs, for `@depth`.
    window: DepthWindow,
    /// A merged second waiting to be handed out.
    ready: Option<MarketFrame>,
    instrument: Instrument,
    spare_delta: Option<BookDelta>,
    /// Diffs read before the capture's snapshot: the first the rules apply
    /// bridges the snapshot, so they reach the venue right after it.
    before_snapshot: VecDeque<BookDelta>,
    stats: ReplayStats,
}

/// Diffs held while waiting for the capture's snapshot; a capture without
/// one must not grow memory without bound.
const MAX_BEFORE_SNAPSHOT: usize = 4096;

impl MarketReplay {
    /// Opens a Binance spot or USDⓈ-M capture (`<local_ns> <json>` lines,
    /// maybe gzip) of `instrument`.
    pub fn open(path: &Path, instrument: &Instrument) -> Result<Self, FeedError> {
        Ok(Self {
            reader: CaptureReader::new(open_maybe_gzip(path)?),
            decoder: BinanceDecoder::new(Instruments::new(instrument.clone())),
            sequencer: match instrument.contract.kind {
                kestrel_model::ContractKind::Spot => Box::new(SpotSequencer::new()),
                _ => Box::new(FuturesSequencer::new()),
            },
            symbol: instrument.native_symbol.as_str().to_ascii_lowercase(),
            last_update_id: None,
            staged: Staged::default(),
            window: DepthWindow::default(),
            ready: None,
            instrument: instrument.clone(),
            spare_delta: None,
            before_snapshot: VecDeque::new(),
            stats: ReplayStats::default(),
        })
    }

    /// The lower-case symbol streams are named after.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The venue book's update id, once synced.
    pub fn last_update_id(&self) -> Option<u64> {
        self.last_update_id
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReplayStats {
        &self.stats
    }

    /// The trades of the frame last returned by [`Self::next_frame`], not
    /// yet applied.
    pub fn staged_trades(&self) -> &[Trade] {
        &self.staged.trades
    }

    /// Applies the events of the frame last returned by
    /// [`Self::next_frame`]: call when that frame is released.
    pub fn apply_staged(&mut self, venue: &mut SimVenue) {
        if let Some(delta) = self.staged.delta.take() {
            venue.on_delta(&delta);
            self.last_update_id = Some(delta.ids.last);
            self.spare_delta = Some(delta);
        }
        for trade in self.staged.trades.drain(..) {
            venue.on_trade(&trade);
        }
    }

    /// Applies the diffs held for the snapshot just applied, by the same
    /// rules: those it already holds are stale, the next bridges it. They
    /// are not published: a client's snapshot of the venue includes them.
    fn apply_held(&mut self, venue: &mut SimVenue) {
        for delta in std::mem::take(&mut self.before_snapshot) {
            match self.sequencer.on_delta(&delta.ids) {
                Verdict::Apply => {
                    venue.on_delta(&delta);
                    self.last_update_id = Some(delta.ids.last);
                }
                Verdict::Stale | Verdict::Buffer => self.stats.stale += 1,
                Verdict::Gap { .. } => {
                    self.stats.gaps += 1;
                    self.sequencer.on_snapshot(delta.ids.last);
                    venue.on_delta(&delta);
                    self.last_update_id = Some(delta.ids.last);
                }
            }
        }
    }

    /// Reads capture lines until one yields a frame to publish, and stages
    /// its events. The capture's snapshot syncs `venue` at once. `None` at
    /// the end of the capture.
    pub fn next_frame(&mut self, venue: &mut SimVenue) -> Option<MarketFrame> {
        // A merged second carries no events of its own: its diffs reached
        // the venue with their 100 ms frames.
        if let Some(merged) = self.ready.take() {
            return Some(merged);
        }
        loop {
            let frame = match self.reader.next_frame()? {
                Ok(frame) => frame,
                Err(_) => {
                    self.stats.malformed += 1;
                    continue;
                }
            };
            self.stats.frames += 1;
            let recorded = frame.local.unwrap_or_default();
            let bytes = frame.frame;
            let (kind, ids, exchange) = match self.decoder.decode(bytes, recorded) {
                Ok(Decoded::Snapshot { snapshot, .. }) => {
                    self.sequencer.on_snapshot(snapshot.last_update_id);
                    self.last_update_id = Some(snapshot.last_update_id);
                    venue.on_snapshot(snapshot);
                    self.apply_held(venue);
                    continue;
                }
                Ok(Decoded::Delta { delta, .. }) => {
                    match self.sequencer.on_delta(&delta.ids) {
                        Verdict::Apply => {}
                        Verdict::Buffer => {
                            if self.before_snapshot.len() == MAX_BEFORE_SNAPSHOT {
                                self.before_snapshot.pop_front();
                            }
                            self.before_snapshot.push_back(delta.clone());
                            continue;
                        }
                        Verdict::Stale => {
                            self.stats.stale += 1;
                            continue;
                        }
                        Verdict::Gap { .. } => {
                            // The recording itself lost a diff: the book goes
                            // on from what it has, and clients see the same gap.
                            self.stats.gaps += 1;
                            self.sequencer.on_snapshot(delta.ids.last);
                        }
                    }
                    stage(&mut self.staged, &mut self.spare_delta, delta);
                    if let Some(closed) = self.window.add(delta, &self.instrument) {
                        self.ready = Some(merged_frame(closed, recorded));
                    }
                    let ids = (delta.ids.first, delta.ids.last);
                    (StreamKind::Depth, Some(ids), delta.time.exchange)
                }
                Ok(Decoded::Trades(trades)) if self.last_update_id.is_some() => {
                    self.staged.trades.extend_from_slice(trades);
                    let exchange = trades.first().map_or(recorded, |t| t.time.exchange);
                    (StreamKind::Trade, None, exchange)
                }
                Ok(Decoded::Quote(q)) if self.last_update_id.is_some() => {
                    (StreamKind::BookTicker, None, q.time.exchange)
                }
                Ok(_) => continue,
                Err(_) => {
                    self.stats.malformed += 1;
                    continue;
                }
            };
            self.stats.published += 1;
            return Some(MarketFrame {
                recorded,
                exchange,
                kind,
                payload: unwrap_envelope(bytes).to_vec(),
                ids,
            });
        }
    }
}

fn merged_frame(closed: ClosedWindow, recorded: UnixNanos) -> MarketFrame {
    MarketFrame {
        recorded,
        exchange: closed.event,
        kind: StreamKind::DepthSecond,
        payload: closed.payload,
        ids: Some((closed.first_id, closed.last_id)),
    }
}

/// Copies `delta` into the staging slot, reusing the spare's buffers.
fn stage(staged: &mut Staged, spare: &mut Option<BookDelta>, delta: &BookDelta) {
    let mut copy = spare.take().unwrap_or_else(|| delta.clone());
    copy.clone_from(delta);
    staged.delta = Some(copy);
}

/// The `data` object of a combined-stream envelope
/// (`{"stream":"…","data":{…}}`), or the frame itself.
pub fn unwrap_envelope(frame: &[u8]) -> &[u8] {
    const KEY: &[u8] = b"\"data\":";
    let Some(start) = frame.windows(KEY.len()).position(|w| w == KEY) else {
        return frame;
    };
    let body = &frame[start + KEY.len()..];
    match body.iter().rposition(|&b| b == b'}') {
        Some(end) if frame.starts_with(b"{\"stream\"") => body[..end].trim_ascii(),
        _ => frame,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_unwrapped_and_bare_frames_kept() {
        let framed = br#"{"stream":"btcusdt@trade","data":{"e":"trade","p":"1.0"}}"#;
        assert_eq!(unwrap_envelope(framed), br#"{"e":"trade","p":"1.0"}"#);
        let bare = br#"{"e":"trade","p":"1.0"}"#;
        assert_eq!(unwrap_envelope(bare), bare);
    }
}
