//! The simulator's venue book against the capture's oracle (data README:
//! Binance's documented spot sync rules applied to the recording by a
//! script we did not ship). The diff that bridges the capture's snapshot
//! arrives before it; dropping it left a stale bid that crossed the book a
//! minute and a half in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use kestrel_model::Side;
use kestrel_registry::testing::spot_btcusdt;
use kestrel_sim::{SimConfig, SimVenue};
use kestrel_sim_server::MarketReplay;

#[test]
fn the_venue_book_never_crosses_and_ends_on_the_oracle() {
    let instrument = spot_btcusdt();
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/sample/binance_spot_btcusdt_20240808.raw.gz");
    let mut venue = SimVenue::new([instrument.clone()], SimConfig::default());
    let mut replay = MarketReplay::open(&capture, &instrument).unwrap();
    let mut crossed = 0;
    while replay.next_frame(&mut venue).is_some() {
        replay.apply_staged(&mut venue);
        let book = venue.engine(instrument.id).unwrap().book();
        crossed += usize::from(book.is_crossed());
    }
    assert_eq!(crossed, 0, "frames after which the venue's book crossed");
    assert_eq!(replay.last_update_id(), Some(50_093_421_584));
    assert_eq!(replay.stats().gaps, 0);
    let book = venue.engine(instrument.id).unwrap().book();
    let best = |side| book.levels(side).next().unwrap().price.ticks();
    assert_eq!((best(Side::Buy), best(Side::Sell)), (6_168_599, 6_168_600));
    let count = |side| book.levels(side).count();
    assert_eq!((count(Side::Buy), count(Side::Sell)), (1209, 2196));
}
