//! OKX v5 public market data: `books` (and the `-l2-tbt` variants),
//! `books5`, `bbo-tbt` and `trades`.

pub mod decoder;
pub mod sequencer;

pub use decoder::OkxDecoder;
pub use sequencer::OkxSequencer;
