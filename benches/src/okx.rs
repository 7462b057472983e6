//! OKX `books` frames made from the real Binance capture, for benchmarking
//! the OKX path on realistic sizes (no OKX recording is bundled).
//!
//! The snapshot and every synced Binance diff become an OKX snapshot and
//! update messages with a `prevSeqId`/`seqId` chain and the true CRC32
//! checksum of the book after each one, written the way OKX writes them.

use std::fmt::Write as _;

use kestrel_book::OrderBook;
use kestrel_model::{Instrument, InstrumentId, Level, LevelUpdate, Side, Symbol, Venue};

use crate::BookStream;

/// The capture's market as if listed on OKX (`BTC-USDT-SWAP`, same grids).
pub fn okx_instrument(stream: &BookStream) -> Instrument {
    let mut instrument = stream.instrument.clone();
    let native = "BTC-USDT-SWAP";
    if let (Ok(id), Ok(symbol)) = (
        InstrumentId::from_native(Venue::Okx, native),
        Symbol::new(native),
    ) {
        instrument.id = id;
        instrument.native_symbol = symbol;
    }
    instrument
}

/// The snapshot frame followed by one update frame per synced diff.
pub fn okx_book_frames(stream: &BookStream, diffs: &[Vec<LevelUpdate>]) -> Vec<Vec<u8>> {
    let instrument = okx_instrument(stream);
    let mut book = OrderBook::new(&instrument);
    let mut snapshot = stream.snapshot.clone();
    snapshot.instrument = instrument.id;
    let _ = book.load_snapshot(&snapshot);
    let mut frames = Vec::with_capacity(diffs.len() + 1);
    let mut seq = 1_000_000u64;
    frames.push(frame(
        &instrument,
        "snapshot",
        &snapshot.bids,
        &snapshot.asks,
        -1,
        seq,
        book.okx_checksum(),
    ));
    for diff in diffs {
        for u in diff {
            book.update_level(u.side, u.price, u.qty);
        }
        let side = |s: Side| -> Vec<Level> {
            diff.iter()
                .filter(|u| u.side == s)
                .map(|u| Level {
                    price: u.price,
                    qty: u.qty,
                })
                .collect()
        };
        let prev = seq;
        seq += 1 + diff.len() as u64;
        frames.push(frame(
            &instrument,
            "update",
            &side(Side::Buy),
            &side(Side::Sell),
            prev as i64,
            seq,
            book.okx_checksum(),
        ));
    }
    frames
}

fn frame(
    instrument: &Instrument,
    action: &str,
    bids: &[Level],
    asks: &[Level],
    prev: i64,
    seq: u64,
    checksum: i32,
) -> Vec<u8> {
    let levels = |levels: &[Level]| {
        let mut out = String::new();
        for (i, l) in levels.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                out,
                r#"{sep}["{}","{}","0","1"]"#,
                l.price.display_trimmed(&instrument.tick),
                l.qty.display_trimmed(&instrument.lot)
            );
        }
        out
    };
    format!(
        r#"{{"arg":{{"channel":"books","instId":"{}"}},"action":"{action}","data":[{{"asks":[{}],"bids":[{}],"ts":"1723161256299","checksum":{checksum},"prevSeqId":{prev},"seqId":{seq}}}]}}"#,
        instrument.native_symbol,
        levels(asks),
        levels(bids),
    )
    .into_bytes()
}
