//! Replaying a journal: records in sequence order across segments, up to
//! the first one that is torn, corrupt or out of sequence.

use std::io;
use std::path::{Path, PathBuf};

use crate::frame::{self, FrameError, RecordType};
use crate::segment::{SEGMENT_MAGIC, segment_files};

/// One record read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Its type.
    pub kind: RecordType,
    /// Its sequence number.
    pub seq: u64,
    /// Its payload.
    pub payload: &'a [u8],
}

/// Where and why reading stopped before the end of the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailReport {
    /// The segment holding the bad bytes.
    pub segment: PathBuf,
    /// Offset of the first bad byte in it.
    pub offset: usize,
    /// Bytes not replayed: the rest of that segment and every later one.
    pub bytes_cut: u64,
    /// What was wrong.
    pub reason: TailReason,
}

/// What was wrong at the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TailReason {
    /// The record's frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The segment does not open with the journal's magic.
    #[error("not a journal segment")]
    BadMagic,
    /// A sequence number other than the next one.
    #[error("sequence {got} where {expected} was next")]
    Sequence {
        /// The next one.
        expected: u64,
        /// The one found.
        got: u64,
    },
}

/// Reads a journal directory from a sequence number on.
#[derive(Debug)]
pub struct JournalReader {
    segments: Vec<(u64, PathBuf)>,
    /// Index of the segment in `buf`.
    current: usize,
    buf: Vec<u8>,
    pos: usize,
    from_seq: u64,
    next_seq: Option<u64>,
    tail: Option<TailReport>,
    done: bool,
}

impl JournalReader {
    /// Opens the journal in `dir`, to replay records from `from_seq` on.
    pub fn open(dir: &Path, from_seq: u64) -> io::Result<Self> {
        let mut segments = segment_files(dir)?;
        // Skip whole segments that end before `from_seq`.
        let keep_from = segments
            .iter()
            .rposition(|(first, _)| *first <= from_seq)
            .unwrap_or(0);
        segments.drain(..keep_from);
        Ok(Self {
            segments,
            current: 0,
            buf: Vec::new(),
            pos: 0,
            from_seq,
            next_seq: None,
            tail: None,
            done: false,
        })
    }

    /// The next record at or after `from_seq`; `None` at the end of the
    /// journal or at a bad record (see [`Self::tail`]).
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        loop {
            if self.done {
                return Ok(None);
            }
            if self.pos == 0 {
                if !self.load_segment()? {
                    self.done = true;
                }
                if self.done {
                    return Ok(None);
                }
            }
            if self.pos >= self.buf.len() {
                self.current += 1;
                self.pos = 0;
                continue;
            }
            let at = self.pos;
            let (header, payload_len) = match frame::decode(&self.buf[at..]) {
                Ok((h, p)) => (h, p.len()),
                Err(e) => {
                    self.stop(at, e.into())?;
                    return Ok(None);
                }
            };
            if let Some(expected) = self.next_seq {
                if header.seq != expected {
                    self.stop(
                        at,
                        TailReason::Sequence {
                            expected,
                            got: header.seq,
                        },
                    )?;
                    return Ok(None);
                }
            }
            self.next_seq = Some(header.seq.wrapping_add(1));
            self.pos = at + frame::HEADER_LEN + payload_len;
            if header.seq >= self.from_seq {
                let start = at + frame::HEADER_LEN;
                return Ok(Some(Record {
                    kind: header.kind,
                    seq: header.seq,
                    payload: &self.buf[start..start + payload_len],
                }));
            }
        }
    }

    /// Where reading stopped early, if it did.
    pub fn tail(&self) -> Option<&TailReport> {
        self.tail.as_ref()
    }

    /// The sequence number the next record would have.
    pub fn next_seq(&self) -> Option<u64> {
        self.next_seq
    }

    /// Loads the current segment; `false` when there is none left.
    fn load_segment(&mut self) -> io::Result<bool> {
        let Some((first, path)) = self.segments.get(self.current) else {
            return Ok(false);
        };
        let (first, path) = (*first, path.clone());
        self.buf = std::fs::read(&path)?;
        if self.buf.len() < SEGMENT_MAGIC.len() || self.buf[..SEGMENT_MAGIC.len()] != SEGMENT_MAGIC
        {
            self.stop(0, TailReason::BadMagic)?;
            return Ok(true);
        }
        if let Some(expected) = self.next_seq {
            if first != expected {
                self.stop(
                    0,
                    TailReason::Sequence {
                        expected,
                        got: first,
                    },
                )?;
                return Ok(true);
            }
        }
        self.pos = SEGMENT_MAGIC.len();
        Ok(true)
    }

    /// Stops at `offset` of the current segment, counting what is cut.
    fn stop(&mut self, offset: usize, reason: TailReason) -> io::Result<()> {
        let mut cut = self.buf.len().saturating_sub(offset) as u64;
        for (_, later) in self.segments.iter().skip(self.current + 1) {
            cut += std::fs::metadata(later)?.len();
        }
        self.tail = Some(TailReport {
            segment: self.segments[self.current].1.clone(),
            offset,
            bytes_cut: cut,
            reason,
        });
        self.done = true;
        Ok(())
    }
}
