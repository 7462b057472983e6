//! Reading messages: streamed from any reader, or memory-mapped.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use kestrel_model::Instrument;
use memmap2::{Mmap, MmapOptions};

/// Tapes up to this size are mapped in whole when opened.
const POPULATE_MAX_BYTES: u64 = 1 << 30;

use crate::error::TapeError;
use crate::header;
use crate::message::{self, HEAD};

/// Anything that yields a tape's messages in file order, each whole
/// (framed, checksum included), for [`crate::TapeEvents`].
pub trait MessageSource {
    /// The next message's bytes, `None` at a clean end of file.
    fn next_message(&mut self) -> Result<Option<&[u8]>, TapeError>;
}

/// Reads a tape front to back through a buffer the size of its largest
/// message: memory stays bounded whatever the file's size, and the input
/// may be a pipe.
#[derive(Debug)]
pub struct TapeReader<R: Read> {
    input: R,
    instruments: Vec<Instrument>,
    buf: Vec<u8>,
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
            buf: Vec::with_capacity(4096),
        })
    }

    /// The instruments the header lists; messages name them by index.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Fills `self.buf[from..]`; the bytes read, short only at the end.
    fn fill(&mut self, from: usize) -> Result<usize, TapeError> {
        let mut filled = from;
        while filled < self.buf.len() {
            match self.input.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(filled)
    }
}

impl<R: Read> MessageSource for TapeReader<R> {
    fn next_message(&mut self) -> Result<Option<&[u8]>, TapeError> {
        self.buf.resize(4, 0);
        match self.fill(0)? {
            0 => return Ok(None),
            4 => {}
            short => return Err(TapeError::Truncated(short as u64)),
        }
        let len = match message::framed_len(&self.buf) {
            Some(len) => len?,
            None => return Err(TapeError::Truncated(4)),
        };
        self.buf.resize(len, 0);
        let got = self.fill(4)?;
        if got < len {
            return Err(TapeError::Truncated(got as u64));
        }
        Ok(Some(&self.buf))
    }
}

/// A tape mapped into memory: messages read in place, with no copy between
/// the page cache and the reader.
#[derive(Debug)]
pub struct MappedTape {
    map: Mmap,
    header_len: usize,
    instruments: Vec<Instrument>,
}

/// One message of a [`MappedTape`], found by [`MappedTape::message`].
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The whole message, framed; [`crate::TapeDecoder`] checks and reads it.
    pub bytes: &'a [u8],
    /// The instrument's index in the header (read before the checksum is
    /// checked: a damaged one is caught when the message is decoded).
    pub instrument: u16,
    /// When we received it, ns.
    pub local_ns: u64,
    /// Where the next message starts.
    pub next: usize,
}

impl MappedTape {
    /// Maps a tape file read-only.
    pub fn open(path: &Path) -> Result<Self, TapeError> {
        let file = File::open(path)?;
        // SAFETY: the map is read-only and private to this process. Another
        // process truncating or rewriting the file while it is mapped would
        // change the bytes under us (or fault, for truncation); tapes are
        // written once and never modified in place, and every message read
        // from the map is checked against its checksum and decoded as if it
        // came from an untrusted file.
        //
        // A tape is read whole, front to back: one that fits comfortably in
        // memory is mapped in at once (a page fault per 4 KiB page cost a
        // tenth of a replay), a larger one is read ahead as it goes.
        let populate = file.metadata()?.len() <= POPULATE_MAX_BYTES;
        let mut options = MmapOptions::new();
        if populate {
            options.populate();
        }
        #[allow(unsafe_code)]
        let map = unsafe { options.map(&file)? };
        #[cfg(unix)]
        if !populate {
            // Advice only: a kernel that ignores it reads the same bytes.
            let _ = map.advise(memmap2::Advice::Sequential);
        }
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

    /// Bytes of messages after the header: where [`Self::message`]'s
    /// offsets end, for progress.
    pub fn data_len(&self) -> usize {
        self.map.len() - self.header_len
    }

    /// The message starting `offset` bytes after the header (0 for the
    /// first; each gives the next). `None` at the end; an error for a
    /// length no writer makes or one that runs past the file.
    pub fn message(&self, offset: usize) -> Option<Result<Message<'_>, TapeError>> {
        let at = self.header_len.checked_add(offset)?;
        let rest = self.map.get(at..).filter(|r| !r.is_empty())?;
        let len = match message::framed_len(rest) {
            Some(Ok(len)) => len,
            Some(Err(e)) => return Some(Err(e)),
            None => return Some(Err(TapeError::Truncated(rest.len() as u64))),
        };
        let Some(bytes) = rest.get(..len) else {
            return Some(Err(TapeError::Truncated(rest.len() as u64)));
        };
        let word = |from: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[from..from + 8]);
            u64::from_le_bytes(w)
        };
        debug_assert!(len >= HEAD);
        Some(Ok(Message {
            bytes,
            instrument: u16::from_le_bytes([bytes[6], bytes[7]]),
            local_ns: word(16),
            next: offset + len,
        }))
    }

    /// Messages in file order, as a [`MessageSource`].
    pub fn messages(&self) -> MappedMessages<'_> {
        MappedMessages {
            tape: self,
            next: 0,
        }
    }
}

/// A cursor over a [`MappedTape`].
#[derive(Debug)]
pub struct MappedMessages<'a> {
    tape: &'a MappedTape,
    next: usize,
}

impl MessageSource for MappedMessages<'_> {
    fn next_message(&mut self) -> Result<Option<&[u8]>, TapeError> {
        match self.tape.message(self.next) {
            None => Ok(None),
            Some(Err(e)) => Err(e),
            Some(Ok(m)) => {
                self.next = m.next;
                Ok(Some(m.bytes))
            }
        }
    }
}
