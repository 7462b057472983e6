//! Shared inputs for the benchmarks: real captures turned into the exact
//! streams the hot paths see, decoded once outside the timed loops.

pub mod dense;

use std::path::{Path, PathBuf};

use kestrel_feed::FeedError;
use kestrel_feed::binance::instruments::usdm_btcusdt;
use kestrel_feed::binance::{CaptureReader, CaptureReplay, SyncedEvent};
use kestrel_model::{BookSnapshot, Instrument, LevelUpdate};

/// The bundled Binance USD-M BTCUSDT capture.
pub fn sample_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/sample/binance_usdm_btcusdt_20240808.raw.gz")
}

/// A capture as a book sees it: the snapshot, then every level update of the
/// diffs that Binance's sync rules apply, in order.
pub struct BookStream {
    /// The capture's instrument.
    pub instrument: Instrument,
    /// The REST snapshot the diffs bridge to.
    pub snapshot: BookSnapshot,
    /// Level updates of all applied diffs, flattened.
    pub updates: Vec<LevelUpdate>,
}

impl BookStream {
    /// Every price in the snapshot and the updates.
    pub fn prices(&self) -> impl Iterator<Item = kestrel_model::Price> + Clone + '_ {
        let snapshot = self.snapshot.bids.iter().chain(&self.snapshot.asks);
        snapshot
            .map(|l| l.price)
            .chain(self.updates.iter().map(|u| u.price))
    }
}

/// Replays the bundled capture through the sequencer into a [`BookStream`].
pub fn load_book_stream() -> Result<BookStream, FeedError> {
    let instrument = usdm_btcusdt();
    let reader = CaptureReader::open(&sample_capture(), instrument.clone())?;
    let mut snapshot = None;
    let mut updates = Vec::new();
    for event in CaptureReplay::new(reader) {
        match event? {
            SyncedEvent::Snapshot(s) => snapshot = Some(s),
            SyncedEvent::Delta(d) => updates.extend_from_slice(&d.updates),
        }
    }
    Ok(BookStream {
        instrument,
        snapshot: snapshot.ok_or(FeedError::NoSnapshot)?,
        updates,
    })
}
