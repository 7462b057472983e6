//! Bybit v5 public market data: `orderbook.N` snapshots and deltas.

pub mod decoder;
pub mod sequencer;

pub use decoder::BybitDecoder;
pub use sequencer::BybitSequencer;
