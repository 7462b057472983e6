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
    /// A version this reader does not know (2 held fixed 64-byte records;
    /// convert the capture again).
    #[error(
        "unsupported tape version {version} (record size field {record_size}); this build reads version 3: convert the capture again"
    )]
    Unsupported {
        /// Format version in the header.
        version: u16,
        /// Record size in the header.
        record_size: u16,
    },
    /// The instrument table cannot be read.
    #[error("bad header: {0}")]
    BadHeader(String),
    /// A message kind this reader does not know.
    #[error("unknown message kind {0}")]
    BadKind(u8),
    /// Flag bits this reader does not know.
    #[error("unknown message flags {0:#04x}")]
    BadFlags(u8),
    /// A message names an instrument the header does not list.
    #[error("message {message} names instrument {index}, the header lists {listed}")]
    UnknownInstrument {
        /// Index of the message in the file.
        message: u64,
        /// The index it names.
        index: u16,
        /// How many instruments the header lists.
        listed: usize,
    },
    /// A message length no writer makes.
    #[error("a message claims {0} bytes")]
    BadLength(u64),
    /// A message whose bytes do not match its checksum.
    #[error("a message does not match its checksum")]
    BadChecksum,
    /// A message whose event does not read (its checksum matched: a
    /// writer's bug, or damage the checksum missed).
    #[error("a message's event does not read: {0}")]
    BadEvent(&'static str),
    /// The file ends inside a message.
    #[error("truncated tape: {0} trailing bytes after the last whole message")]
    Truncated(u64),
    /// The writer was given an event for an instrument not in its header.
    #[error("{0} is not in the tape's instrument table")]
    NotInHeader(InstrumentId),
    /// Two tapes being merged list one instrument with different terms
    /// (a tick or lot change between them, say).
    #[error("{0} is listed with different terms in the tapes being merged")]
    Conflict(InstrumentId),
    /// An event too large for one message.
    #[error("an event of {0} bytes is too large for one tape message")]
    TooLarge(usize),
}
