//! Decodes the capture's trade frames in a loop, for profiling the decoder
//! (`valgrind --tool=callgrind target/release/examples/decode_trade`).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use kestrel_benches::{load_frames, sample_capture};
use kestrel_binance::BinanceDecoder;
use kestrel_feed::{Decoded, FrameDecoder, Instruments};
use kestrel_model::UnixNanos;
use kestrel_registry::testing::usdm_btcusdt;

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(3, |s| s.parse().unwrap());
    let frames = load_frames(&sample_capture()).unwrap();
    let trades: Vec<&[u8]> = frames
        .iter()
        .map(|(_, f)| f.as_slice())
        .filter(|f| f.windows(11).any(|w| w == b"\"e\":\"trade\""))
        .collect();
    let mut decoder = BinanceDecoder::new(Instruments::new(usdm_btcusdt()));
    let mut n = 0usize;
    let t = Instant::now();
    for _ in 0..rounds {
        for f in &trades {
            if let Ok(Decoded::Trades(t)) = decoder.decode(f, UnixNanos::new(0)) {
                n += t.len();
            }
        }
    }
    println!(
        "decode: {:.1} ns/trade frame ({n})",
        t.elapsed().as_nanos() as f64 / n as f64
    );
}
