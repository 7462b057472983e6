//! Decodes the capture's depth frames in a loop, for profiling the decoder
//! (`valgrind --tool=callgrind target/release/examples/decode_depth`).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use kestrel_benches::{load_frames, sample_capture};
use kestrel_binance::BinanceDecoder;
use kestrel_feed::json::Scanner;
use kestrel_feed::{Decoded, FrameDecoder, Instruments};
use kestrel_model::UnixNanos;
use kestrel_registry::testing::usdm_btcusdt;

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(3, |s| s.parse().unwrap());
    let frames = load_frames(&sample_capture()).unwrap();
    let depth: Vec<&[u8]> = frames
        .iter()
        .map(|(_, f)| f.as_slice())
        .filter(|f| f.windows(13).any(|w| w == b"\"depthUpdate\""))
        .collect();
    let mut decoder = BinanceDecoder::new(Instruments::new(usdm_btcusdt()));
    let (mut levels, mut bytes) = (0usize, 0usize);
    let t = Instant::now();
    for _ in 0..rounds {
        for f in &depth {
            bytes += f.len();
            if let Ok(Decoded::Delta { delta, .. }) = decoder.decode(f, UnixNanos::new(0)) {
                levels += delta.updates.len();
            }
        }
    }
    let e = t.elapsed();
    println!(
        "decode: {:.1} ns/level, {:.2} ns/byte",
        e.as_nanos() as f64 / levels as f64,
        e.as_nanos() as f64 / bytes as f64
    );
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        for f in &depth {
            n += Scanner::new(f).skip_value().map_or(0, <[u8]>::len);
        }
    }
    let e = t.elapsed();
    println!(
        "skip_value: {:.2} ns/byte ({n})",
        e.as_nanos() as f64 / bytes as f64
    );
    let t = Instant::now();
    let mut quotes = 0usize;
    for _ in 0..rounds {
        for f in &depth {
            quotes += f.iter().filter(|&&b| b == b'"').count();
        }
    }
    let e = t.elapsed();
    println!(
        "count quotes: {:.3} ns/byte ({quotes})",
        e.as_nanos() as f64 / bytes as f64
    );
}
