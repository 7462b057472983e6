//! Replaying a recorded Binance futures capture through the sequencer.

use std::collections::VecDeque;
use std::io::BufRead;

use kestrel_model::{BookDelta, BookSnapshot};

use super::capture::{CaptureReader, CaptureRecord};
use super::sequencer::{FuturesSequencer, Verdict};
use crate::FeedError;

/// Diffs held while waiting for a snapshot; beyond this the oldest are
/// dropped (and counted) so a capture without a snapshot cannot exhaust memory.
const MAX_PENDING: usize = 1 << 16;

/// An event the book should apply, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncedEvent {
    /// Replace the book.
    Snapshot(BookSnapshot),
    /// Apply these level updates.
    Delta(BookDelta),
}

/// Counters of a replay: what was read, applied, dropped and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Snapshots handed out.
    pub snapshots: u64,
    /// Diff events handed out to apply.
    pub deltas_applied: u64,
    /// Level updates inside those diffs.
    pub levels_applied: u64,
    /// Diff events older than the snapshot (sync step 3).
    pub deltas_stale: u64,
    /// Diff events dropped while no snapshot was available.
    pub deltas_unsynced: u64,
    /// Lines of other streams or symbols.
    pub other: u64,
    /// Lines skipped because they could not be decoded.
    pub malformed: u64,
}

/// Turns a capture into the ordered snapshot and diff events that rebuild
/// the book by Binance's futures sync rules ([`FuturesSequencer`]).
///
/// Diffs seen before the snapshot are buffered, not thrown away: one of them
/// bridges to it. Undecodable lines are counted and skipped; the first is
/// kept for the report. A sequence gap ends the iteration with
/// [`FeedError::Gap`]: a recording cannot fetch a fresh snapshot.
pub struct CaptureReplay<R> {
    reader: CaptureReader<R>,
    sequencer: FuturesSequencer,
    pending: VecDeque<BookDelta>,
    snapshot_seen: bool,
    finished: bool,
    stats: ReplayStats,
    first_malformed: Option<FeedError>,
}

impl<R: BufRead> CaptureReplay<R> {
    /// Replays `reader` from its first line.
    pub fn new(reader: CaptureReader<R>) -> Self {
        Self {
            reader,
            sequencer: FuturesSequencer::new(),
            pending: VecDeque::new(),
            snapshot_seen: false,
            finished: false,
            stats: ReplayStats::default(),
            first_malformed: None,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReplayStats {
        &self.stats
    }

    /// The first line that could not be decoded, if any.
    pub fn first_malformed(&self) -> Option<&FeedError> {
        self.first_malformed.as_ref()
    }

    /// Judges one diff; `Some` when the caller gets something back.
    fn judge(&mut self, delta: BookDelta) -> Option<Result<SyncedEvent, FeedError>> {
        match self.sequencer.on_delta(&delta.ids) {
            Verdict::Apply => {
                self.stats.deltas_applied += 1;
                self.stats.levels_applied += delta.updates.len() as u64;
                Some(Ok(SyncedEvent::Delta(delta)))
            }
            Verdict::Stale => {
                self.stats.deltas_stale += 1;
                None
            }
            Verdict::Buffer => {
                if self.pending.len() == MAX_PENDING {
                    self.pending.pop_front();
                    self.stats.deltas_unsynced += 1;
                }
                self.pending.push_back(delta);
                None
            }
            Verdict::Gap { expected, got } => {
                self.finished = true;
                Some(Err(FeedError::Gap { expected, got }))
            }
        }
    }
}

impl<R: BufRead> Iterator for CaptureReplay<R> {
    type Item = Result<SyncedEvent, FeedError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            if self.snapshot_seen {
                if let Some(delta) = self.pending.pop_front() {
                    match self.judge(delta) {
                        Some(out) => return Some(out),
                        None => continue,
                    }
                }
            }
            let record = match self.reader.next() {
                None => {
                    self.finished = true;
                    if !self.snapshot_seen && !self.pending.is_empty() {
                        self.stats.deltas_unsynced += self.pending.len() as u64;
                        return Some(Err(FeedError::NoSnapshot));
                    }
                    return None;
                }
                Some(Err(e)) if e.is_recoverable() => {
                    self.stats.malformed += 1;
                    self.first_malformed.get_or_insert(e);
                    continue;
                }
                Some(Err(e)) => {
                    self.finished = true;
                    return Some(Err(e));
                }
                Some(Ok(record)) => record,
            };
            match record {
                CaptureRecord::Depth(delta) => {
                    if let Some(out) = self.judge(delta) {
                        return Some(out);
                    }
                }
                CaptureRecord::Snapshot(snapshot) => {
                    self.sequencer.on_snapshot(snapshot.last_update_id);
                    self.snapshot_seen = true;
                    self.stats.snapshots += 1;
                    return Some(Ok(SyncedEvent::Snapshot(snapshot)));
                }
                CaptureRecord::Other => self.stats.other += 1,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::instruments::usdm_btcusdt;

    fn depth(first: u64, last: u64, prev: u64, bid: &str) -> String {
        format!(
            r#"1 {{"stream":"btcusdt@depth@0ms","data":{{"E":1,"T":1,"s":"BTCUSDT","U":{first},"u":{last},"pu":{prev},"b":[["{bid}","1.000"]],"a":[]}}}}"#
        )
    }

    fn replay(lines: &[String]) -> (Vec<Result<SyncedEvent, FeedError>>, ReplayStats) {
        let text = lines.join("\n");
        let mut replay = CaptureReplay::new(CaptureReader::new(text.as_bytes(), usdm_btcusdt()));
        let events = replay.by_ref().collect();
        (events, replay.stats().clone())
    }

    #[test]
    fn buffers_diffs_until_the_snapshot_then_bridges() {
        let snapshot = r#"2 {"lastUpdateId":100,"bids":[["1.0","1.000"]],"asks":[]}"#.to_owned();
        let lines = [
            depth(80, 90, 79, "1.1"),  // stale once the snapshot arrives
            depth(91, 105, 90, "1.2"), // bridges 100
            "3 garbage".to_owned(),    // counted and skipped
            snapshot,
            depth(106, 110, 105, "1.3"),
            depth(111, 120, 109, "1.4"), // gap: pu 109 ≠ 110
            depth(121, 130, 120, "1.5"), // never reached
        ];
        let (events, stats) = replay(&lines);
        assert!(matches!(events[0], Ok(SyncedEvent::Snapshot(_))));
        let applied: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                Ok(SyncedEvent::Delta(d)) => Some(d.ids.first),
                _ => None,
            })
            .collect();
        assert_eq!(applied, vec![91, 106]);
        assert!(matches!(
            events.last(),
            Some(Err(FeedError::Gap {
                expected: 110,
                got: 109
            }))
        ));
        assert_eq!(stats.deltas_stale, 1);
        assert_eq!(stats.malformed, 1);
        assert_eq!(stats.levels_applied, 2);
    }

    #[test]
    fn diffs_without_a_snapshot_are_an_error_not_a_silent_empty_book() {
        let (events, stats) = replay(&[depth(1, 2, 0, "1.0")]);
        assert!(matches!(events.as_slice(), [Err(FeedError::NoSnapshot)]));
        assert_eq!(stats.deltas_unsynced, 1);
    }
}
