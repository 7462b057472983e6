//! Errors of the market-data layer.

use kestrel_model::DecimalError;

/// Why one frame could not be decoded. `Copy` and allocation-free, so a
/// flood of garbage frames costs no more than counting them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not well-formed JSON (or CSV) where the venue's layout was expected.
    #[error("syntax error at byte {pos}: expected {expected}")]
    Syntax {
        /// Byte offset in the frame.
        pos: u32,
        /// What the decoder was looking for.
        expected: &'static str,
    },
    /// A field the message type requires is absent.
    #[error("missing field {0:?}")]
    MissingField(&'static str),
    /// A field given twice in one object. The venue never repeats a key,
    /// and which copy would count is a guess; the whole decode and the
    /// near-the-touch read must not be able to take different ones.
    #[error("field {0:?} given twice")]
    DuplicateField(&'static str),
    /// A field has a value the venue does not send.
    #[error("unexpected value in field {0:?}")]
    BadValue(&'static str),
    /// A price or size off the instrument's grid, or not a decimal.
    #[error("bad decimal in field {field:?}: {error}")]
    Decimal {
        /// Which field.
        field: &'static str,
        /// Why it was refused.
        error: DecimalError,
    },
    /// The frame exceeds the size limit for its source.
    #[error("frame longer than {limit} bytes")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Why a feed or recorded file could not deliver an event.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Reading the underlying file or socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A line or frame that is not what the venue sends. Recoverable: skip it.
    #[error("line {line}: {error}")]
    Frame {
        /// 1-based line (or frame) number in the recording or session.
        line: u64,
        /// What was wrong.
        error: FrameError,
    },
    /// A file that is not in the format it was opened as.
    #[error("{0}")]
    Format(String),
    /// The recording ended without a snapshot that the diffs could sync to.
    #[error("no depth snapshot to sync the diffs to")]
    NoSnapshot,
}

impl FeedError {
    /// Whether the stream can go on after skipping the offending input.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, Self::Frame { .. })
    }
}
