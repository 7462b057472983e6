//! Captures of other markets made from the bundled BTCUSDT ones: test
//! markets on another instrument's grid, not recordings.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use kestrel_model::Decimal;

use super::repo;

/// What a quoted decimal in a Binance frame is.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Price,
    Qty,
    Other,
}

/// Rewrites one frame of a BTCUSDT capture onto another market:
/// the symbol renamed, each price times `price_scale` and each size times
/// `qty_scale`. Prices and sizes are told apart the way the venue lays them
/// out: `[price, size]` pairs in level lists; `p`/`b`/`a` prices and
/// `q`/`B`/`A` sizes in trades and book tickers.
fn rewrite(frame: &str, symbol: &str, price_scale: Decimal, qty_scale: Decimal) -> String {
    let frame = frame
        .replace("BTCUSDT", symbol)
        .replace("btcusdt", &symbol.to_ascii_lowercase());
    let bytes = frame.as_bytes();
    let mut out = String::with_capacity(frame.len());
    let (mut key, mut depth, mut index) = (String::new(), Vec::<usize>::new(), 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = i + 1 + frame[i + 1..].find('"').unwrap();
                let token = &frame[i + 1..end];
                let is_key = frame[end + 1..].trim_start().starts_with(':');
                let numeric = token.parse::<Decimal>().is_ok() && token.contains('.');
                let role = if !numeric || is_key {
                    Role::Other
                } else if depth.len() >= 2 {
                    [Role::Price, Role::Qty]
                        .get(index)
                        .copied()
                        .unwrap_or(Role::Other)
                } else {
                    match key.as_str() {
                        "p" | "b" | "a" => Role::Price,
                        "q" | "B" | "A" => Role::Qty,
                        _ => Role::Other,
                    }
                };
                let scaled = |scale: Decimal| {
                    token
                        .parse::<Decimal>()
                        .unwrap()
                        .checked_mul(scale)
                        .unwrap()
                        .to_string()
                };
                let text = match role {
                    Role::Price => scaled(price_scale),
                    Role::Qty => scaled(qty_scale),
                    Role::Other => token.to_owned(),
                };
                if is_key {
                    key = token.to_owned();
                }
                out.push('"');
                out.push_str(&text);
                out.push('"');
                i = end + 1;
                continue;
            }
            b'[' => {
                depth.push(index);
                index = 0;
            }
            b']' => index = depth.pop().unwrap_or(0),
            b',' if !depth.is_empty() => index += 1,
            _ => {}
        }
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

/// The bundled BTCUSDT capture `source` (relative to the repository)
/// rewritten onto `symbol`, as a plain file in `dir`.
pub fn rewritten(
    dir: &Path,
    source: &str,
    symbol: &str,
    price_scale: &str,
    qty_scale: &str,
) -> PathBuf {
    let source = repo().join(source);
    let reader = BufReader::new(GzDecoder::new(std::fs::File::open(source).unwrap()));
    let path = dir.join(format!("{symbol}.raw"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let (p, q) = (price_scale.parse().unwrap(), qty_scale.parse().unwrap());
    for line in reader.lines() {
        let line = line.unwrap();
        let (ts, frame) = line.split_once(' ').unwrap();
        writeln!(out, "{ts} {}", rewrite(frame, symbol, p, q)).unwrap();
    }
    out.flush().unwrap();
    path
}
