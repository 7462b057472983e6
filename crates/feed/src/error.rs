//! Errors of the market-data layer.

use kestrel_model::DecimalError;

/// Why a feed or recorded file could not deliver an event.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Reading the underlying file or socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A line or frame that is not what the venue sends. Recoverable: skip it.
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number in the recording.
        line: u64,
        /// What was wrong.
        reason: String,
    },
    /// A price or size off the instrument's grid, or not a number.
    #[error("line {line}: bad decimal {text:?}: {error}")]
    Decimal {
        /// 1-based line number in the recording.
        line: u64,
        /// The offending string.
        text: String,
        /// Why it was refused.
        error: DecimalError,
    },
    /// A sequence gap: the book can no longer be trusted and needs a new snapshot.
    #[error("sequence gap: expected previous id {expected}, got {got}")]
    Gap {
        /// Previous id the sequencer expected.
        expected: u64,
        /// Previous id the event carried.
        got: u64,
    },
    /// The recording ended without a snapshot that the diffs could sync to.
    #[error("no depth snapshot to sync the diffs to")]
    NoSnapshot,
}

impl FeedError {
    /// Whether the stream can go on after skipping the offending input
    /// (`false`: reinitialise from a fresh snapshot or stop).
    pub fn is_recoverable(&self) -> bool {
        matches!(self, Self::Malformed { .. } | Self::Decimal { .. })
    }
}
