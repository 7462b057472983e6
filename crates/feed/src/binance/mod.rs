//! Binance: recorded captures and the futures depth sequencer.

pub mod capture;
pub mod instruments;
pub mod replay;
pub mod sequencer;

pub use capture::{CaptureReader, CaptureRecord};
pub use replay::{CaptureReplay, ReplayStats, SyncedEvent};
pub use sequencer::{FuturesSequencer, Verdict};
