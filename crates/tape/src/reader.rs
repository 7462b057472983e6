//! Reading records: streamed from any reader, or memory-mapped.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use kestrel_model::Instrument;
use memmap2::Mmap;

use crate::error::TapeError;
use crate::header;
use crate::record::{RECORD_SIZE, Record};

/// Anything that yields records in file order.
pub trait RecordSource {
    /// The next record, `None` at a clean end of file.
    fn next_record(&mut self) -> Result<Option<Record>, TapeError>;
}

/// Reads a tape front to back through a small buffer: memory stays bounded
/// whatever the file's size, and the input may be a pipe.
#[derive(Debug)]
pub struct TapeReader<R: Read> {
    input: R,
    instruments: Vec<Instrument>,
}

impl TapeReader<BufReader<File>> {
    /// Opens a tape file.
    pub fn open(path: &Path) -> Result<Self, TapeError> {
        Self::new(BufReader::with_capacity(1 << 16, File::open(path)?))
    }
}

impl<R: Read> TapeReader<R> {
    /// Reads the header from `input`.
    pub fn new(mut input: R) -> Result<Self, TapeError> {
        let mut preamble = [0u8; header::PREAMBLE_LEN];
        input
            .read_exact(&mut preamble)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => TapeError::BadMagic,
                _ => TapeError::Io(e),
            })?;
        let len = header::header_len(&preamble)?;
        let mut whole = preamble.to_vec();
        whole.resize(len, 0);
        input.read_exact(&mut whole[header::PREAMBLE_LEN..])?;
        Ok(Self {
            instruments: header::decode(&whole)?,
            input,
        })
    }

    /// The instruments the header lists; records name them by index.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }
}

impl<R: Read> RecordSource for TapeReader<R> {
    fn next_record(&mut self) -> Result<Option<Record>, TapeError> {
        let mut bytes = [0u8; RECORD_SIZE];
        let mut filled = 0;
        while filled < RECORD_SIZE {
            match self.input.read(&mut bytes[filled..]) {
                Ok(0) if filled == 0 => return Ok(None),
                Ok(0) => return Err(TapeError::Truncated(filled as u64)),
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Record::from_bytes(&bytes).map(Some)
    }
}

/// A tape mapped into memory: random access by record index, and no copy
/// between the page cache and the reader.
#[derive(Debug)]
pub struct MappedTape {
    map: Mmap,
    header_len: usize,
    instruments: Vec<Instrument>,
}

impl MappedTape {
    /// Maps a tape file read-only.
    pub fn open(path: &Path) -> Result<Self, TapeError> {
        let file = File::open(path)?;
        // SAFETY: the map is read-only and private to this process. Another
        // process truncating or rewriting the file while it is mapped would
        // change the bytes under us (or fault, for truncation); tapes are
        // written once and never modified in place, and every record read
        // from the map is validated by `Record::from_bytes` as if it came
        // from an untrusted file.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file)? };
        let preamble: &[u8; header::PREAMBLE_LEN] = map
            .get(..header::PREAMBLE_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(TapeError::BadMagic)?;
        let header_len = header::header_len(preamble)?;
        let head = map
            .get(..header_len)
            .ok_or_else(|| TapeError::BadHeader("file shorter than its header".into()))?;
        let instruments = header::decode(head)?;
        Ok(Self {
            map,
            header_len,
            instruments,
        })
    }

    /// The instruments the header lists.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Whole records in the file.
    pub fn len(&self) -> usize {
        (self.map.len() - self.header_len) / RECORD_SIZE
    }

    /// Whether the file holds no whole record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes after the last whole record: non-zero means a torn write.
    pub fn trailing_bytes(&self) -> usize {
        (self.map.len() - self.header_len) % RECORD_SIZE
    }

    /// Record `index`, decoded and checked; `None` past the end.
    pub fn get(&self, index: usize) -> Option<Result<Record, TapeError>> {
        let at = self.header_len + index.checked_mul(RECORD_SIZE)?;
        let bytes: &[u8; RECORD_SIZE] = self.map.get(at..at + RECORD_SIZE)?.try_into().ok()?;
        Some(Record::from_bytes(bytes))
    }

    /// The venue message whose first record is record `index`: its
    /// records' bytes (a batch's, or one record), whose instrument and
    /// receive time they are, and the index of the next message. `None`
    /// past the end; an error for a record that does not read or a batch
    /// that runs past the file. The bytes are the map's own, for
    /// [`crate::TapeDecoder`], which checks the batch whole.
    pub fn message(&self, index: usize) -> Option<Result<Message<'_>, TapeError>> {
        let first = match self.get(index)? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let batched = first.kind().is_ok_and(|k| k.is_level())
            && !first.flags.contains(crate::record::Flags::EMPTY);
        let count = if batched { first.batch_len as usize } else { 1 };
        let at = self.header_len + index * RECORD_SIZE;
        let bytes = count
            .checked_mul(RECORD_SIZE)
            .filter(|_| count > 0)
            .and_then(|len| self.map.get(at..at.checked_add(len)?));
        Some(match bytes {
            Some(bytes) => Ok(Message {
                bytes,
                instrument: first.instrument,
                local_ns: first.local_ns,
                next: index + count,
            }),
            None => Err(TapeError::BrokenBatch {
                record: index as u64,
                reason: "batch runs past the end of the tape",
            }),
        })
    }

    /// Records in file order, as a [`RecordSource`].
    pub fn records(&self) -> MappedRecords<'_> {
        MappedRecords {
            tape: self,
            next: 0,
        }
    }
}

/// One venue message's records in a [`MappedTape`].
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The records, 64 bytes each.
    pub bytes: &'a [u8],
    /// The instrument's index in the header.
    pub instrument: u16,
    /// When we received it, ns.
    pub local_ns: u64,
    /// The index of the message after it.
    pub next: usize,
}

/// Records laid out in a byte slice (a [`Message`]'s), in order; bytes
/// after the last whole record are a truncation.
#[derive(Debug)]
pub struct SliceRecords<'a>(pub &'a [u8]);

impl RecordSource for SliceRecords<'_> {
    fn next_record(&mut self) -> Result<Option<Record>, TapeError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let Some((head, rest)) = self.0.split_first_chunk::<RECORD_SIZE>() else {
            return Err(TapeError::Truncated(self.0.len() as u64));
        };
        self.0 = rest;
        Record::from_bytes(head).map(Some)
    }
}

/// A cursor over a [`MappedTape`].
#[derive(Debug)]
pub struct MappedRecords<'a> {
    tape: &'a MappedTape,
    next: usize,
}

impl RecordSource for MappedRecords<'_> {
    fn next_record(&mut self) -> Result<Option<Record>, TapeError> {
        match self.tape.get(self.next) {
            Some(record) => {
                self.next += 1;
                record.map(Some)
            }
            None if self.tape.trailing_bytes() > 0 => {
                Err(TapeError::Truncated(self.tape.trailing_bytes() as u64))
            }
            None => Ok(None),
        }
    }
}
