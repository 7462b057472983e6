//! What can go wrong reading or writing a tape.

use kestrel_model::InstrumentId;

/// A tape that cannot be read or written. Reading stops at the first error;
/// every event before it was whole and is kept.
#[derive(Debug, thiserror::Error)]
pub enum TapeError {
    /// The underlying file failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with the tape magic.
    #[error("not a Kestrel tape (bad magic)")]
    BadMagic,
    /// A version or record size this reader does not know.
    #[error("unsupported tape version {version} with {record_size}-byte records")]
    Unsupported {
        /// Format version in the header.
        version: u16,
        /// Record size in the header.
        record_size: u16,
    },
    /// The instrument table cannot be read.
    #[error("bad header: {0}")]
    BadHeader(String),
    /// A record kind this reader does not know.
    #[error("unknown record kind {0}")]
    BadKind(u8),
    /// Flag bits this reader does not know.
    #[error("unknown record flags {0:#04x}")]
    BadFlags(u8),
    /// A record names an instrument the header does not list.
    #[error("record {record} names instrument {index}, the header lists {listed}")]
    UnknownInstrument {
        /// Index of the record in the file.
        record: u64,
        /// The index it names.
        index: u16,
        /// How many instruments the header lists.
        listed: usize,
    },
    /// A batch of level records that does not hang together.
    #[error("record {record}: broken batch: {reason}")]
    BrokenBatch {
        /// Index of the offending record.
        record: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The file ends inside a record or a batch.
    #[error("truncated tape: {0} trailing bytes after the last whole record or batch")]
    Truncated(u64),
    /// The writer was given an event for an instrument not in its header.
    #[error("{0} is not in the tape's instrument table")]
    NotInHeader(InstrumentId),
    /// Two tapes being merged list one instrument with different terms
    /// (a tick or lot change between them, say).
    #[error("{0} is listed with different terms in the tapes being merged")]
    Conflict(InstrumentId),
    /// A batch longer than a record can count.
    #[error("a batch of {0} levels is too long for one tape batch")]
    BatchTooLong(usize),
}
