//! Reading a journal directory's integrity without changing anything in it.
//!
//! [`inspect`] reads every segment, snapshot and the clean-stop marker and
//! sorts what it finds into three kinds (the policy is in the crate's
//! README):
//!
//! * the **intact prefix**: records `0..next_seq`, each whole, checked and
//!   numbered one after the other from the first segment on;
//! * a **torn tail**: what a crash leaves, a partial last record (or a
//!   zero-filled end the data never reached) with nothing valid after it.
//!   Opening the journal for writing cuts it and keeps the bytes;
//! * **damage**: anything else. A bad record with valid records after it,
//!   a segment that does not open as one, a gap or a swap in the
//!   numbering, a session header that cannot be read, a snapshot past the
//!   end of the log or one that does not read, a clean-stop marker the log
//!   does not reach. Damage stops recovery until an operator repairs it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::frame::{self, FrameError, HEADER_LEN, MAX_PAYLOAD};
use crate::marker;
use crate::segment::{SEGMENT_MAGIC, segment_files};
use crate::snapshot::{self, SnapshotFault};

/// A zero-filled end shorter than this is not taken for unwritten data:
/// file systems extend files by whole blocks, and a byte or two of zeros
/// is as likely a damaged record.
const ZERO_TAIL_MIN: usize = 64;

/// Everything [`inspect`] found.
#[derive(Clone, Debug, Default)]
pub struct Inspection {
    /// The journal's directory.
    pub dir: PathBuf,
    /// Segment files by name, each as read.
    pub segments: Vec<SegmentSummary>,
    /// Records `0..next_seq` are intact.
    pub next_seq: u64,
    /// The crash's partial last record, if there is one.
    pub torn: Option<TornTail>,
    /// Where the intact prefix stops in the files: (segment, offset), at
    /// a torn tail or the first damage in the log. A repair cuts here.
    pub stop: Option<(PathBuf, u64)>,
    /// Every inconsistency, in the order met.
    pub damage: Vec<Damage>,
    /// Snapshot files, oldest first.
    pub snapshots: Vec<SnapshotSummary>,
    /// The sequence the clean-stop marker says the log ends at, if the
    /// last writer closed the journal cleanly.
    pub clean_stop: Option<u64>,
}

/// One segment file as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentSummary {
    /// The sequence number its name gives.
    pub named: u64,
    /// Its path.
    pub path: PathBuf,
    /// Its length in bytes.
    pub bytes: u64,
    /// Valid records read in it (after damage too).
    pub records: u64,
    /// The first and last sequence numbers of those records.
    pub seqs: Option<(u64, u64)>,
}

/// A crash's partial last record: cut on the next open for writing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment it is in (the last one).
    pub segment: PathBuf,
    /// Where it starts.
    pub offset: u64,
    /// Its length, to the end of the file.
    pub bytes: u64,
    /// What it looks like.
    pub kind: TornKind,
}

/// How a torn tail looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TornKind {
    /// The file ends inside a record whose bytes so far are consistent.
    Partial,
    /// The file ends in zeros the data never reached.
    ZeroFilled,
}

/// A snapshot file as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotSummary {
    /// The sequence its name gives.
    pub seq: u64,
    /// Its path.
    pub path: PathBuf,
    /// Whether it reads, and its schema if it does.
    pub state: Result<u32, SnapshotFault>,
}

/// One inconsistency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// A segment file does not open with the journal's magic.
    BadMagic {
        /// The file.
        segment: PathBuf,
        /// Its length.
        bytes: u64,
    },
    /// A record does not read, and it is not a torn tail.
    BadRecord {
        /// The segment.
        segment: PathBuf,
        /// Where the record starts.
        offset: u64,
        /// The sequence number it should have had.
        expected: u64,
        /// What is wrong with it.
        reason: FrameError,
        /// What follows it.
        after: After,
    },
    /// A record numbered out of turn.
    Sequence {
        /// The segment.
        segment: PathBuf,
        /// Where the record starts.
        offset: u64,
        /// The number it should have had.
        expected: u64,
        /// The number it has.
        got: u64,
    },
    /// A segment whose name is not the sequence its predecessor ends at:
    /// a missing, renamed, swapped or duplicated segment.
    Numbering {
        /// The segment.
        segment: PathBuf,
        /// The sequence its name says it starts at.
        named: u64,
        /// Where the log before it ends.
        expected: u64,
    },
    /// The journal's first record (the session header) cannot be read.
    NoHeader {
        /// The first segment, if there is one.
        segment: Option<PathBuf>,
    },
    /// A snapshot that does not read.
    BadSnapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        fault: SnapshotFault,
    },
    /// A valid snapshot of a state past the end of the log: it was written
    /// only after the records before it were on disk, so records are
    /// missing.
    SnapshotPastEnd {
        /// Its sequence.
        seq: u64,
        /// Where the log ends.
        end: u64,
    },
    /// The clean-stop marker says the log ends elsewhere than it does.
    StopMarker {
        /// The sequence the marker says.
        claimed: u64,
        /// Where the log ends.
        end: u64,
    },
    /// The clean-stop marker does not read.
    BadStopMarker,
}

/// What follows a bad record: what makes it damage rather than a torn
/// tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// A valid record, further on in the same segment.
    Record {
        /// Its offset.
        offset: u64,
        /// Its sequence number.
        seq: u64,
    },
    /// Nothing valid in this segment, but more segments.
    LaterSegments,
    /// Nothing: but the bad record is whole, or its header is not the
    /// next record's, so it is no crash's partial write.
    Nothing,
}

impl Damage {
    /// Whether recovery can go on around it: a bad snapshot is passed
    /// over for an older one or a full replay, and the log is whole.
    pub fn spares_the_log(&self) -> bool {
        matches!(self, Self::BadSnapshot { .. })
    }
}

fn name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic { segment, bytes } => write!(
                f,
                "segment {} ({bytes} bytes) does not open as a journal segment",
                name(segment)
            ),
            Self::BadRecord {
                segment,
                offset,
                expected,
                reason,
                after,
            } => {
                write!(
                    f,
                    "record {expected} at offset {offset} of {} does not read ({reason}); ",
                    name(segment)
                )?;
                match after {
                    After::Record { offset, seq } => {
                        write!(
                            f,
                            "valid records follow from record {seq} at offset {offset}"
                        )
                    }
                    After::LaterSegments => write!(f, "later segments follow"),
                    After::Nothing => write!(f, "a whole record, not a partial one"),
                }
            }
            Self::Sequence {
                segment,
                offset,
                expected,
                got,
            } => write!(
                f,
                "record {got} at offset {offset} of {} where record {expected} was next",
                name(segment)
            ),
            Self::Numbering {
                segment,
                named,
                expected,
            } => {
                let what = if named > expected {
                    format!("records {expected}..{named} are missing")
                } else {
                    "it overlaps or precedes the log before it".to_owned()
                };
                write!(
                    f,
                    "segment {} is named for record {named} but the log before it ends at {expected}: {what}",
                    name(segment)
                )
            }
            Self::NoHeader { segment } => match segment {
                Some(s) => write!(
                    f,
                    "the session header (record 0, in {}) cannot be read",
                    name(s)
                ),
                None => write!(f, "no segment holds the session header (record 0)"),
            },
            Self::BadSnapshot { path, fault } => {
                write!(f, "snapshot {} does not read: {fault}", name(path))
            }
            Self::SnapshotPastEnd { seq, end } => write!(
                f,
                "a valid snapshot at record {seq} is past the log's end at {end}: records {end}..{seq} are missing"
            ),
            Self::StopMarker { claimed, end } => write!(
                f,
                "the journal was stopped cleanly at record {claimed} but the log ends at {end}"
            ),
            Self::BadStopMarker => write!(f, "the clean-stop marker does not read"),
        }
    }
}

impl Inspection {
    /// Nothing of a journal is here: a new session may start.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
            && self.snapshots.is_empty()
            && self.clean_stop.is_none()
            && self.damage.is_empty()
    }

    /// Damage that stops recovery (everything but bad snapshots).
    pub fn blocking(&self) -> impl Iterator<Item = &Damage> {
        self.damage.iter().filter(|d| !d.spares_the_log())
    }

    /// Records read in every segment, after damage too.
    pub fn records(&self) -> u64 {
        self.segments.iter().map(|s| s.records).sum()
    }

    /// A report for people: what is damaged, where, and what is intact.
    pub fn report(&self) -> String {
        let mut out = format!(
            "journal {}: records 0..{} intact in {} segment(s), {} records read in all\n",
            self.dir.display(),
            self.next_seq,
            self.segments.len(),
            self.records()
        );
        for d in &self.damage {
            out.push_str(&format!("  DAMAGE  {d}\n"));
        }
        if let Some(t) = &self.torn {
            out.push_str(&format!(
                "  torn    {} bytes at offset {} of {} ({}), the end of a crash\n",
                t.bytes,
                t.offset,
                name(&t.segment),
                match t.kind {
                    TornKind::Partial => "a partial record",
                    TornKind::ZeroFilled => "zeros",
                }
            ));
        }
        out
    }
}

/// Reads the journal in `dir`: every segment, snapshot and marker. A
/// missing directory is an empty journal. Changes nothing.
pub fn inspect(dir: &Path) -> io::Result<Inspection> {
    let mut out = Inspection {
        dir: dir.to_path_buf(),
        ..Inspection::default()
    };
    let files = segment_files(dir)?;
    let count = files.len();
    // The end of the log as read so far, and whether everything up to it
    // is intact.
    let mut end = 0u64;
    let mut intact = true;
    for (i, (named, path)) in files.into_iter().enumerate() {
        let bytes = std::fs::read(&path)?;
        let mut summary = SegmentSummary {
            named,
            path: path.clone(),
            bytes: bytes.len() as u64,
            records: 0,
            seqs: None,
        };
        if named != end {
            out.damage.push(Damage::Numbering {
                segment: path.clone(),
                named,
                expected: end,
            });
            stop_at(&mut out, &mut intact, &path, 0);
        }
        if bytes.len() < SEGMENT_MAGIC.len() || bytes[..SEGMENT_MAGIC.len()] != SEGMENT_MAGIC {
            out.damage.push(Damage::BadMagic {
                segment: path.clone(),
                bytes: bytes.len() as u64,
            });
            stop_at(&mut out, &mut intact, &path, 0);
            out.segments.push(summary);
            continue;
        }
        let last = i + 1 == count;
        let mut expected = named;
        let mut at = SEGMENT_MAGIC.len();
        while at < bytes.len() {
            match frame::decode(&bytes[at..]) {
                Ok((h, payload)) => {
                    if h.seq != expected {
                        out.damage.push(Damage::Sequence {
                            segment: path.clone(),
                            offset: at as u64,
                            expected,
                            got: h.seq,
                        });
                        stop_at(&mut out, &mut intact, &path, at as u64);
                    }
                    summary.records += 1;
                    let first = summary.seqs.map_or(h.seq, |(f, _)| f);
                    summary.seqs = Some((first, h.seq));
                    expected = h.seq.wrapping_add(1);
                    if intact {
                        out.next_seq = expected;
                    }
                    at += HEADER_LEN + payload.len();
                }
                Err(reason) => {
                    let rest = &bytes[at..];
                    let resumes = resync(rest, expected).map(|(o, s)| (o + at as u64, s));
                    let torn = if last && resumes.is_none() && !(named == 0 && expected == 0) {
                        torn_kind(rest, expected, reason)
                    } else {
                        None
                    };
                    match torn {
                        Some(kind) => {
                            out.torn = Some(TornTail {
                                segment: path.clone(),
                                offset: at as u64,
                                bytes: rest.len() as u64,
                                kind,
                            });
                            if intact {
                                out.stop = Some((path.clone(), at as u64));
                            }
                        }
                        _ if named == 0 && expected == 0 => {
                            out.damage.push(Damage::NoHeader {
                                segment: Some(path.clone()),
                            });
                            stop_at(&mut out, &mut intact, &path, 0);
                        }
                        _ => {
                            out.damage.push(Damage::BadRecord {
                                segment: path.clone(),
                                offset: at as u64,
                                expected,
                                reason,
                                after: match resumes {
                                    Some((offset, seq)) => After::Record { offset, seq },
                                    None if last => After::Nothing,
                                    None => After::LaterSegments,
                                },
                            });
                            stop_at(&mut out, &mut intact, &path, at as u64);
                        }
                    }
                    match resumes {
                        Some((offset, seq)) => {
                            // Read on from there, for the report.
                            at = offset as usize;
                            expected = seq;
                        }
                        None => break,
                    }
                }
            }
        }
        end = expected;
        out.segments.push(summary);
    }
    if let Some(first) = out.segments.first().filter(|s| s.records == 0).cloned() {
        if !out
            .damage
            .iter()
            .any(|d| matches!(d, Damage::NoHeader { .. }))
        {
            out.damage.push(Damage::NoHeader {
                segment: Some(first.path.clone()),
            });
        }
        out.stop = Some((first.path, 0));
        out.next_seq = 0;
    }
    for (seq, path) in snapshot::list(dir)? {
        let state = snapshot::read(&path)?.map(|s| s.schema);
        match &state {
            Err(fault) => out.damage.push(Damage::BadSnapshot {
                path: path.clone(),
                fault: fault.clone(),
            }),
            Ok(_) if seq > end => out.damage.push(Damage::SnapshotPastEnd { seq, end }),
            Ok(_) => {}
        }
        out.snapshots.push(SnapshotSummary { seq, path, state });
    }
    match marker::read(dir)? {
        None => {}
        Some(Ok(claimed)) => {
            out.clean_stop = Some(claimed);
            if claimed != end || out.torn.is_some() {
                out.damage.push(Damage::StopMarker { claimed, end });
            }
        }
        Some(Err(())) => out.damage.push(Damage::BadStopMarker),
    }
    if out.segments.is_empty() && !out.snapshots.is_empty() {
        out.damage.push(Damage::NoHeader { segment: None });
    }
    Ok(out)
}

/// The intact prefix stops here (if it had not already).
fn stop_at(out: &mut Inspection, intact: &mut bool, segment: &Path, offset: u64) {
    if *intact {
        out.stop = Some((segment.to_path_buf(), offset));
        *intact = false;
    }
}

/// The first valid record in `rest` after its first byte, numbered at or
/// after `expected`: (offset in `rest`, sequence). Only headers that could
/// be the log's next records are checksummed, so garbage is cheap to scan.
fn resync(rest: &[u8], expected: u64) -> Option<(u64, u64)> {
    // At most one record per header's length of bytes can follow.
    let horizon = expected.saturating_add((rest.len() / HEADER_LEN) as u64 + 1);
    (1..rest.len().saturating_sub(HEADER_LEN - 1)).find_map(|i| {
        let h = &rest[i..i + HEADER_LEN];
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&h[12..20]);
        let seq = u64::from_le_bytes(seq);
        let plausible = len <= MAX_PAYLOAD
            && i + HEADER_LEN + len as usize <= rest.len()
            && h[10..12] == [0, 0]
            && (expected..horizon).contains(&seq);
        (plausible && frame::decode(&rest[i..]).is_ok()).then_some((i as u64, seq))
    })
}

/// Whether the bytes from a record that does not read to the end of the
/// last segment are what a crash leaves, and how they look.
fn torn_kind(rest: &[u8], expected: u64, reason: FrameError) -> Option<TornKind> {
    if rest.iter().all(|&b| b == 0) && rest.len() >= ZERO_TAIL_MIN.min(HEADER_LEN) {
        return Some(TornKind::ZeroFilled);
    }
    // The header as far as it goes must be the next record's.
    let want_seq = expected.to_le_bytes();
    let consistent = |h: &[u8]| {
        let len_ok = h.len() < 4 || u32::from_le_bytes([h[0], h[1], h[2], h[3]]) <= MAX_PAYLOAD;
        let flags_ok = h
            .get(10..h.len().min(12))
            .is_none_or(|f| f.iter().all(|&b| b == 0));
        let seq_ok = h
            .get(12..h.len().min(20))
            .is_none_or(|s| s == &want_seq[..s.len()]);
        len_ok && flags_ok && seq_ok
    };
    let header = &rest[..rest.len().min(HEADER_LEN)];
    if !consistent(header) {
        return None;
    }
    match reason {
        FrameError::Torn { .. } => {
            // A whole record with a damaged length reads as torn too: it
            // is one if its checksum holds over the bytes that are there.
            if rest.len() >= HEADER_LEN && whole_under_other_length(rest) {
                return None;
            }
            Some(TornKind::Partial)
        }
        FrameError::Checksum { .. } | FrameError::BadLength(_) => {
            // Written up to a point, then zeros to the end.
            let zeros = rest.iter().rev().take_while(|&&b| b == 0).count();
            (zeros >= ZERO_TAIL_MIN && rest.len() >= HEADER_LEN).then_some(TornKind::ZeroFilled)
        }
    }
}

/// Whether `rest` is a whole record under its real length, its stored
/// length damaged.
fn whole_under_other_length(rest: &[u8]) -> bool {
    let Ok(real) = u32::try_from(rest.len() - HEADER_LEN) else {
        return false;
    };
    let mut fixed = rest.to_vec();
    fixed[..4].copy_from_slice(&real.to_le_bytes());
    frame::decode(&fixed).is_ok()
}

#[cfg(test)]
mod tests;
